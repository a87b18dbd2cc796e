"""One error taxonomy for every accounting system.

A connector turns each vendor reply it cannot accept into a `ConnectorError` with a stable
`code`. The web app maps codes to translated hints (what the merchant should fix); code never
builds merchant-facing sentences. `detail` carries the vendor's own message, already free of
secrets, for the integration log and the folded "details" part of an outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

INVALID_CREDENTIALS = "invalid_credentials"
SUBSCRIPTION_INACTIVE = "subscription_inactive"
PLAN_LACKS_API = "plan_lacks_api"
PERMISSION_DENIED = "permission_denied"
ACCOUNT_NOT_FOUND = "account_not_found"
UNREACHABLE = "unreachable"
TIMEOUT = "timeout"
RATE_LIMITED = "rate_limited"
VALIDATION = "validation"
CONFLICT = "conflict"
NOT_FOUND = "not_found"
NOT_READY = "not_ready"
CONSENT_DENIED = "consent_denied"
NOT_SUPPORTED = "not_supported"
REMOTE_ERROR = "remote_error"

ALL_CODES = (
    INVALID_CREDENTIALS,
    SUBSCRIPTION_INACTIVE,
    PLAN_LACKS_API,
    PERMISSION_DENIED,
    ACCOUNT_NOT_FOUND,
    UNREACHABLE,
    TIMEOUT,
    RATE_LIMITED,
    VALIDATION,
    CONFLICT,
    NOT_FOUND,
    NOT_READY,
    CONSENT_DENIED,
    NOT_SUPPORTED,
    REMOTE_ERROR,
)

# Codes after which the stored credentials must be fixed by the merchant: the integration
# turns to "needs attention" and automatic document creation pauses.
AUTH_CODES = frozenset(
    {INVALID_CREDENTIALS, SUBSCRIPTION_INACTIVE, PLAN_LACKS_API, PERMISSION_DENIED, ACCOUNT_NOT_FOUND}
)
# Codes worth retrying later with backoff; everything else needs a human.
RETRYABLE_CODES = frozenset({UNREACHABLE, TIMEOUT, RATE_LIMITED, REMOTE_ERROR, NOT_READY})


@dataclass
class ConnectorError(Exception):
    """A failure the merchant or the worker can act on.

    code: one of the constants above.
    detail: the vendor's message (secret-free), shown folded away and logged.
    fields: form-field key (our schema keys, or the vendor's field path) -> messages.
    retry_at: when a rate limit resets, if the vendor said so.
    ambiguous: the request may have been carried out although no answer arrived (timeout,
        dropped connection after sending a create): look it up with `find_by_reference`
        before any retry.
    hint_key: a more specific hint than the code's own, e.g. "superfaktura.plan_lacks_api".
    """

    code: str
    detail: str = ""
    fields: dict[str, list[str]] = field(default_factory=dict)
    retry_at: datetime | None = None
    ambiguous: bool = False
    http_status: int | None = None
    hint_key: str | None = None

    def __post_init__(self) -> None:
        if self.code not in ALL_CODES:
            raise ValueError(f"unknown connector error code {self.code!r}")
        super().__init__(self.code, self.detail)

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}" if self.detail else self.code

    @property
    def is_auth(self) -> bool:
        return self.code in AUTH_CODES

    @property
    def is_retryable(self) -> bool:
        return self.code in RETRYABLE_CODES
