"""inFakt replies -> ConnectorError (infakt/API readme "Kody błędów", ksef.md "Obsługa błędów").

Error bodies are ``{"error": "..."}`` (422, 404, 401...); validation may also come as
``{"errors": {field: [messages]}}``, and a failed asynchronous task carries
``invoice_errors: {field: [messages]}`` in its status reply (3rd-party description of the
interactive docs; the sandbox answers the same). Field paths are inFakt's own
(`client_tax_code`, `services`...), so the messages show next to the field they are about.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from .. import errors as codes
from ..errors import ConnectorError

KSEF_NOT_INTEGRATED = "nie jest zintegrowany z ksef"  # "Użytkownik nie jest zintegrowany z KSeF."
KSEF_ALREADY_SENT = "już wysłana do ksef"  # "Faktura została już wysłana do KSeF."


def body_of(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def field_messages(errors: Any) -> dict[str, list[str]]:
    if not isinstance(errors, dict):
        return {}
    return {str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in errors.items()}


def describe(body: Any, response: requests.Response | None = None) -> str:
    if isinstance(body, dict):
        if body.get("error"):
            return str(body["error"])
        fields = field_messages(body.get("errors") or body.get("invoice_errors"))
        if fields:
            return "; ".join(f"{k}: {', '.join(v)}" for k, v in fields.items())
        if body.get("processing_description"):
            return str(body["processing_description"])
    if response is None:
        return ""
    return f"HTTP {response.status_code} {response.reason or ''}".strip()


def retry_at(response: requests.Response) -> datetime | None:
    """When the limit resets: `Retry-After` (seconds or an HTTP date). UNCONFIRMED which header
    inFakt sends; `X-RateLimit-Reset` (epoch seconds) is read as well."""
    now = datetime.now(timezone.utc)
    value = (response.headers.get("Retry-After") or "").strip()
    if value.isdigit():
        return now + timedelta(seconds=int(value))
    if value:
        try:
            when = parsedate_to_datetime(value)
            return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
        except (TypeError, ValueError):
            pass
    reset = (response.headers.get("X-RateLimit-Reset") or "").strip()
    if reset.isdigit():
        seconds = int(reset)
        # Either epoch seconds or seconds to wait: a small number is a wait.
        return now + timedelta(seconds=seconds) if seconds < 10**8 else datetime.fromtimestamp(seconds, timezone.utc)
    return None


def task_error(status: dict[str, Any]) -> ConnectorError:
    """A task that ended without creating anything (processing_code 422 and the like)."""
    fields = field_messages(status.get("invoice_errors") or status.get("errors"))
    detail = describe(status) if fields else str(status.get("processing_description") or "")
    if fields:
        detail = f"{status.get('processing_description') or ''}: {detail}".strip(": ")
    return ConnectorError(
        codes.VALIDATION,
        detail=detail or "inFakt could not carry out the task.",
        fields=fields,
        http_status=int(status.get("processing_code") or 422),
    )


def error_for(response: requests.Response, *, operation: str) -> ConnectorError:
    """The ConnectorError for a reply inFakt gave with an error status."""
    status = response.status_code
    body = body_of(response)
    detail = describe(body, response)
    fields = field_messages(body.get("errors")) if isinstance(body, dict) else {}
    lowered = detail.lower()

    def err(code: str, hint_key: str | None = None, **extra) -> ConnectorError:
        return ConnectorError(code, detail=detail, http_status=status, hint_key=hint_key, **extra)

    if status == 401:
        return err(codes.INVALID_CREDENTIALS, "infakt.invalid_credentials")
    if status == 402:
        # "Przekroczono limit planu": e-mails reset daily, the rest needs a bigger plan.
        if operation == "send_email":
            return err(codes.RATE_LIMITED, "infakt.email_limit", retry_at=_tomorrow())
        return err(codes.SUBSCRIPTION_INACTIVE, "infakt.plan_limit")
    if status == 403:
        return err(codes.PERMISSION_DENIED, "infakt.permission_denied")
    if status == 404:
        return err(codes.NOT_FOUND)
    if status == 423:
        return err(codes.CONFLICT, "infakt.locked")
    if status == 429:
        return err(codes.RATE_LIMITED, "infakt.rate_limited", retry_at=retry_at(response))
    if status == 422:
        if KSEF_NOT_INTEGRATED in lowered:
            return err(codes.VALIDATION, "infakt.ksef_not_integrated")
        if KSEF_ALREADY_SENT in lowered:
            return err(codes.CONFLICT, "infakt.ksef_already_sent")
        if operation == "send_email" and "limit" in lowered:
            return err(codes.RATE_LIMITED, "infakt.email_limit", retry_at=_tomorrow())
        return err(codes.VALIDATION, fields=fields)
    if status in (400, 406):
        # A parameter or data type inFakt did not accept: our request, not the merchant's data.
        return err(codes.VALIDATION, fields=fields)
    # 503 and other server errors: passing, retried with backoff. While creating, the document may
    # have been created anyway: ambiguous, so the worker looks it up before trying again.
    return err(codes.REMOTE_ERROR, ambiguous=status >= 500 and operation.startswith("create"))


def _tomorrow() -> datetime:
    now = datetime.now(timezone.utc)
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
