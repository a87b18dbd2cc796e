"""Fakturoid replies -> ConnectorError (API intro page, "Status codes"; facts file section 3).

Bodies come in two formats: Format A ``{"errors": {field: [messages]}}`` (always for 422,
sometimes for 403) and Format B ``{"error": code, "error_description": text}`` for the rest.
UNCONFIRMED: 401 and 429 bodies (no published example; only the status is relied on), and the
v3 402 body (the 2015 example ``{"status": "Account blocked", ...}``; only the status is used).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import requests

from .. import errors as codes
from ..errors import ConnectorError

# Format B codes on 403 and what they mean for us.
FORBIDDEN_CODES: dict[str, tuple[str, str | None]] = {
    "upgrade_required": (codes.NOT_SUPPORTED, "fakturoid.email_needs_paid_plan"),
    "email_delivery_disabled": (codes.REMOTE_ERROR, "fakturoid.email_delivery_disabled"),
    "quota_exhausted": (codes.RATE_LIMITED, "fakturoid.email_quota_exhausted"),
    "document_locked": (codes.CONFLICT, "fakturoid.document_locked"),
}


def body_of(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def describe(body: Any, response: requests.Response) -> str:
    if isinstance(body, dict):
        if body.get("error_description") or body.get("error"):
            return str(body.get("error_description") or body.get("error"))
        if isinstance(body.get("errors"), dict):
            return "; ".join(
                f"{k}: {', '.join(map(str, v if isinstance(v, list) else [v]))}" for k, v in body["errors"].items()
            )
        if body.get("status"):
            return str(body["status"])
    return f"HTTP {response.status_code} {response.reason or ''}".strip()


def field_messages(body: Any) -> dict[str, list[str]]:
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, dict):
        return {}
    return {str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in errors.items()}


def retry_at(response: requests.Response) -> datetime | None:
    """`X-RateLimit: default;r=0;t=55`: t is the seconds until the window resets."""
    for part in response.headers.get("X-RateLimit", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.strip().isdigit():
            return datetime.now(timezone.utc) + timedelta(seconds=int(value))
    return None


def error_for(response: requests.Response, *, operation: str) -> ConnectorError:
    """The ConnectorError for a reply Fakturoid gave with an error status."""
    status = response.status_code
    body = body_of(response)
    detail = describe(body, response)
    fields = field_messages(body)
    code_b = body.get("error") if isinstance(body, dict) else None

    def err(code: str, hint_key: str | None = None, **extra) -> ConnectorError:
        return ConnectorError(code, detail=detail, http_status=status, hint_key=hint_key, **extra)

    if status == 400 and operation == "token" and code_b in ("invalid_grant", "invalid_client", "unauthorized_client"):
        # A revoked refresh token or a used/expired authorization code (connect again), or
        # credentials of the wrong kind.
        return err(codes.INVALID_CREDENTIALS, "fakturoid.oauth_reconnect" if code_b == "invalid_grant" else None)
    if status == 401:
        return err(codes.INVALID_CREDENTIALS)
    if status == 402:
        return err(codes.SUBSCRIPTION_INACTIVE, "fakturoid.subscription_inactive")
    if status == 403:
        if "bank_account" in fields:
            return err(codes.PERMISSION_DENIED, "fakturoid.no_bank_account", fields=fields)
        if code_b in FORBIDDEN_CODES:
            code, hint_key = FORBIDDEN_CODES[code_b]
            return err(code, hint_key, retry_at=_tomorrow() if code == codes.RATE_LIMITED else None)
        if operation == "mark_paid":
            return err(codes.CONFLICT, "fakturoid.already_paid")
        return err(codes.PERMISSION_DENIED, "fakturoid.permission_denied", fields=fields)
    if status == 404:
        if operation == "verify":
            return err(codes.ACCOUNT_NOT_FOUND, "fakturoid.account_not_found")
        return err(codes.NOT_FOUND)
    if status == 422:
        if operation == "delete_invoice":
            return err(codes.CONFLICT, "fakturoid.cannot_delete", fields=fields)
        if "exchange_rate" in fields:
            # Documented: a currency other than the account's needs an exchange rate.
            return err(codes.VALIDATION, "fakturoid.exchange_rate_needed", fields=fields)
        return err(codes.VALIDATION, fields=fields)
    if status == 429:
        return err(codes.RATE_LIMITED, retry_at=retry_at(response))
    # 400 (malformed request, e.g. a missing User-Agent), 415 (our Accept/Content-Type), 5xx, 503.
    # A server error while creating may have created the document: ambiguous, looked up before a retry.
    return err(codes.REMOTE_ERROR, ambiguous=status >= 500 and operation.startswith("create"))


def _tomorrow() -> datetime:
    now = datetime.now(timezone.utc)
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
