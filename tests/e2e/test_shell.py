"""The app shell in a real browser, at 390 px (and 1280 px where the layout differs), in English
and Polish: the navigation (a menu that opens without JavaScript on phones), the dashboard, the
confirmation step of destructive actions, the language switch after a form post without
JavaScript, and the long pages that now fit a phone (comparison, import result, log)."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from ._browser import DESKTOP, PHONE, check_screen, open_page
from .conftest import assert_fits_width, sign_in

WORDS = {
    "en": {
        "menu": "Menu",
        "log": "Integration log",
        "dashboard": "Dashboard",
        "deactivate": "Deactivate",
        "confirm_deactivate": "Yes, deactivate SuperFaktura",
        "keep": "No, keep it connected",
        "deactivate_title": "Deactivate SuperFaktura?",
        "deactivated": "The connection is deactivated",
        "active": "✓ In use",
        "works": "Invoicing works",
        "remove": "Remove the test document",
        "yes_remove": "Yes, remove it",
        "issue": "Issue the test document",
        "lang": "English",
        "change": "Change language",
        "system": "Accounting system",
        "attention": "Needs your attention",
    },
    "pl": {
        "menu": "Menu",
        "log": "Dziennik integracji",
        "dashboard": "Pulpit",
        "deactivate": "Dezaktywuj",
        "confirm_deactivate": "Tak, dezaktywuj SuperFaktura",
        "keep": "Nie, zostaw połączenie",
        "deactivate_title": "Dezaktywować SuperFaktura?",
        "deactivated": None,
        "active": "✓ W użyciu",
        "works": "Fakturowanie działa",
        "remove": "Usuń dokument testowy",
        "yes_remove": "Tak, usuń",
        "issue": None,
        "lang": "Polski",
        "change": "Zmień język",
        "system": "System księgowy",
        "attention": "Wymaga Twojej uwagi",
    },
}


@contextmanager
def signed_in(browser, app, width: int, lang: str, javascript: bool = True):
    """Demo Shop's owner (SuperFaktura connected by the seed), in `lang`, at `width`."""
    with open_page(browser, app, width) as page:
        if not javascript:
            page.context.close()
            context = page.context.browser.new_context(
                viewport={"width": width, "height": 844}, java_script_enabled=False, is_mobile=width < 600
            )
            page = context.new_page()
            page.base_url, page.width, page.console_errors = app.live_url, width, []
        sign_in(page, "owner@demo.test", "demo-owner")
        page.wait_for_url(page.base_url + "/")
        if javascript:  # app.js (deferred) submits the language form on change: wait until it runs
            page.wait_for_function("!document.documentElement.classList.contains('no-js')")
        if lang != "en":
            switch_language(page, WORDS[lang]["lang"], javascript)
        yield page
        if not javascript:
            page.context.close()


def switch_language(page, name: str, javascript: bool = True) -> None:
    with page.expect_navigation():
        page.locator("#lang-select").select_option(label=name)  # with JavaScript this submits
        if not javascript:
            page.locator(".lang-form button").click()
    expect(page.locator("html")).to_have_attribute("lang", {"Polski": "pl", "English": "en"}[name])


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_phone_menu_opens_and_navigates_without_javascript(browser, demo, lang):
    words = WORDS[lang]
    with signed_in(browser, demo, PHONE, lang, javascript=False) as page:
        expect(page.get_by_role("heading", name=words["dashboard"], level=1)).to_be_visible()
        menu = page.locator("details.nav-menu")
        link = menu.get_by_role("link", name=words["log"])
        expect(link).to_be_hidden()
        menu.locator("summary").click()
        expect(link).to_be_visible()
        expect(menu.get_by_role("link", name=words["dashboard"])).to_have_attribute("aria-current", "page")
        assert_fits_width(page)
        link.click()
        expect(page.get_by_role("heading", name=words["log"], level=1)).to_be_visible()
        # The desktop bar is not shown on a phone: one navigation at a time.
        expect(page.locator(".nav-bar")).to_be_hidden()


@pytest.mark.parametrize("lang", ["en", "pl"])
@pytest.mark.parametrize("width", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_dashboard_answers_whether_invoicing_works(browser, demo, lang, width):
    words = WORDS[lang]
    with signed_in(browser, demo, width, lang) as page:
        page.goto(page.base_url + "/")
        state = page.locator("#system-state")
        expect(state.locator(".badge")).to_have_text(words["active"])
        expect(state.locator(".alert-ok")).to_contain_text(words["works"])
        expect(page.locator(".stat")).to_have_count(3)
        expect(page.get_by_role("heading", name=words["attention"])).to_be_visible()
        nav = page.locator(".nav-bar" if width == DESKTOP else "details.nav-menu")
        expect(nav.locator("a", has_text=words["system"])).to_have_count(1)
        # One style of result box: the success and information boxes differ only in colour.
        boxes = page.evaluate("""() => [...document.querySelectorAll('.alert')].map(e => {
            const s = getComputedStyle(e);
            return [s.borderRadius, s.paddingLeft, s.borderLeftWidth, s.color];
        })""")
        assert boxes and len({tuple(b) for b in boxes}) == 1, boxes
        check_screen(page)
        assert not page.console_errors, page.console_errors


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_deactivate_asks_first_and_says_what_will_happen(browser, demo, lang):
    words = WORDS[lang]
    with signed_in(browser, demo, PHONE, lang) as page:
        page.goto(page.base_url + "/settings/accounting/superfaktura")
        # Destructive apart: Deactivate sits below the other actions, not beside them.
        verify = page.locator(".secondary-actions button").first.bounding_box()
        deactivate = page.get_by_role("link", name=words["deactivate"], exact=True)
        assert deactivate.bounding_box()["y"] >= verify["y"] + verify["height"]
        deactivate.click()
        expect(page.get_by_role("heading", name=words["deactivate_title"])).to_be_visible()
        expect(page.locator(".consequences li")).to_have_count(4)
        check_screen(page)
        page.get_by_role("link", name=words["keep"]).click()
        expect(page.locator(".page-head .badge")).to_have_text(words["active"])  # nothing happened
        page.get_by_role("link", name=words["deactivate"], exact=True).click()
        page.get_by_role("button", name=words["confirm_deactivate"]).click()
        expect(page).to_have_url(page.base_url + "/settings/accounting/superfaktura")
        expect(page.locator(".page-head .badge")).not_to_have_text(words["active"])
        if words["deactivated"]:
            expect(page.locator(".flash")).to_contain_text(words["deactivated"])
        check_screen(page)
        assert not page.console_errors, page.console_errors


def test_destructive_action_sits_apart_on_a_desktop(browser, demo):
    with signed_in(browser, demo, DESKTOP, "en") as page:
        page.goto(page.base_url + "/settings/accounting/superfaktura")
        verify = page.get_by_role("button", name="Verify again").bounding_box()
        deactivate = page.get_by_role("link", name="Deactivate", exact=True).bounding_box()
        assert deactivate["x"] > verify["x"] + verify["width"] + 200, (verify, deactivate)


def _issue_test_proforma(page) -> str:
    page.goto(page.base_url + "/settings/accounting/test-invoice")
    page.locator("#test-form button[type=submit]").click()
    heading = page.locator("#test-document-heading")
    expect(heading).to_be_visible(timeout=15000)
    number = re.search(r"(\S+)\s*$", heading.inner_text().strip()).group(1)
    # On to the document's own page (the HTMX answer replaced a region of the form page).
    page.goto(
        page.base_url + page.locator("#test-document a[href$='/remove']").get_attribute("href")[: -len("/remove")]
    )
    return number


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_removing_a_test_document_asks_first_then_shows_the_result_at_a_reloadable_address(browser, demo, lang):
    words = WORDS[lang]
    with signed_in(browser, demo, PHONE, lang) as page:
        number = _issue_test_proforma(page)
        page.get_by_role("link", name=words["remove"]).click()
        expect(page.locator("h1")).to_contain_text(number)
        check_screen(page)
        page.get_by_role("button", name=words["yes_remove"]).click()
        expect(page.locator(".outcome-ok")).to_contain_text(number, timeout=15000)
        assert re.search(r"/settings/accounting/test-invoice/\d+$", page.url), page.url
        page.reload()  # a plain GET: no "resend the form?" and no second removal
        expect(page.locator(".outcome-ok")).to_have_count(0)
        expect(page.get_by_role("link", name=words["remove"])).to_have_count(0)
        check_screen(page)


@pytest.mark.parametrize("start, switch_to", [("en", "Polski"), ("pl", "English")])
def test_language_switch_after_a_form_post_without_javascript_lands_on_the_page(browser, demo, start, switch_to):
    with signed_in(browser, demo, PHONE, start, javascript=False) as page:
        page.goto(page.base_url + "/settings/accounting/superfaktura")
        page.locator("#input-email").fill("")
        page.locator("#connection form[action$='/activate'] button[type=submit]").click()
        expect(page).to_have_url(page.base_url + "/settings/accounting/superfaktura/activate")
        expect(page.locator(".field-error").first).to_be_visible()
        switch_language(page, switch_to, javascript=False)
        expect(page).to_have_url(page.base_url + "/settings/accounting/superfaktura")
        expect(page.get_by_role("heading", name="SuperFaktura", level=1)).to_be_visible()
        expect(page.locator("body")).not_to_contain_text("Method Not Allowed")
        assert_fits_width(page)
        # Opening a POST-only address (a bookmark, a reload) goes to its page too.
        page.goto(page.base_url + "/settings/accounting/superfaktura/verify")
        expect(page).to_have_url(page.base_url + "/settings/accounting/superfaktura")


WORD_BREAKS = """(root) => {
  // Every word of every cell lies on one line: a word broken across lines has two boxes.
  const broken = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.parentElement.offsetParent) continue;
    for (const match of node.textContent.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (lines.size > 1) broken.push(match[0]);
    }
  }
  return broken;
}"""

CLIPPED = """(root) => [...root.querySelectorAll('th, td, caption')]
  .filter(e => e.offsetParent && e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.trim())"""


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_comparison_on_a_phone_clips_no_header_and_breaks_no_word(browser, demo, lang):
    with signed_in(browser, demo, PHONE, lang) as page:
        _issue_test_proforma(page)
        tables = page.locator("#test-document")
        expect(tables.locator("table.comparison").first).to_be_visible()
        assert tables.evaluate(CLIPPED) == []
        assert tables.evaluate(WORD_BREAKS) == []
        # Stacked: each value is a block with its check beside its name, not a squeezed column.
        first = tables.locator("table.comparison tbody tr").first
        label, check = first.locator("td.value-label").bounding_box(), first.locator("td.check").bounding_box()
        assert abs(label["y"] - check["y"]) < 4 and check["x"] > label["x"]
        check_screen(page)


# What made a page too tall, if it is: the tallest row's height and text.
TALLEST_ROW = """() => [...document.querySelectorAll('tbody tr')]
  .map(r => [Math.round(r.getBoundingClientRect().height), r.innerText.replace(/\\s+/g, ' ')])
  .sort((a, b) => b[0] - a[0])[0]"""


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_import_result_and_log_are_short_pages_on_a_phone(browser, demo, lang):
    with signed_in(browser, demo, PHONE, lang) as page:
        page.goto(page.base_url + "/settings/accounting/import")
        page.locator("form[action$='/import'] button").click()
        link = page.locator("a[href$='/documents']")
        expect(link).to_be_visible(timeout=20000)
        link.click()
        expect(page.locator("table.documents tbody tr")).to_have_count(20)
        page.wait_for_load_state("load")  # measured with the stylesheet applied (a click waits only for the commit)
        height = page.evaluate("document.documentElement.scrollHeight")
        tallest = page.evaluate(TALLEST_ROW)
        assert height < 3200, (height, tallest)
        check_screen(page)
        page.locator(".filter-tabs a").nth(2).click()  # not matched
        expect(page.locator(".filter-tabs a").nth(2)).to_have_attribute("aria-current", "page")
        expect(page.locator("table.documents .match")).to_have_count(0)
        page.locator(".pager a[rel=next]").click()
        expect(page.locator(".pager")).to_contain_text("2")
        check_screen(page)
        page.goto(page.base_url + "/settings/accounting/log/")
        rows = page.locator("table.log tbody tr")
        assert rows.count() > 0
        heights = [rows.nth(i).bounding_box()["height"] for i in range(rows.count())]
        # compact: at most three short lines a row (time and status; operation; its order and document)
        assert max(heights) < 135, heights
        check_screen(page)
