"""Operations of the integration log in merchants' words.

Connectors name each request with `operation=` (code names such as "verify", "list_series").
One request may be named after the step it belongs to rather than what it did (Fakturoid's
verification reads the bank accounts under "verify"), so a connector may refine the name per
request: `connectors/<system>/log_labels.py` lists `REFINE = [(operation, method, path regex,
refined operation)]`. The refined name is then looked up in `LABELS` (translated); a name
without a label is shown as a readable fallback, never a 500.
"""

from __future__ import annotations

import importlib
import re
from functools import cache
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l

LABELS = {
    "verify": _l("Check the connection"),
    "read_user": _l("Read the signed-in user"),
    "read_account": _l("Read the account details"),
    "read_company": _l("Read the company details"),
    "list_bank_accounts": _l("Read the bank accounts"),
    "check_subscription": _l("Check the subscription"),
    # A request that asks to create an empty document, which the system refuses for what is
    # missing, unless the user may not issue at all (SuperFaktura: no other way to tell).
    "check_issue_right": _l("Check the right to issue (nothing is created)"),
    "token": _l("Get an access token"),
    "revoke": _l("Revoke access"),
    "code_lists": _l("Read the code lists"),
    "contacts": _l("Find the customer"),
    "list_subjects": _l("Find the customer"),
    "create_subject": _l("Create the customer"),
    "create_document": _l("Create a document"),
    "create_invoice": _l("Create an invoice"),
    "delete_document": _l("Delete a document"),
    "delete_invoice": _l("Delete an invoice"),
    "find_by_reference": _l("Look for an existing document"),
    "get_document": _l("Read a document"),
    "get_invoice": _l("Read an invoice"),
    "get_pdf": _l("Download the PDF"),
    "list_documents": _l("List documents"),
    "list_invoices": _l("List invoices"),
    "list_series": _l("Read the number series"),
    "list_number_series": _l("Read the number series"),
    "mark_paid": _l("Record a payment"),
    "send_email": _l("E-mail the document"),
    "send_to_ksef": _l("Send to KSeF"),
    "ksef_status": _l("Check the KSeF state"),
    "task_status": _l("Check a background task"),
}


@cache
def _refinements(system: str) -> tuple[tuple[str, str, re.Pattern, str], ...]:
    if not re.fullmatch(r"[a-z0-9_]+", system or ""):
        return ()
    try:
        module = importlib.import_module(f"connectors.{system}.log_labels")
    except ImportError:
        return ()
    return tuple(
        (op, method.upper(), re.compile(pattern), refined)
        for op, method, pattern, refined in getattr(module, "REFINE", ())
    )


def operation_key(system: str, operation: str, method: str = "", url: str = "") -> str:
    """What the request did: the connector's refinement for this request, else its operation."""
    path = urlsplit(url or "").path
    for op, refine_method, pattern, refined in _refinements(system):
        if op == operation and (not refine_method or refine_method == (method or "").upper()) and pattern.search(path):
            return refined
    return operation


def label(system: str, operation: str, method: str = "", url: str = "") -> str:
    key = operation_key(system, operation, method, url)
    text = LABELS.get(key)
    return str(text) if text is not None else key.replace("_", " ").capitalize()


def choices() -> list[tuple[str, str]]:
    """(key, label) for the filter, one entry per distinct label."""
    seen: dict[str, str] = {}
    for key, text in LABELS.items():
        seen.setdefault(str(text), key)
    return sorted(((key, text) for text, key in seen.items()), key=lambda kv: kv[1])


def keys_with_label_of(key: str) -> set[str]:
    """Every operation key shown under the same label as `key` (contacts and list_subjects)."""
    wanted = LABELS.get(key)
    return {k for k, v in LABELS.items() if str(v) == str(wanted)} if wanted is not None else {key}
