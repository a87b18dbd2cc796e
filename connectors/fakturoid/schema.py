"""The Fakturoid settings form. Help texts say where in Fakturoid each value is found.

Two ways to connect: "oauth" (the merchant signs in to Fakturoid and allows access to Fynode's
registered app; the chosen account's slug is kept in config, the refresh token as a secret) and
"client_credentials" (the merchant pastes the account slug and a Client ID / Client Secret pair
from their own user settings). Slug, Client ID and Client Secret are required only for the
second way; the connector's verify() reports them missing with field errors.
"""

from __future__ import annotations

from ..fields import CONNECTION, DOCUMENTS, SECRET, SELECT, TEXT, Choice, Field
from ..i18n import N_

MARKETS = ("CZ",)
# Client ID and Secret travel in HTTP Basic auth, which carries no accented letters; Fakturoid
# issues them as plain ASCII, so anything else is a paste mistake to show at the field.
API_CREDENTIAL = r"[!-~]+"
API_CREDENTIAL_MESSAGE = N_(
    "Paste the value exactly as Fakturoid shows it: only unaccented letters, digits and punctuation, no spaces."
)
OAUTH, CLIENT_CREDENTIALS = "oauth", "client_credentials"

SCHEMA: tuple[Field, ...] = (
    Field(
        "auth_method",
        N_("How to connect"),
        kind=SELECT,
        default=OAUTH,
        section=CONNECTION,
        choices=(
            Choice(OAUTH, N_("Sign in to Fakturoid and allow access (recommended)")),
            Choice(CLIENT_CREDENTIALS, N_("Paste a Client ID and Client Secret")),
        ),
        help=N_(
            "Signing in is the way Fakturoid recommends for connected apps. Pasting credentials works "
            "too, but Fakturoid means them for scripts that reach only your own account."
        ),
    ),
    Field(
        "slug",
        N_("Account name (slug)"),
        kind=TEXT,
        max_length=100,
        section=CONNECTION,
        pattern=r"[a-z0-9][a-z0-9_-]*",
        placeholder="moje-firma",
        pattern_message=N_("Use the account name from the Fakturoid address: lowercase letters, digits, dashes."),
        help=N_(
            "The part of the address after app.fakturoid.cz/ when you are signed in to Fakturoid, e.g. "
            '"moje-firma" in app.fakturoid.cz/moje-firma/dashboard. Needed only when you paste a '
            "Client ID and Client Secret."
        ),
    ),
    Field(
        "client_id",
        N_("Client ID"),
        kind=TEXT,
        max_length=100,
        section=CONNECTION,
        pattern=API_CREDENTIAL,
        pattern_message=API_CREDENTIAL_MESSAGE,
        help=N_(
            "In Fakturoid open Settings > User account (Nastavení > Uživatelský účet) and copy the Client ID "
            "of the API credentials shown there (you can create a new pair). Needed only when you paste "
            "credentials."
        ),
    ),
    Field(
        "client_secret",
        N_("Client Secret"),
        kind=SECRET,
        max_length=200,
        section=CONNECTION,
        pattern=API_CREDENTIAL,
        pattern_message=API_CREDENTIAL_MESSAGE,
        help=N_(
            "Shown next to the Client ID in Settings > User account in Fakturoid. Needed only when you "
            "paste credentials."
        ),
    ),
    Field(
        "number_format_id",
        N_("Number format for invoices"),
        kind=SELECT,
        choices_from="number_series:invoice",
        section=DOCUMENTS,
        help=N_(
            "One of the number formats in Fakturoid's Settings > Invoice numbering (Nastavení > Číslování "
            "dokladů). Leave it empty to use the format marked as default there."
        ),
    ),
    Field(
        "credit_note_number_format_id",
        N_("Number format for credit notes"),
        kind=SELECT,
        choices_from="number_series:credit_note",
        section=DOCUMENTS,
        help=N_(
            "A number format for corrective tax documents, set up in Fakturoid's Settings > Invoice "
            "numbering. Leave it empty to number them with the default format."
        ),
    ),
    Field(
        "bank_account_id",
        N_("Bank account on documents"),
        kind=SELECT,
        choices_from="bank_accounts",
        section=DOCUMENTS,
        help=N_(
            "One of the bank accounts in Fakturoid's Settings > Bank accounts (Nastavení > Bankovní účty). "
            "Leave it empty to use the default one. Fakturoid issues no invoice without a bank account."
        ),
    ),
)
