"""The app shell: the navigation on every page (sections of other blueprints appear once their
page exists), the dashboard that says whether invoicing works, and the settings breadcrumb."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Blueprint

from webapp.extensions import db
from webapp.models import Document, Integration, IntegrationStatus, utcnow
from webapp.services.documents import rules
from webapp.services.observability import dashboard

from .conftest import login


def _integration(app, shop_id: int, status: str = IntegrationStatus.ACTIVE, system: str = "superfaktura") -> int:
    with app.app_context():
        row = Integration(
            shop_id=shop_id,
            system=system,
            status=status,
            current=status != IntegrationStatus.DISABLED,
            verified_as={"company_name": "Alfa s.r.o."},
            verified_at=utcnow(),
        )
        db.session.add(row)
        db.session.commit()
        return row.id


def _documents(
    app, shop_id: int, integration_id: int, states: dict[str, int], *, is_test: bool = False, created_at=None
) -> None:
    with app.app_context():
        for state, n in states.items():
            for i in range(n):
                db.session.add(
                    Document(
                        shop_id=shop_id,
                        integration_id=integration_id,
                        kind="invoice",
                        state=state,
                        number=f"T{state}{i}" if is_test else f"{state}{i}",
                        is_test=is_test,
                        idempotency_key=f"{state}-{i}-{is_test}-{created_at}",
                        created_at=created_at or utcnow(),
                    )
                )
        db.session.commit()


def _nav(html: str) -> str:
    match = re.search(r'<nav class="nav-bar".*?</nav>', html, re.S)
    assert match, "no main navigation on the page"
    return match.group(0)


# -- navigation --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path, current",
    [
        ("/", "Dashboard"),
        ("/settings/accounting/", "Accounting system"),
        ("/settings/accounting/superfaktura", "Accounting system"),
        ("/settings/accounting/log/", "Integration log"),
        ("/settings/accounting/import", "Accounting system"),
    ],
)
def test_every_merchant_page_carries_the_navigation_with_its_section_marked(owner_client, path, current):
    html = owner_client.get(path).get_data(as_text=True)
    nav = _nav(html)
    assert 'href="/"' in nav and 'href="/settings/accounting/"' in nav and 'href="/settings/accounting/log/"' in nav
    assert re.search(r'aria-current="page">' + re.escape(current) + "<", nav)
    assert nav.count('aria-current="page"') == 1
    # The phone menu is the same list in a <details> element: it opens without JavaScript.
    assert re.search(r'<details class="nav-menu">\s*<summary>Menu</summary>', html)


def test_sections_that_do_not_exist_yet_are_not_linked(owner_client):
    nav = _nav(owner_client.get("/").get_data(as_text=True))
    for missing in ('href="/orders"', 'href="/documents"', 'href="/settings/rules"', "Support console"):
        assert missing not in nav


def test_sections_appear_in_the_navigation_once_their_blueprint_is_registered(app, make_user, sandbox_servers):
    from webapp import create_app
    from webapp.config import Config

    later = create_app(
        Config(
            TESTING=True,
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
            WTF_CSRF_ENABLED=False,
            SESSION_COOKIE_SECURE=False,
        )
    )
    sections = Blueprint("sections_landed", __name__)
    for path in ("/orders", "/documents", "/settings/rules"):
        sections.add_url_rule(path, path.strip("/").replace("/", "_"), lambda: "a section")
    later.register_blueprint(sections)
    user = make_user("owner@shop.test")
    _documents(later, user.shop_id, _integration(later, user.shop_id), {"failed": 2})
    client = later.test_client()
    login(client, "owner@shop.test")
    html = client.get("/").get_data(as_text=True)
    nav = _nav(html)
    labels = re.findall(r'<a href="[^"]+"[^>]*>([^<]+)</a>', nav)
    assert labels == ["Dashboard", "Orders", "Documents", "Accounting system", "Rules", "Integration log"]
    assert 'href="/documents?state=failed"' in html and 'href="/documents?state=waiting"' in html
    assert 'href="/documents?state=created"' in html
    assert 'href="/settings/rules"' in client.get("/settings/").get_data(as_text=True)


def test_support_agent_gets_the_console_in_the_navigation(client, make_user):
    make_user("agent@fynode.test", role="support", shop_name=None)
    login(client, "agent@fynode.test")
    html = client.get("/support/").get_data(as_text=True)
    nav = _nav(html)
    assert re.search(r'href="/support/" aria-current="page">Support console<', nav)
    assert 'href="/settings/accounting/"' not in nav  # an agent without a shop has no merchant pages


def test_signed_out_pages_have_no_navigation(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'class="nav-bar"' not in html and "nav-menu" not in html


def test_settings_breadcrumb_is_a_link_to_the_settings_overview(owner_client):
    html = owner_client.get("/settings/accounting/").get_data(as_text=True)
    crumb = re.search(r'<nav aria-label="Breadcrumb" class="breadcrumb">(.*?)</nav>', html, re.S).group(1)
    assert '<a href="/settings/">Settings</a>' in crumb
    overview = owner_client.get("/settings/").get_data(as_text=True)
    assert "<h1>Settings</h1>" in overview and 'href="/settings/accounting/"' in overview
    assert 'href="/settings/accounting/log/"' in overview


# -- dashboard ---------------------------------------------------------------------------------
def test_dashboard_is_the_page_after_sign_in(client, make_user):
    make_user("owner@shop.test")
    response = login(client, "owner@shop.test")
    assert response.headers["Location"] == "/"
    assert "<h1>Dashboard</h1>" in client.get("/").get_data(as_text=True)


def test_dashboard_without_a_connection_calls_to_connect_one(owner_client):
    html = owner_client.get("/").get_data(as_text=True)
    assert "No accounting system is connected" in html
    assert re.search(r'<a class="button-link" href="/settings/accounting/">Connect your accounting system</a>', html)
    assert "Not connected" in html


def test_dashboard_with_an_active_system_says_invoicing_works(app, owner_client):
    integration_id = _integration(app, owner_client.user.shop_id)
    with app.app_context():  # invoicing works once a rule creates documents
        rules.confirm_presets(db.session.get(Integration, integration_id), ["card_invoice"])
    html = owner_client.get("/").get_data(as_text=True)
    assert "Invoicing works: SuperFaktura is connected as “Alfa s.r.o.”." in html
    assert "✓ In use" in html and "Nothing needs your attention." in html


def test_dashboard_with_rejected_credentials_leads_to_reauthentication(app, owner_client):
    _integration(app, owner_client.user.shop_id, IntegrationStatus.NEEDS_ATTENTION)
    html = owner_client.get("/").get_data(as_text=True)
    assert "! Needs attention" in html
    assert 'href="/settings/accounting/superfaktura#connection">Re-authenticate now</a>' in html
    assert "Nothing needs your attention" not in html


def test_dashboard_counts_todays_waiting_and_failed_documents_without_test_documents(app, owner_client):
    shop_id = owner_client.user.shop_id
    integration_id = _integration(app, shop_id)
    _documents(
        app,
        shop_id,
        integration_id,
        {"created": 3, "pending": 1, "creating": 1, "failed": 2, "imported": 4, "cancelled": 1},
    )
    _documents(app, shop_id, integration_id, {"created": 5}, created_at=utcnow() - timedelta(days=2))
    _documents(app, shop_id, integration_id, {"created": 1, "failed": 1}, is_test=True)
    html = owner_client.get("/").get_data(as_text=True)
    stats = re.findall(r'<span class="stat-value">(\d+)</span> <span class="stat-label">([^<]+)</span>', html)
    assert stats == [("3", "created today"), ("2", "waiting"), ("2", "failed")]
    assert "2 documents could not be created." in html
    # The test document still issued in the system is named, with the way to remove it.
    assert "Test document Tcreated0 is still in SuperFaktura." in html


def test_document_counts_are_scoped_to_the_shop(app, make_user):
    a = make_user("a@shop.test", shop_name="A")
    b = make_user("b@shop.test", shop_name="B")
    _documents(app, a.shop_id, _integration(app, a.shop_id), {"failed": 2, "created": 1})
    _documents(app, b.shop_id, _integration(app, b.shop_id), {"failed": 5})
    with app.app_context():
        assert dashboard.document_counts(a.shop_id) == dashboard.DocumentCounts(created_today=1, waiting=0, failed=2)
        assert dashboard.document_counts(b.shop_id).failed == 5
        assert dashboard.leftover_test_documents(a.shop_id) == []


def test_created_today_starts_at_midnight_utc(app, make_user):
    from datetime import datetime

    a = make_user("a@shop.test", shop_name="A")
    integration_id = _integration(app, a.shop_id)
    _documents(app, a.shop_id, integration_id, {"created": 1}, created_at=datetime(2026, 11, 30, 0, 5))
    _documents(app, a.shop_id, integration_id, {"cancelled": 1}, created_at=datetime(2026, 11, 30, 0, 5))
    with app.app_context():
        assert dashboard.document_counts(a.shop_id, now=datetime(2026, 11, 30, 23, 0)).created_today == 1
        assert dashboard.document_counts(a.shop_id, now=datetime(2026, 12, 1, 0, 1)).created_today == 0


def test_support_agent_without_a_shop_goes_to_the_console(client, make_user):
    make_user("agent@fynode.test", role="support", shop_name=None)
    login(client, "agent@fynode.test")
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/support/")


def test_settings_lists_the_api_tokens_for_the_owner_only(app, client, make_user):
    owner = make_user("owner@shop.test")
    login(client, "owner@shop.test")
    html = client.get("/settings/").get_data(as_text=True)
    assert 'href="/settings/api-tokens/"' in html
    client.post("/logout")
    make_user("staff@shop.test", role="staff", shop_id=owner.shop_id)
    login(client, "staff@shop.test")
    html = client.get("/settings/").get_data(as_text=True)
    assert "Access by support" in html  # the page itself is the staff's too
    assert "/settings/api-tokens/" not in html
