"""The SuperFaktura settings form. Help texts say where in SuperFaktura each value is found."""

from __future__ import annotations

from ..fields import CONNECTION, DOCUMENTS, EMAIL, NUMBER, SECRET, SELECT, Choice, Field
from ..i18n import N_

MARKETS = ("SK", "CZ", "AT")


def _series_field(kind: str, label: str, help_text: str) -> Field:
    """A choice of one of the account's number series for a document kind (fetched after verify)."""
    return Field(
        f"{kind}_series", label, kind=SELECT, choices_from=f"number_series:{kind}", section=DOCUMENTS, help=help_text
    )


SCHEMA: tuple[Field, ...] = (
    Field(
        "email",
        N_("Login e-mail"),
        kind=EMAIL,
        required=True,
        autocomplete="username",
        placeholder="name@example.com",
        help=N_(
            "The e-mail address you log in to SuperFaktura with, exactly as you type it on the login page. "
            "If you change your login e-mail in SuperFaktura, change it here too."
        ),
    ),
    Field(
        "api_key",
        N_("API key"),
        kind=SECRET,
        required=True,
        max_length=128,
        help=N_(
            "In SuperFaktura open Tools > API access (Nástroje > API prístup) and copy the API key shown "
            "there. A new key replaces the old one, so paste it here again after regenerating it."
        ),
    ),
    Field(
        "company_id",
        N_("Company ID"),
        kind=NUMBER,
        required=True,
        inputmode="numeric",
        max_length=12,
        help=N_(
            "Shown on the same Tools > API access page, under the API key, for the company that is "
            "selected in SuperFaktura. Switch to the right company first if your login has several."
        ),
    ),
    Field(
        "market",
        N_("SuperFaktura version"),
        kind=SELECT,
        required=True,
        default="SK",
        choices=(
            Choice("SK", N_("Slovakia (moja.superfaktura.sk)")),
            Choice("CZ", N_("Czech Republic (moje.superfaktura.cz)")),
            Choice("AT", N_("Austria (meine.superfaktura.at)")),
        ),
        help=N_("The address you log in to SuperFaktura at."),
        section=CONNECTION,
    ),
    _series_field(
        "invoice",
        N_("Number series for invoices"),
        N_(
            "One of the number series for invoices set up in SuperFaktura's settings. "
            "Leave it empty to use the series marked as default there."
        ),
    ),
    _series_field(
        "proforma",
        N_("Number series for proforma invoices"),
        N_(
            "One of the number series for proforma invoices set up in SuperFaktura's settings. "
            "Leave it empty to use the series marked as default there."
        ),
    ),
    _series_field(
        "credit_note",
        N_("Number series for credit notes"),
        N_(
            "One of the number series for credit notes set up in SuperFaktura's settings. "
            "Leave it empty to use the series marked as default there."
        ),
    ),
    Field(
        "bank_account_id",
        N_("Bank account on documents"),
        kind=SELECT,
        choices_from="bank_accounts",
        section=DOCUMENTS,
        help=N_(
            "One of the bank accounts of your company in SuperFaktura's settings, printed on documents "
            "with the payment details. Leave it empty to print the accounts SuperFaktura shows by default."
        ),
    ),
    Field(
        "rounding",
        N_("VAT rounding"),
        kind=SELECT,
        default="item_ext",
        section=DOCUMENTS,
        choices=(
            Choice("item_ext", N_("Per item, retail (recommended for e-shops)")),
            Choice("item", N_("Per item")),
            Choice("document", N_("Whole document")),
        ),
        help=N_("How SuperFaktura rounds VAT. Retail rounding keeps each item's price with VAT as your shop shows it."),
    ),
)
