"""The support story on a phone: an agent finds a failing shop, acts as its owner read-only,
reads the failed log entry with its hint, switches to changes with a reason, re-runs the failed
document; the merchant then sees that access."""

import pytest
import requests
from playwright.sync_api import expect

from webapp.extensions import db
from webapp.models import Document, Integration, Order, Shop

from .conftest import assert_accessible, assert_fits_width, sign_in


@pytest.fixture
def failing_demo_shop(demo, sandbox_servers):
    """Demo Shop's invoice for a paid order failed: SuperFaktura answered 500 and the retries ran out."""
    sf = sandbox_servers["superfaktura"].url
    requests.post(
        f"{sf}/_sandbox/faults", json={"kind": "error_500", "operations": ["create_invoice"]}, timeout=5
    ).raise_for_status()
    from datetime import datetime

    from webapp.services.documents import rules
    from webapp.services.orders.events import record_event

    with demo.app_context():
        shop = db.session.scalar(db.select(Shop).where(Shop.name == "Demo Shop"))
        integration = db.session.scalar(
            db.select(Integration).where(Integration.shop_id == shop.id, Integration.current.is_(True))
        )
        rules.confirm_presets(integration, None)
        order = db.session.scalar(
            db.select(Order).where(Order.shop_id == shop.id, Order.status == "new").order_by(Order.id)
        )
        record_event(order, "paid", datetime(2026, 11, 24, 10, 0))
        document = db.session.scalar(db.select(Document).where(Document.order_id == order.id))
        document.state, document.last_error_code = "failed", "remote_error"  # the retries ran out
        db.session.commit()
        number = order.number
        db.session.remove()
    return number


def test_agent_fixes_a_failing_shop_read_only_first_and_the_merchant_sees_it(
    browser, demo, failing_demo_shop, sandbox_servers
):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="en-US", is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.base_url = demo.live_url
    page.width = 390
    sign_in(page, "support@demo.test", "demo-support")
    expect(page.get_by_role("heading", name="Shops with problems")).to_be_visible()
    page.get_by_role("link", name="Demo Shop").first.click()
    expect(page.get_by_role("heading", name="Documents waiting or failed")).to_be_visible()
    assert_fits_width(page)
    page.get_by_label("Reason (ticket reference)").fill("TICKET-1234")
    page.get_by_role("button", name="Act as owner (read-only)").click()
    expect(page.get_by_text("Support mode (read-only)")).to_be_visible()
    assert_fits_width(page)
    assert_accessible(page)

    # Read the failed log entry and its hint.
    page.goto(f"{page.base_url}/settings/accounting/log/?status=error")
    assert_fits_width(page)
    page.locator("table.log a").first.click()
    expect(page.get_by_text("The accounting system reported an error")).to_be_visible()
    expect(
        page.get_by_text("Order " + failing_demo_shop).or_(page.get_by_role("link", name=failing_demo_shop))
    ).to_be_visible()
    assert_fits_width(page)

    # Read-only: the retry is refused with a clear message.
    page.goto(f"{page.base_url}/documents/?state=failed")
    page.get_by_role("button", name="Try again").first.click()
    expect(page.get_by_role("heading", name="Read-only support access")).to_be_visible()

    # Switch to changes with a reason, then re-run the failed document.
    requests.post(f"{sandbox_servers['superfaktura'].url}/_sandbox/reset", timeout=5)
    page.goto(f"{page.base_url}/documents/?state=failed")
    page.locator("details.support-changes summary").click()
    page.get_by_label("Reason for the changes").fill("Re-issue the failed invoice, TICKET-1234")
    page.get_by_role("button", name="Allow changes").click()
    expect(page.get_by_text("Support mode (changes allowed)")).to_be_visible()
    page.get_by_role("button", name="Try again").first.click()
    expect(page.get_by_text("We are issuing")).to_be_visible()
    page.get_by_role("button", name="Stop acting as this user").click()
    expect(page.get_by_role("heading", name="Support console")).to_be_visible()
    context.close()

    # The merchant sees the access, its reasons and the change.
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="en-US", is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.base_url = demo.live_url
    page.width = 390
    sign_in(page, "owner@demo.test", "demo-owner")
    page.goto(f"{page.base_url}/settings/")
    page.get_by_role("link", name="Access by support").click()
    expect(page.get_by_text("TICKET-1234").first).to_be_visible()
    expect(page.get_by_text("Re-issue the failed invoice")).to_be_visible()
    expect(page.get_by_text("Retried document Invoice").first).to_be_visible()
    expect(page.get_by_text("Tried to retry document Invoice").first).to_be_visible()
    expect(page.get_by_text("POST /")).to_have_count(0)
    assert_fits_width(page)
    assert_accessible(page)
    context.close()


def test_read_only_htmx_button_says_why_it_was_refused_on_a_phone(browser, demo):
    """ "Verify again" is an HTMX button: its refusal used to be a 403 that HTMX left unswapped, so
    the button just looked broken. Now the refusal's words appear in the page's messages region."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="en-US", is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.base_url = demo.live_url
    page.width = 390
    sign_in(page, "support@demo.test", "demo-support")
    page.get_by_role("link", name="Demo Shop").first.click()
    page.get_by_label("Reason (ticket reference)").fill("TICKET-77")
    page.get_by_role("button", name="Act as owner (read-only)").click()
    expect(page.get_by_text("Support mode (read-only)")).to_be_visible()
    page.goto(f"{page.base_url}/settings/accounting/superfaktura")
    page.get_by_role("button", name="Verify again").click()
    message = page.locator("#messages [role=alert]")
    expect(message).to_be_visible()
    expect(message).to_contain_text("Read-only support access")
    expect(message).to_contain_text("nothing was changed")
    expect(message).to_contain_text("switch to changes")
    assert page.url.endswith("/settings/accounting/superfaktura")  # still on the page, nothing swapped away
    expect(page.get_by_role("button", name="Verify again")).to_be_enabled()
    assert_fits_width(page)
    context.close()
