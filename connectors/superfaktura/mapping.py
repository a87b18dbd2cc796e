"""Neutral documents <-> SuperFaktura payloads.

Money stays Decimal. SuperFaktura's `unit_price` is the price WITHOUT VAT; VAT is computed by
SuperFaktura with the document's rounding mode (default `item_ext`, "retail"). For drafts whose
prices include VAT we send the two-decimal net price that retail rounding turns back into the
shop's price with VAT, where one exists, so the document shows what the customer paid.

RemoteDocument totals are always SuperFaktura's own (`Summary` and the `0.total` field), never
recomputed here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from ..documents import (
    CENT,
    CREDIT_NOTE,
    INVOICE,
    PROFORMA,
    DocumentDraft,
    Line,
    NumberSeries,
    RemoteDocument,
    RemoteLine,
    VatBreakdown,
    money,
    round2,
)

KIND_TO_TYPE = {INVOICE: "regular", PROFORMA: "proforma", CREDIT_NOTE: "cancel"}
TYPE_TO_KIND = {v: k for k, v in KIND_TO_TYPE.items()}
SERIES_FIELD = {INVOICE: "invoice_series", PROFORMA: "proforma_series", CREDIT_NOTE: "credit_note_series"}
PAYMENT_TYPES = {
    "bank_transfer": "transfer",
    "card": "card",
    "cod": "cod",
    "cash": "cash",
    "paypal": "paypal",
    "other": "other",
}
DELIVERY_TYPES = {"courier": "courier", "post": "mail", "pickup_point": "pickup_point", "personal": "personal"}
# ISO 639-1 (ours) -> ISO 639-2 as SuperFaktura names its document languages.
LANGUAGES = {
    "sk": "slo",
    "cs": "cze",
    "en": "eng",
    "de": "deu",
    "hu": "hun",
    "pl": "pol",
    "ro": "rom",
    "ru": "rus",
    "uk": "ukr",
    "hr": "hrv",
    "sl": "slv",
    "es": "spa",
    "it": "ita",
    "nl": "nld",
}
STATUSES = {"1": "open", "2": "partially_paid", "3": "paid", "99": "overdue"}
_CHECKSUM_SAFE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
HUNDRED = Decimal("100")


def checksum_for(idempotency_key: str) -> str:
    """SuperFaktura's `checksum` holds at most 32 characters: the key itself when it fits."""
    if _CHECKSUM_SAFE.match(idempotency_key):
        return idempotency_key
    return hashlib.md5(idempotency_key.encode("utf-8")).hexdigest()


def net_unit_price(gross: Decimal, rate: Decimal) -> Decimal:
    """A two-decimal net price that retail rounding turns into `gross`, else the nearest one."""
    factor = 1 + rate / HUNDRED
    guess = round2(gross / factor)
    for candidate in (guess, guess - Decimal("0.01"), guess + Decimal("0.01")):
        if round2(candidate * factor) == gross:
            return candidate
    return guess


def _item(line: Line, draft: DocumentDraft) -> dict[str, Any]:
    price = line.unit_price
    if draft.prices_include_vat:
        price = net_unit_price(price, line.vat_rate)
    quantity = line.quantity
    if draft.kind == CREDIT_NOTE and price * quantity:
        # Credit notes carry negative prices with positive quantities (as the vendor's
        # WooCommerce plugin sends them). A draft's credit-note line is positive when it is
        # refunded; a negative one (a cancellation's "less what was refunded already") takes
        # back from the credit, so it becomes a positive line here.
        refunded = price * quantity > 0
        price, quantity = (-abs(price) if refunded else abs(price)), abs(quantity)
    item: dict[str, Any] = {"name": line.name, "quantity": quantity, "unit_price": price, "tax": line.vat_rate}
    if line.unit:
        item["unit"] = line.unit
    if line.sku:
        item["sku"] = line.sku
    if line.discount_percent:
        item["discount"] = line.discount_percent
    return item


def _client(draft: DocumentDraft) -> dict[str, Any]:
    party = draft.customer
    client: dict[str, Any] = {"name": party.display_name}
    for key, value in (
        ("ico", party.company_id),
        ("dic", party.tax_id),
        ("ic_dph", party.vat_id),
        ("email", party.email),
        ("phone", party.phone),
        ("address", party.billing_address.street),
        ("city", party.billing_address.city),
        ("zip", party.billing_address.zip),
        ("country_iso_id", party.billing_address.country.upper()),
    ):
        if value:
            client[key] = value
    delivery = party.delivery_address
    if delivery is not None:
        for key, value in (
            ("delivery_name", party.name),
            ("delivery_address", delivery.street),
            ("delivery_city", delivery.city),
            ("delivery_zip", delivery.zip),
            ("delivery_country_iso_id", delivery.country.upper()),
        ):
            if value:
                client[key] = value
    return client


def draft_to_payload(draft: DocumentDraft, config: Mapping[str, Any], checksum: str) -> dict[str, Any]:
    """The body of POST /invoices/create (invoice.md "Add invoice")."""
    invoice: dict[str, Any] = {
        "type": KIND_TO_TYPE[draft.kind],
        "created": draft.issue_date.isoformat(),
        "delivery": (draft.taxable_date or draft.issue_date).isoformat(),
        "invoice_currency": draft.currency.upper(),
        "rounding": config.get("rounding") or "item_ext",
    }
    series = draft.series_id or config.get(SERIES_FIELD[draft.kind]) or ""
    if series:
        invoice["sequence_id"] = int(series) if str(series).isdigit() else series
    if draft.due_date:
        invoice["due"] = draft.due_date.isoformat()
    if draft.order_number:
        invoice["order_no"] = draft.order_number
    if draft.variable_symbol:
        invoice["variable"] = draft.variable_symbol
    if draft.payment_method in PAYMENT_TYPES:
        invoice["payment_type"] = PAYMENT_TYPES[draft.payment_method]
    if draft.shipping_method in DELIVERY_TYPES:
        invoice["delivery_type"] = DELIVERY_TYPES[draft.shipping_method]
    if draft.kind == CREDIT_NOTE:
        invoice["parent_id"] = int(draft.related_remote_id)
    elif draft.kind == INVOICE and draft.related_remote_id:
        invoice["proforma_id"] = draft.related_remote_id
    if draft.paid:
        invoice["already_paid"] = 1
        invoice["paydate"] = draft.issue_date.isoformat()
    if draft.note:
        invoice["comment"] = draft.note
    if config.get("bank_account_id"):
        invoice["bank_accounts"] = [{"id": int(config["bank_account_id"])}]
    payload: dict[str, Any] = {
        "Invoice": invoice,
        "InvoiceItem": [_item(line, draft) for line in draft.lines],
        "Client": _client(draft),
        "checksum": checksum,
    }
    language = LANGUAGES.get((draft.language or "").lower())
    if language:
        payload["InvoiceSetting"] = {"language": language}
    return payload


def amount(value: Any) -> Decimal:
    """An amount SuperFaktura computed, in cents: JSON numbers like 18.9 mean 18.90."""
    return money(value).quantize(CENT)


def _date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _vat(summary: Mapping[str, Any]) -> list[VatBreakdown]:
    bases = summary.get("vat_base_separate") or {}
    vats = summary.get("vat_separate") or {}
    if isinstance(bases, list):  # PHP prints an empty map as []
        bases = {}
    if isinstance(vats, list):
        vats = {}
    rows = [
        VatBreakdown(rate=money(rate), base=amount(base), vat=amount(vats.get(rate, 0))) for rate, base in bases.items()
    ]
    return sorted(rows, key=lambda row: row.rate, reverse=True)


def invoice_to_remote(data: Mapping[str, Any], base_url: str) -> RemoteDocument:
    """An invoice as /invoices/view, /invoices/create (`data`) and the list items show it."""
    inv = data.get("Invoice") or {}
    summary = data.get("Summary") or {}
    amounts = data.get("0") or {}
    if amounts.get("total") not in (None, ""):
        total = amount(amounts["total"])
    elif summary.get("invoice_total") not in (None, ""):
        total = amount(summary["invoice_total"])
    else:
        total = amount(inv.get("amount")) + amount(inv.get("vat"))
    lines = [
        RemoteLine(
            name=str(item.get("name") or ""),
            quantity=money(item.get("quantity") or 1),
            unit_price=money(item.get("unit_price")),
            vat_rate=money(item.get("tax")),
            unit=str(item.get("unit") or ""),
            total=amount(item["item_price_vat"]) if item.get("item_price_vat") not in (None, "") else None,
        )
        for item in data.get("InvoiceItem") or []
    ]
    remote_id = str(inv.get("id") or "")
    token = str(inv.get("token") or "")
    lang = str(inv.get("lang") or "slo")
    return RemoteDocument(
        remote_id=remote_id,
        kind=TYPE_TO_KIND.get(str(inv.get("type") or "regular"), INVOICE),
        number=str(inv.get("invoice_no_formatted") or ""),
        currency=str(inv.get("invoice_currency") or ""),
        total=total,
        issue_date=_date(inv.get("created")),
        taxable_date=_date(inv.get("delivery") or inv.get("taxdate")),
        due_date=_date(inv.get("due")),
        customer_name=str((data.get("Client") or {}).get("name") or ""),
        order_number=str(inv.get("order_no") or ""),
        variable_symbol=str(inv.get("variable") or ""),
        status=STATUSES.get(str(inv.get("status") or ""), ""),
        vat=_vat(summary),
        lines=lines,
        pdf_url=f"{base_url}/{lang}/invoices/pdf/{remote_id}/token:{token}" if token and remote_id else "",
        raw_id_fields={
            k: inv.get(k)
            for k in ("id", "sequence_id", "client_id", "parent_id", "proforma_id", "token")
            if inv.get(k) not in (None, "")
        },
    )


def series_list(sequences: Mapping[str, Any], kind: str) -> list[NumberSeries]:
    """GET /sequences/index.json -> our number series of one document kind."""
    if kind not in KIND_TO_TYPE:
        return []
    rows = sequences.get(KIND_TO_TYPE[kind]) or []
    return [
        NumberSeries(
            id=str(row.get("id")),
            name=str(row.get("name") or row.get("mask") or row.get("id")),
            kind=kind,
            default=str(row.get("default")) in ("1", "true", "True"),
            next_number=str(row.get("sequence_formatted") or ""),
        )
        for row in rows
        if isinstance(row, Mapping)
    ]
