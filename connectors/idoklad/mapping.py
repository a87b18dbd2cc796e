"""Neutral documents <-> iDoklad v3 models.

Items carry `PriceType` (WithVat=0 when the shop's prices include VAT, WithoutVat=1 otherwise)
and a `VatRateType` (Reduced1=0, Basic=1, Zero=2, Reduced2=3) looked up from the agenda
country's `/VatRates` valid on the taxable date; iDoklad computes and rounds the VAT itself, and
`RemoteDocument` reports its `Prices` (per `VatRateSummary` entry and in total) unchanged.

Our idempotency key travels in the document's `Note` as a line `Fynode: <key>`. The docs offer no
external-id field and neither `OrderNumber` nor `VariableSymbol` can be filtered, so the duplicate
guard lists recent documents and matches this line (list-and-match). `OrderNumber` (max 25)
carries the shop's order number and `VariableSymbol` (max 10 digits) the payment reference.
UNCONFIRMED: that `Note` is an internal note, not printed on the PDF; the shop's printed note goes
to `ItemsTextSuffix`.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..documents import (
    CREDIT_NOTE,
    INVOICE,
    PROFORMA,
    DocumentDraft,
    Line,
    Party,
    RemoteDocument,
    RemoteLine,
    VatBreakdown,
    money,
    round2,
)

SEGMENTS = {INVOICE: "IssuedInvoices", PROFORMA: "ProformaInvoices", CREDIT_NOTE: "CreditNotes"}
REPORTS = {INVOICE: "IssuedInvoice", PROFORMA: "ProformaInvoice", CREDIT_NOTE: "CreditNote"}
SEQUENCE_TYPES = {INVOICE: 0, PROFORMA: 1, CREDIT_NOTE: 3}
WITH_VAT, WITHOUT_VAT = 0, 1
ITEM_NORMAL, ITEM_REDUCE = 0, 2
PAID_STATUSES = (1, 3)
LANGUAGES = {"cs": 1, "sk": 2, "en": 3, "de": 4}
REPORT_LANGUAGES = {"cs": "Cz", "sk": "Sk", "en": "En", "de": "De"}
PAYMENT_STATUS = {0: "open", 1: "paid", 2: "partially_paid", 3: "paid"}
# UNCONFIRMED: iDoklad's payment option codes; a name match and then the default option follow.
PAYMENT_CODES = {
    "bank_transfer": ("B", "převod", "prevod"),
    "cash": ("H", "hotov"),
    "cod": ("D", "dobírk", "dobierk"),
    "card": ("K", "kart"),
    "paypal": ("P", "paypal"),
    "other": (),
}
# Country `Code` in iDoklad is ISO alpha-3.
ALPHA3 = {
    "CZ": "CZE",
    "SK": "SVK",
    "PL": "POL",
    "DE": "DEU",
    "AT": "AUT",
    "HU": "HUN",
    "GB": "GBR",
    "US": "USA",
    "FR": "FRA",
    "IT": "ITA",
    "ES": "ESP",
    "NL": "NLD",
    "BE": "BEL",
    "SI": "SVN",
    "RO": "ROU",
    "UA": "UKR",
    "CH": "CHE",
    "IE": "IRL",
    "DK": "DNK",
    "SE": "SWE",
    "FI": "FIN",
}

REFERENCE_PREFIX = "Fynode: "
_REFERENCE = re.compile(r"^Fynode: (\S+)\s*$", re.MULTILINE)


def reference_note(key: str) -> str:
    return REFERENCE_PREFIX + key


def reference_from_note(note: str | None) -> str:
    match = _REFERENCE.search(note or "")
    return match.group(1) if match else ""


def api_date(value: date) -> str:
    # A plain date: the SDK's UTC timestamps would move a Prague midnight to the previous day.
    return value.isoformat()


def filter_date(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.000")
    return value.isoformat() + " 00:00:00.000"


def parse_date(value: Any) -> date | None:
    if not value:
        return None
    return date.fromisoformat(str(value)[:10])


def vat_rate_type(rate: Decimal, vat_rates: list[dict], country_id: int, on: date) -> int | None:
    """The `VatRateType` whose rate in the agenda's country on the taxable date equals `rate`."""
    for row in vat_rates:
        if row.get("CountryId") != country_id or money(row.get("Rate")) != rate:
            continue
        start, end = parse_date(row.get("DateValidityFrom")), parse_date(row.get("DateValidityTo"))
        if (start is None or start <= on) and (end is None or on <= end):
            return int(row["RateType"])
    return None


def payment_option_id(method: str, options: list[dict]) -> int | None:
    hints = PAYMENT_CODES.get(method, ())
    for option in options:
        if hints and option.get("Code") == hints[0]:
            return option["Id"]
    for option in options:
        if any(h.lower() in str(option.get("Name", "")).lower() for h in hints[1:]):
            return option["Id"]
    default = next((o for o in options if o.get("IsDefault")), None)
    return default["Id"] if default else None


def contact_model(default: dict, party: Party, country_id: int) -> dict:
    address = party.billing_address
    model = dict(default)
    model.update(
        {
            "CompanyName": party.display_name[:200],
            "Email": party.email,
            "Phone": party.phone,
            "Street": address.street,
            "City": address.city,
            "PostalCode": address.zip,
            "CountryId": country_id,
            "IdentificationNumber": party.company_id,
        }
    )
    if not party.company_name:
        first, _, last = party.name.partition(" ")
        model.update({"Firstname": first, "Surname": last})
    if address.country.upper() == "SK":
        # Slovak partners: DIČ and IČ DPH are two numbers.
        model.update({"VatIdentificationNumber": party.tax_id, "VatIdentificationNumberSk": party.vat_id})
    else:
        model["VatIdentificationNumber"] = party.vat_id or party.tax_id
    return model


def item_model(line: Line, price_type: int, rate_type: int, negate: bool = False) -> dict:
    unit_price = -abs(line.unit_price) if negate else line.unit_price
    return {
        "Name": line.name[:200],
        "Amount": line.quantity,
        "UnitPrice": unit_price,
        "PriceType": price_type,
        "VatRateType": rate_type,
        "VatRate": line.vat_rate,
        "DiscountPercentage": line.discount_percent,
        "IsTaxMovement": False,
        "ItemType": ITEM_NORMAL,
        "Unit": line.unit[:20],
        "Code": line.sku[:20],
    }


def document_model(
    default: dict,
    draft: DocumentDraft,
    *,
    key: str,
    partner_id: int,
    currency_id: int,
    home_currency_id: int,
    payment_option: int | None,
    items: list[dict],
) -> dict:
    """The default model of the agenda, filled from the draft (the documented Default → modify step)."""
    model = dict(default)
    issue = draft.issue_date
    default_terms = 14
    if default.get("DateOfIssue") and default.get("DateOfMaturity"):
        maturity, issued = parse_date(default["DateOfMaturity"]), parse_date(default["DateOfIssue"])
        if maturity is not None and issued is not None:
            default_terms = max(0, (maturity - issued).days)
    due = draft.due_date or date.fromordinal(issue.toordinal() + default_terms)
    description = draft.options.get("description") or (
        f"Objednávka {draft.order_number}" if draft.order_number else draft.lines[0].name
    )
    model.update(
        {
            "PartnerId": partner_id,
            "CurrencyId": currency_id,
            "Description": description[:200],
            "DateOfIssue": api_date(issue),
            "DateOfTaxing": api_date(draft.taxable_date or issue),
            "DateOfMaturity": api_date(due),
            "OrderNumber": draft.order_number[:25],
            "Note": reference_note(key),
            "Items": items,
        }
    )
    if default.get("ProformaInvoices"):
        # Keep the deduction of the accounted proforma that iDoklad pre-filled.
        model["Items"] = items + [i for i in default.get("Items") or [] if int(i.get("ItemType") or 0) == ITEM_REDUCE]
    vs = re.sub(r"\D", "", draft.variable_symbol or "")[:10]
    if vs:
        model["VariableSymbol"] = vs
    if draft.note:
        model["ItemsTextSuffix"] = draft.note
    if payment_option:
        model["PaymentOptionId"] = payment_option
    if draft.language in LANGUAGES:
        model["ReportLanguage"] = LANGUAGES[draft.language]
    if currency_id != home_currency_id:
        # UNCONFIRMED: with no rate given iDoklad applies its own daily rate (CNB/ECB).
        model["ExchangeRate"] = draft.options.get("exchange_rate")
        model["ExchangeRateAmount"] = Decimal("1") if draft.options.get("exchange_rate") else None
    if draft.kind == CREDIT_NOTE:
        model["CreditedInvoiceId"] = int(draft.related_remote_id)
        model["CreditNoteReason"] = (draft.options.get("reason") or draft.note or "Dobropis")[:200]
    return model


def amount(value: Any) -> Decimal:
    """A money amount from JSON (`10.0` arrives for 10.00) with its two decimal places."""
    return round2(money(value))


def remote_document(data: dict, kind: str, currency_code: str) -> RemoteDocument:
    prices = data.get("Prices") or {}
    items = [i for i in data.get("Items") or [] if int(i.get("ItemType") or 0) == ITEM_NORMAL]
    rates = {i.get("VatRateType"): money(i.get("VatRate")) for i in data.get("Items") or []}
    vat = [
        VatBreakdown(
            rate=rates.get(s.get("VatRateType"), Decimal("0")),
            base=amount(s.get("TotalWithoutVat")),
            vat=amount(s.get("TotalVat")),
        )
        for s in prices.get("VatRateSummary") or []
    ]
    status = PAYMENT_STATUS.get(int(data.get("PaymentStatus") or 0), "open")
    due = parse_date(data.get("DateOfMaturity"))
    if status == "open" and due and due < date.today():
        status = "overdue"
    address = data.get("PartnerAddress") or {}
    customer = address.get("CompanyName") or " ".join(
        p for p in (address.get("Firstname"), address.get("Surname")) if p
    )
    return RemoteDocument(
        remote_id=str(data["Id"]),
        kind=kind,
        number=data.get("DocumentNumber") or "",
        currency=currency_code,
        total=amount(prices.get("TotalWithVat")),
        issue_date=parse_date(data.get("DateOfIssue")),
        taxable_date=parse_date(data.get("DateOfTaxing")),
        due_date=due,
        customer_name=customer or "",
        order_number=data.get("OrderNumber") or "",
        variable_symbol=data.get("VariableSymbol") or "",
        status=status,
        vat=vat,
        lines=[remote_line(i) for i in items],
        reference=reference_from_note(data.get("Note")),
        raw_id_fields={
            k: data.get(k)
            for k in ("Id", "DocumentSerialNumber", "NumericSequenceId", "PartnerId", "CreditedInvoiceId")
            if data.get(k) is not None
        },
    )


def remote_line(item: dict) -> RemoteLine:
    prices = item.get("Prices") or {}
    quantity = money(item.get("Amount"))
    rate = money(item.get("VatRate"))
    unit = money(prices.get("UnitPrice", item.get("UnitPrice")))
    if int(item.get("PriceType") or 0) == WITH_VAT:
        unit = round2(unit * 100 / (100 + rate))
    return RemoteLine(
        name=item.get("Name") or "",
        quantity=quantity,
        unit_price=unit,
        vat_rate=rate,
        unit=item.get("Unit") or "",
        total=amount(prices.get("TotalWithVat")),
    )
