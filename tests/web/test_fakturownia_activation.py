"""Settings -> Accounting system -> Fakturownia: the generic settings form, activated against the
Fakturownia sandbox over real HTTP for every seeded account state, in English and in Polish."""

import pytest

from connectors import registry
from connectors.fakturownia import FakturowniaConnector
from webapp.extensions import db
from webapp.models import ApiCall, Integration

HTMX = {"HX-Request": "true"}
PAGE = "/settings/accounting/fakturownia"


@pytest.fixture
def fa(sandbox):
    return sandbox("fakturownia")


def _integration(app, shop_id):
    with app.app_context():
        row = db.session.scalar(db.select(Integration).where(Integration.shop_id == shop_id))
        if row is not None:
            db.session.expunge(row)
        return row


def _activate(client, credentials, **overrides):
    data = {k: str(v) for k, v in credentials.items()}
    data.update(overrides)
    return client.post(f"{PAGE}/activate", data=data, headers=HTMX)


def test_catalogue_offers_fakturownia(owner_client):
    html = owner_client.get("/settings/accounting/").get_data(as_text=True)
    assert "Fakturownia" in html


def test_form_is_generated_from_the_schema_with_where_to_find_the_token(owner_client):
    html = owner_client.get(PAGE).get_data(as_text=True)
    for field in registry.get("fakturownia").schema:
        if field.section == "connection":
            assert f'name="{field.key}"' in html
    assert 'type="password"' in html and "Kod autoryzacyjny API" in html


def test_activation_of_the_valid_account_says_connected_as_and_offers_departments(app, owner_client, fa):
    account = fa.account("valid")
    response = _activate(owner_client, account["credentials"])
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Connected as" in html and account["label"] in html
    integration = _integration(app, owner_client.user.shop_id)
    assert integration.status == "active" and integration.current
    assert integration.config["subdomain"] == "demo-sklep"
    assert [row[0] for row in integration.choices["number_series:invoice"]] == ["101", "102"]
    assert account["credentials"]["api_token"] not in (integration.secrets_encrypted or "")
    assert {r["headers"]["Host"] for r in fa.requests()} == {"demo-sklep.fakturownia.pl"}


@pytest.mark.parametrize("state, code", [("wrong_key", "invalid_credentials"), ("no_permission", "permission_denied")])
def test_activation_failure_of_each_seeded_state_shows_fakturownias_hint(app, owner_client, fa, state, code):
    html = _activate(owner_client, fa.account(state)["credentials"]).get_data(as_text=True)
    assert code in html and "Connected as" not in html
    hint = FakturowniaConnector.hints[f"fakturownia.{code}"]
    assert hint.split(".")[0].replace('"', "&#34;") in html
    integration = _integration(app, owner_client.user.shop_id)
    assert integration.status == "draft" and integration.last_error_code == code


def test_unknown_subdomain_marks_the_subdomain_field(app, owner_client, fa):
    html = _activate(owner_client, fa.account("valid")["credentials"], subdomain="nie-ma-takiego").get_data(
        as_text=True
    )
    assert "account_not_found" in html and "Brak konta" in html
    assert "first part of your Fakturownia address" in html
    assert _integration(app, owner_client.user.shop_id).last_error_code == "account_not_found"


def test_polish_merchant_gets_the_hint_in_polish(owner_client, fa):
    owner_client.post("/language", data={"lang": "pl", "next": PAGE})
    html = _activate(owner_client, fa.account("wrong_key")["credentials"]).get_data(as_text=True)
    assert "Fakturownia nie przyjęła tokenu API" in html


def test_a_malformed_subdomain_is_a_field_message_without_calling_fakturownia(owner_client, fa):
    response = _activate(owner_client, fa.account("valid")["credentials"], subdomain="moja firma")
    html = response.get_data(as_text=True)
    assert "Enter the first part of your Fakturownia address" in html
    assert fa.requests() == []


def test_no_token_in_the_integration_log(app, owner_client, fa):
    _activate(owner_client, fa.account("wrong_key")["credentials"])
    tokens = [a["credentials"]["api_token"] for a in fa.accounts()]
    with app.app_context():
        rows = db.session.scalars(db.select(ApiCall)).all()
        assert rows
        for row in rows:
            text = " ".join(
                [
                    row.url,
                    row.request_body or "",
                    row.response_body or "",
                    *map(str, (row.request_headers or {}).values()),
                ]
            )
            assert not any(token in text for token in tokens)


def test_account_not_connected_to_ksef_activates_with_a_warning_and_the_fix(app, owner_client, fa, monkeypatch):
    monkeypatch.setattr(FakturowniaConnector, "_ksef_connected", lambda self, account: False)
    owner_client.post("/language", data={"lang": "pl", "next": PAGE})
    html = _activate(owner_client, fa.account("valid")["credentials"]).get_data(as_text=True)
    assert "nie jest połączone z KSeF" in html and "Integracje i dodatki" in html
    assert _integration(app, owner_client.user.shop_id).status == "active"
