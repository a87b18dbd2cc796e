"""inFakt-specific hints: what the merchant should do, per error code or situation."""

from __future__ import annotations

from ..i18n import N_

HINTS: dict[str, str] = {
    "infakt.invalid_credentials": N_(
        "inFakt did not accept the API key. Copy it again from Account settings > API in inFakt (Ustawienia "
        "konta > API); a deleted or regenerated key stops working."
    ),
    "infakt.permission_denied": N_(
        "The inFakt API key may not do this. Create a key with the rights to read and write invoices "
        "(api:invoices:read and api:invoices:write) in Account settings > API, or check that inFakt has not "
        "blocked this server's address."
    ),
    "infakt.plan_limit": N_(
        "The inFakt plan's limit is used up (for example the number of invoices a month). Upgrade the plan in "
        "inFakt, then try again."
    ),
    "infakt.email_limit": N_(
        "inFakt's daily e-mail limit for this account is used up (20 a day without a paid plan, 3,000 with "
        "one). The e-mail goes out tomorrow."
    ),
    "infakt.rate_limited": N_(
        "inFakt allows 300 reads and 150 writes a minute. Documents wait and go out when the limit resets."
    ),
    "infakt.ksef_not_integrated": N_(
        "This inFakt account is not connected to KSeF, so inFakt cannot send invoices there. Connect it in inFakt "
        "(Ustawienia > KSeF) with a token from the Ministry of Finance's KSeF application, then send again."
    ),
    "infakt.ksef_already_sent": N_("inFakt has already sent this invoice to KSeF; it was not sent twice."),
    "infakt.locked": N_(
        "inFakt does not change or delete this document: it is locked, for example because it was sent to KSeF "
        "or booked. Issue a correction instead."
    ),
    "infakt.task_pending": N_(
        "inFakt accepted the document but has not finished creating it yet. We check again before trying "
        "anything else, so it will not be issued twice."
    ),
    "infakt.correction_needs_invoice": N_(
        "A correction in inFakt must point at the invoice it corrects. Choose the invoice first."
    ),
}

# Error code -> the inFakt hint shown by default for it.
HINT_OVERRIDES: dict[str, str] = {
    code: f"infakt.{code}" for code in ("invalid_credentials", "permission_denied", "rate_limited")
}
