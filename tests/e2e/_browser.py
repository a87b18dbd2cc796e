"""Helpers shared by the story tests that open their own browser context at a chosen width (the
parametrized `page` fixture runs every test at both widths; these stories pick one per system)."""

from __future__ import annotations

import re
from contextlib import contextmanager

import requests

PHONE, DESKTOP = 390, 1280


@contextmanager
def open_page(browser, app, width: int):
    """A fresh context (own cookies) at `width`, with the same extras as conftest's `page`:
    page.base_url, page.width and page.console_errors."""
    phone = width < 600
    context = browser.new_context(
        viewport={"width": width, "height": 844 if phone else 900},
        locale="en-US",
        is_mobile=phone,
        has_touch=phone,
        accept_downloads=True,
    )
    page = context.new_page()
    page.base_url = app.live_url
    page.width = width
    errors: list[str] = []

    def on_console(msg) -> None:
        # Only our app's pages count: the Fakturoid sandbox's sign-in page (another origin, like
        # the real fakturoid.cz) has no favicon, and that 404 is not ours to fix.
        source = msg.location.get("url") or page.url
        if msg.type == "error" and source.startswith(app.live_url + "/"):
            errors.append(f"{msg.text} ({source})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.console_errors = errors
    try:
        yield page
    finally:
        context.close()


def sandbox_account(sandbox_servers, system: str, state: str, account_id: str | None = None) -> dict:
    """The sandbox's first seeded account in `state` (or the one with `account_id`)."""
    accounts = requests.get(f"{sandbox_servers[system].url}/_sandbox/accounts", timeout=5).json()
    return next(a for a in accounts if a["state"] == state and account_id in (None, a["id"]))


def sandbox_documents(sandbox_servers, system: str) -> list[dict]:
    return requests.get(f"{sandbox_servers[system].url}/_sandbox/documents", timeout=5).json()


def sandbox_fault(sandbox_servers, system: str, kind: str, **params) -> None:
    requests.post(
        f"{sandbox_servers[system].url}/_sandbox/faults", json={"kind": kind, **params}, timeout=5
    ).raise_for_status()


def fill_credentials(page, system: str, credentials: dict) -> None:
    """Type the pasted credentials into the schema-driven form, as a merchant would."""
    if system == "superfaktura":
        page.locator("#input-email").fill(credentials["email"])
        page.locator("#input-api_key").fill(credentials["api_key"])
        page.locator("#input-company_id").fill(str(credentials.get("company_id", "")))
        page.locator("#input-market").select_option(credentials.get("market", "SK"))
    elif system == "idoklad":
        page.locator("#input-client_id").fill(credentials["client_id"])
        page.locator("#input-client_secret").fill(credentials["client_secret"])
    elif system == "fakturoid":
        page.locator("#input-slug").fill(credentials["slug"])
        page.locator("#input-client_id").fill(credentials["client_id"])
        page.locator("#input-client_secret").fill(credentials["client_secret"])
    else:  # pragma: no cover - a new system needs its own line here
        raise AssertionError(f"no form filler for {system}")


def check_screen(page) -> None:
    """What every main screen must pass: no horizontal scrolling, no serious axe violations."""
    from .conftest import assert_accessible, assert_fits_width

    assert_fits_width(page)
    assert_accessible(page)


def connect_with_fakturoid(page, account: dict, decision: str = "allow") -> None:
    """From Fynode's Fakturoid settings page: "Connect with Fakturoid", sign in on the sandbox's
    own page with the account's oauth_login, Allow (or Deny), and come back to Fynode."""
    from playwright.sync_api import expect

    page.get_by_role("link", name="Connect with Fakturoid").click()
    expect(page.get_by_role("heading", name=re.compile("^Fakturoid"))).to_be_visible()
    assert not page.url.startswith(page.base_url), page.url  # we are on Fakturoid's side now
    page.get_by_label("E-mail").fill(account["oauth_login"]["email"])
    page.get_by_label("Heslo").fill(account["oauth_login"]["password"])
    button = "Povolit přístup" if decision == "allow" else "Zamítnout"
    page.get_by_role("button", name=button).click()
    # Back through our callback, which redirects so the one-time code never stays in the address bar.
    page.wait_for_url(re.compile(re.escape(page.base_url) + r"/settings/accounting/fakturoid#connection$"))
    assert "code=" not in page.url
    # Several accounts behind one login: the merchant picks the one the account belongs to.
    if decision == "allow" and page.get_by_role("button", name="Use this account").is_visible():
        page.get_by_label(re.compile(re.escape(account["credentials"]["slug"]))).check()
        page.get_by_role("button", name="Use this account").click()
