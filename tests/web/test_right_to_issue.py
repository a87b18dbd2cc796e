"""A user who may not issue is a blocker, never "Connected" (issue 8, point 4): SuperFaktura's
verification asks for an empty document (which nothing can turn into one) and reads a 403 as
"no right to issue". A right taken away after activation pauses the connection, in any system,
with that system's hint, until the merchant fixes it and verifies again."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

from webapp.extensions import db
from webapp.models import ApiCall, Integration, IntegrationStatus, utcnow
from webapp.services.accounts.encryption import box
from webapp.services.connections import activation, verification
from webapp.services.documents import worker
from webapp.services.observability import health

from .test_documents_engine import documents_of, engine, event, make_order  # noqa: F401

HTMX = {"HX-Request": "true"}
BASE = "/settings/accounting"
ADMIN_HINT = "Give the API user the Administrator role in Settings > Users"
PAUSED = "SuperFaktura cannot issue documents until a problem there is fixed; document creation is paused."


def _activate(client, credentials, **headers) -> str:
    response = client.post(f"{BASE}/superfaktura/activate", data=credentials, headers={**HTMX, **headers})
    return unescape(response.get_data(as_text=True))


def _row(app) -> Integration:
    with app.app_context():
        row = db.session.scalar(db.select(Integration))
        db.session.expunge(row)
        return row


def _creates(sb) -> list[dict]:
    return [r for r in sb.requests() if r["method"] == "POST" and r["path"] == "/invoices/create"]


def _store_login(integration: Integration, system: str, credentials: dict) -> None:
    """The sandboxes cannot take a role away from a user, so the connection is given the login of
    another seeded user instead, as if the merchant's user had changed in the system."""
    config, secrets, errors = activation.validate(system, {k: str(v) for k, v in credentials.items()}, integration)
    assert not errors, errors
    integration.config = config
    integration.secrets_encrypted = box().encrypt(secrets)
    integration.token_encrypted = None
    db.session.commit()


# -- A: verification tells a blocker from a connection ------------------------------------------
def test_activation_with_a_user_who_may_not_issue_is_blocked_with_the_administrator_hint(app, owner_client, sandbox):
    sf = sandbox("superfaktura")
    before = len(sf.documents())
    html = _activate(owner_client, sf.account("no_permission")["credentials"])
    assert "SuperFaktura cannot issue documents yet" in html
    assert ADMIN_HINT in html and "Fix this, then activate again" in html
    assert "Connected as" not in html
    row = _row(app)
    assert row.status == IntegrationStatus.DRAFT and not row.current and row.secrets_encrypted
    assert row.verified_as["blockers"]
    assert len(sf.documents()) == before  # the check created nothing
    assert [r["status"] for r in _creates(sf)] == [403]
    page = unescape(owner_client.get(f"{BASE}/superfaktura").get_data(as_text=True))
    assert "Connected as" not in page and "Not connected" in page


def test_the_blocker_and_its_hint_are_said_in_polish(owner_client, sandbox):
    sf = sandbox("superfaktura")
    owner_client.post("/language", data={"lang": "pl", "next": f"{BASE}/superfaktura"})
    html = _activate(owner_client, sf.account("no_permission")["credentials"])
    assert "System SuperFaktura nie może jeszcze wystawiać dokumentów" in html
    assert "Nadaj użytkownikowi API rolę administratora" in html
    assert "Połączono jako" not in html


def test_activation_of_an_administrator_says_connected_and_its_check_created_nothing(app, owner_client, sandbox):
    sf = sandbox("superfaktura")
    before = sf.documents()
    html = _activate(owner_client, sf.account("valid")["credentials"])
    assert "Connected as Demo s.r.o." in html and "cannot issue" not in html
    assert sf.documents() == before
    [probe] = _creates(sf)
    assert probe["body"] == "data=%7B%7D" and probe["status"] == 200  # refused: no client, no items
    row = _row(app)
    assert row.status == IntegrationStatus.ACTIVE and not row.verified_as["blockers"]
    log = unescape(owner_client.get(f"{BASE}/log/").get_data(as_text=True))
    assert "Check the right to issue (nothing is created)" in log
    with app.app_context():
        state = health.for_integration(db.session.get(Integration, row.id))
        probe_row = db.session.scalar(db.select(ApiCall).where(ApiCall.operation == "check_issue_right"))
    # The refusal of the empty document is the expected answer, not a failed call.
    assert (state.errors_24h, state.calls_24h) == (0, 3)
    assert probe_row.status == 200 and probe_row.error_code is None


def test_periodic_verification_pauses_a_connection_whose_user_lost_the_right_to_issue(app, owner_client, sandbox):
    sf = sandbox("superfaktura")
    _activate(owner_client, sf.account("valid")["credentials"])
    with app.app_context():
        integration = db.session.scalar(db.select(Integration))
        _store_login(integration, "superfaktura", sf.account("no_permission")["credentials"])
        assert verification.reverify_all() == 1
        integration = db.session.get(Integration, integration.id)
        assert integration.status == IntegrationStatus.NEEDS_ATTENTION
        assert integration.last_error_code == activation.BLOCKED
    settings = unescape(owner_client.get(f"{BASE}/superfaktura").get_data(as_text=True))
    assert "SuperFaktura cannot issue documents until the problem below is fixed" in settings
    assert ADMIN_HINT in settings and "Once it is fixed, press “Verify again”" in settings
    assert "stopped accepting the stored credentials" not in settings


# -- B: a create refused for a missing right pauses the connection --------------------------------
def test_a_right_taken_away_after_activation_pauses_documents_until_verified_again(app, engine, owner_client):
    sf = engine.connect("superfaktura")
    integration = engine.integration
    _store_login(integration, "superfaktura", sf.account("no_permission")["credentials"])
    order = make_order(engine.shop_id)
    event(order, "paid")
    [invoice] = documents_of(order)
    assert invoice.state == "pending" and invoice.last_error_code == "permission_denied"
    row = db.session.get(Integration, integration.id)
    assert row.status == IntegrationStatus.NEEDS_ATTENTION
    assert (row.last_error_code, row.last_error_hint_key) == ("permission_denied", "superfaktura.permission_denied")

    dashboard = unescape(owner_client.get("/").get_data(as_text=True))
    assert PAUSED in dashboard and "See what to fix" in dashboard
    assert "no longer accepts the stored credentials" not in dashboard
    settings = unescape(owner_client.get(f"{BASE}/superfaktura").get_data(as_text=True))
    assert ADMIN_HINT in settings and "Verify again" in settings

    # Verified while the right is still missing: the blocker, and the document keeps waiting.
    html = unescape(owner_client.post(f"{BASE}/superfaktura/verify", headers=HTMX).get_data(as_text=True))
    assert "SuperFaktura cannot issue documents yet" in html and ADMIN_HINT in html
    worker.sweep(now=utcnow() + timedelta(hours=1))
    assert documents_of(order)[0].state == "pending"
    assert db.session.get(Integration, integration.id).status == IntegrationStatus.NEEDS_ATTENTION

    # The merchant gives the right back (here: the administrator's login again) and verifies.
    _store_login(db.session.get(Integration, integration.id), "superfaktura", sf.account("valid")["credentials"])
    html = unescape(owner_client.post(f"{BASE}/superfaktura/verify", headers=HTMX).get_data(as_text=True))
    assert "Connected as Demo s.r.o." in html and "Document creation resumed" in html
    db.session.expire_all()
    assert db.session.get(Integration, integration.id).status == IntegrationStatus.ACTIVE
    worker.sweep(now=utcnow() + timedelta(minutes=1))
    [invoice] = documents_of(order)
    assert invoice.state == "created"
    assert [d["order_no"] for d in sf.documents()].count(order.number) == 1
    assert PAUSED not in unescape(owner_client.get("/").get_data(as_text=True))


def test_another_systems_refused_create_pauses_with_that_systems_own_hint(app, engine, owner_client):
    # Fakturoid refuses an invoice with 403 when the account has no bank account left.
    fa = engine.connect("fakturoid")
    integration = engine.integration
    _store_login(integration, "fakturoid", fa.account("no_bank_account")["credentials"])
    order = make_order(engine.shop_id, country="CZ", currency="CZK")
    event(order, "paid")
    [invoice] = documents_of(order)
    assert invoice.state == "pending" and invoice.last_error_code == "permission_denied"
    row = db.session.get(Integration, integration.id)
    assert row.status == IntegrationStatus.NEEDS_ATTENTION
    assert row.last_error_hint_key == "fakturoid.no_bank_account"
    settings = unescape(owner_client.get(f"{BASE}/fakturoid").get_data(as_text=True))
    assert "Fakturoid issues invoices only when the account has a bank account" in settings
    assert "stopped accepting" not in settings
