"""Forgot password, in the browser: the login page's link, the e-mail in the local outbox, the
new password, signing in with it. Each page fits a phone and passes axe-core."""

from playwright.sync_api import expect

from .conftest import assert_accessible, assert_fits_width, sign_in


def test_forgotten_password_is_reset_through_the_local_outbox(page):
    page.goto(f"{page.base_url}/login")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    assert_fits_width(page)
    assert_accessible(page)
    page.get_by_label("E-mail").fill("new@demo.test")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_text("we have sent it a link")).to_be_visible()

    page.goto(f"{page.base_url}/dev/outbox")
    expect(page.get_by_role("heading", name="Set a new password for Fynode Accounting Connect").first).to_be_visible()
    assert_fits_width(page)
    assert_accessible(page)
    page.locator(".outbox-link a").first.click()

    expect(page.get_by_role("heading", name="Set a new password")).to_be_visible()
    assert_fits_width(page)
    assert_accessible(page)
    page.get_by_label("New password", exact=True).fill("my-new-password-1")
    page.get_by_label("New password again").fill("my-new-password-1")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_text("Your password is changed")).to_be_visible()

    sign_in(page, "new@demo.test", "my-new-password-1")
    expect(page).to_have_url(f"{page.base_url}/")  # signed in: the dashboard
    assert not page.console_errors, page.console_errors
