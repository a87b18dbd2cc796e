"""Support agents see shops and act as their owner; every step is audited; merchants can't."""
from webapp.extensions import db
from webapp.models import AuditEvent

from .conftest import login


def test_support_agent_acts_as_a_shop_owner_and_returns(app, client, make_user):
    owner = make_user("owner@shop.test", shop_name="Tea Shop")
    agent = make_user("agent@fynode.test", role="support", shop_name=None)
    login(client, "agent@fynode.test")
    console = client.get("/", follow_redirects=True)
    assert console.request.path == "/support/" and "Tea Shop" in console.get_data(as_text=True)
    response = client.post(f"/support/shops/{owner.shop_id}/impersonate", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.request.path == "/settings/accounting/"
    assert "Support mode" in html and "owner@shop.test" in html
    client.post("/support/stop")
    assert client.get("/", follow_redirects=True).request.path == "/support/"
    with app.app_context():
        events = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id)).all()
        actions = [(e.action, e.acting_user_id) for e in events]
    assert ("support.impersonation_started", agent.id) in actions
    assert ("support.impersonation_stopped", agent.id) in actions


def test_merchant_cannot_open_the_support_console_or_impersonate(client, make_user):
    other = make_user("other@shop.test", shop_name="Other")
    make_user("owner@shop.test")
    login(client, "owner@shop.test")
    assert client.get("/support/").status_code == 403
    assert client.post(f"/support/shops/{other.shop_id}/impersonate").status_code == 403


def test_unknown_page_is_a_friendly_404_in_the_users_language(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "Page not found" in response.get_data(as_text=True)
