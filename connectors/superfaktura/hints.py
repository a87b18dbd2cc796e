"""SuperFaktura-specific hints: what the merchant should do, per error code."""

from __future__ import annotations

from ..i18n import N_

HINTS: dict[str, str] = {
    "superfaktura.invalid_credentials": N_(
        "SuperFaktura did not accept the e-mail and API key. Use the e-mail you log in with and the API key "
        "from Tools > API access; if the key was regenerated, copy the new one."
    ),
    "superfaktura.plan_lacks_api": N_(
        "The SuperFaktura API is part of the Premium package (Prémiový balík). Order or renew it in "
        "SuperFaktura, then verify the connection again."
    ),
    "superfaktura.permission_denied": N_(
        "This SuperFaktura user may not issue documents. Give the API user the Administrator role in "
        "Settings > Users, or use the e-mail and API key of an administrator."
    ),
    "superfaktura.account_not_found": N_(
        "This login has no company with that company ID. Select the company in SuperFaktura and copy its "
        "ID from Tools > API access."
    ),
    "superfaktura.rate_limited": N_(
        "SuperFaktura allows 1,000 API requests a day and 30,000 a month. Documents wait and go out when "
        "the limit resets; you can buy more requests in SuperFaktura."
    ),
    # The only conflict SuperFaktura reports: a payment for a document that is paid in full.
    "superfaktura.conflict": N_(
        "SuperFaktura already shows this document as paid in full, so no further payment was recorded."
    ),
}

HINT_OVERRIDES: dict[str, str] = {key.split(".", 1)[1]: key for key in HINTS}
