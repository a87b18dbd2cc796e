"""The one safe-redirect check: only paths on this site pass, whatever a browser would forgive."""

import pytest

from webapp.redirects import is_safe_path, safe_next

SAFE = [
    "/",
    "/settings/accounting/",
    "/settings/accounting/log/?page=2&errors=1",
    "/login?next=%2F",
    "/settings/accounting/fakturoid#connection",
    "/ř/ž",
]
HOSTILE = [
    None,
    "",
    42,
    ["/"],
    "//evil.example",
    "///evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    " /evil",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "https://evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,x",
    "evil.example",
    "settings",
    "/\x00/evil.example",
    "/\x7f/evil.example",
    "/" + "a" * 3000,
]


@pytest.mark.parametrize("target", SAFE)
def test_paths_on_this_site_are_kept(target):
    assert is_safe_path(target)
    assert safe_next(target, "/home") == target


@pytest.mark.parametrize("target", HOSTILE, ids=repr)
def test_anything_that_could_leave_the_site_falls_back(target):
    assert not is_safe_path(target)
    assert safe_next(target, "/home") == "/home"
