"""Payments from Fakturoid on a phone: the section with the webhook address and the steps, the
one-time reveal of a new key and the confirmation before replacing it fit 390 px without
sideways scrolling and pass axe-core."""

from __future__ import annotations

from playwright.sync_api import expect

from ._browser import PHONE, check_screen, fill_credentials, open_page, sandbox_account
from .conftest import sign_in


def test_payments_section_key_reveal_and_replacement_fit_a_phone(browser, demo, sandbox_servers):
    account = sandbox_account(sandbox_servers, "fakturoid", "valid")
    with open_page(browser, demo, PHONE) as page:
        sign_in(page, "new@demo.test", "demo-new")
        page.goto(f"{page.base_url}/settings/accounting/fakturoid")
        fill_credentials(page, "fakturoid", account["credentials"])
        page.locator("#connection form button[type=submit]").first.click()
        expect(page.locator("#activation-result")).to_contain_text("Connected", timeout=15000)

        section = page.locator("#payments")  # swapped in with the connection, no reload needed
        expect(section.get_by_role("heading", name="Payments from Fakturoid")).to_be_visible()
        address = section.get_by_label("Webhook address").input_value()
        assert address.startswith(f"{page.base_url}/webhooks/fakturoid/"), address
        expect(section).to_contain_text("No key yet")
        check_screen(page)

        section.get_by_role("button", name="Create the key").click()
        reveal = page.get_by_label("Key for Fakturoid")
        expect(reveal).to_be_visible()
        key = reveal.input_value()
        assert len(key) >= 40
        check_screen(page)

        page.reload()
        expect(page.locator("#payments")).to_contain_text("Created on")
        assert key not in page.content()

        page.locator("#payments").get_by_role("button", name="Create a new key").click()
        expect(page.get_by_role("heading", name="Replace the key for payments from Fakturoid?")).to_be_visible()
        check_screen(page)
        page.get_by_role("link", name="No, keep the current key").click()
        expect(page.locator("#payments")).to_contain_text("Created on")
        assert not page.console_errors, page.console_errors
