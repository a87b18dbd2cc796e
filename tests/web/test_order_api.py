"""The JSON API as ORDER_API.md says: create and update idempotently by number, events recorded
once, 401 without a hint whether an order exists, 422 with field paths and nothing written,
amounts as decimal strings, each shop sees only its own orders."""

from __future__ import annotations

from decimal import Decimal

import pytest

from webapp.extensions import db
from webapp.models import ApiToken, Document, Order, OrderEvent, OrderLine
from webapp.services.orders import tokens

from ._orders import ORDER, TOTAL, add_document, bearer, count, events_of, order_body, shop_with_token, two_line_body


@pytest.fixture
def api(app, client):
    shop_id, raw = shop_with_token(app)
    client.shop_id = shop_id
    client.auth = bearer(raw)
    return client


def post_order(api, body=None):
    return api.post("/api/v1/orders", json=body or ORDER, headers=api.auth)


def post_event(api, number, **event):
    return api.post(f"/api/v1/orders/{number}/events", json=event, headers=api.auth)


# -- creating and updating -----------------------------------------------------------------------
def test_new_order_is_created_with_201_and_amounts_as_decimal_strings(api, app):
    response = post_order(api)
    assert response.status_code == 201
    assert response.json == {
        "number": "2026-000123",
        "status": "new",
        "currency": "EUR",
        "created_at": "2026-11-24T09:15:00+00:00",
        "total": TOTAL,
        "paid_total": "0.00",
        "refunded_total": "0.00",
    }
    assert response.headers["Location"].endswith("/api/v1/orders/2026-000123")
    with app.app_context():
        order = db.session.scalar(db.select(Order))
        assert order.shop_id == api.shop_id and order.source == "api"
        assert order.customer["vat_id"] == "SK2020273893" and order.customer["billing_address"]["country"] == "SK"
        assert order.payment_method == "bank_transfer" and order.delivery_method == "courier"
        assert [(l.sku, l.quantity, l.unit_price, l.vat_rate) for l in order.lines] == [
            ("TEA-01", Decimal("2"), Decimal("12.30"), Decimal("23"))
        ]
    assert events_of(app, api.shop_id, "2026-000123") == [("created", None)]


def test_the_same_body_twice_answers_200_changes_nothing_and_records_no_second_created_event(api, app):
    assert post_order(api).status_code == 201
    with app.app_context():
        before = db.session.scalar(db.select(Order)).updated_at
    second = post_order(api)
    assert second.status_code == 200 and second.json["total"] == TOTAL
    assert count(app, Order) == 1 and count(app, OrderLine) == 1
    assert events_of(app, api.shop_id, "2026-000123") == [("created", None)]
    with app.app_context():
        assert db.session.scalar(db.select(Order)).updated_at == before


def test_an_update_replaces_the_lines_and_keeps_the_status_set_by_events(api, app):
    post_order(api)
    post_event(api, "2026-000123", type="paid", at="2026-11-24T11:00:00+01:00", amount=TOTAL)
    changed = order_body(status="new", lines=[dict(ORDER["lines"][0], quantity="3")])
    response = post_order(api, changed)
    assert response.status_code == 200
    assert response.json["total"] == "40.80" and response.json["status"] == "paid"
    with app.app_context():
        assert [l.quantity for l in db.session.scalar(db.select(Order)).lines] == [Decimal("3")]


def test_the_same_number_in_two_shops_is_two_orders(api, app):
    post_order(api)
    _other_shop, other_token = shop_with_token(app, "Other")
    assert api.post("/api/v1/orders", json=ORDER, headers=bearer(other_token)).status_code == 201
    assert count(app, Order) == 2


# -- events --------------------------------------------------------------------------------------
def test_a_payment_is_accepted_with_202_and_pays_the_order(api, app):
    post_order(api)
    response = post_event(
        api, "2026-000123", type="paid", at="2026-11-24T11:00:00+01:00", amount="28.50", reference="PAY-9"
    )
    assert response.status_code == 202
    assert response.json == {
        "number": "2026-000123",
        "status": "paid",
        "recorded": True,
        "duplicate": False,
        "event": {"type": "paid", "at": "2026-11-24T10:00:00+00:00", "reference": "PAY-9", "amount": "28.50"},
    }
    view = api.get("/api/v1/orders/2026-000123", headers=api.auth).json
    assert view["status"] == "paid" and view["paid_total"] == "28.50"


def test_the_same_event_sent_twice_is_recorded_once_even_with_another_offset(api, app):
    post_order(api)
    first = post_event(
        api, "2026-000123", type="paid", at="2026-11-24T11:00:00+01:00", amount="28.50", reference="PAY-9"
    )
    again = post_event(api, "2026-000123", type="paid", at="2026-11-24T10:00:00Z", amount="28.50", reference="PAY-9")
    assert first.status_code == again.status_code == 202
    assert again.json["duplicate"] is True and again.json["recorded"] is False
    assert events_of(app, api.shop_id, "2026-000123") == [("created", None), ("paid", "28.50")]
    assert api.get("/api/v1/orders/2026-000123", headers=api.auth).json["paid_total"] == "28.50"


def test_two_partial_payments_add_up_and_move_the_order_from_partially_paid_to_paid(api):
    post_order(api)
    first = post_event(api, "2026-000123", type="paid", at="2026-11-24T11:00:00+01:00", amount="10.00", reference="A")
    assert first.json["status"] == "partially_paid"
    second = post_event(api, "2026-000123", type="paid", at="2026-11-24T12:00:00+01:00", amount="18.50", reference="B")
    assert second.json["status"] == "paid"
    assert api.get("/api/v1/orders/2026-000123", headers=api.auth).json["paid_total"] == "28.50"


def test_status_changes_shipments_and_cancellations_move_the_status(api):
    post_order(api)
    assert (
        post_event(api, "2026-000123", type="status_changed", at="2026-11-24T11:00:00+01:00", status="processing").json[
            "status"
        ]
        == "processing"
    )
    assert (
        post_event(api, "2026-000123", type="shipped", at="2026-11-24T12:00:00+01:00", reference="TRACK-1").json[
            "status"
        ]
        == "shipped"
    )
    assert (
        post_event(api, "2026-000123", type="cancelled", at="2026-11-24T13:00:00+01:00").json["status"] == "cancelled"
    )


def test_a_status_change_to_the_current_status_records_nothing(api, app):
    post_order(api)
    response = post_event(api, "2026-000123", type="status_changed", at="2026-11-24T11:00:00+01:00", status="new")
    assert response.status_code == 202 and response.json["recorded"] is False and response.json["event"] is None
    assert events_of(app, api.shop_id, "2026-000123") == [("created", None)]


def test_a_partial_refund_by_line_then_the_rest_makes_the_order_refunded(api, app):
    post_order(api, two_line_body())
    post_event(api, "2026-000200", type="paid", at="2026-11-24T11:00:00+01:00", amount="37.50")
    partial = post_event(
        api,
        "2026-000200",
        type="refunded",
        at="2026-11-25T09:00:00+01:00",
        amount="12.30",
        lines=[{"sku": "TEA-01", "quantity": "1"}],
    )
    assert partial.status_code == 202 and partial.json["status"] == "partially_refunded"
    rest = post_event(api, "2026-000200", type="refunded", at="2026-11-26T09:00:00+01:00", amount="25.20")
    assert rest.json["status"] == "refunded"
    with app.app_context():
        refunds = db.session.scalars(
            db.select(OrderEvent).where(OrderEvent.type == "refunded").order_by(OrderEvent.id)
        ).all()
        assert refunds[0].refunded_lines == [{"sku": "TEA-01", "quantity": "1"}]
        assert db.session.scalar(db.select(Order)).refunded_total == Decimal("37.50")


def test_a_refund_of_more_than_was_ordered_is_refused_with_the_field_path(api, app):
    post_order(api, two_line_body())
    response = post_event(
        api,
        "2026-000200",
        type="refunded",
        at="2026-11-25T09:00:00+01:00",
        amount="50.00",
        lines=[{"sku": "TEA-01", "quantity": "3"}, {"sku": "NOPE", "quantity": "1"}],
    )
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"lines[0].quantity", "lines[1].sku", "amount"}
    assert events_of(app, api.shop_id, "2026-000200") == [("created", None)]


def test_an_event_for_an_unknown_order_is_404(api):
    assert post_event(api, "NOPE", type="shipped", at="2026-11-24T11:00:00+01:00").status_code == 404


# -- 422: nothing half-written -------------------------------------------------------------------
@pytest.mark.parametrize(
    "change, path",
    [
        ({"lines": [dict(ORDER["lines"][0], vat_rate="123")]}, "lines[0].vat_rate"),
        ({"lines": [dict(ORDER["lines"][0], unit_price=12.3)]}, "lines[0].unit_price"),
        ({"lines": []}, "lines"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        ({"created_at": "2026-11-24T10:15:00"}, "created_at"),
        ({"customer": dict(ORDER["customer"], vat_id="SK2020123456")}, "customer.vat_id"),
        ({"customer": dict(ORDER["customer"], billing_address={"country": "XX"})}, "customer.billing_address.country"),
        ({"payment": {"method": "crypto"}}, "payment.method"),
        ({"number": "a/b"}, "number"),
    ],
)
def test_a_bad_field_gets_422_with_its_path_and_nothing_is_stored(api, app, change, path):
    response = post_order(api, order_body(**change))
    assert response.status_code == 422
    assert path in response.json["errors"] and all(isinstance(m, str) and m for m in response.json["errors"][path])
    assert count(app, Order) == 0 and count(app, OrderLine) == 0 and count(app, OrderEvent) == 0


def test_an_update_with_a_bad_field_leaves_the_stored_order_as_it_was(api, app):
    post_order(api)
    bad = order_body(lines=[dict(ORDER["lines"][0], quantity="5"), dict(ORDER["lines"][0], vat_rate="-1")])
    assert post_order(api, bad).status_code == 422
    with app.app_context():
        assert [l.quantity for l in db.session.scalar(db.select(Order)).lines] == [Decimal("2")]


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b""])
def test_a_body_that_is_not_a_json_object_gets_422(api, body):
    response = api.post("/api/v1/orders", data=body, headers={**api.auth, "Content-Type": "application/json"})
    assert response.status_code == 422 and "body" in response.json["errors"]


def test_messages_follow_the_clients_language(api):
    response = api.post(
        "/api/v1/orders", json=order_body(currency="XYZ"), headers={**api.auth, "Accept-Language": "sk"}
    )
    assert response.status_code == 422
    assert response.json["errors"]["currency"] != ["Not an ISO 4217 currency code (for example EUR, CZK, PLN)."]


# -- 401 -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "}]
)
def test_a_missing_or_wrong_token_gets_the_same_401_for_known_and_unknown_orders(api, headers):
    post_order(api)
    known = api.get("/api/v1/orders/2026-000123", headers=headers)
    unknown = api.get("/api/v1/orders/NOPE", headers=headers)
    assert known.status_code == unknown.status_code == 401
    assert known.json == unknown.json == {"error": "unauthorized"}
    assert known.headers["WWW-Authenticate"].startswith("Bearer")
    assert api.post("/api/v1/orders", json=ORDER, headers=headers).status_code == 401
    assert api.post("/api/v1/orders/2026-000123/events", json={}, headers=headers).status_code == 401


def test_a_revoked_token_gets_401(api, app):
    with app.app_context():
        token_id = db.session.scalar(db.select(ApiToken.id))
        tokens.revoke_token(api.shop_id, token_id)
    assert post_order(api).status_code == 401


def test_tokens_are_stored_only_as_hashes(api, app):
    raw = api.auth["Authorization"].split(" ", 1)[1]
    with app.app_context():
        token = db.session.scalar(db.select(ApiToken))
        assert raw not in (token.token_hash, token.prefix) and token.token_hash == tokens.hash_token(raw)
        assert raw.startswith(token.prefix)


def test_the_demo_token_works_only_in_local_sandbox_mode(app, client, monkeypatch):
    shop_id, _raw = shop_with_token(app, "Demo Shop")
    monkeypatch.setitem(app.config, "LOCAL_MODE", True)
    monkeypatch.setitem(app.config, "ACCOUNTING_SANDBOX", True)
    with app.app_context():
        assert tokens.ensure_demo_token(shop_id) is not None
    assert client.post("/api/v1/orders", json=ORDER, headers=bearer("demo-shop-token")).status_code == 201
    monkeypatch.setitem(app.config, "LOCAL_MODE", False)  # the same database, moved to production
    assert client.get("/api/v1/orders/2026-000123", headers=bearer("demo-shop-token")).status_code == 401
    with app.app_context():
        assert tokens.ensure_demo_token(shop_id) is None


def test_the_seed_adds_no_demo_token_outside_sandbox_mode(app, clean_db, monkeypatch):
    shop_id, _raw = shop_with_token(app, "Demo Shop")
    monkeypatch.setitem(app.config, "ACCOUNTING_SANDBOX", False)
    with app.app_context():
        assert tokens.ensure_demo_token(shop_id) is None
        assert (
            db.session.scalar(db.select(ApiToken).where(ApiToken.token_hash == tokens.hash_token("demo-shop-token")))
            is None
        )


def test_the_api_needs_no_csrf_token(app, api, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert post_order(api).status_code == 201


# -- reading an order with its documents ---------------------------------------------------------
def test_get_lists_the_orders_documents_and_a_hint_for_a_failed_one(api, app):
    post_order(api)
    add_document(
        app,
        api.shop_id,
        "2026-000123",
        kind="proforma",
        state="created",
        number="ZAL2026001",
        remote_id="4711",
        total=Decimal("28.5000"),
        currency="EUR",
    )
    add_document(app, api.shop_id, "2026-000123", kind="invoice", state="failed", last_error_code="validation")
    documents = api.get("/api/v1/orders/2026-000123", headers=api.auth).json["documents"]
    created, failed = documents
    assert created["kind"] == "proforma" and created["state"] == "created" and created["number"] == "ZAL2026001"
    assert created["remote_id"] == "4711" and created["total"] == "28.50" and created["currency"] == "EUR"
    assert created["pdf"].startswith("/orders/") and created["pdf"].endswith("/pdf")
    assert failed["state"] == "failed" and failed["error"] == "validation" and failed["hint"]
    assert failed["pdf"] is None and "error" not in created


def test_another_shops_token_cannot_read_or_add_events_to_an_order(api, app):
    post_order(api)
    _other, other_token = shop_with_token(app, "Other")
    assert api.get("/api/v1/orders/2026-000123", headers=bearer(other_token)).status_code == 404
    response = api.post(
        "/api/v1/orders/2026-000123/events",
        headers=bearer(other_token),
        json={"type": "cancelled", "at": "2026-11-24T13:00:00+01:00"},
    )
    assert response.status_code == 404
    assert events_of(app, api.shop_id, "2026-000123") == [("created", None)]


# -- documents are planned in the event's transaction and queued after it ------------------------
def test_documents_are_planned_inside_the_events_transaction_and_queued_once_after_commit(api, app, monkeypatch):
    from webapp.services.documents import planning

    calls = []

    def plan(order, event):
        assert event.id is not None and event.order_id == order.id  # flushed, not yet committed
        document = Document(
            shop_id=order.shop_id,
            integration_id=integration_id,
            order_id=order.id,
            kind="invoice",
            idempotency_key=f"plan-{event.id}",
        )
        db.session.add(document)
        calls.append(("plan", event.type))
        return [document]

    def enqueue(documents):
        with app.app_context():  # a fresh session sees the committed rows
            assert db.session.scalar(db.select(db.func.count()).select_from(Document)) >= len(documents)
        calls.append(("enqueue", [d.kind for d in documents]))

    post_order(api)
    integration_id = _integration(app, api.shop_id)
    monkeypatch.setattr(planning, "plan_documents", plan)
    monkeypatch.setattr(planning, "enqueue", enqueue)
    for _ in range(2):
        post_event(api, "2026-000123", type="paid", at="2026-11-24T11:00:00+01:00", amount="28.50")
    post_order(api)  # the same body again: no `created` event, nothing planned
    assert calls == [("plan", "paid"), ("enqueue", ["invoice"])]
    assert count(app, Document) == 1


def test_a_failure_while_planning_writes_neither_the_event_nor_the_order(api, app, monkeypatch):
    from webapp.services.documents import planning

    def broken(order, event):
        raise RuntimeError("engine down")

    monkeypatch.setattr(planning, "plan_documents", broken)
    with pytest.raises(RuntimeError):
        post_order(api)
    with app.app_context():
        db.session.rollback()
    assert count(app, Order) == 0 and count(app, OrderEvent) == 0


def _integration(app, shop_id: int) -> int:
    from webapp.models import Integration

    with app.app_context():
        integration = Integration(shop_id=shop_id, system="superfaktura", status="active", current=True)
        db.session.add(integration)
        db.session.commit()
        return integration.id
