"""Issue 3's "done when" tried in a real browser as a new merchant would: Fakturoid through
"Connect with Fakturoid" (the sandbox's own sign-in and consent page, at both widths), a refused
consent, Fakturoid with pasted credentials, and iDoklad with pasted credentials, one success and
one documented failure with its own hint."""

import pytest
from playwright.sync_api import expect

from ._browser import DESKTOP, PHONE, check_screen, connect_with_fakturoid, fill_credentials, open_page, sandbox_account
from .conftest import sign_in


def _open_settings(page, name: str) -> None:
    sign_in(page, "new@demo.test", "demo-new")
    page.get_by_role("link", name="Connect your accounting system").click()
    page.get_by_role("link", name=f"Set up {name}").click()
    expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    expect(page.locator(".page-head .badge")).to_have_text("Not connected")


@pytest.mark.parametrize("width", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_connect_with_fakturoid_signs_in_allows_and_connects(browser, demo, sandbox_servers, width):
    account = sandbox_account(sandbox_servers, "fakturoid", "valid")
    with open_page(browser, demo, width) as page:
        _open_settings(page, "Fakturoid")
        expect(page.locator(".oauth-box")).to_contain_text("No keys to copy")
        check_screen(page)
        connect_with_fakturoid(page, account, "allow")
        result = page.locator("#activation-result")
        expect(result.locator(".outcome-ok")).to_contain_text(f"Connected as {account['label']}", timeout=15000)
        expect(page.locator(".page-head .badge")).to_have_text("✓ In use")
        # No key was typed: the pasted-credentials fields stay empty.
        expect(page.locator("#input-client_id")).to_have_value("")
        check_screen(page)
        # The stored refresh token works for the next call.
        page.get_by_role("button", name="Verify again").click()
        expect(result.locator(".outcome-ok")).to_contain_text(f"Connected as {account['label']}", timeout=15000)
        page.goto(f"{page.base_url}/settings/accounting/")
        card = page.locator(".system-card").filter(has=page.get_by_role("heading", name="Fakturoid", exact=True))
        expect(card.locator(".badge")).to_have_text("✓ In use")
        assert not page.console_errors, page.console_errors


def test_refused_consent_on_fakturoids_page_shows_its_hint(browser, demo, sandbox_servers):
    account = sandbox_account(sandbox_servers, "fakturoid", "valid")
    with open_page(browser, demo, DESKTOP) as page:
        _open_settings(page, "Fakturoid")
        connect_with_fakturoid(page, account, "deny")
        result = page.locator("#activation-result .outcome-error")
        expect(result).to_contain_text("Access was not allowed on Fakturoid's page.")
        expect(result).to_contain_text("choose Allow, or paste a Client ID and Client Secret instead")
        result.get_by_text("Details").click()
        expect(result.locator("code")).to_have_text("consent_denied")
        expect(page.locator("#connection")).not_to_contain_text("Connected as")
        expect(page.locator(".page-head .badge")).to_have_text("Not connected")
        # The way out is on the same page: the button again, or the pasted credentials.
        expect(page.get_by_role("link", name="Connect with Fakturoid")).to_be_visible()
        check_screen(page)
        assert not page.console_errors, page.console_errors


def test_fakturoid_with_pasted_credentials(browser, demo, sandbox_servers):
    account = sandbox_account(sandbox_servers, "fakturoid", "valid")
    with open_page(browser, demo, DESKTOP) as page:
        _open_settings(page, "Fakturoid")
        expect(page.get_by_role("heading", name="Or paste API credentials")).to_be_visible()
        fill_credentials(page, "fakturoid", account["credentials"])
        page.get_by_role("button", name="Activate").click()
        result = page.locator("#activation-result")
        expect(result.locator(".outcome-ok")).to_contain_text(f"Connected as {account['label']}", timeout=15000)
        expect(result.locator(".outcome")).to_be_focused()
        # Fakturoid means pasted credentials for scripts; the merchant is told so, politely.
        expect(page.locator(".page-head .badge")).to_have_text("✓ In use")
        expect(result).to_contain_text("Fakturoid recommends that apps such as Fynode connect by signing in")
        expect(page.locator("#input-slug")).to_have_value(account["credentials"]["slug"])
        expect(page.locator("#input-client_secret")).to_have_value("")
        expect(page.locator("#input-client_secret")).to_have_attribute(
            "placeholder", "•••••••• stored — leave blank to keep"
        )
        check_screen(page)
        assert not page.console_errors, page.console_errors


def test_idoklad_with_pasted_credentials(browser, demo, sandbox_servers):
    account = sandbox_account(sandbox_servers, "idoklad", "valid")
    with open_page(browser, demo, DESKTOP) as page:
        _open_settings(page, "iDoklad")
        # The application id is Fynode's own: never asked from the merchant.
        expect(page.locator("#connection input[name*=application]")).to_have_count(0)
        check_screen(page)
        fill_credentials(page, "idoklad", account["credentials"])
        page.get_by_role("button", name="Activate").click()
        result = page.locator("#activation-result")
        expect(result.locator(".outcome-ok")).to_contain_text(f"Connected as {account['label']}", timeout=15000)
        expect(result.locator(".outcome")).to_be_focused()
        expect(result).to_contain_text("Plan")
        expect(page.locator(".page-head .badge")).to_have_text("✓ In use")
        # The agenda's number series are offered as choices right away.
        expect(page.locator("#input-invoice_series option:not([value=''])")).not_to_have_count(0)
        check_screen(page)
        assert not page.console_errors, page.console_errors


def test_idoklad_free_agenda_gets_its_own_hint(browser, demo, sandbox_servers):
    account = sandbox_account(sandbox_servers, "idoklad", "no_api_plan")
    with open_page(browser, demo, DESKTOP) as page:
        _open_settings(page, "iDoklad")
        fill_credentials(page, "idoklad", account["credentials"])
        page.get_by_role("button", name="Activate").click()
        result = page.locator("#activation-result .outcome-error")
        expect(result).to_contain_text(
            "This iDoklad agenda is on the Free plan, which has no API access.", timeout=15000
        )
        expect(result).to_contain_text("Settings → Subscription")
        result.get_by_text("Details").click()
        expect(result.locator("code")).to_have_text("plan_lacks_api")
        expect(page.locator("#connection")).not_to_contain_text("Connected as")
        expect(page.locator(".page-head .badge")).to_have_text("Not connected")
        # What was typed is kept, except the secret.
        expect(page.locator("#input-client_id")).to_have_value(account["credentials"]["client_id"])
        expect(page.locator("#input-client_secret")).to_have_value("")
        check_screen(page)
        assert not page.console_errors, page.console_errors
