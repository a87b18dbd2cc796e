"""The OpenAPI description at /api/v1/openapi.json stays true: real answers of every kind (201,
200, 202, 401, 404, 422 and an order with documents) validate against the schema it declares
for that path, method and status, and the contract's own example body is a valid request."""

from __future__ import annotations

from decimal import Decimal

import pytest
from openapi_schema_validator import OAS30Validator, validate

from ._orders import ORDER, add_document, bearer, order_body, shop_with_token


@pytest.fixture
def spec(client):
    response = client.get("/api/v1/openapi.json")  # served without a token
    assert response.status_code == 200
    return response.json


def _schema(spec: dict, path: str, method: str, status: int) -> dict:
    operation = spec["paths"][path][method]
    schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    return {**schema, "components": spec["components"]}


def assert_matches(spec: dict, path: str, method: str, response) -> None:
    assert str(response.status_code) in spec["paths"][path][method]["responses"], response.status_code
    assert response.mimetype == "application/json"
    validate(response.json, _schema(spec, path, method, response.status_code), cls=OAS30Validator)


def test_the_description_is_openapi_3_and_declares_bearer_auth(spec):
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        **spec["components"]["securitySchemes"]["bearerAuth"],
        "type": "http",
        "scheme": "bearer",
    }
    assert set(spec["paths"]) >= {"/orders", "/orders/{number}", "/orders/{number}/events"}


def test_the_contract_example_bodies_are_valid_requests(spec):
    order_schema = spec["paths"]["/orders"]["post"]["requestBody"]["content"]["application/json"]
    validate(ORDER, {**order_schema["schema"], "components": spec["components"]}, cls=OAS30Validator)
    validate(order_schema["example"], {**order_schema["schema"], "components": spec["components"]}, cls=OAS30Validator)
    event_schema = spec["paths"]["/orders/{number}/events"]["post"]["requestBody"]["content"]["application/json"]
    validate(event_schema["example"], {**event_schema["schema"], "components": spec["components"]}, cls=OAS30Validator)


def test_the_description_rejects_what_the_api_rejects(spec):
    schema = {
        **spec["paths"]["/orders"]["post"]["requestBody"]["content"]["application/json"]["schema"],
        "components": spec["components"],
    }
    with pytest.raises(Exception):
        validate(order_body(lines=[dict(ORDER["lines"][0], unit_price=12.3)]), schema, cls=OAS30Validator)


def test_every_real_answer_matches_the_description(app, client, spec):
    shop_id, raw = shop_with_token(app)
    auth = bearer(raw)
    number = ORDER["number"]

    assert_matches(spec, "/orders", "post", created := client.post("/api/v1/orders", json=ORDER, headers=auth))
    assert created.status_code == 201
    assert_matches(spec, "/orders", "post", same := client.post("/api/v1/orders", json=ORDER, headers=auth))
    assert same.status_code == 200
    bad = client.post("/api/v1/orders", json=order_body(currency="XYZ"), headers=auth)
    assert bad.status_code == 422
    assert_matches(spec, "/orders", "post", bad)
    unauthorized = client.post("/api/v1/orders", json=ORDER)
    assert unauthorized.status_code == 401
    assert_matches(spec, "/orders", "post", unauthorized)

    paid = {"type": "paid", "at": "2026-11-24T11:00:00+01:00", "amount": "28.50", "reference": "PAY-9"}
    for _ in range(2):  # accepted, then the duplicate
        accepted = client.post(f"/api/v1/orders/{number}/events", json=paid, headers=auth)
        assert accepted.status_code == 202
        assert_matches(spec, "/orders/{number}/events", "post", accepted)
    unchanged = client.post(
        f"/api/v1/orders/{number}/events",
        headers=auth,
        json={"type": "status_changed", "at": "2026-11-24T12:00:00+01:00", "status": "paid"},
    )
    assert_matches(spec, "/orders/{number}/events", "post", unchanged)
    invalid = client.post(f"/api/v1/orders/{number}/events", json={"type": "paid"}, headers=auth)
    assert invalid.status_code == 422
    assert_matches(spec, "/orders/{number}/events", "post", invalid)
    missing = client.post("/api/v1/orders/NOPE/events", json=paid, headers=auth)
    assert missing.status_code == 404
    assert_matches(spec, "/orders/{number}/events", "post", missing)

    add_document(
        app,
        shop_id,
        number,
        kind="proforma",
        state="created",
        number="ZAL2026001",
        remote_id="4711",
        total=Decimal("28.50"),
        currency="EUR",
    )
    add_document(app, shop_id, number, kind="invoice", state="failed", last_error_code="timeout")
    add_document(app, shop_id, number, kind="credit_note", state="pending")
    add_document(
        app, shop_id, number, kind="invoice", state="imported", number="OF2026001", idempotency_key="imported-1"
    )
    order = client.get(f"/api/v1/orders/{number}", headers=auth)
    assert order.status_code == 200 and len(order.json["documents"]) == 4
    assert_matches(spec, "/orders/{number}", "get", order)
    assert_matches(spec, "/orders/{number}", "get", client.get("/api/v1/orders/NOPE", headers=auth))
    assert_matches(spec, "/orders/{number}", "get", client.get(f"/api/v1/orders/{number}"))
