"""Fakturownia-specific hints: what the merchant should do, per error code."""

from __future__ import annotations

from ..i18n import N_

HINTS: dict[str, str] = {
    "fakturownia.invalid_credentials": N_(
        "Fakturownia did not accept the API token. Copy it again from Ustawienia > Ustawienia konta > "
        "Integracja > Kod autoryzacyjny API; a regenerated token replaces the old one."
    ),
    "fakturownia.permission_denied": N_(
        "The user whose API token you entered has no rights to this Fakturownia account. Use the token of a "
        "user of this account who may issue invoices, or check the account address."
    ),
    "fakturownia.account_not_found": N_(
        'Fakturownia has no account at this address ("Brak konta"). Enter the first part of the address you '
        "log in at, e.g. mojafirma for mojafirma.fakturownia.pl."
    ),
    "fakturownia.rate_limited": N_(
        "Fakturownia is receiving too many requests from this account. Documents wait and go out when it "
        "accepts requests again."
    ),
    "fakturownia.not_ready": N_(
        "Fakturownia sends a company invoice by e-mail only after KSeF has given it a number. We send it as "
        "soon as the KSeF number arrives."
    ),
    "fakturownia.conflict": N_(
        "This invoice already has a KSeF number (or is being sent to KSeF), so Fakturownia cannot change or "
        "delete it. Issue a correction instead; a correction to zero cancels it."
    ),
}

HINT_OVERRIDES: dict[str, str] = {key.split(".", 1)[1]: key for key in HINTS}
