"""iDoklad replies -> our error codes.

Token endpoint (identity server): OAuth errors `{error, error_description}` with HTTP 400; plan
refusals carry `AuthErrorCode(n)` at the start of the description (0 Free agenda, 1 needs a
downgrade, 2 expired; SDK `AuthenticationErrorCode`). API: the `ApiResult` envelope
`{Data, ErrorCode, IsSuccess, Message, StatusCode}` with the HTTP codes of the vendor's table
(400, 401, 402, 403, 404, 409, 429, 500, 503) and the business `ErrorCode`s of `DokladErrorCode`.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from .. import errors as E
from ..errors import ConnectorError
from ..i18n import N_

WRONG_CLIENT = N_("iDoklad did not accept this Client ID and Client Secret pair; copy both again from iDoklad.")

# DokladErrorCode values the connector acts on.
BAD_FORMAT, USER_RIGHTS, SYSTEM, BILLING = 400, 420, 500, 600
ALREADY_PAID, ALREADY_ACCOUNTED, NOT_PAID = 110, 112, 113
SEND_MAIL_FAILED, MAIL_THRESHOLD, SEQUENCE_UNIQUENESS, API_FORBIDDEN = 116, 122, 123, 126
VAT_CODES = frozenset({127, 150, 151})
CONFLICT_CODES = frozenset({ALREADY_PAID, ALREADY_ACCOUNTED, NOT_PAID, SEQUENCE_UNIQUENESS})
# UNCONFIRMED: no rate-limit header is documented. Without one, retry after the per-minute window.
DEFAULT_RETRY_SECONDS = 60

_AUTH_CODE = re.compile(r"AuthErrorCode\((\d+)\)")
_FIELD_LINE = re.compile(r"^\s*([A-Za-z][\w.\[\]]*)\s*:\s*(.+)$")


def parse_json(response: requests.Response) -> Any:
    """The body as JSON with money as Decimal, or None when it is not JSON."""
    try:
        return json.loads(response.content or b"null", parse_float=Decimal)
    except ValueError:
        return None


def retry_at(response: requests.Response) -> datetime:
    now = datetime.now(timezone.utc)
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return now + timedelta(seconds=int(value))
    if value:
        try:
            return parsedate_to_datetime(value)
        except (TypeError, ValueError):
            pass
    reset = response.headers.get("X-RateLimit-Reset", "").strip()
    if reset.isdigit():
        number = int(reset)
        return datetime.fromtimestamp(number, timezone.utc) if number > 10**9 else now + timedelta(seconds=number)
    return now + timedelta(seconds=DEFAULT_RETRY_SECONDS)


def token_error(response: requests.Response) -> ConnectorError:
    """A failed answer of the identity server's token endpoint."""
    status = response.status_code
    body = parse_json(response)
    body = body if isinstance(body, dict) else {}
    error = str(body.get("error") or "")
    description = str(body.get("error_description") or "")
    detail = f"{error}: {description}".strip(": ") or f"HTTP {status} from the iDoklad identity server"
    if status == 429:
        return ConnectorError(E.RATE_LIMITED, detail=detail, retry_at=retry_at(response), http_status=status)
    if status >= 500:
        return ConnectorError(E.REMOTE_ERROR, detail=detail, http_status=status)
    code = _AUTH_CODE.search(description)
    if code:
        number = int(code.group(1))
        kind = E.PLAN_LACKS_API if number == 0 else E.SUBSCRIPTION_INACTIVE
        return ConnectorError(kind, detail=detail, http_status=status, hint_key=f"idoklad.{kind}")
    if "application" in description.lower():
        # Fynode's own developer-portal registration was refused: not the merchant's to fix.
        return ConnectorError(
            E.REMOTE_ERROR, detail="iDoklad refused Fynode's application id: " + detail, http_status=status
        )
    if error in ("invalid_scope", "unsupported_grant_type", "invalid_request"):
        return ConnectorError(E.REMOTE_ERROR, detail=detail, http_status=status)
    # The vendor's answer ("invalid_client") stays in `detail`; the fields get a sentence.
    return ConnectorError(
        E.INVALID_CREDENTIALS,
        detail=detail,
        http_status=status,
        fields={"client_id": [WRONG_CLIENT], "client_secret": [WRONG_CLIENT]},
        hint_key="idoklad.invalid_credentials",
    )


def validation_fields(message: str) -> dict[str, list[str]]:
    """Field messages from an envelope `Message`.

    UNCONFIRMED: the API documents only `Message` + `ErrorCode` for 400. Lines shaped
    `Property: text` are read as one message per property; anything else is kept whole under "_".
    """
    fields: dict[str, list[str]] = {}
    for line in (message or "").splitlines():
        match = _FIELD_LINE.match(line)
        if match:
            fields.setdefault(match.group(1), []).append(match.group(2).strip())
    if not fields and message:
        fields["_"] = [message]
    return fields


def api_error(response: requests.Response) -> ConnectorError:
    """A failed API answer (envelope with IsSuccess=false, or a bare error body)."""
    status = response.status_code
    body = parse_json(response)
    body = body if isinstance(body, dict) else {}
    code = body.get("ErrorCode") if isinstance(body.get("ErrorCode"), int) else 0
    message = str(body.get("Message") or "") or f"HTTP {status} from iDoklad"
    detail = f"{message} (ErrorCode {code})" if code else message

    def err(kind: str, **extra: Any) -> ConnectorError:
        return ConnectorError(kind, detail=detail, http_status=status, **extra)

    if status == 429 or code == MAIL_THRESHOLD:
        return err(E.RATE_LIMITED, retry_at=retry_at(response), hint_key="idoklad.rate_limited")
    if status == 401:
        return err(E.INVALID_CREDENTIALS, hint_key="idoklad.invalid_credentials")
    if status == 402 or code == BILLING:
        return err(E.SUBSCRIPTION_INACTIVE, hint_key="idoklad.subscription_inactive")
    if code == API_FORBIDDEN:
        return err(E.PLAN_LACKS_API, hint_key="idoklad.plan_lacks_api")
    if status == 403 or code == USER_RIGHTS:
        return err(E.PERMISSION_DENIED, hint_key="idoklad.permission_denied")
    if status == 404:
        return err(E.NOT_FOUND)
    if status == 409 or code in CONFLICT_CODES:
        return err(E.CONFLICT)
    if status == 400 and code == SEND_MAIL_FAILED:
        return err(E.REMOTE_ERROR)
    if status == 400:
        return err(E.VALIDATION, fields=validation_fields(message), hint_key="idoklad.validation")
    if status == 503:
        return ConnectorError(E.REMOTE_ERROR, detail="iDoklad is under maintenance: " + detail, http_status=status)
    return err(E.REMOTE_ERROR)
