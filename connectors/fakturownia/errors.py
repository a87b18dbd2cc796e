"""Fakturownia replies -> our error taxonomy.

Documented failures (polish-systems-and-peers.md A1, KSeF.md):
- 401 "Musisz być zalogowany, aby mieć dostęp do strony <url>": bad token. The body echoes the URL
  we asked for, token included, so every detail passes through the transport's redaction.
- 403 "Nie masz uprawnień do tego konta!": the token's user has no rights to this account.
- 422 "Brak konta: źle wpisane Twoje konto": the subdomain names no account.
- 422 `{"code": "error", "message": {"field": ["- msg", ...]}}`: validation, field by field.
- HTTP 200 with `{"status": "error", "message": ...}` (send_by_email while the invoice has no KSeF
  number yet) or `{"code": "error", ...}` (account endpoints): a failure whatever the status says.

UNCONFIRMED, and the safe readings taken here:
- The refusal of a second invoice under `oid_unique` has no documented shape. Any refusal that names
  the `oid` field, or mentions "oid" in its message, is taken as "already issued" and resolved by
  `GET /invoices.json?oid=` (see FakturowniaConnector.create_document).
- Rate limits are not documented: HTTP 429 is rate_limited, with `Retry-After` (seconds or an HTTP
  date) when sent, otherwise a minute.
- Refusals to delete or change an invoice that has a KSeF number have no documented shape; the
  connector checks the invoice's KSeF state after any refusal to delete.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from .. import errors
from ..errors import ConnectorError
from ..i18n import N_

_NO_ACCOUNT = re.compile(r"brak konta|no account", re.IGNORECASE)
_NOT_LOGGED_IN = re.compile(r"musisz być zalogowany|must be logged in", re.IGNORECASE)
_NO_RIGHTS = re.compile(r"nie masz uprawnień|no permission|not authori[sz]ed", re.IGNORECASE)
_NO_KSEF_NUMBER = re.compile(r"brak numeru ksef|no ksef number", re.IGNORECASE)
_NOT_FOUND = re.compile(r"nie znaleziono|not found|nie istnieje", re.IGNORECASE)
_OID = re.compile(r"\boid\b", re.IGNORECASE)
_EMAIL = re.compile(r"e-?mail", re.IGNORECASE)

# Vendor field -> our key, where we have one (schema keys and draft fields); others keep the
# vendor's name so the merchant still sees which value was refused.
FIELD_KEYS = {
    "department_id": "department_id",
    "invoice_id": "related_remote_id",
    "from_invoice_id": "related_remote_id",
    "api_token": "api_token",
    "email_to": "to",
}

SUBDOMAIN_MESSAGE = N_(
    "Check the account address: it is the first part of your Fakturownia address, before .fakturownia.pl."
)
DEFAULT_RETRY = timedelta(minutes=1)


def hint(code: str) -> str:
    return f"fakturownia.{code}"


def _clean(text: str) -> str:
    return str(text).strip().lstrip("-").strip()


def message_of(body: Any) -> str:
    """The reply's message as one line of text (a field map is joined)."""
    if not isinstance(body, Mapping):
        return ""
    for key in ("message", "error", "errors"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, Mapping) and value:
            return "; ".join(f"{field}: {', '.join(_clean(m) for m in _texts(msgs))}" for field, msgs in value.items())
        if isinstance(value, list) and value:
            return "; ".join(_clean(m) for m in value)
    return ""


def _texts(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v not in (None, "")]
    return [str(value)] if value not in (None, "") else []


def field_messages(body: Any) -> dict[str, list[str]]:
    """{"message": {"buyer_tax_no": ["- nie może być puste"], "positions.name": [...]}} -> our fields."""
    if not isinstance(body, Mapping):
        return {}
    value = body.get("message") if isinstance(body.get("message"), Mapping) else body.get("errors")
    fields: dict[str, list[str]] = {}
    if isinstance(value, Mapping):
        for name, messages in value.items():
            key = FIELD_KEYS.get(str(name), str(name))
            texts = [_clean(m) for m in _texts(messages)]
            if texts:
                fields.setdefault(key, []).extend(texts)
    return fields


def retry_at(headers: Mapping[str, str], now: datetime | None = None) -> datetime:
    now = now or datetime.now(timezone.utc)
    value = (headers.get("Retry-After") or "").strip()
    if value.isdigit():
        return now + timedelta(seconds=int(value))
    if value:
        try:
            when = parsedate_to_datetime(value)
            return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
        except (TypeError, ValueError):
            pass
    return now + DEFAULT_RETRY


def is_error_body(body: Any) -> bool:
    """HTTP 200 replies that still report a failure."""
    return isinstance(body, Mapping) and (
        "error" in (str(body.get("status") or "").lower(), str(body.get("code") or "").lower())
    )


def is_oid_refusal(error: ConnectorError) -> bool:
    if error.code != errors.VALIDATION:
        return False
    return "oid" in error.fields or bool(_OID.search(error.detail or ""))


def error_for(
    status: int, headers: Mapping[str, str], body: Any, *, redact: Callable[[str], str] = str, creating: bool = False
) -> ConnectorError | None:
    """The ConnectorError a reply means, or None when it is a success.

    redact: removes secrets from the vendor's message (a 401 echoes the token).
    creating: the request creates a document: failures where it may exist anyway are ambiguous.
    """
    detail = redact(message_of(body))
    if status == 429:
        return ConnectorError(
            errors.RATE_LIMITED,
            detail=detail or "HTTP 429",
            retry_at=retry_at(headers),
            http_status=status,
            hint_key=hint(errors.RATE_LIMITED),
        )
    if _NO_ACCOUNT.search(detail):
        return ConnectorError(
            errors.ACCOUNT_NOT_FOUND,
            detail=detail,
            http_status=status,
            fields={"subdomain": [SUBDOMAIN_MESSAGE]},
            hint_key=hint(errors.ACCOUNT_NOT_FOUND),
        )
    if status == 401 or (status >= 400 and _NOT_LOGGED_IN.search(detail)):
        return ConnectorError(
            errors.INVALID_CREDENTIALS,
            detail=detail or "HTTP 401",
            http_status=status,
            hint_key=hint(errors.INVALID_CREDENTIALS),
        )
    if status == 403 or (status >= 400 and _NO_RIGHTS.search(detail)):
        return ConnectorError(
            errors.PERMISSION_DENIED,
            detail=detail or "HTTP 403",
            http_status=status,
            hint_key=hint(errors.PERMISSION_DENIED),
        )
    if status >= 500:
        return ConnectorError(
            errors.REMOTE_ERROR, detail=detail or f"HTTP {status}", http_status=status, ambiguous=creating
        )
    if status == 404:
        return ConnectorError(errors.NOT_FOUND, detail=detail or "HTTP 404", http_status=status)
    if status < 400 and not is_error_body(body):
        if body is None:
            return ConnectorError(
                errors.REMOTE_ERROR,
                detail=f"HTTP {status}: the reply is not JSON",
                http_status=status,
                ambiguous=creating,
            )
        return None
    # A refusal: 4xx, or HTTP 200 with an error body.
    if _NO_KSEF_NUMBER.search(detail):
        return ConnectorError(errors.NOT_READY, detail=detail, http_status=status, hint_key=hint(errors.NOT_READY))
    fields = field_messages(body)
    if fields:
        return ConnectorError(errors.VALIDATION, detail=detail, fields=fields, http_status=status)
    if _NOT_FOUND.search(detail):
        return ConnectorError(errors.NOT_FOUND, detail=detail, http_status=status)
    if status in (400, 422) or is_error_body(body):
        fields = {"to": [detail]} if _EMAIL.search(detail) and not creating else {}
        return ConnectorError(errors.VALIDATION, detail=detail or f"HTTP {status}", fields=fields, http_status=status)
    return ConnectorError(errors.REMOTE_ERROR, detail=detail or f"HTTP {status}", http_status=status)
