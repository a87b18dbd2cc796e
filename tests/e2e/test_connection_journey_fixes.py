"""Issue 8's connection journey fixes as a merchant meets them on a phone (390 px), in English
and Polish: switching systems is an explicit, confirmed step (1); pasted keys after signing in
are what gets verified (2); a blocker is not "Connected" (4); a failed change says the old
credentials still work (5); re-authenticating a signed-in connection is a reconnect button (6);
no stale error stays above a success (7)."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from webapp.extensions import db
from webapp.models import Integration

from ._browser import PHONE, check_screen, connect_with_fakturoid, fill_credentials, sandbox_account
from .conftest import open_section

TEXT = {
    "en": {
        "active": "✓ In use",
        "activate": "Activate",
        "connected": "Connected as",
        "still": "SuperFaktura is still your shop's accounting system",
        "switch": "Switch to iDoklad",
        "yes_switch": "Yes, switch to iDoklad",
        "waiting": "No documents are waiting for SuperFaktura",
        "rules": "iDoklad has no document rules yet",
        "now": "iDoklad is now your shop's accounting system",
        "blocked": "Fakturoid cannot issue documents yet",
        "nav": "Accounting system",
    },
    "pl": {
        "active": "✓ W użyciu",
        "activate": "Aktywuj",
        "connected": "Połączono jako",
        "still": "System SuperFaktura jest nadal systemem księgowym Twojego sklepu",
        "switch": "Przełącz na system iDoklad",
        "yes_switch": "Tak, przełącz na system iDoklad",
        "waiting": "Żadne dokumenty nie czekają na system SuperFaktura",
        "rules": "System iDoklad nie ma jeszcze reguł dokumentów",
        "now": "System iDoklad jest teraz systemem księgowym Twojego sklepu",
        "blocked": "System Fakturoid nie może jeszcze wystawiać dokumentów",
        "nav": "System księgowy",
    },
}


@contextmanager
def phone(browser, app, locale: str):
    context = browser.new_context(
        viewport={"width": PHONE, "height": 844}, locale=locale, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.base_url = app.live_url
    page.width = PHONE
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.console_errors = errors
    try:
        yield page
    finally:
        context.close()


def _sign_in(page, email: str, password: str) -> None:
    page.goto(f"{page.base_url}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"^(?!.*/login).*$"))


def _settings(page, system: str) -> None:
    page.goto(f"{page.base_url}/settings/accounting/{system}")


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_a_second_system_is_tried_beside_the_first_and_switched_to_only_after_confirming(
    browser, demo, sandbox_servers, lang
):
    words = TEXT[lang]
    with phone(browser, demo, lang) as page:
        _sign_in(page, "owner@demo.test", "demo-owner")
        open_section(page, words["nav"])
        _settings(page, "idoklad")
        fill_credentials(page, "idoklad", sandbox_account(sandbox_servers, "idoklad", "valid")["credentials"])
        page.get_by_role("button", name=words["activate"]).click()
        result = page.locator("#activation-result")
        expect(result).to_contain_text(words["connected"], timeout=15000)
        expect(result).to_contain_text(words["still"])
        with demo.app_context():
            rows = {r.system: r for r in db.session.scalars(db.select(Integration))}
            assert rows["superfaktura"].current and not rows["idoklad"].current
            db.session.remove()
        check_screen(page)
        page.get_by_role("link", name=words["switch"]).click()
        expect(page.locator("main")).to_contain_text(words["waiting"])
        expect(page.locator("main")).to_contain_text(words["rules"])
        check_screen(page)
        page.get_by_role("button", name=words["yes_switch"]).click()
        expect(page.locator("main")).to_contain_text(words["now"])
        with demo.app_context():
            rows = {r.system: r for r in db.session.scalars(db.select(Integration))}
            assert rows["idoklad"].current and not rows["superfaktura"].current
            assert rows["superfaktura"].status == "active"  # its waiting documents still go out there
            db.session.remove()
        assert not page.console_errors, page.console_errors


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_a_fakturoid_account_without_a_bank_account_is_shown_as_a_blocker(browser, demo, sandbox_servers, lang):
    words = TEXT[lang]
    with phone(browser, demo, lang) as page:
        _sign_in(page, "new@demo.test", "demo-new")
        _settings(page, "fakturoid")
        fill_credentials(
            page, "fakturoid", sandbox_account(sandbox_servers, "fakturoid", "no_bank_account")["credentials"]
        )
        page.locator("#connection form button[type=submit]").first.click()
        result = page.locator("#activation-result")
        expect(result).to_contain_text(words["blocked"], timeout=15000)
        expect(result).not_to_contain_text(words["connected"])
        expect(page.locator(".page-head .badge")).not_to_have_text(words["active"])
        check_screen(page)


def test_pasted_keys_after_signing_in_are_verified_and_a_failed_change_keeps_the_old_connection(
    browser, demo, sandbox_servers
):
    account = sandbox_account(sandbox_servers, "fakturoid", "valid")
    with phone(browser, demo, "en") as page:
        _sign_in(page, "new@demo.test", "demo-new")
        _settings(page, "fakturoid")
        connect_with_fakturoid(page, account, "allow")
        result = page.locator("#activation-result")
        expect(result).to_contain_text("Connected as", timeout=15000)
        page.locator("#input-slug").fill(account["credentials"]["slug"])
        page.locator("#input-client_id").fill(account["credentials"]["client_id"])
        page.locator("#input-client_secret").fill("a-wrong-secret")
        page.get_by_role("button", name="Save and verify").click()
        expect(result).to_contain_text("Your connection still uses the previous credentials", timeout=15000)
        expect(result).not_to_contain_text("Connected as")
        expect(page.locator(".page-head .badge")).to_have_text("✓ In use")
        check_screen(page)
        # The right secret, and the connection moves to the pasted keys.
        page.locator("#input-client_secret").fill(account["credentials"]["client_secret"])
        page.get_by_role("button", name="Save and verify").click()
        expect(result).to_contain_text("Connected as", timeout=15000)
        # Only one result is on screen: the earlier error was replaced, not kept above it.
        expect(result.locator(".outcome")).to_have_count(1)
        with demo.app_context():
            row = db.session.scalar(db.select(Integration).where(Integration.system == "fakturoid"))
            assert row.config["auth_method"] == "client_credentials"
            db.session.remove()


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_reauthenticating_a_signed_in_connection_is_a_reconnect_button(browser, demo, sandbox_servers, lang):
    account = sandbox_account(sandbox_servers, "fakturoid", "valid")
    with phone(browser, demo, "en") as page:
        _sign_in(page, "new@demo.test", "demo-new")
        _settings(page, "fakturoid")
        connect_with_fakturoid(page, account, "allow")
        expect(page.locator("#activation-result")).to_contain_text("Connected as", timeout=15000)
    with demo.app_context():
        db.session.execute(
            db.update(Integration).where(Integration.system == "fakturoid").values(status="needs_attention")
        )
        db.session.commit()
        db.session.remove()
    with phone(browser, demo, lang) as page:
        _sign_in(page, "new@demo.test", "demo-new")
        _settings(page, "fakturoid")
        reconnect = page.locator("#reconnect")
        expect(reconnect.get_by_role("link")).to_have_attribute("href", "/settings/accounting/fakturoid/connect")
        expect(reconnect).to_contain_text(
            "Połącz ponownie z systemem Fakturoid" if lang == "pl" else "Reconnect with Fakturoid"
        )
        expect(page.locator("#input-client_id")).to_have_value("")
        check_screen(page)


def test_the_test_invoice_replaces_an_earlier_error_with_its_result(browser, demo):
    with phone(browser, demo, "en") as page:
        _sign_in(page, "owner@demo.test", "demo-owner")
        page.goto(f"{page.base_url}/settings/accounting/test-invoice")
        page.locator("#kind-invoice").check()
        page.locator("#test-form button[type=submit]").click()
        expect(page.locator("#test-form .alert-error")).to_be_visible(timeout=15000)
        page.locator("#confirm_real_number").check()
        page.locator("#test-form button[type=submit]").click()
        expect(page.locator("#test-result")).to_contain_text("was issued", timeout=20000)
        expect(page.locator("#test-form .alert-error")).to_have_count(0)
        check_screen(page)
