"""Settings -> Accounting system -> Activate, through Flask's client against the SuperFaktura
sandbox over real HTTP."""

import json
import logging

import pytest

from webapp.extensions import db
from webapp.models import ApiCall, AuditEvent, Integration

from .conftest import login

HTMX = {"HX-Request": "true"}


@pytest.fixture
def sf(sandbox):
    return sandbox("superfaktura")


def _form(credentials, **overrides):
    data = {k: str(v) for k, v in credentials.items()}
    data.update(overrides)
    return data


def _integration(app, shop_id):
    with app.app_context():
        row = db.session.scalar(db.select(Integration).where(Integration.shop_id == shop_id))
        if row is not None:
            db.session.expunge(row)
        return row


def test_catalogue_lists_superfaktura_as_not_connected(owner_client):
    html = owner_client.get("/settings/accounting/").get_data(as_text=True)
    assert "SuperFaktura" in html and "Not connected" in html


def test_form_is_generated_from_the_schema_with_help_texts(owner_client):
    from connectors import registry

    html = owner_client.get("/settings/accounting/superfaktura").get_data(as_text=True)
    for field in registry.get("superfaktura").schema:
        assert f'name="{field.key}"' in html
        if field.help:
            assert f'id="{field.key}-help"' in html
    assert 'type="password"' in html  # the API key


def test_activation_with_valid_credentials_says_connected_as_company(app, owner_client, sf):
    account = sf.account("valid")
    response = owner_client.post(
        "/settings/accounting/superfaktura/activate", data=_form(account["credentials"]), headers=HTMX
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Connected as" in html and account["label"] in html
    assert '<section id="connection"' in html and "<html" not in html  # the partial only
    integration = _integration(app, owner_client.user.shop_id)
    assert integration.status == "active" and integration.current
    assert account["credentials"]["api_key"] not in (integration.secrets_encrypted or "")


def test_activation_works_without_javascript_as_a_full_page(owner_client, sf):
    response = owner_client.post(
        "/settings/accounting/superfaktura/activate", data=_form(sf.account("valid")["credentials"])
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html and "Connected as" in html


def test_activation_sends_the_documented_sfapi_header(owner_client, sf):
    creds = sf.account("valid")["credentials"]
    owner_client.post("/settings/accounting/superfaktura/activate", data=_form(creds), headers=HTMX)
    auth = [r["headers"].get("Authorization", "") for r in sf.requests()]
    assert auth and all(a.startswith("SFAPI ") for a in auth)
    from urllib.parse import parse_qs

    params = parse_qs(auth[0][len("SFAPI ") :])
    assert params["email"] == [creds["email"]] and params["apikey"] == [creds["api_key"]]
    assert "Fynode" in params["module"][0]


@pytest.mark.parametrize(
    "state, code, text",
    [
        ("wrong_key", "invalid_credentials", "SuperFaktura did not accept the credentials"),
        ("no_api_plan", "plan_lacks_api", "Premium"),
    ],
)
def test_activation_failure_shows_its_specific_hint(app, owner_client, sf, state, code, text):
    response = owner_client.post(
        "/settings/accounting/superfaktura/activate", data=_form(sf.account(state)["credentials"]), headers=HTMX
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert code in html and text in html
    assert "Connected as" not in html
    integration = _integration(app, owner_client.user.shop_id)
    assert integration.status == "draft" and integration.last_error_code == code


def test_wrong_key_keeps_typed_values_but_not_the_secret(owner_client, sf):
    creds = sf.account("wrong_key")["credentials"]
    html = owner_client.post("/settings/accounting/superfaktura/activate", data=_form(creds), headers=HTMX).get_data(
        as_text=True
    )
    assert f'value="{creds["email"]}"' in html
    assert creds["api_key"] not in html
    assert 'aria-invalid="true"' in html


def test_missing_required_fields_answer_422_with_messages_next_to_fields(owner_client, sf):
    response = owner_client.post(
        "/settings/accounting/superfaktura/activate", data={"email": "not-an-email", "api_key": ""}, headers=HTMX
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="email-error"' in html and 'id="api_key-error"' in html
    assert 'value="not-an-email"' in html
    assert sf.requests() == []  # nothing was sent to the system


def test_unreachable_system_is_reported_not_crashed(app, owner_client, sf, monkeypatch):
    monkeypatch.setenv("SUPERFAKTURA_API_URL", "http://127.0.0.1:9")
    html = owner_client.post(
        "/settings/accounting/superfaktura/activate", data=_form(sf.account("valid")["credentials"]), headers=HTMX
    ).get_data(as_text=True)
    assert "could not be reached" in html and "unreachable" in html


def test_a_hanging_system_is_answered_within_15_seconds(app, owner_client, sf, monkeypatch):
    import time

    monkeypatch.setitem(app.config, "READ_TIMEOUT", 30.0)  # per-request timeouts alone would not do
    sf.fault("timeout", seconds=25)
    started = time.monotonic()
    html = owner_client.post(
        "/settings/accounting/superfaktura/activate", data=_form(sf.account("valid")["credentials"]), headers=HTMX
    ).get_data(as_text=True)
    assert time.monotonic() - started < 15
    assert "did not answer in time" in html


def test_blank_api_key_on_update_keeps_the_stored_one(app, owner_client, sf):
    creds = sf.account("valid")["credentials"]
    owner_client.post("/settings/accounting/superfaktura/activate", data=_form(creds), headers=HTMX)
    html = owner_client.post(
        "/settings/accounting/superfaktura/activate", data=_form(creds, api_key=""), headers=HTMX
    ).get_data(as_text=True)
    assert "Connected as" in html


def test_new_credentials_replace_old_ones_only_after_they_work(app, owner_client, sf):
    good = sf.account("valid")["credentials"]
    owner_client.post("/settings/accounting/superfaktura/activate", data=_form(good), headers=HTMX)
    before = _integration(app, owner_client.user.shop_id).secrets_encrypted
    owner_client.post(
        "/settings/accounting/superfaktura/activate", data=_form(good, api_key="definitely-not-the-key"), headers=HTMX
    )
    after = _integration(app, owner_client.user.shop_id)
    assert after.secrets_encrypted == before and after.status == "active"


def test_a_concurrent_second_submit_does_not_verify_twice(app, owner_client, sf):
    from datetime import timedelta

    from webapp.models import utcnow

    creds = sf.account("valid")["credentials"]
    owner_client.post("/settings/accounting/superfaktura/activate", data=_form(creds, api_key="x"), headers=HTMX)
    with app.app_context():  # an activation is in flight (another tab, a double click)
        db.session.execute(db.update(Integration).values(busy_until=utcnow() + timedelta(seconds=20)))
        db.session.commit()
    before = len(sf.requests())
    html = owner_client.post("/settings/accounting/superfaktura/activate", data=_form(creds), headers=HTMX).get_data(
        as_text=True
    )
    assert "already running" in html
    assert len(sf.requests()) == before


def test_deactivate_keeps_history_and_reconnect_works(app, owner_client, sf):
    creds = sf.account("valid")["credentials"]
    owner_client.post("/settings/accounting/superfaktura/activate", data=_form(creds), headers=HTMX)
    owner_client.post("/settings/accounting/superfaktura/deactivate", data={"confirm": "yes"})
    integration = _integration(app, owner_client.user.shop_id)
    assert integration.status == "disabled" and not integration.current
    html = owner_client.post(
        "/settings/accounting/superfaktura/activate", data=_form(creds, api_key=""), headers=HTMX
    ).get_data(as_text=True)
    assert "Connected as" in html


def test_revoked_key_turns_the_integration_to_needs_attention_with_a_banner(app, owner_client, sf):
    creds = sf.account("valid")["credentials"]
    owner_client.post("/settings/accounting/superfaktura/activate", data=_form(creds), headers=HTMX)
    with app.app_context():  # the merchant regenerated the key in SuperFaktura: ours is now wrong
        from webapp.services.accounts.encryption import box

        row = db.session.scalar(db.select(Integration))
        secrets = box().decrypt(row.secrets_encrypted)
        secrets["api_key"] = sf.account("wrong_key")["credentials"]["api_key"]
        row.secrets_encrypted = box().encrypt(secrets)
        db.session.commit()
    html = owner_client.post("/settings/accounting/superfaktura/verify", headers=HTMX).get_data(as_text=True)
    assert "did not accept" in html
    assert _integration(app, owner_client.user.shop_id).status == "needs_attention"
    banner = owner_client.get("/settings/accounting/").get_data(as_text=True)
    assert "Re-authenticate now" in banner
    # Re-authentication with the right key, everything else kept.
    html = owner_client.post("/settings/accounting/superfaktura/activate", data=_form(creds), headers=HTMX).get_data(
        as_text=True
    )
    assert "Connected as" in html
    assert _integration(app, owner_client.user.shop_id).status == "active"


def test_another_merchant_cannot_see_or_change_this_connection(app, client, make_user, sf):
    make_user("a@shop.test", shop_name="Shop A")
    make_user("b@shop.test", shop_name="Shop B")
    login(client, "a@shop.test")
    client.post(
        "/settings/accounting/superfaktura/activate", data=_form(sf.account("valid")["credentials"]), headers=HTMX
    )
    client.post("/logout")
    login(client, "b@shop.test")
    html = client.get("/settings/accounting/superfaktura").get_data(as_text=True)
    assert "Connected as" not in html and sf.account("valid")["label"] not in html
    assert client.post("/settings/accounting/superfaktura/deactivate").status_code == 404
    assert client.post("/settings/accounting/superfaktura/verify").status_code == 404


def test_support_agent_without_a_shop_cannot_open_merchant_settings(client, make_user):
    make_user("agent@fynode.test", role="support", shop_name=None)
    login(client, "agent@fynode.test")
    assert client.get("/settings/accounting/").status_code == 403


def test_no_secret_appears_in_any_response_log_line_or_integration_log(app, owner_client, sf, caplog):
    caplog.set_level(logging.DEBUG)
    secrets = [sf.account(s)["credentials"]["api_key"] for s in ("valid", "wrong_key", "no_api_plan")]
    pages = []
    for state in ("valid", "wrong_key", "no_api_plan", "valid"):
        response = owner_client.post(
            "/settings/accounting/superfaktura/activate", data=_form(sf.account(state)["credentials"]), headers=HTMX
        )
        pages.append(response.get_data(as_text=True))
    for url in ("/settings/accounting/", "/settings/accounting/superfaktura"):
        pages.append(owner_client.get(url).get_data(as_text=True))
    pages.append(owner_client.post("/settings/accounting/superfaktura/verify").get_data(as_text=True))
    with app.app_context():
        calls = db.session.scalars(db.select(ApiCall)).all()
        assert calls, "the integration log recorded the exchanges"
        logged = json.dumps(
            [[c.url, c.request_headers, c.request_body, c.response_headers, c.response_body] for c in calls]
        )
        audit = json.dumps([e.detail for e in db.session.scalars(db.select(AuditEvent))])
    everything = "\n".join(pages) + logged + audit + caplog.text
    from urllib.parse import quote

    for secret in secrets:
        assert secret not in everything and quote(secret, safe="") not in everything
