"""The one check for where the app may send a browser after an action (`next` on /login,
/language, and any other place that redirects to an address it was given).

Only a path on this site is accepted. Browsers forgive a lot when they read a Location header:
they drop tabs and line breaks anywhere, read a backslash as a slash, and take `//host` as
another site, so `/\t/evil.example` or `/\\evil.example` would leave the site. Anything with a
control character, whitespace or a backslash, anything that names a scheme or a host, and
anything that is not a path from the root is refused, and the fallback is used instead.
"""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_LENGTH = 2048


def is_safe_path(target: object) -> bool:
    if not isinstance(target, str) or not target or len(target) > MAX_LENGTH:
        return False
    if any(ord(ch) <= 0x20 or ord(ch) == 0x7F or ch == "\\" for ch in target):
        return False
    if not target.startswith("/") or target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: object, fallback: str) -> str:
    """`target` when it is a path on this site, else `fallback`."""
    return target if is_safe_path(target) else fallback  # type: ignore[return-value]
