"""The inFakt settings form. Help texts say where in inFakt each value is found.

One secret: the API key, sent as the `X-inFakt-ApiKey` header (infakt/API readme,
"Uwierzytelnianie"). The bank account printed on transfer invoices is a choice fetched from the
account's verified bank accounts after verification (`/bank_accounts.json`).
"""

from __future__ import annotations

from ..fields import CONNECTION, DOCUMENTS, SECRET, SELECT, Field
from ..i18n import N_

MARKETS = ("PL",)

SCHEMA: tuple[Field, ...] = (
    Field(
        "api_key",
        N_("API key"),
        kind=SECRET,
        required=True,
        max_length=128,
        section=CONNECTION,
        help=N_(
            "In inFakt open Account settings > API (Ustawienia konta > API, app.infakt.pl/app/ustawienia/"
            "inne_opcje/api), create a key with the rights to read and write invoices and copy it here. "
            "A deleted key stops working; paste the new one here."
        ),
    ),
    Field(
        "bank_account",
        N_("Bank account on invoices"),
        kind=SELECT,
        choices_from="bank_accounts",
        section=DOCUMENTS,
        help=N_(
            "One of the bank accounts added and verified in inFakt (Ustawienia > Konta bankowe). Leave it empty "
            "to use the account's default. KSeF rejects invoices with an account that inFakt has not "
            "verified."
        ),
    ),
)
