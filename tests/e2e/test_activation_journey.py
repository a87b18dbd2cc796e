"""Issue 2's story in a real browser: a new merchant connects SuperFaktura, then sees the hint
for a wrong key; at phone and desktop widths, with JavaScript (HTMX) on."""

import re

from playwright.sync_api import expect

from .conftest import assert_accessible, assert_fits_width, sign_in


def _sf_credentials(sandbox_servers, state):
    import requests

    accounts = requests.get(f"{sandbox_servers['superfaktura'].url}/_sandbox/accounts", timeout=5).json()
    return next(a for a in accounts if a["state"] == state)["credentials"]


def _fill_superfaktura(page, credentials):
    page.locator("#input-email").fill(credentials["email"])
    page.locator("#input-api_key").fill(credentials["api_key"])
    page.locator("#input-company_id").fill(str(credentials.get("company_id", "")))
    page.locator("#input-market").select_option(credentials.get("market", "SK"))


def test_new_merchant_connects_superfaktura_and_sees_connected_as(page, sandbox_servers):
    sign_in(page, "new@demo.test", "demo-new")
    # The dashboard says nothing is connected and leads to the catalogue.
    page.get_by_role("link", name="Connect your accounting system").click()
    expect(page.get_by_role("heading", name="Accounting system", level=1)).to_be_visible()
    assert_fits_width(page)
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("Set up.*SuperFaktura")).click()
    expect(page.get_by_role("heading", name="SuperFaktura", exact=True)).to_be_visible()
    _fill_superfaktura(page, _sf_credentials(sandbox_servers, "valid"))
    page.get_by_role("button", name="Activate").click()
    result = page.locator("#activation-result")
    expect(result).to_contain_text("Connected as", timeout=15000)
    expect(page.locator("#activation-result .outcome")).to_be_focused()
    # The key is never shown again; the field says a value is stored.
    expect(page.locator("#input-api_key")).to_have_value("")
    expect(page.locator("#input-api_key")).to_have_attribute("placeholder", re.compile("leave blank to keep"))
    assert_fits_width(page)
    assert_accessible(page)
    assert not page.console_errors, page.console_errors


def test_wrong_key_shows_what_to_fix_and_marks_the_field(page, sandbox_servers):
    sign_in(page, "new@demo.test", "demo-new")
    page.goto(f"{page.base_url}/settings/accounting/superfaktura")
    _fill_superfaktura(page, _sf_credentials(sandbox_servers, "wrong_key"))
    page.get_by_role("button", name="Activate").click()
    result = page.locator("#activation-result")
    # The box says what the refusal means; what to fix is said next to the field, once.
    expect(result).to_contain_text("Not connected", timeout=15000)
    expect(result).not_to_contain_text("did not accept")
    expect(page.locator("#field-api_key .field-error")).to_contain_text("SuperFaktura did not accept the credentials")
    expect(page.locator("#input-api_key")).to_have_attribute("aria-invalid", "true")
    # Everything typed except the secret is kept.
    expect(page.locator("#input-email")).not_to_have_value("")
    expect(page.locator("#input-api_key")).to_have_value("")
    assert_fits_width(page)
    assert not page.console_errors, page.console_errors


def test_required_fields_are_flagged_without_losing_input(page):
    sign_in(page, "new@demo.test", "demo-new")
    page.goto(f"{page.base_url}/settings/accounting/superfaktura")
    page.locator("#input-email").fill("someone@shop.sk")
    page.get_by_role("button", name="Activate").click()
    # One statement of the result above the form; each missing value is said next to its field.
    expect(page.locator("#activation-result")).to_contain_text("Some fields need your attention", timeout=10000)
    expect(page.locator("#input-email")).to_have_value("someone@shop.sk")
    expect(page.locator("#input-api_key")).to_have_attribute("aria-invalid", "true")
