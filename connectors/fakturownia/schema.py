"""The Fakturownia settings form. Help texts say where in Fakturownia each value is found."""

from __future__ import annotations

import re

from ..fields import DOCUMENTS, SECRET, SELECT, TEXT, Field
from ..i18n import N_

MARKETS = ("PL",)

# The account prefix, or the whole address pasted from the browser (normalised by `subdomain_of`).
SUBDOMAIN_PATTERN = r"(?i)(https?://)?[a-z0-9][a-z0-9-]{0,62}(\.fakturownia\.pl)?/?"
_PREFIX = re.compile(r"^(?:https?://)?([a-z0-9][a-z0-9-]*)(?:\.fakturownia\.pl)?/?$", re.IGNORECASE)


def subdomain_of(value: object) -> str:
    """'mojafirma', 'mojafirma.fakturownia.pl' or 'https://mojafirma.fakturownia.pl/' -> 'mojafirma'."""
    text = str(value or "").strip()
    match = _PREFIX.match(text)
    return match.group(1).lower() if match else text.lower()


SCHEMA: tuple[Field, ...] = (
    Field(
        "subdomain",
        N_("Account address (subdomain)"),
        kind=TEXT,
        required=True,
        max_length=100,
        pattern=SUBDOMAIN_PATTERN,
        placeholder="mojafirma",
        autocomplete="off",
        pattern_message=N_(
            "Enter the first part of your Fakturownia address, e.g. mojafirma for mojafirma.fakturownia.pl."
        ),
        help=N_(
            "The first part of the address you use Fakturownia at: for https://mojafirma.fakturownia.pl "
            "enter mojafirma. You can also paste the whole address."
        ),
    ),
    Field(
        "api_token",
        N_("API token"),
        kind=SECRET,
        required=True,
        max_length=128,
        help=N_(
            "In Fakturownia open Ustawienia > Ustawienia konta > Integracja and copy the Kod autoryzacyjny "
            "API (API token). If there is none yet, generate it there first."
        ),
    ),
    Field(
        "department_id",
        N_("Company or department (numbering)"),
        kind=SELECT,
        choices_from="number_series:invoice",
        section=DOCUMENTS,
        help=N_(
            "The company or department from Fakturownia's Ustawienia > Dane firmy that issues the "
            "documents; a department with its own numbering numbers them separately. Leave it empty to "
            "use the default company."
        ),
    ),
)
