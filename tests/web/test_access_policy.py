"""One table decides who may use each route (webapp.access), checked over the whole URL map so
that a new route cannot slip through: staff are refused the owner's routes, support sessions are
read-only until switched to changes with a reason, and every change is audited."""

import re

import pytest

from webapp import access
from webapp.extensions import db
from webapp.models import AuditEvent

from .conftest import login

SAMPLE_ARGS = {"system": "superfaktura", "number": "1"}
SKIP_BLUEPRINTS = {"api"}  # bearer-token JSON API: no session, no roles
SKIP_ENDPOINTS = {"auth.logout", "auth.login"}  # would end the session under test


def _url(rule) -> str:
    values = {arg: SAMPLE_ARGS.get(arg, 1) for arg in rule.arguments}
    path = rule.rule
    for arg, value in values.items():
        path = re.sub(r"<(?:[^:<>]+:)?" + arg + ">", str(value), path)
    return path


def _routes(app, method):
    for rule in app.url_map.iter_rules():
        if (
            method in rule.methods
            and rule.endpoint != "static"
            and rule.endpoint.split(".")[0] not in SKIP_BLUEPRINTS
            and rule.endpoint not in SKIP_ENDPOINTS
        ):
            yield rule


def test_every_route_has_a_permission(app):
    unclassified = [r.endpoint for r in app.url_map.iter_rules() if access.permission_for(r.endpoint) is None]
    assert unclassified == []


def test_staff_get_403_on_every_owner_route_and_in_on_their_own(app, client, make_user):
    owner = make_user("owner@shop.test", shop_name="Tea Shop")
    make_user("staff@shop.test", role="staff", shop_id=owner.shop_id)
    login(client, "staff@shop.test")
    checked_owner = checked_staff = 0
    for method in ("GET", "POST"):
        for rule in _routes(app, method):
            permission = access.permission_for(rule.endpoint)
            response = client.open(_url(rule), method=method)
            if permission == access.OWNER:
                assert response.status_code == 403, (method, rule.rule)
                checked_owner += 1
            elif permission == access.STAFF and method == "GET" and not rule.arguments:
                assert response.status_code in (200, 302, 303), (method, rule.rule, response.status_code)
                checked_staff += 1
    assert checked_owner >= 10 and checked_staff >= 5
    # Staff may read the accounting system's page, but not deactivate it.
    assert client.get("/settings/accounting/superfaktura").status_code == 200
    assert client.post("/settings/accounting/superfaktura/deactivate").status_code == 403


def test_support_is_refused_only_to_merchants(app, client, make_user):
    make_user("owner@shop.test")
    login(client, "owner@shop.test")
    for rule in _routes(app, "GET"):
        if access.permission_for(rule.endpoint) == access.SUPPORT:
            assert client.get(_url(rule)).status_code == 403, rule.rule


@pytest.fixture
def acting_agent(app, client, make_user):
    owner = make_user("owner@shop.test", shop_name="Tea Shop")
    agent = make_user("agent@fynode.test", role="support", shop_name=None)
    login(client, "agent@fynode.test")
    client.post(f"/support/shops/{owner.shop_id}/impersonate", data={"reason": "TICKET-7"})
    client.owner, client.agent = owner, agent
    return client


def test_read_only_impersonation_refuses_every_post_route(app, acting_agent):
    refused = 0
    for rule in _routes(app, "POST"):
        if rule.endpoint in access.ALLOWED_WHILE_READ_ONLY:
            continue
        response = acting_agent.post(_url(rule), data={"reason": "x", "days": "30"})
        assert response.status_code == 403, rule.rule
        assert "Read-only support access" in response.get_data(as_text=True), rule.rule
        refused += 1
    assert refused >= 20
    with acting_agent.session_transaction() as session:
        assert session.get("impersonator_id") == acting_agent.agent.id  # still acting, nothing changed
    with app.app_context():
        refused_rows = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action == "support.action_refused")
        ).all()
        assert len(refused_rows) == refused
        assert {(e.user_id, e.acting_user_id) for e in refused_rows} == {(acting_agent.owner.id, acting_agent.agent.id)}


def test_changes_need_their_own_reason_and_are_audited_and_shown_to_the_merchant(app, acting_agent):
    assert acting_agent.post("/settings/accounting/log/retention", data={"days": "30"}).status_code == 403
    acting_agent.post("/support/changes", data={"reason": ""})
    assert acting_agent.post("/settings/accounting/log/retention", data={"days": "30"}).status_code == 403
    acting_agent.post("/support/changes", data={"reason": "Merchant asked to shorten the log, TICKET-7"})
    html = acting_agent.get("/").get_data(as_text=True)
    assert "Support mode (changes allowed)" in html
    assert acting_agent.post("/settings/accounting/log/retention", data={"days": "30"}).status_code == 302
    acting_agent.post("/support/stop")
    acting_agent.post("/logout")
    login(acting_agent, "owner@shop.test")
    page = acting_agent.get("/settings/support-access/").get_data(as_text=True)
    assert "agent@fynode.test" in page and "TICKET-7" in page
    assert "Merchant asked to shorten the log" in page
    assert "Changed how long the integration log is kept" in page
    assert "Tried to change how long the integration log is kept (refused: read-only)" in page
    assert "POST /" not in page
    with app.app_context():
        done = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "support.action"))
        assert (done.user_id, done.acting_user_id) == (acting_agent.owner.id, acting_agent.agent.id)
        assert done.detail["status"] == 302


def test_another_shop_never_sees_support_access_to_this_one(app, acting_agent, make_user):
    acting_agent.post("/support/stop")
    acting_agent.post("/logout")
    make_user("other@shop.test", shop_name="Other")
    login(acting_agent, "other@shop.test")
    page = acting_agent.get("/settings/support-access/").get_data(as_text=True)
    assert "TICKET-7" not in page and "Support has not accessed your account." in page


def test_no_route_with_an_id_reaches_another_shops_rows(app, client, make_user):
    """Shop A has nothing; shop B has an order, a document, a log row and a rule. Every route with
    an id (enumerated from the URL map), read or post, answers A with 403/404 for B's ids."""
    from webapp.models import ApiCall, Document, Integration, Order

    make_user("a@shop.test", shop_name="Alpha")
    b = make_user("b@shop.test", shop_name="Beta")
    with app.app_context():
        integration = Integration(shop_id=b.shop_id, system="superfaktura", status="active", current=True)
        db.session.add(integration)
        db.session.flush()
        order = Order(shop_id=b.shop_id, number="B-1", currency="EUR", customer={})
        db.session.add(order)
        db.session.flush()
        document = Document(
            shop_id=b.shop_id,
            integration_id=integration.id,
            order_id=order.id,
            kind="invoice",
            state="failed",
            idempotency_key="b-1",
        )
        db.session.add(document)
        db.session.flush()
        call = ApiCall(
            shop_id=b.shop_id,
            integration_id=integration.id,
            system="superfaktura",
            operation="verify",
            method="GET",
            url="https://x.test/",
            status=500,
            order_id=order.id,
            document_id=document.id,
        )
        db.session.add(call)
        db.session.commit()
        order_id, document_id = order.id, document.id
        ids = {order.id, document.id, call.id, integration.id}
    login(client, "a@shop.test")
    checked = 0
    for method in ("GET", "POST"):
        for rule in _routes(app, method):
            int_args = [a for a in rule.arguments if a not in SAMPLE_ARGS]
            if not int_args or access.permission_for(rule.endpoint) == access.SUPPORT:
                continue
            for ident in ids:
                path = rule.rule
                for arg in rule.arguments:
                    value = SAMPLE_ARGS.get(arg, ident)
                    path = re.sub(r"<(?:[^:<>]+:)?" + arg + ">", str(value), path)
                status = client.open(path, method=method).status_code
                # Routes authenticated by a token or a vendor's header answer 401 to a session.
                allowed = (401, 403, 404) if access.permission_for(rule.endpoint) == access.API else (403, 404)
                assert status in allowed, (method, path, status)
                checked += 1
    assert checked >= 20
    with app.app_context():
        assert db.session.get(Document, document_id).state == "failed"
        assert db.session.get(Order, order_id).status == "new"


HTMX = {"HX-Request": "true"}


def _snapshot(app) -> dict:
    """Every row of every table but the audit (which records the refusals), to prove nothing changed."""
    with app.app_context():
        return {
            table.name: sorted(map(repr, db.session.execute(table.select()).all()))
            for table in db.metadata.sorted_tables
            if table.name != "audit_events"
        }


def test_read_only_refusal_of_an_htmx_button_is_said_in_the_pages_messages_region(app, acting_agent):
    """HTMX does not swap an error answer by itself: a refused "Verify again" or "Import" button
    looked broken. Every POST route (from the URL map), posted by HTMX while read-only, answers
    the refusal's words with headers that put them into the messages region of the page."""
    from webapp.models import Integration

    with app.app_context():
        db.session.add(
            Integration(shop_id=acting_agent.owner.shop_id, system="superfaktura", status="active", current=True)
        )
        db.session.commit()
    page = acting_agent.get("/settings/accounting/superfaktura").get_data(as_text=True)
    assert 'id="messages"' in page and access.REFUSAL_TARGET == "#messages"
    before = _snapshot(app)
    refused = 0
    for rule in _routes(app, "POST"):
        if rule.endpoint in access.ALLOWED_WHILE_READ_ONLY:
            continue
        response = acting_agent.post(_url(rule), data={"reason": "x", "days": "30"}, headers=HTMX)
        html = response.get_data(as_text=True)
        assert response.status_code == 403, rule.rule
        assert response.headers.get("HX-Retarget") == "#messages", rule.rule
        assert response.headers.get("HX-Reswap", "").startswith("innerHTML"), rule.rule
        assert "Read-only support access" in html and "nothing was changed" in html, rule.rule
        assert "switch to changes" in html, rule.rule
        assert "<html" not in html, rule.rule  # a message for the region, not a whole page inside it
        refused += 1
    assert refused >= 20
    assert _snapshot(app) == before
    # Without JavaScript a form simply posts: the refusal page, as before.
    plain = acting_agent.post("/settings/accounting/superfaktura/verify")
    assert plain.status_code == 403 and "HX-Retarget" not in plain.headers
    assert "<html" in plain.get_data(as_text=True)


def test_base_page_lets_htmx_swap_a_403_into_the_messages_region(app, acting_agent):
    html = acting_agent.get("/").get_data(as_text=True)
    assert '{"code": "403", "swap": true}' in html
    assert html.index('"403"') < html.index('"[45].."')  # htmx takes the first matching rule


def test_staff_refused_by_an_htmx_button_read_why_in_the_page(app, client, make_user):
    owner = make_user("owner@shop.test", shop_name="Tea Shop")
    make_user("staff@shop.test", role="staff", shop_id=owner.shop_id)
    login(client, "staff@shop.test")
    response = client.post("/settings/accounting/superfaktura/activate", headers=HTMX)
    assert response.status_code == 403 and response.headers["HX-Retarget"] == "#messages"
    assert "Only the shop&#39;s owner can do this" in response.get_data(as_text=True)
