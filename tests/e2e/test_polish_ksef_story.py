"""Issue 10's story in a real browser: a Polish merchant on a phone (390 px), in Polish, connects
Fakturownia with the credentials from the sandbox, issues a test invoice for a company buyer and
sees its KSeF number on the comparison (the sandbox's KSeF answers at once)."""

import requests
from playwright.sync_api import expect

from ._browser import PHONE, check_screen, open_page, sandbox_account
from .conftest import sign_in
from .test_shell import switch_language


def test_a_polish_merchant_on_a_phone_connects_fakturownia_issues_a_test_invoice_and_sees_its_ksef_number(
    browser, demo, sandbox_servers
):
    sandbox = sandbox_servers["fakturownia"].url
    requests.post(f"{sandbox}/_sandbox/ksef", json={"delay_seconds": 0}, timeout=5).raise_for_status()
    credentials = sandbox_account(sandbox_servers, "fakturownia", "valid")["credentials"]
    with open_page(browser, demo, PHONE) as page:
        sign_in(page, "new@demo.test", "demo-new")
        page.wait_for_url(page.base_url + "/")
        page.wait_for_function("!document.documentElement.classList.contains('no-js')")
        switch_language(page, "Polski")

        page.goto(f"{page.base_url}/settings/accounting/fakturownia")
        expect(page.get_by_role("heading", name="Fakturownia", exact=True)).to_be_visible()
        expect(page.get_by_text("Kod autoryzacyjny API").first).to_be_visible()  # where the token is, in Polish
        page.locator("#input-subdomain").fill(credentials["subdomain"])
        page.locator("#input-api_token").fill(credentials["api_token"])
        page.get_by_role("button", name="Aktywuj").click()
        expect(page.locator("#activation-result .outcome-ok")).to_contain_text("Połączono jako", timeout=15000)
        check_screen(page)

        page.goto(f"{page.base_url}/settings/accounting/test-invoice")
        page.locator("#market").select_option("PL")
        page.locator("#kind-invoice").check()
        page.locator("#confirm_real_number").check()
        page.get_by_role("button", name="Wystaw dokument testowy").click()
        comparison = page.locator("#test-document")
        expect(comparison).to_be_visible(timeout=20000)
        held = next(
            d
            for d in requests.get(f"{sandbox}/_sandbox/documents", timeout=5).json()
            if d["type"] == "vat" and d["gov_id"] and d["buyer_name"] == "Test Customer s.r.o."
        )
        # KSeF answered at once, so the invoice as read back after issuing carries its number.
        expect(comparison.locator("tr").filter(has=page.locator("strong", has_text="Numer KSeF"))).to_contain_text(
            held["gov_id"]
        )
        expect(comparison.locator("tr").filter(has=page.locator("strong", has_text="KSeF")).first).to_contain_text(
            "zaakceptowan"
        )
        expect(page.locator("html")).to_have_attribute("lang", "pl")
        check_screen(page)
        assert not page.console_errors, page.console_errors
