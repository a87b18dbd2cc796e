"""'Connect with Fakturoid': the authorization-code flow through the Fakturoid sandbox's real
sign-in and consent page, plus the pasted-credentials alternative and refused consent."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from webapp.extensions import db
from webapp.models import Integration
from webapp.services.accounts.encryption import box

HTMX = {"HX-Request": "true"}


@pytest.fixture
def fa(sandbox):
    return sandbox("fakturoid")


def _consent(authorize_url: str, login: dict, decision: str) -> str:
    """What the merchant does on Fakturoid's page; returns the URL Fakturoid sends them back to."""
    page = requests.get(authorize_url, timeout=5)
    assert page.status_code == 200 and "<form" in page.text
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    answer = requests.post(
        authorize_url.split("?")[0],
        data={**query, "email": login["email"], "password": login["password"], "decision": decision},
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code in (302, 303), answer.text[:300]
    return answer.headers["Location"]


def _back_to_app(client, location: str):
    parts = urlsplit(location)
    response = client.get(f"{parts.path}?{parts.query}", follow_redirects=True)
    assert response.request.path == "/settings/accounting/fakturoid"  # the code is not left in the address
    return response


def test_connect_with_fakturoid_allows_and_connects(app, owner_client, fa):
    account = fa.account("valid")
    start = owner_client.get("/settings/accounting/fakturoid/connect")
    assert start.status_code == 302
    authorize = start.headers["Location"]
    params = parse_qs(urlsplit(authorize).query)
    assert params["client_id"] == ["fynode-sandbox-oauth-client"] and params["response_type"] == ["code"]
    assert params["redirect_uri"][0].endswith("/settings/accounting/fakturoid/oauth/callback")
    location = _consent(authorize, account["oauth_login"], "allow")
    assert "code=" in location and f"state={params['state'][0]}" in location
    html = _back_to_app(owner_client, location).get_data(as_text=True)
    if "Which Fakturoid account" in html:  # several accounts: the merchant picks one
        html = owner_client.post(
            "/settings/accounting/fakturoid/oauth/account", data={"slug": account["credentials"]["slug"]}
        ).get_data(as_text=True)
    assert "Connected as" in html
    with app.app_context():
        row = db.session.scalar(db.select(Integration).where(Integration.system == "fakturoid"))
        assert row.status == "active" and row.config["auth_method"] == "oauth"
        assert box().decrypt(row.secrets_encrypted).get("refresh_token")
        assert "_pending_oauth" not in (row.choices or {})
    # Reloading the page shows the connection, not a failure; replaying the callback changes nothing.
    reloaded = owner_client.get("/settings/accounting/fakturoid").get_data(as_text=True)
    assert "Connected as" in reloaded and "not granted" not in reloaded
    replay = _back_to_app(owner_client, location).get_data(as_text=True)
    assert "already used" in replay and "✓ In use" in replay
    # A later call from the stored integration (as the worker makes it) works with the stored token.
    assert "Connected as" in owner_client.post("/settings/accounting/fakturoid/verify").get_data(as_text=True)


def test_refused_consent_shows_its_hint_and_connects_nothing(app, owner_client, fa):
    start = owner_client.get("/settings/accounting/fakturoid/connect")
    location = _consent(start.headers["Location"], fa.account("valid")["oauth_login"], "deny")
    assert "error=access_denied" in location
    html = _back_to_app(owner_client, location).get_data(as_text=True)
    assert "consent_denied" in html and "Connected as" not in html
    with app.app_context():
        row = db.session.scalar(db.select(Integration).where(Integration.system == "fakturoid"))
        assert row is None or row.status != "active"


def test_a_callback_with_a_foreign_state_is_refused(owner_client, fa):
    owner_client.get("/settings/accounting/fakturoid/connect")
    html = owner_client.get(
        "/settings/accounting/fakturoid/oauth/callback?code=stolen&state=forged", follow_redirects=True
    ).get_data(as_text=True)
    assert "consent_denied" in html and "Connected as" not in html
    assert not any(r["path"].endswith("/oauth/token") for r in fa.requests())


def test_pasted_client_credentials_connect_too(owner_client, fa):
    creds = fa.account("valid")["credentials"]
    html = owner_client.post("/settings/accounting/fakturoid/activate", data=dict(creds), headers=HTMX).get_data(
        as_text=True
    )
    assert "Connected as" in html


@pytest.mark.parametrize(
    "state, code",
    [
        ("wrong_key", "invalid_credentials"),
        ("blocked", "subscription_inactive"),
        ("no_permission", "permission_denied"),
    ],
)
def test_pasted_credentials_failures_show_their_hint(owner_client, fa, state, code):
    html = owner_client.post(
        "/settings/accounting/fakturoid/activate", data=dict(fa.account(state)["credentials"]), headers=HTMX
    ).get_data(as_text=True)
    assert code in html and "Connected as" not in html


def test_the_settings_page_offers_the_one_click_connection(owner_client):
    html = owner_client.get("/settings/accounting/fakturoid").get_data(as_text=True)
    assert "Connect with Fakturoid" in html and 'href="/settings/accounting/fakturoid/connect"' in html


def _token_requests(fa):
    return [r for r in fa.requests() if r["path"].endswith("/oauth/token")]


def test_web_and_worker_share_one_access_token_through_the_integration_row(app, owner_client, fa):
    from webapp.services.connections import calls

    owner_client.post(
        "/settings/accounting/fakturoid/activate", data=dict(fa.account("valid")["credentials"]), headers=HTMX
    )
    issued = len(_token_requests(fa))
    with app.app_context():
        row = db.session.scalar(db.select(Integration).where(Integration.system == "fakturoid"))
        for _ in range(2):  # two processes (web, worker) each building their own connector
            connector, _log = calls.for_integration(row)
            connector.verify()
            db.session.commit()
    assert len(_token_requests(fa)) == issued  # the stored token was reused, not replaced


def test_deactivating_an_oauth_connection_revokes_its_refresh_token(app, owner_client, fa):
    start = owner_client.get("/settings/accounting/fakturoid/connect")
    location = _consent(start.headers["Location"], fa.account("valid")["oauth_login"], "allow")
    html = _back_to_app(owner_client, location).get_data(as_text=True)
    if "Which Fakturoid account" in html:
        owner_client.post(
            "/settings/accounting/fakturoid/oauth/account", data={"slug": fa.account("valid")["credentials"]["slug"]}
        )
    owner_client.post("/settings/accounting/fakturoid/deactivate", data={"confirm": "yes"})
    assert any(r["path"].endswith("/oauth/revoke") and r["status"] == 200 for r in fa.requests())
    with app.app_context():
        row = db.session.scalar(db.select(Integration).where(Integration.system == "fakturoid"))
        assert row.status == "disabled" and row.token_encrypted is None


def _connect_by_signing_in(owner_client, fa):
    account = fa.account("valid")
    start = owner_client.get("/settings/accounting/fakturoid/connect")
    html = _back_to_app(owner_client, _consent(start.headers["Location"], account["oauth_login"], "allow")).get_data(
        as_text=True
    )
    if "Which Fakturoid account" in html:
        html = owner_client.post(
            "/settings/accounting/fakturoid/oauth/account", data={"slug": account["credentials"]["slug"]}
        ).get_data(as_text=True)
    assert "Connected as" in html
    return account


def _row(app):
    with app.app_context():
        row = db.session.scalar(db.select(Integration).where(Integration.system == "fakturoid"))
        db.session.expunge(row)
        return row


def test_pasted_credentials_after_signing_in_are_verified_and_a_wrong_secret_fails(app, owner_client, fa):
    account = _connect_by_signing_in(owner_client, fa)
    form = owner_client.get("/settings/accounting/fakturoid").get_data(as_text=True)
    wrong = {**account["credentials"], "auth_method": "oauth", "client_secret": "not-the-secret"}
    html = owner_client.post("/settings/accounting/fakturoid/activate", data=wrong, headers=HTMX).get_data(as_text=True)
    assert "Connected as" not in html and "invalid_credentials" in html
    assert "Your connection still uses the previous credentials" in html
    assert 'name="auth_method" value="oauth"' in form  # the form did send "oauth": the server decided
    row = _row(app)
    assert row.status == "active" and row.config["auth_method"] == "oauth"


def test_switching_from_signing_in_to_pasted_keys_and_back(app, owner_client, fa):
    account = _connect_by_signing_in(owner_client, fa)
    pasted = {**account["credentials"], "auth_method": "oauth"}
    html = owner_client.post("/settings/accounting/fakturoid/activate", data=pasted, headers=HTMX).get_data(
        as_text=True
    )
    assert "Connected as" in html
    assert _row(app).config["auth_method"] == "client_credentials"
    _connect_by_signing_in(owner_client, fa)
    assert _row(app).config["auth_method"] == "oauth"


def test_reauthenticating_a_signed_in_connection_offers_a_reconnect_button_not_key_fields(app, owner_client, fa):
    _connect_by_signing_in(owner_client, fa)
    with app.app_context():
        db.session.execute(
            db.update(Integration).values(
                status="needs_attention", config={**_row(app).config, "client_id": "other-co-id"}
            )
        )
        db.session.commit()
    html = owner_client.get("/settings/accounting/fakturoid").get_data(as_text=True)
    assert "Reconnect with Fakturoid" in html and 'href="/settings/accounting/fakturoid/connect"' in html
    assert "Enter the current credentials below" not in html
    assert "other-co-id" not in html
