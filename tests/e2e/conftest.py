"""Browser tests: the real app on a live loopback server, driven by Debian's Chromium through
Playwright, at phone (390 px) and desktop (1280 px) widths. The app runs with demo data
(`flask seed` logic) against the sandboxes over real HTTP, on its own SQLite file."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from webapp import create_app
from webapp.config import SANDBOX_REGISTRATIONS, Config
from webapp.extensions import db

from ..conftest import clear_redis_limiter, run_prefix

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def live_app(sandbox_servers, tmp_path_factory):
    database = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'e2e.sqlite3'}"
    app = create_app(
        Config(
            SQLALCHEMY_DATABASE_URI=database,
            ACCOUNTING_SANDBOX=True,
            MAIL_SERVER="",
            MAIL_OUTBOX_PATH=str(tmp_path_factory.mktemp("outbox")),
            VENDOR_REGISTRATIONS=dict(SANDBOX_REGISTRATIONS),
            SESSION_COOKIE_SECURE=False,
            CONNECT_TIMEOUT=2.0,
            READ_TIMEOUT=5.0,
            RATE_LIMIT_PREFIX=run_prefix("e2e"),  # with REDIS_URL: never a developer's own keys
        )
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=app.extensions["migrate"].directory)
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app.live_url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = app.live_url  # OAuth redirect URIs are built from it alone
    yield app
    server.shutdown()
    clear_redis_limiter(app)


@pytest.fixture
def demo(live_app, sandbox_servers):
    """Fresh demo data (the same as `flask seed`) and freshly reset sandboxes for each test."""
    import requests

    for running in sandbox_servers.values():
        requests.post(f"{running.url}/_sandbox/reset", timeout=5)
    with live_app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        clear_redis_limiter(live_app)  # the demo's integration ids come back in every test
        from webapp.services import demo as demo_data

        demo_data.seed(sandbox_servers["superfaktura"].url)
        db.session.remove()
    return live_app


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(params=[390, 1280], ids=["phone", "desktop"])
def page(request, browser, demo):
    width = request.param
    context = browser.new_context(
        viewport={"width": width, "height": 844 if width == 390 else 900},
        locale="en-US",
        is_mobile=width == 390,
        has_touch=width == 390,
    )
    page = context.new_page()
    page.base_url = demo.live_url
    page.width = width
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.console_errors = errors
    yield page
    context.close()


def sign_in(page, email: str, password: str) -> None:
    page.goto(f"{page.base_url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def assert_fits_width(page) -> None:
    """No horizontal scrolling of the page itself (measured once the stylesheets have loaded)."""
    page.wait_for_load_state("load")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"page scrolls horizontally by {overflow}px at {page.width}px"


def assert_accessible(page) -> None:
    """axe-core finds no serious or critical violations."""
    # Served from our own origin, so the strict CSP allows it like any of our scripts.
    page.add_script_tag(url=f"{page.base_url}/static/vendor/axe.min.js")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, bad


def open_section(page, name: str) -> None:
    """Follow a link of the main navigation: the bar on wide screens, the menu on phones."""
    if page.width < 1024:
        menu = page.locator("details.nav-menu")
        menu.locator("summary").click()
        menu.get_by_role("link", name=name, exact=True).click()
    else:
        page.locator(".nav-bar").get_by_role("link", name=name, exact=True).click()
