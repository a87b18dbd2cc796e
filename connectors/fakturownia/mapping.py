"""Neutral documents <-> Fakturownia invoices (README "Faktury", "Faktura korekta"; KSeF.md).

Money stays Decimal and travels as decimal strings ("12.30"), as the README's examples send
amounts. Drafts with prices including VAT send each position's `total_price_gross` and ask for
`calculating_strategy` keep_gross, so the document shows what the customer paid; net drafts send
`price_net` and leave the account's own calculation. RemoteDocument totals are always Fakturownia's
own (`price_gross`, the positions' `total_price_*`), never recomputed from our lines.

Duplicate guard: `oid` carries our idempotency key with `oid_unique: "yes"`. The order number the
merchant knows goes into the first line of `description` ("Zamówienie nr 5001"), which is printed
on the document and read back from it.

Credit notes are Fakturownia corrections (`kind: "correction"` + `invoice_id`/`from_invoice_id`):
each refunded line becomes one position of kind "correction" carrying the difference (negative
quantity and amount) with `correction_before_attributes`/`correction_after_attributes`, matched by
name to the corrected invoice's positions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from ..documents import (
    CREDIT_NOTE,
    INVOICE,
    KSEF_ACCEPTED,
    KSEF_NOT_APPLICABLE,
    KSEF_REJECTED,
    KSEF_SENT,
    KSEF_WAITING,
    PROFORMA,
    DocumentDraft,
    Line,
    NumberSeries,
    Party,
    RemoteDocument,
    RemoteLine,
    VatBreakdown,
    money,
    round2,
)

KIND_TO_VENDOR = {INVOICE: "vat", PROFORMA: "proforma", CREDIT_NOTE: "correction"}
VENDOR_TO_KIND = {"vat": INVOICE, "proforma": PROFORMA, "correction": CREDIT_NOTE}
# Every other sales document Fakturownia issues counts as an invoice for us.
INVOICE_LIKE = frozenset(
    {"advance", "final", "vat_margin", "vat_mp", "vat_rr", "wdt", "export_products", "bill", "receipt", "invoice_other"}
)
# Kinds Fakturownia sends to KSeF (KSeF.md "Typy faktur wysyłane do KSeF").
KSEF_KINDS = frozenset({"vat", "correction", "vat_mp", "vat_margin", "wdt", "export_products", "advance", "final"})
PAYMENT_TYPES = {
    "bank_transfer": "transfer",
    "card": "card",
    "cod": "cash_on_delivery",
    "cash": "cash",
    "paypal": "paypal",
}
# ISO 639-1 (ours) -> Fakturownia's `lang` values.
LANGUAGES = {
    "pl": "pl",
    "en": "en",
    "de": "de",
    "fr": "fr",
    "cs": "cz",
    "ru": "ru",
    "es": "es",
    "it": "it",
    "nl": "nl",
    "hr": "hr",
    "sk": "sk",
    "sl": "sl",
    "el": "el",
    "et": "et",
    "hu": "hu",
    "tr": "tr",
}
STATUSES = {"issued": "open", "sent": "open", "paid": "paid", "partial": "partially_paid", "rejected": "cancelled"}
ORDER_LABELS = {
    "pl": "Zamówienie nr",
    "en": "Order no.",
    "de": "Bestellung Nr.",
    "cs": "Objednávka č.",
    "sk": "Objednávka č.",
}
_ORDER_LINE = re.compile(
    r"^(?:Zamówienie nr|Order no\.|Bestellung Nr\.|Objednávka č\.)\s*(\S[^\n]*?)\s*$", re.MULTILINE
)
_OUR_KEY = re.compile(r"^(?:order|test|import)-\d+-")
HUNDRED = Decimal("100")
ZERO = Decimal("0")
KEEP_GROSS = {"position": "keep_gross", "sum": "keep_gross", "invoice_form_price_kind": "gross"}
DEFAULT_CORRECTION_REASON = "Zwrot lub anulowanie zamówienia"


def decimal_text(value: Decimal) -> str:
    """A Decimal as Fakturownia reads amounts: plain digits, no exponent ("3", "12.30")."""
    return format(value, "f")


def rate_text(rate: Decimal) -> str:
    """A VAT rate as Fakturownia's `tax`: "23", "5.5", "0"."""
    return format(rate.normalize(), "f")


def _date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


# -- drafts -> payloads ------------------------------------------------------------------------
def line_gross(line: Line, prices_include_vat: bool) -> Decimal:
    """The gross amount of a draft line, as the shop computed it."""
    factor = 1 - line.discount_percent / HUNDRED
    if prices_include_vat:
        return round2(line.unit_price * abs(line.quantity) * factor)
    net = round2(line.unit_price * abs(line.quantity) * factor)
    return net + round2(net * line.vat_rate / HUNDRED)


def _position(line: Line, draft: DocumentDraft) -> dict[str, Any]:
    position: dict[str, Any] = {
        "name": line.name,
        "quantity": decimal_text(line.quantity),
        "tax": rate_text(line.vat_rate),
    }
    if draft.prices_include_vat:
        position["total_price_gross"] = decimal_text(line_gross(line, True))
    else:
        price = line.unit_price
        if line.discount_percent:
            # A discount needs show_discount plus an account setting to be computed by Fakturownia
            # (README), so it is folded into the unit price here.
            price = round2(price * (1 - line.discount_percent / HUNDRED))
        position["price_net"] = decimal_text(price)
    if line.unit:
        position["quantity_unit"] = line.unit
    if line.sku:
        position["code"] = line.sku
    return position


def split_name(name: str) -> tuple[str, str]:
    """'Anna Maria Zielińska' -> ('Anna Maria', 'Zielińska'); a single word stays the first name
    (KSeF wants both for consumers: Fakturownia then says so rather than us inventing one)."""
    parts = name.strip().split()
    if len(parts) < 2:
        return name.strip(), ""
    return " ".join(parts[:-1]), parts[-1]


def buyer_fields(party: Party) -> dict[str, Any]:
    """buyer_* fields; `buyer_company` is always sent (KSeF auto-send keys off it)."""
    company = bool(party.company_name or party.tax_id or party.vat_id)
    buyer: dict[str, Any] = {"buyer_company": company, "buyer_name": party.display_name}
    if company:
        tax_no = party.tax_id or party.vat_id
        if tax_no:
            buyer["buyer_tax_no"] = tax_no
    else:
        first, last = split_name(party.name)
        buyer["buyer_first_name"] = first
        if last:
            buyer["buyer_last_name"] = last
    address = party.billing_address
    for key, value in (
        ("buyer_email", party.email),
        ("buyer_phone", party.phone),
        ("buyer_street", address.street),
        ("buyer_city", address.city),
        ("buyer_post_code", address.zip),
        ("buyer_country", address.country.upper()),
    ):
        if value:
            buyer[key] = value
    delivery = party.delivery_address
    if delivery is not None and any((delivery.street, delivery.city)):
        for key, value in (
            ("recipient_name", party.name),
            ("recipient_street", delivery.street),
            ("recipient_city", delivery.city),
            ("recipient_post_code", delivery.zip),
            ("recipient_country", delivery.country.upper()),
        ):
            if value:
                buyer[key] = value
    return buyer


def description(draft: DocumentDraft) -> str:
    lines = []
    if draft.order_number:
        label = ORDER_LABELS.get((draft.language or "pl").lower(), ORDER_LABELS["pl"])
        lines.append(f"{label} {draft.order_number}")
    if draft.note:
        lines.append(draft.note)
    return "\n".join(lines)


def draft_to_payload(
    draft: DocumentDraft, config: Mapping[str, Any], oid: str, corrected: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The body of POST /invoices.json. `corrected`: the invoice a credit note corrects, as read."""
    invoice: dict[str, Any] = {
        "kind": KIND_TO_VENDOR[draft.kind],
        "number": None,
        "issue_date": draft.issue_date.isoformat(),
        "sell_date": (draft.taxable_date or draft.issue_date).isoformat(),
        "currency": draft.currency.upper(),
        "oid": oid,
        "oid_unique": "yes",
    }
    if draft.due_date:
        invoice["payment_to"] = draft.due_date.isoformat()
    if draft.payment_method in PAYMENT_TYPES:
        invoice["payment_type"] = PAYMENT_TYPES[draft.payment_method]
    language = LANGUAGES.get((draft.language or "").lower())
    if language:
        invoice["lang"] = language
    text = description(draft)
    if text:
        invoice["description"] = text
    department = draft.series_id or config.get("department_id") or ""
    if department:
        invoice["department_id"] = int(department) if str(department).isdigit() else department
    if draft.kind == CREDIT_NOTE and corrected is not None:
        invoice.update(_correction_header(draft, corrected))
        invoice["positions"] = correction_positions(draft, corrected)
        invoice["calculating_strategy"] = dict(KEEP_GROSS)
    else:
        if draft.customer.remote_id:
            # A client card known from an earlier document: its data fills the buyer, and
            # buyer_override brings the card up to date with what the shop sent (README).
            invoice["client_id"] = (
                int(draft.customer.remote_id) if draft.customer.remote_id.isdigit() else draft.customer.remote_id
            )
            invoice["buyer_override"] = True
        invoice.update(buyer_fields(draft.customer))
        invoice["positions"] = [_position(line, draft) for line in draft.lines]
        if draft.prices_include_vat:
            invoice["calculating_strategy"] = dict(KEEP_GROSS)
        if draft.kind == INVOICE and draft.related_remote_id:
            invoice["from_invoice_id"] = draft.related_remote_id  # the proforma it settles
    if draft.paid and draft.kind != CREDIT_NOTE:
        invoice["status"] = "paid"
        invoice["paid_date"] = draft.issue_date.isoformat()
    payload: dict[str, Any] = {"invoice": invoice}
    if draft.send_to_ksef and draft.kind != PROFORMA:
        payload["gov_save_and_send"] = True
    return payload


_BUYER_COPY = (
    "client_id",
    "buyer_company",
    "buyer_name",
    "buyer_first_name",
    "buyer_last_name",
    "buyer_tax_no",
    "buyer_tax_no_kind",
    "buyer_email",
    "buyer_phone",
    "buyer_street",
    "buyer_city",
    "buyer_post_code",
    "buyer_country",
    "department_id",
)


def _correction_header(draft: DocumentDraft, corrected: Mapping[str, Any]) -> dict[str, Any]:
    """Link to the corrected invoice and keep its parties: under KSeF a correction may not change
    the department, buyer tax number, e-mail or company flag (KSeF.md "Korekty faktur")."""
    header: dict[str, Any] = {
        "invoice_id": str(corrected.get("id")),
        "from_invoice_id": str(corrected.get("id")),
        "correction_reason": (draft.options.get("correction_reason") or draft.note or DEFAULT_CORRECTION_REASON)[:256],
    }
    for key in _BUYER_COPY:
        if corrected.get(key) not in (None, ""):
            header[key] = corrected[key]
    if corrected.get("currency"):
        header["currency"] = corrected["currency"]
    return header


def _vendor_positions(invoice: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [
        p
        for p in invoice.get("positions") or []
        if isinstance(p, Mapping) and str(p.get("kind") or "") not in ("correction_before", "correction_after")
    ]


def _side(name: str, quantity: Decimal, gross: Decimal, tax: str, kind: str) -> dict[str, Any]:
    return {
        "name": name,
        "quantity": decimal_text(quantity),
        "total_price_gross": decimal_text(gross),
        "tax": tax,
        "kind": kind,
    }


def correction_positions(draft: DocumentDraft, corrected: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One correction position per refunded draft line (the draft's lines are what is given back)."""
    available = list(_vendor_positions(corrected))
    positions = []
    for line in draft.lines:
        quantity = abs(line.quantity)
        gross = line_gross(line, draft.prices_include_vat)
        tax = rate_text(line.vat_rate)
        match = next(
            (p for p in available if str(p.get("name") or "").strip().lower() == line.name.strip().lower()), None
        )
        if match is not None:
            available.remove(match)
            before_q, before_gross = money(match.get("quantity") or 1), money(match.get("total_price_gross"))
            tax = str(match.get("tax") if match.get("tax") not in (None, "") else tax)
            if quantity >= before_q or gross >= before_gross:
                quantity, gross = before_q, before_gross  # the whole line goes back
            before = _side(str(match.get("name") or line.name), before_q, before_gross, tax, "correction_before")
            after = _side(
                str(match.get("name") or line.name), before_q - quantity, before_gross - gross, tax, "correction_after"
            )
        elif line.quantity * line.unit_price < 0:
            # A negative draft line takes back from the credit (a cancellation's "less what was
            # refunded already"): the correction adds it instead of refunding it once more.
            before = _side(line.name, ZERO, ZERO, tax, "correction_before")
            after = _side(line.name, quantity, gross, tax, "correction_after")
            quantity, gross = -quantity, -gross
        else:
            before = _side(line.name, quantity, gross, tax, "correction_before")
            after = _side(line.name, ZERO, ZERO, tax, "correction_after")
        position = {
            "name": before["name"],
            "quantity": decimal_text(-quantity),
            "total_price_gross": decimal_text(-gross),
            "tax": tax,
            "kind": "correction",
            "correction_before_attributes": before,
            "correction_after_attributes": after,
        }
        if line.unit:
            position["quantity_unit"] = line.unit
        positions.append(position)
    return positions


# -- invoices -> neutral -----------------------------------------------------------------------
def ksef_state(invoice: Mapping[str, Any]) -> tuple[str, str, list[str]]:
    """(KSeF state, KSeF number, reasons) from gov_status, gov_id and gov_error_messages.

    ok -> accepted; processing -> sent; send_error -> rejected with the reasons; server_error ->
    waiting (KSeF's own failure: Fakturownia does not resend, the invoice waits to be sent again);
    not_connected -> rejected (the account is not authorised in KSeF); not_applicable -> not
    applicable; nothing yet -> waiting for company invoices of a KSeF kind, else not applicable.
    The demo_* variants map like their production twins.
    """
    status = str(invoice.get("gov_status") or "").lower()
    if status.startswith("demo_"):
        status = status[5:]
    number = str(invoice.get("gov_id") or "")
    reasons = [str(m) for m in invoice.get("gov_error_messages") or [] if m not in (None, "")]
    if status == "ok" or (number and not status):
        return KSEF_ACCEPTED, number, []
    if status == "processing":
        return KSEF_SENT, number, []
    if status == "send_error":
        return KSEF_REJECTED, "", reasons or ["send_error"]
    if status == "server_error":
        return KSEF_WAITING, "", reasons
    if status == "not_connected":
        return KSEF_REJECTED, "", reasons or ["not_connected: KSeF is not connected to this Fakturownia account"]
    if status == "not_applicable":
        return KSEF_NOT_APPLICABLE, "", []
    if reasons:
        return KSEF_REJECTED, "", reasons  # saved with KSeF validation errors, not sent
    kind = str(invoice.get("kind") or "vat")
    company = invoice.get("buyer_company")
    if kind in KSEF_KINDS and company not in (False, "0", 0, "false"):
        return KSEF_WAITING, "", []
    return KSEF_NOT_APPLICABLE, "", []


def _kind(vendor_kind: str) -> str:
    if vendor_kind in VENDOR_TO_KIND:
        return VENDOR_TO_KIND[vendor_kind]
    return INVOICE


def order_number_of(invoice: Mapping[str, Any]) -> str:
    match = _ORDER_LINE.search(str(invoice.get("description") or ""))
    if match:
        return match.group(1)
    oid = str(invoice.get("oid") or "")
    return "" if _OUR_KEY.match(oid) else oid


def _vat(positions: list[Mapping[str, Any]]) -> list[VatBreakdown]:
    rows: dict[Decimal, VatBreakdown] = {}
    for position in positions:
        tax = str(position.get("tax") or "0")
        rate = money(tax) if re.fullmatch(r"-?\d+([.,]\d+)?", tax) else ZERO
        net, gross = money(position.get("total_price_net")), money(position.get("total_price_gross"))
        row = rows.setdefault(rate, VatBreakdown(rate=rate, base=ZERO, vat=ZERO))
        row.base += net
        row.vat += gross - net
    return sorted(rows.values(), key=lambda row: row.rate, reverse=True)


def invoice_to_remote(invoice: Mapping[str, Any], base_url: str) -> RemoteDocument:
    positions = _vendor_positions(invoice)
    lines = []
    for p in positions:
        tax = str(p.get("tax") or "0")
        lines.append(
            RemoteLine(
                name=str(p.get("name") or ""),
                quantity=money(p.get("quantity") or 1),
                unit_price=money(p.get("price_net")),
                vat_rate=money(tax) if re.fullmatch(r"-?\d+([.,]\d+)?", tax) else ZERO,
                unit=str(p.get("quantity_unit") or ""),
                total=money(p["total_price_gross"]) if p.get("total_price_gross") not in (None, "") else None,
            )
        )
    ksef_status, ksef_number, ksef_errors = ksef_state(invoice)
    token = str(invoice.get("token") or "")
    return RemoteDocument(
        remote_id=str(invoice.get("id") or ""),
        kind=_kind(str(invoice.get("kind") or "vat")),
        number=str(invoice.get("number") or ""),
        currency=str(invoice.get("currency") or ""),
        total=money(invoice.get("price_gross")),
        issue_date=_date(invoice.get("issue_date")),
        taxable_date=_date(invoice.get("sell_date")),
        due_date=_date(invoice.get("payment_to")),
        customer_name=str(invoice.get("buyer_name") or ""),
        order_number=order_number_of(invoice),
        status=STATUSES.get(str(invoice.get("status") or ""), ""),
        vat=_vat(positions) if positions else [],
        lines=lines,
        pdf_url=f"{base_url}/invoice/{token}.pdf" if token else "",
        reference=str(invoice.get("oid") or ""),
        raw_id_fields={
            k: invoice.get(k)
            for k in ("id", "client_id", "department_id", "invoice_id", "from_invoice_id", "token", "gov_id")
            if invoice.get(k) not in (None, "")
        },
        ksef_status=ksef_status,
        ksef_number=ksef_number,
        ksef_errors=ksef_errors,
    )


def series_list(departments: list[Mapping[str, Any]], kind: str) -> list[NumberSeries]:
    """Departments (GET /departments.json) as number series: numbering follows the department sent
    in `department_id` (RESOLVED 5 in the facts); one with `use_pattern` numbers on its own."""
    series = []
    for row in departments:
        if not isinstance(row, Mapping) or row.get("id") in (None, ""):
            continue
        name = str(row.get("shortcut") or row.get("name") or row.get("id"))
        pattern = str(row.get("invoice_pattern") or "") if row.get("use_pattern") else ""
        series.append(
            NumberSeries(
                id=str(row["id"]),
                name=f"{name} ({pattern})" if pattern else name,
                kind=kind,
                default=bool(row.get("default")),
            )
        )
    return series
