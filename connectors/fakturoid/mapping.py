"""Neutral documents <-> Fakturoid JSON (invoices and subjects pages).

- Customers become subjects first; a subject's `custom_id` (unique in Fakturoid) is derived from
  the customer's company id, e-mail or name, so the same customer is found again. The invoice
  also carries the order's `client_*` values, so a changed address shows on the new invoice.
- Invoices carry our idempotency key as `custom_id` (the duplicate guard looks it up), the order
  number as `order_number`, `document_type` (invoice, proforma, correction) and, for a credit
  note, `correction_id` = the corrected invoice.
- Totals are Fakturoid's: `vat_price_mode` tells it whether line prices include VAT; the returned
  `vat_rates_summary`, `subtotal` and `total` are read back as they are.
- Line discounts: Fakturoid lines have no discount field, so the discounted unit price is sent,
  rounded to 2 decimals.
- Credit notes (corrections): UNCONFIRMED sign convention; we send positive quantities with
  negative unit prices, as integrations seen so far do.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from typing import Any

from ..documents import (
    CREDIT_NOTE,
    INVOICE,
    PROFORMA,
    DocumentDraft,
    Party,
    RemoteDocument,
    RemoteLine,
    VatBreakdown,
    money,
    round2,
)

DOCUMENT_TYPES = {INVOICE: "invoice", PROFORMA: "proforma", CREDIT_NOTE: "correction"}
KINDS = {"proforma": PROFORMA, "partial_proforma": PROFORMA, "correction": CREDIT_NOTE}
LIST_FILTERS = {INVOICE: "regular", PROFORMA: "proforma", CREDIT_NOTE: "correction"}
PAYMENT_METHODS = {"bank_transfer": "bank", "card": "card", "cod": "cod", "cash": "cash", "paypal": "paypal"}
LANGUAGES = {
    "cs": "cz",
    "sk": "sk",
    "en": "en",
    "de": "de",
    "fr": "fr",
    "it": "it",
    "es": "es",
    "ru": "ru",
    "pl": "pl",
    "hu": "hu",
    "ro": "ro",
}
STATUSES = {
    "open": "open",
    "sent": "open",
    "overdue": "overdue",
    "paid": "paid",
    "cancelled": "cancelled",
    "uncollectible": "cancelled",
}


def subject_custom_id(customer: Party) -> str:
    key = customer.company_id or customer.email.lower() or customer.display_name.lower()
    return "fynode-" + hashlib.sha256(key.strip().encode("utf-8")).hexdigest()[:24]


def subject_payload(customer: Party) -> dict[str, Any]:
    address = customer.billing_address
    payload = {
        "custom_id": subject_custom_id(customer),
        "type": "customer",
        "name": customer.display_name,
        "full_name": customer.name if customer.company_name else None,
        "email": customer.email or None,
        "phone": customer.phone or None,
        "street": address.street or None,
        "city": address.city or None,
        "zip": address.zip or None,
        "country": address.country or None,
        "registration_no": customer.company_id or None,
        "vat_no": customer.vat_id or customer.tax_id or None,
    }
    return {k: v for k, v in payload.items() if v is not None}


def invoice_payload(
    draft: DocumentDraft, idempotency_key: str, subject_id: int, config: dict[str, Any]
) -> dict[str, Any]:
    customer = draft.customer
    address = customer.billing_address
    payload: dict[str, Any] = {
        "custom_id": idempotency_key,
        "document_type": DOCUMENT_TYPES[draft.kind],
        "subject_id": subject_id,
        "issued_on": draft.issue_date.isoformat(),
        "vat_price_mode": "from_total_with_vat" if draft.prices_include_vat else "without_vat",
        "currency": draft.currency,
        "client_name": customer.display_name,
        "client_street": address.street,
        "client_city": address.city,
        "client_zip": address.zip,
        "client_country": address.country or None,
        "client_registration_no": customer.company_id or None,
        "client_vat_no": customer.vat_id or customer.tax_id or None,
        "lines": [_line(line, negative=draft.kind == CREDIT_NOTE) for line in draft.lines],
    }
    if draft.options.get("exchange_rate"):
        # Required by Fakturoid when the currency differs from the account's; the caller that knows
        # the rate (e.g. the Czech National Bank's of the previous day) puts it in the draft.
        payload["exchange_rate"] = str(draft.options["exchange_rate"])
    if draft.order_number:
        payload["order_number"] = draft.order_number
    # A Czech variable symbol is up to 10 digits; anything else is left to Fakturoid, which
    # derives it from the document number (UNCONFIRMED how Fakturoid rejects other values).
    if draft.variable_symbol.isdigit() and len(draft.variable_symbol) <= 10:
        payload["variable_symbol"] = draft.variable_symbol
    if draft.taxable_date and draft.kind != PROFORMA:
        payload["taxable_fulfillment_due"] = draft.taxable_date.isoformat()
    if draft.due_date:
        payload["due"] = max(0, (draft.due_date - draft.issue_date).days)
    if draft.payment_method in PAYMENT_METHODS:
        payload["payment_method"] = PAYMENT_METHODS[draft.payment_method]
    if LANGUAGES.get(draft.language):
        payload["language"] = LANGUAGES[draft.language]
    if draft.note:
        payload["note"] = draft.note
    series = draft.series_id or config.get(
        {INVOICE: "number_format_id", CREDIT_NOTE: "credit_note_number_format_id"}.get(draft.kind, "")
    )
    if series and draft.kind != PROFORMA:
        payload["number_format_id"] = int(series) if str(series).isdigit() else series
    if config.get("bank_account_id"):
        payload["bank_account_id"] = (
            int(config["bank_account_id"]) if str(config["bank_account_id"]).isdigit() else config["bank_account_id"]
        )
    if draft.kind == CREDIT_NOTE:
        payload["correction_id"] = _id(draft.related_remote_id)
    elif draft.related_remote_id:
        payload["related_id"] = _id(draft.related_remote_id)  # the proforma this invoice settles
    return {k: v for k, v in payload.items() if v is not None}


def _line(line, negative: bool) -> dict[str, Any]:
    price = line.unit_price
    if line.discount_percent:
        price = round2(price * (Decimal("100") - line.discount_percent) / Decimal("100"))
    if negative:
        price = -abs(price)
    payload = {
        "name": line.name,
        "quantity": str(line.quantity),
        "unit_price": str(price),
        "vat_rate": str(line.vat_rate),
    }
    if line.unit:
        payload["unit_name"] = line.unit
    return payload


def _id(value: str) -> int | str:
    return int(value) if str(value).isdigit() else value


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def kind_of(invoice: dict[str, Any]) -> str:
    return KINDS.get(invoice.get("document_type") or "invoice", INVOICE)


def status_of(invoice: dict[str, Any]) -> str:
    status = STATUSES.get(invoice.get("status") or "", invoice.get("status") or "")
    total, remaining = money(invoice.get("total")), money(invoice.get("remaining_amount"))
    if status in ("open", "overdue") and invoice.get("payments") and 0 < remaining < total:
        return "partially_paid"
    return status


def remote_document(invoice: dict[str, Any]) -> RemoteDocument:
    return RemoteDocument(
        remote_id=str(invoice["id"]),
        kind=kind_of(invoice),
        number=invoice.get("number") or "",
        currency=invoice.get("currency") or "",
        total=money(invoice.get("total")),
        issue_date=_date(invoice.get("issued_on")),
        taxable_date=_date(invoice.get("taxable_fulfillment_due")),
        due_date=_date(invoice.get("due_on")),
        customer_name=invoice.get("client_name") or "",
        order_number=invoice.get("order_number") or "",
        variable_symbol=invoice.get("variable_symbol") or "",
        status=status_of(invoice),
        vat=[
            VatBreakdown(rate=money(v.get("vat_rate")), base=money(v.get("base")), vat=money(v.get("vat")))
            for v in invoice.get("vat_rates_summary") or []
        ],
        lines=[
            RemoteLine(
                name=line.get("name") or "",
                quantity=money(line.get("quantity")),
                unit_price=money(line.get("unit_price_without_vat", line.get("unit_price"))),
                vat_rate=money(line.get("vat_rate")),
                unit=line.get("unit_name") or "",
                total=money(line.get("total_price_without_vat")) + money(line.get("total_vat")),
            )
            for line in invoice.get("lines") or []
        ],
        pdf_url=invoice.get("public_html_url") or "",
        reference=invoice.get("custom_id") or "",
        raw_id_fields={
            k: invoice.get(k)
            for k in ("subject_id", "document_type", "correction_id", "related_id", "token")
            if invoice.get(k) is not None
        },
    )
