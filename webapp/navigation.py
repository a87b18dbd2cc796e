"""The app shell's map of pages: the main navigation, links to sections that may not exist yet
(orders, documents and rules arrive with their own blueprints and appear once registered), and
the page an address belongs to, so a GET on a POST-only address and the language switch always
land on a page that can be reloaded."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from flask import Flask, current_app, has_request_context, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

# Sections built by other blueprints, linked only when their address answers a GET.
ORDERS = "/orders"
DOCUMENTS = "/documents"
RULES = "/settings/rules"


def page_path(path: str) -> str | None:
    """`path` (or the address it canonically redirects to, "/x" -> "/x/") when a GET route
    serves it, else None. Read from the URL map at call time, so a blueprint registered later
    shows up without changes here."""
    adapter = current_app.url_map.bind("localhost")
    try:
        endpoint, _args = adapter.match(path, method="GET")
    except RequestRedirect as redirect:
        return urlsplit(redirect.new_url).path
    except (NotFound, MethodNotAllowed):
        return None
    return None if endpoint == "static" else path


def nearest_page(path: str) -> str:
    """The page `path` belongs to: itself when it has a GET route, else its closest parent
    address that has one ("/settings/accounting/fakturoid/verify" -> ".../fakturoid"), else "/"."""
    candidate = path
    while candidate and candidate != "/":
        found = page_path(candidate)
        if found is not None:
            return found
        candidate = candidate.rstrip("/").rsplit("/", 1)[0]
    return "/"


def section_link(path: str, **query: str) -> str | None:
    """The link to an optional section with its query ("/documents?state=failed"), or None while
    no blueprint serves that address."""
    found = page_path(path)
    if found is None:
        return None
    return found + ("?" + urlencode(query) if query else "")


def reloadable_address() -> str:
    """Where to return after a language change: this address for a GET, the page the address
    belongs to for a POST (reloading a POST would send the form again)."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    return nearest_page(request.path)


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    current: bool = False


def navigation() -> list[NavItem]:
    """The main navigation for the signed-in user: the merchant's sections, and the console for
    support agents. The current section is the one whose address is the longest prefix."""
    if not has_request_context() or not getattr(current_user, "is_authenticated", False):
        return []
    items: list[tuple[str, str | None]] = []
    if current_user.shop_id is not None:
        items += [
            (_l("Dashboard"), url_for("main.home")),
            (_l("Orders"), section_link(ORDERS)),
            (_l("Documents"), section_link(DOCUMENTS)),
            (_l("Accounting system"), url_for("integrations.catalogue")),
            (_l("Rules"), section_link(RULES)),
            (_l("Integration log"), url_for("logs.index")),
        ]
    if current_user.is_support:
        items.append((_l("Support console"), url_for("support.console")))
    present = [(str(label), href) for label, href in items if href]
    path = request.path
    matches = [
        href for _label, href in present if path == href or (href != "/" and path.startswith(href.rstrip("/") + "/"))
    ]
    current = max(matches, key=len) if matches else None
    return [NavItem(label, href, href == current) for label, href in present]


def init_app(app: Flask) -> None:
    @app.context_processor
    def shell_context():
        return {"nav_items": navigation(), "section_link": section_link, "reloadable_address": reloadable_address}
