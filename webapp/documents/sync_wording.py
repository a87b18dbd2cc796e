"""Sync check mismatches and orders without documents, in the merchant's words."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from connectors import registry

from .. import formatting
from ..services.documents import missing, sync


def system_label(key: str) -> str:
    cls = registry.get(key) if key else None
    return cls.name if cls else (key or "")


MISMATCHES = {
    sync.MISSING_REMOTE: _l("%(kind)s deleted in %(system)s"),
    sync.NUMBER: _l("Number differs: %(ours)s here, %(theirs)s in %(system)s"),
    sync.ISSUE_DATE: _l("Issue date differs: %(ours)s here, %(theirs)s in %(system)s"),
    sync.TAXABLE_DATE: _l("Date of supply differs: %(ours)s here, %(theirs)s in %(system)s"),
    sync.LINES: _l("Lines differ: %(ours)s here, %(theirs)s in %(system)s"),
    sync.VAT_ROUNDING: _l("VAT %(rate)s %%: %(difference)s rounding difference"),
    sync.VAT_TOTAL: _l("VAT %(rate)s %%: %(ours)s here, %(theirs)s in %(system)s"),
    sync.TOTAL: _l("Total differs: %(ours)s here, %(theirs)s in %(system)s"),
    sync.CURRENCY: _l("Currency differs: %(ours)s here, %(theirs)s in %(system)s"),
    sync.PAID_REMOTE: _l("Paid in %(system)s, unpaid here: the order is now marked paid"),
    sync.PAID_HERE: _l("Paid here, unpaid in %(system)s"),
    sync.KSEF: _l("KSeF state differs: %(ours)s here, %(theirs)s in %(system)s %(errors)s"),
    sync.UNREACHABLE: _l("%(system)s did not return this document (%(code)s)"),
}
ACTIONS = {
    sync.RESYNC: _l("Update from %(system)s"),
    sync.REISSUE: _l("Issue again"),
    sync.OPEN: _l("Open in %(system)s"),
}
MISSING_REASONS = {
    missing.NOT_CREATED: _l("%(kind)s was never created"),
    missing.FAILED: _l("%(kind)s failed"),
    missing.STUCK: _l("%(kind)s has waited too long"),
}


# Mismatches whose params are amounts: worded as money in the user's locale, with the currency.
AMOUNTS = {sync.VAT_ROUNDING, sync.VAT_TOTAL, sync.TOTAL}


def _amount(value: str, currency: str) -> str:
    try:
        return formatting.money(Decimal(value), currency or None)
    except (InvalidOperation, ValueError):
        return value


def mismatch_text(row: dict, system: str) -> str:
    from .wording import document_kind

    code = str(row.get("code"))
    template = MISMATCHES.get(code)
    if template is None:
        return code
    params = {
        "ours": "",
        "theirs": "",
        "rate": "",
        "difference": "",
        "errors": "",
        "code": "",
        **{k: str(v) for k, v in (row.get("params") or {}).items()},
    }
    if code in AMOUNTS:
        currency = str(row.get("currency") or "")
        for key in ("ours", "theirs", "difference"):
            if params[key]:
                params[key] = _amount(params[key], currency)
        if params["rate"]:
            params["rate"] = formatting.number(params["rate"])
    params.update(system=system_label(system), kind=document_kind(row.get("kind", "")))
    return str(template) % params


def action_text(action: str, system: str) -> str:
    return str(ACTIONS.get(action, action)) % {"system": system_label(system)}


def missing_text(reason: str, kind: str) -> str:
    from .wording import document_kind

    return str(MISSING_REASONS.get(reason, reason)) % {"kind": document_kind(kind)}
