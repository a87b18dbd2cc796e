"""Personal data out of the integration log and the diagnostics bundle.

Secrets are redacted by the transport (connectors/http.py). Customers' names, e-mails, phones
and addresses are redacted here, on structure, like Home Assistant's diagnostics `TO_REDACT`:
each connector declares the field names of its bodies in `connectors/<system>/log_labels.py`
(`TO_REDACT`), and `GENERIC` covers names every system uses. A body that is JSON is parsed and
redacted field by field; a body that is not (cut at the log's size limit, or JSON inside a form
field) gets the same field names replaced in its text, so a truncated body leaks nothing either.

Whatever the lists miss, one rule holds for every system: a value that looks like an e-mail
address is masked wherever it appears (bodies, the URL's query), under any field name.
"""

from __future__ import annotations

import importlib
import json
import re
from functools import cache
from typing import Any
from urllib.parse import unquote_plus

REDACTED = "•••"
GENERIC = frozenset(
    {
        "email",
        "e_mail",
        "phone",
        "mobile",
        "telephone",
        "street",
        "address",
        "city",
        "zip",
        "postal_code",
        "postcode",
        "customer_name",
        "client_name",
        "first_name",
        "last_name",
        "full_name",
        "iban",
        "bank_account",
        "account_number",
        "recipient",
        "recipients",
        "email_to",
    }
)
# An e-mail address anywhere in a text: as is, JSON-escaped ("\u0040") or URL-encoded ("%40",
# with "+" as "%2B"). The local part takes no "%" escapes otherwise: an encoded form body is one long
# word, and the address would swallow the text before it.
_DOMAIN = r"[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}"
EMAIL = re.compile(
    r"[\w.+'-]+(?:@|\\u0040)" + _DOMAIN + r"|[\w.'-]+(?:%2[Bb][\w.'-]+)*%40" + _DOMAIN,
    re.UNICODE,
)
_FORM = re.compile(r"[^\s=&]+=[^\s&]*(?:&[^\s=&]+=?[^\s&]*)*")


def mask_emails(text: str) -> str:
    """Every e-mail address in `text` replaced."""
    return EMAIL.sub(REDACTED, text) if text else text


@cache
def fields_for(system: str | None) -> frozenset[str]:
    names = set(GENERIC)
    if system and re.fullmatch(r"[a-z0-9_]+", system):
        try:
            module = importlib.import_module(f"connectors.{system}.log_labels")
            names |= set(getattr(module, "TO_REDACT", ()))
        except ImportError:
            pass
    return frozenset(n.lower() for n in names)


def redact_data(value: Any, fields: frozenset[str], parent: str = "") -> Any:
    """A copy of parsed data with every non-empty scalar under a personal field replaced. A field
    may be qualified by its parent ("client.name": a customer's name, not a product's; ".name": at the
    top level of a body)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            name = str(key).lower()
            if (
                (name in fields or f"{parent}.{name}" in fields)
                and item not in (None, "", [], {})
                and not isinstance(item, bool)
            ):
                out[key] = (
                    REDACTED if not isinstance(item, (dict, list)) else redact_data(item, fields | _all_keys(item))
                )
            else:
                out[key] = redact_data(item, fields, name)
        return out
    if isinstance(value, list):
        return [redact_data(v, fields, parent) for v in value]
    if isinstance(value, str):
        return mask_emails(value)
    return value


def _all_keys(value: Any) -> frozenset[str]:
    """A personal block (an address object): every scalar inside it is personal."""
    keys: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            keys.add(str(k).lower())
            keys |= _all_keys(v)
    elif isinstance(value, list):
        for v in value:
            keys |= _all_keys(v)
    return frozenset(keys)


def _text_pattern(fields: frozenset[str]) -> re.Pattern:
    names = "|".join(sorted((re.escape(f) for f in fields), key=len, reverse=True))
    # "name": "value" (JSON, also escaped inside a JSON string) and name=value (forms).
    return re.compile(
        r'(?i)(\\?"(?:' + names + r')\\?"\s*:\s*)'
        r'(\\"(?:(?!\\").)*(?:\\"|$)|"(?:[^"\\]|\\.)*(?:"|$)|[-+0-9][0-9 .+-]*)'
        r"|((?:^|[&?])(?:" + names + r")=)([^&]*)"
    )


@cache
def _pattern_for(fields: frozenset[str]) -> re.Pattern:
    # Text that cannot be parsed: a qualified field is matched by its own name (the safe reading).
    return _text_pattern(frozenset(f.rsplit(".", 1)[-1] for f in fields))


def redact_text(text: str, system: str | None) -> str:
    """A logged body with personal data replaced (parsed when it is JSON, a form read field by
    field, else by field names)."""
    if not text:
        return text
    fields = fields_for(system)
    stripped = text.strip()
    if stripped[:1] not in ("{", "[") and _FORM.fullmatch(stripped):
        # A form body (SuperFaktura's `data=<JSON>`): each value decoded and redacted, shown decoded.
        return "&".join(_form_pair(part, system, fields) for part in stripped.split("&"))
    if stripped[:1] in ("{", "["):
        try:
            parsed = json.loads(stripped)
        except ValueError:
            pass
        else:
            return json.dumps(redact_data(parsed, fields), ensure_ascii=False)

    def replace(match: re.Match) -> str:
        if match.group(1):
            quote = '\\"' if match.group(2).startswith('\\"') else '"' if match.group(2).startswith('"') else ""
            return f"{match.group(1)}{quote}{REDACTED}{quote}"
        return f"{match.group(3)}{REDACTED}"

    return mask_emails(_pattern_for(fields).sub(replace, text))


def _form_pair(part: str, system: str | None, fields: frozenset[str]) -> str:
    name, sep, value = part.partition("=")
    if not sep:
        return mask_emails(part)
    decoded = unquote_plus(value)
    if name.lower() in fields and decoded:
        return f"{name}={REDACTED}"
    return f"{name}={redact_text(decoded, system)}"


def redact_url(url: str, system: str | None) -> str:
    """A logged URL with personal query values replaced (`email_to=`), and any e-mail address."""
    if not url:
        return url
    base, sep, query = url.partition("?")
    if sep:
        fields = fields_for(system)
        parts = []
        for part in query.split("&"):
            name, eq, value = part.partition("=")
            personal = name.lower() in fields or EMAIL.search(unquote_plus(value))
            parts.append(f"{name}={REDACTED}" if eq and value and personal else part)
        url = base + sep + "&".join(parts)
    return mask_emails(url)
