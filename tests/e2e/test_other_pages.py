"""The integration log, a log entry, the support console and an error page fit a phone and pass
axe-core, like the main journey's pages."""

from playwright.sync_api import expect

from .conftest import assert_accessible, assert_fits_width, sign_in


def test_integration_log_and_entry_fit_and_are_accessible(page):
    sign_in(page, "owner@demo.test", "demo-owner")  # Demo Shop was connected by the seed: log entries exist
    page.goto(f"{page.base_url}/settings/accounting/log/")
    expect(page.get_by_role("heading", name="Integration log")).to_be_visible()
    assert_fits_width(page)
    assert_accessible(page)
    page.locator("table a").first.click()
    expect(
        page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Integration log")
    ).to_be_visible()
    expect(page.locator("pre.log-body").first).to_contain_text("SFAPI •••")
    assert_fits_width(page)
    assert_accessible(page)
    assert not page.console_errors, page.console_errors


def test_support_console_and_impersonation_banner_fit_and_are_accessible(page):
    sign_in(page, "support@demo.test", "demo-support")
    expect(page.get_by_role("heading", name="Support console")).to_be_visible()
    assert_fits_width(page)
    assert_accessible(page)
    page.get_by_role("link", name="Demo Shop").first.click()
    assert_fits_width(page)
    assert_accessible(page)
    page.get_by_label("Reason (ticket reference)").fill("TICKET-1")
    page.get_by_role("button", name="Act as owner (read-only)").click()
    expect(page.get_by_text("Support mode (read-only)")).to_be_visible()
    assert_fits_width(page)
    assert_accessible(page)
    page.get_by_role("button", name="Stop acting as this user").click()
    expect(page.get_by_role("heading", name="Support console")).to_be_visible()


def test_not_found_page_is_friendly(page):
    sign_in(page, "owner@demo.test", "demo-owner")
    page.goto(f"{page.base_url}/settings/accounting/log/999999")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert_fits_width(page)
