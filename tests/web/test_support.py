"""Support agents find shops and act as their owner with a reason, read-only until they switch
with a reason of their own; every step is audited with agent and merchant; merchants can't."""

import time

from webapp.access import STARTED_KEY
from webapp.extensions import db
from webapp.models import AuditEvent

from .conftest import login


def _start(client, shop_id, reason="TICKET-42"):
    return client.post(f"/support/shops/{shop_id}/impersonate", data={"reason": reason}, follow_redirects=True)


def test_support_agent_acts_as_a_shop_owner_read_only_and_returns(app, client, make_user):
    owner = make_user("owner@shop.test", shop_name="Tea Shop")
    agent = make_user("agent@fynode.test", role="support", shop_name=None)
    login(client, "agent@fynode.test")
    console = client.get("/", follow_redirects=True)
    assert console.request.path == "/support/" and "Tea Shop" in console.get_data(as_text=True)
    response = _start(client, owner.shop_id)
    html = response.get_data(as_text=True)
    assert response.request.path == "/"
    assert "Support mode (read-only)" in html and "owner@shop.test" in html and "agent@fynode.test" in html
    client.post("/support/stop")
    assert client.get("/", follow_redirects=True).request.path == "/support/"
    with app.app_context():
        events = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id)).all()
        rows = [(e.action, e.user_id, e.acting_user_id) for e in events]
        started = next(e for e in events if e.action == "support.impersonation_started")
        assert started.detail["reason"] == "TICKET-42"
    assert ("support.impersonation_started", owner.id, agent.id) in rows
    assert ("support.impersonation_stopped", owner.id, agent.id) in rows


def test_impersonation_needs_a_reason(app, client, make_user):
    owner = make_user("owner@shop.test", shop_name="Tea Shop")
    make_user("agent@fynode.test", role="support", shop_name=None)
    login(client, "agent@fynode.test")
    response = _start(client, owner.shop_id, reason="   ")
    assert "Give a reason" in response.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "impersonator_id" not in session


def test_impersonation_ends_after_thirty_minutes(app, client, make_user):
    owner = make_user("owner@shop.test", shop_name="Tea Shop")
    make_user("agent@fynode.test", role="support", shop_name=None)
    login(client, "agent@fynode.test")
    _start(client, owner.shop_id)
    assert client.get("/orders/").status_code == 200
    with client.session_transaction() as session:
        session[STARTED_KEY] = time.time() - 31 * 60
    response = client.get("/orders/", follow_redirects=True)
    assert response.request.path == "/support/" and "Support access ended" in response.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "impersonator_id" not in session
    with app.app_context():
        stopped = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "support.impersonation_stopped"))
        assert stopped.detail == {"ended": "expired"}


def test_merchant_cannot_open_the_support_console_or_impersonate(client, make_user):
    other = make_user("other@shop.test", shop_name="Other")
    make_user("owner@shop.test")
    login(client, "owner@shop.test")
    assert client.get("/support/").status_code == 403
    assert client.get(f"/support/shops/{other.shop_id}").status_code == 403
    assert client.get(f"/support/shops/{other.shop_id}/diagnostics.json").status_code == 403
    assert client.post(f"/support/shops/{other.shop_id}/impersonate", data={"reason": "x"}).status_code == 403
    assert client.post("/support/changes", data={"reason": "x"}).status_code == 400


def test_unknown_page_is_a_friendly_404_in_the_users_language(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "Page not found" in response.get_data(as_text=True)


def test_every_post_route_has_words_for_the_merchant(app):
    """The "Access by support" page says what support did in words keyed by endpoint: a new POST
    route without its words fails here, before a merchant reads "POST /…"."""
    from webapp import access
    from webapp.services.accounts import support_actions

    posts = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and rule.endpoint not in access.ALLOWED_WHILE_READ_ONLY
    }
    assert posts - set(support_actions.LABELS) == set()
    assert set(support_actions.LABELS) - posts == set()  # no words left for a route that is gone
    for done, refused in support_actions.LABELS.values():
        assert "POST" not in str(done) and "(refused: read-only)" in str(refused)


def test_access_by_support_page_says_what_support_did_in_words(app, client, make_user):
    from webapp.models import Document, Integration, Order

    owner = make_user("owner@shop.test", shop_name="Tea Shop")
    make_user("agent@fynode.test", role="support", shop_name=None)
    with app.app_context():
        integration = Integration(shop_id=owner.shop_id, system="superfaktura", status="active", current=True)
        db.session.add(integration)
        db.session.flush()
        order = Order(shop_id=owner.shop_id, number="1042", currency="EUR", customer={})
        db.session.add(order)
        db.session.flush()
        document = Document(
            shop_id=owner.shop_id,
            integration_id=integration.id,
            order_id=order.id,
            kind="invoice",
            number="2026049",
            state="failed",
            idempotency_key="t-1",
            needs_lookup=False,
            last_error_code="remote_error",
        )
        db.session.add(document)
        db.session.commit()
        document_id, order_id = document.id, order.id
    login(client, "agent@fynode.test")
    _start(client, owner.shop_id)
    client.post("/settings/accounting/import", headers={"HX-Request": "true"})
    client.post(f"/orders/{order_id}/cancel")
    client.post("/settings/accounting/superfaktura/verify")
    client.post("/support/changes", data={"reason": "Retry the failed invoice, TICKET-42"})
    client.post(f"/documents/{document_id}/retry")
    client.post("/support/stop")
    with app.app_context():  # a row recorded before the arguments were kept: read from its path
        db.session.add(
            AuditEvent(
                shop_id=owner.shop_id,
                user_id=owner.id,
                action="support.action_refused",
                detail={
                    "method": "POST",
                    "path": f"/documents/{document_id}/ksef",
                    "endpoint": "documents.resend_ksef",
                },
            )
        )
        db.session.commit()
    client.post("/logout")
    login(client, "owner@shop.test")
    page = client.get("/settings/support-access/").get_data(as_text=True)
    assert "Tried to import invoices (refused: read-only)" in page
    assert "Tried to cancel order 1042 (refused: read-only)" in page
    assert "Tried to verify the SuperFaktura connection again (refused: read-only)" in page
    assert "Retried document Invoice 2026049" in page
    assert "Tried to send document Invoice 2026049 to KSeF again (refused: read-only)" in page
    assert "POST /" not in page and "/retry" not in page
