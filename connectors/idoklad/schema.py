"""The iDoklad settings form: the API access of the agenda (client credentials) and the number
series documents are issued in. Fynode's own application id is not asked for: it comes from
Fynode's registration (`IDOKLAD_APPLICATION_ID`)."""

from __future__ import annotations

from ..fields import CONNECTION, DOCUMENTS, SECRET, SELECT, TEXT, Field
from ..i18n import N_

# UNCONFIRMED: the menu path of the API access in the iDoklad web app (3rd-party sources name
# Settings → API / Applications); the help says "Settings (Nastavení) → API".
SCHEMA: tuple[Field, ...] = (
    Field(
        key="client_id",
        label=N_("Client ID"),
        kind=TEXT,
        required=True,
        max_length=100,
        help=N_("In iDoklad open Settings (Nastavení) → API and copy the Client ID of the API access of this agenda."),
        section=CONNECTION,
    ),
    Field(
        key="client_secret",
        label=N_("Client secret"),
        kind=SECRET,
        required=True,
        max_length=200,
        help=N_(
            "Shown next to the Client ID in iDoklad under Settings (Nastavení) → API. Copy it whole; "
            "if you generate a new one there, paste the new one here too."
        ),
        section=CONNECTION,
    ),
    Field(
        key="invoice_series",
        label=N_("Number series for invoices"),
        kind=SELECT,
        choices_from="number_series:invoice",
        section=DOCUMENTS,
        help=N_(
            "The iDoklad number series (Settings → Number series) new invoices get their numbers from. "
            "Leave empty to use the agenda's default series."
        ),
    ),
    Field(
        key="proforma_series",
        label=N_("Number series for proforma invoices"),
        kind=SELECT,
        choices_from="number_series:proforma",
        section=DOCUMENTS,
        help=N_(
            "The iDoklad number series for proforma invoices (Settings → Number series). Leave empty "
            "to use the default one."
        ),
    ),
    Field(
        key="credit_note_series",
        label=N_("Number series for credit notes"),
        kind=SELECT,
        choices_from="number_series:credit_note",
        section=DOCUMENTS,
        help=N_(
            "The iDoklad number series for credit notes (corrective tax documents). Leave empty to use the default one."
        ),
    ),
)
