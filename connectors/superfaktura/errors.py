"""SuperFaktura replies -> our error taxonomy.

SuperFaktura signals failure in the body as much as in the status: ``{"error": >0,
"error_message": <string or {field: [messages]}>, "message": ...}`` often comes with HTTP 200
(validation), while 401/403/404/429 carry their own meaning. We decide on the body's `error`
and use the status as a hint, as the vendor docs advise.

UNCONFIRMED (see ../shared/api/superfaktura.md) and the safe readings taken here:
- Wrong e-mail or API key: any 401 whose message is not the Premium one is invalid_credentials.
- Premium missing: a 401 (or any reply) saying "platné prémiové členstvo" / "premium" is
  plan_lacks_api, whatever the status.
- Over the quota: HTTP 429, or an X-RateLimit-Message header on a failed reply, is rate_limited;
  retry_at comes from X-RateLimit-DailyReset (or MonthlyReset when the monthly quota is what ran
  out), format d.m.Y H:i:s in Europe/Bratislava.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from .. import errors
from ..errors import ConnectorError

BRATISLAVA = ZoneInfo("Europe/Bratislava")
_PREMIUM = re.compile(r"prémiov|premium|prémiové členství", re.IGNORECASE)
_NOT_FOUND = re.compile(r"not found|nenájden|nenalezen|nebola nájden|invalid invoice id", re.IGNORECASE)
_ALREADY_PAID = re.compile(r"plne uhraden|plně uhrazen|already paid|fully paid", re.IGNORECASE)
_LIMIT = re.compile(r"limit", re.IGNORECASE)
_NO_COMPANY = re.compile(r"no company|žiadnu firmu|žádnou firmu", re.IGNORECASE)
# Vendor error codes with a documented meaning for a field (invoice.md).
_FIELD_BY_MESSAGE = (
    (re.compile(r"currency|mena|měna", re.IGNORECASE), "invoice_currency"),
    (re.compile(r"recipient email|e-?mail", re.IGNORECASE), "to"),
)


def hint(code: str) -> str:
    return f"superfaktura.{code}"


def parse_reset(value: str | None) -> datetime | None:
    """'25.11.2026 00:00:00' (Europe/Bratislava) -> aware UTC datetime."""
    if not value:
        return None
    try:
        local = datetime.strptime(value.strip(), "%d.%m.%Y %H:%M:%S").replace(tzinfo=BRATISLAVA)
    except ValueError:
        return None
    return local.astimezone(timezone.utc)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 1 if value else 0


def message_of(body: Mapping[str, Any]) -> str:
    for key in ("error_message", "message"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def field_messages(value: Any) -> dict[str, list[str]]:
    """{"created": ["Neplatný dátum."], "data_bad_format": "Missing..."} -> {field: [messages]}."""
    fields: dict[str, list[str]] = {}
    if isinstance(value, Mapping):
        for key, messages in value.items():
            if isinstance(messages, Mapping):
                for sub, texts in field_messages(messages).items():
                    fields[f"{key}.{sub}"] = texts
            elif isinstance(messages, (list, tuple)):
                fields[str(key)] = [str(m) for m in messages]
            elif messages not in (None, ""):
                fields[str(key)] = [str(messages)]
    return fields


def rate_limited(headers: Mapping[str, str], detail: str, status: int | None) -> ConnectorError:
    daily = _int(headers.get("X-RateLimit-DailyRemaining", 1))
    monthly = _int(headers.get("X-RateLimit-MonthlyRemaining", 1))
    reset = headers.get("X-RateLimit-MonthlyReset") if monthly <= 0 < daily else headers.get("X-RateLimit-DailyReset")
    return ConnectorError(
        errors.RATE_LIMITED,
        detail=detail or headers.get("X-RateLimit-Message", ""),
        retry_at=parse_reset(reset),
        http_status=status,
        hint_key=hint(errors.RATE_LIMITED),
    )


def error_for(
    status: int, headers: Mapping[str, str], body: Any, *, writing: bool = False, creating: bool = False
) -> ConnectorError | None:
    """The ConnectorError a reply means, or None when it is a success.

    writing: the request changes data (create, send, pay, delete): an unexplained `error` > 0 is
        then a validation failure rather than a remote error.
    creating: the request creates a document: failures where the document may exist anyway
        (5xx, a success without an id) are marked ambiguous.
    """
    data = body if isinstance(body, Mapping) else {}
    detail = message_of(data)
    if status == 429 or (status >= 400 and headers.get("X-RateLimit-Message")):
        return rate_limited(headers, detail, status)
    if _PREMIUM.search(detail):
        return ConnectorError(
            errors.PLAN_LACKS_API, detail=detail, http_status=status, hint_key=hint(errors.PLAN_LACKS_API)
        )
    if status == 401:
        return ConnectorError(
            errors.INVALID_CREDENTIALS,
            detail=detail or "HTTP 401",
            http_status=status,
            hint_key=hint(errors.INVALID_CREDENTIALS),
        )
    if status == 403:
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
    if not isinstance(body, (Mapping, list)):
        return ConnectorError(
            errors.REMOTE_ERROR, detail=f"HTTP {status}: the reply is not JSON", http_status=status, ambiguous=creating
        )
    code = _int(data.get("error", 0))
    if status < 400 and code == 0:
        return None
    fields = field_messages(data.get("error_message")) or field_messages(data.get("error_messages"))
    if fields:
        return ConnectorError(
            errors.VALIDATION,
            detail=detail or "; ".join(m for ms in fields.values() for m in ms),
            fields=fields,
            http_status=status,
        )
    if _NO_COMPANY.search(detail):
        # getUserCompaniesData: {"error": 1, "error_message": "You have no company in your account"}
        return ConnectorError(
            errors.ACCOUNT_NOT_FOUND, detail=detail, http_status=status, hint_key=hint(errors.ACCOUNT_NOT_FOUND)
        )
    if _NOT_FOUND.search(detail):
        return ConnectorError(errors.NOT_FOUND, detail=detail, http_status=status)
    if _ALREADY_PAID.search(detail):
        return ConnectorError(errors.CONFLICT, detail=detail, http_status=status, hint_key=hint(errors.CONFLICT))
    if _LIMIT.search(detail) and status < 400:
        # The 100 e-mails an hour limit of /invoices/send (reply format UNCONFIRMED).
        return ConnectorError(
            errors.RATE_LIMITED,
            detail=detail,
            http_status=status,
            retry_at=datetime.now(timezone.utc) + timedelta(hours=1),
            hint_key=hint(errors.RATE_LIMITED),
        )
    if writing or status == 400:
        fields = {name: [detail] for pattern, name in _FIELD_BY_MESSAGE if pattern.search(detail)}
        return ConnectorError(errors.VALIDATION, detail=detail or f"error {code}", fields=fields, http_status=status)
    return ConnectorError(errors.REMOTE_ERROR, detail=detail or f"error {code}", http_status=status)
