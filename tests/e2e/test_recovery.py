"""Issue 4's recovery story in a real browser: Demo Shop's SuperFaktura key stops working (the
merchant regenerated it in SuperFaktura), the next call marks the integration "Needs attention",
every other page shows the banner, and "Re-authenticate now" leads to the form where the new key
alone restores the connection with every other setting kept."""

import pytest
from playwright.sync_api import expect

from webapp.extensions import db
from webapp.models import Integration, Shop

from ._browser import PHONE, check_screen, open_page, sandbox_account
from .conftest import sign_in

BANNER = "SuperFaktura no longer accepts the stored credentials; document creation is paused."


def _replace_stored_api_key(app, api_key: str) -> None:
    """What regenerating the key in SuperFaktura does to ours: the stored one is no longer valid."""
    from webapp.services.accounts.encryption import box

    with app.app_context():
        shop = db.session.scalar(db.select(Shop).where(Shop.name == "Demo Shop"))
        row = db.session.scalar(
            db.select(Integration).where(Integration.shop_id == shop.id, Integration.system == "superfaktura")
        )
        secrets = box().decrypt(row.secrets_encrypted)
        secrets["api_key"] = api_key
        row.secrets_encrypted = box().encrypt(secrets)
        db.session.commit()
        db.session.remove()


def _settings_values(page) -> dict:
    return {
        key: page.locator(f"#input-{key}").input_value()
        for key in ("email", "company_id", "market", "invoice_series", "rounding")
    }


@pytest.mark.parametrize("width", [PHONE], ids=["phone"])
def test_revoked_key_is_recovered_through_the_reauthentication_banner(browser, demo, sandbox_servers, width):
    valid = sandbox_account(sandbox_servers, "superfaktura", "valid")
    wrong = sandbox_account(sandbox_servers, "superfaktura", "wrong_key")
    with open_page(browser, demo, width) as page:
        sign_in(page, "owner@demo.test", "demo-owner")
        page.goto(f"{page.base_url}/settings/accounting/superfaktura")
        expect(page.locator(".page-head .badge")).to_have_text("✓ In use")
        expect(page.locator("#connection")).to_contain_text(f"Connected as {valid['label']}")

        # The merchant's own document options, saved before anything goes wrong.
        series = page.locator("#input-invoice_series option:not([value=''])")
        assert series.count() > 0, "the invoice series were not fetched after verification"
        chosen_series = series.last.get_attribute("value")
        page.locator("#input-invoice_series").select_option(chosen_series)
        page.locator("#input-rounding").select_option("item")
        page.get_by_role("button", name="Save and verify").click()
        expect(page.locator("#activation-result .outcome-ok")).to_contain_text("Connected as", timeout=15000)
        page.reload()
        before = _settings_values(page)
        assert before["invoice_series"] == chosen_series and before["rounding"] == "item", before

        # The key is regenerated in SuperFaktura; the next call through the UI finds out.
        _replace_stored_api_key(demo, wrong["credentials"]["api_key"])
        page.get_by_role("button", name="Verify again").click()
        result = page.locator("#activation-result")
        expect(result.locator(".outcome-error")).to_contain_text("did not accept", timeout=15000)
        expect(page.locator("#connection .alert-warn[role=alert]")).to_contain_text(
            "SuperFaktura stopped accepting the stored credentials. Document creation is paused."
        )
        expect(page.locator(".page-head .badge")).to_have_text("! Needs attention")  # updated in place
        check_screen(page)
        page.reload()
        expect(page.locator(".page-head .badge")).to_have_text("! Needs attention")

        # Elsewhere: the catalogue says so, and the banner leads back.
        page.goto(f"{page.base_url}/settings/accounting/")
        card = page.locator(".system-card").filter(has=page.get_by_role("heading", name="SuperFaktura", exact=True))
        expect(card.locator(".badge")).to_have_text("! Needs attention")
        banner = page.locator(".banner[role=alert]")
        expect(banner).to_contain_text(BANNER)
        check_screen(page)
        # Document creation is paused: no test invoice can be issued meanwhile.
        page.goto(f"{page.base_url}/settings/accounting/test-invoice")
        expect(banner).to_contain_text(BANNER)
        expect(page.get_by_role("button", name="Issue the test document")).to_have_count(0)
        check_screen(page)

        banner.get_by_role("link", name="Re-authenticate now").click()
        expect(page).to_have_url(f"{page.base_url}/settings/accounting/superfaktura#connection")
        expect(page.locator(".banner")).to_have_count(0)  # the form itself explains it here
        expect(page.locator("#connection .alert-warn[role=alert]")).to_contain_text("every other setting is kept")
        expect(page.locator("#input-api_key")).to_have_attribute("placeholder", "•••••••• stored — leave blank to keep")
        assert _settings_values(page) == before
        check_screen(page)

        # Only the new key is typed; everything else stays as it was.
        page.locator("#input-api_key").fill(valid["credentials"]["api_key"])
        page.get_by_role("button", name="Save and verify").click()
        expect(result.locator(".outcome-ok")).to_contain_text(f"Connected as {valid['label']}", timeout=15000)
        expect(page.locator("#connection .alert-warn")).to_have_count(0)
        expect(page.locator(".page-head .badge")).to_have_text("✓ In use")
        check_screen(page)
        page.reload()
        expect(page.locator(".page-head .badge")).to_have_text("✓ In use")
        assert _settings_values(page) == before
        page.goto(f"{page.base_url}/settings/accounting/")
        expect(page.locator(".banner")).to_have_count(0)
        page.goto(f"{page.base_url}/settings/accounting/test-invoice")
        expect(page.get_by_role("button", name="Issue the test document")).to_be_visible()
        assert not page.console_errors, page.console_errors
