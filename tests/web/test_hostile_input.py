"""Inputs that used to answer 500: huge ids and page numbers, accented API credentials, an
exception while an activation holds its lock."""

import re

import pytest

from webapp.extensions import db
from webapp.models import Integration

from .conftest import login

HUGE = "9" * 20
HTMX = {"HX-Request": "true"}


@pytest.fixture
def agent_and_owner(app, make_user):
    make_user("owner@shop.test")
    make_user("agent@fynode.test", role="support", shop_name=None)


@pytest.mark.parametrize("who", ["owner@shop.test", "agent@fynode.test"])
@pytest.mark.parametrize("value", [HUGE, str(2**31), str(2**63), "0" * 30 + "1"])
def test_every_int_route_answers_a_huge_id_without_a_server_error(app, client, agent_and_owner, who, value):
    login(client, who)
    rules = [r for r in app.url_map.iter_rules() if "<int:" in r.rule]
    assert rules, "the app has <int:> routes"
    for rule in rules:
        path = re.sub(r"<int:[^>]+>", value, rule.rule)
        path = re.sub(r"<[^>]+>", "superfaktura", path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            assert response.status_code < 500, (method, path, response.status_code)


def test_int_routes_are_bounded_by_the_app_wide_converter(app):
    from webapp.urls import DatabaseId

    rules = [r for r in app.url_map.iter_rules() if "<int:" in r.rule]
    for rule in rules:
        assert all(isinstance(conv, DatabaseId) for conv in rule._converters.values()), rule.rule


@pytest.mark.parametrize("page", [HUGE, "-1", "0", "abc", "1e9", "²", "", "1" * 5000])
def test_the_log_answers_any_page_number_without_a_server_error(owner_client, page):
    assert owner_client.get(f"/settings/accounting/log/?page={page}").status_code == 200


def test_page_numbers_are_read_safely():
    from webapp.urls import MAX_PAGE, page_number

    assert page_number({"page": "3"}) == 3
    assert page_number({"page": HUGE}) == MAX_PAGE
    assert [page_number({"page": p}) for p in ("0", "-2", "x", "", " ", "٣")] == [1] * 6
    assert page_number({}) == 1


@pytest.mark.parametrize("field", ["client_id", "client_secret"])
def test_accented_fakturoid_credentials_get_a_field_message_and_no_request(app, owner_client, sandbox, field):
    fa = sandbox("fakturoid")
    creds = dict(fa.account("valid")["credentials"])
    creds[field] = "klíč-ž" + creds[field]
    response = owner_client.post("/settings/accounting/fakturoid/activate", data=creds, headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Paste the value exactly as Fakturoid shows it" in html
    assert not any(r["path"].endswith("/oauth/token") for r in fa.requests())


def test_a_header_the_transport_cannot_send_is_a_validation_error():
    from connectors.errors import VALIDATION, ConnectorError
    from connectors.http import Transport

    with pytest.raises(ConnectorError) as refused:
        Transport(user_agent="Test", retries=0).request(
            "GET", "http://127.0.0.1:9/", operation="verify", auth=("ž", "ř")
        )
    assert refused.value.code == VALIDATION and not refused.value.ambiguous


def test_an_unexpected_error_during_activation_releases_the_lock(app, owner_client, sandbox, monkeypatch):
    sf = sandbox("superfaktura")
    creds = {k: str(v) for k, v in sf.account("valid")["credentials"].items()}
    from connectors.superfaktura import SuperFakturaConnector as SuperFaktura

    def explode(self):
        raise RuntimeError("a bug in a connector")

    monkeypatch.setattr(SuperFaktura, "verify", explode)
    app.testing, propagate = False, app.config.get("PROPAGATE_EXCEPTIONS")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        assert owner_client.post("/settings/accounting/superfaktura/activate", data=creds).status_code == 500
    finally:
        app.testing = True
        app.config["PROPAGATE_EXCEPTIONS"] = propagate
    with app.app_context():
        row = db.session.scalar(db.select(Integration).where(Integration.shop_id == owner_client.user.shop_id))
        assert row is not None and row.busy_until is None
    monkeypatch.undo()
    html = owner_client.post("/settings/accounting/superfaktura/activate", data=creds, headers=HTMX).get_data(
        as_text=True
    )
    assert "Connected as" in html
