"""Neutral documents <-> inFakt API v3 JSON (infakt/API readme: "Definicja faktury VAT",
"Definicja pozycji (Service)", "Faktura korygująca").

- Money: every inFakt amount is an integer number of grosze (1 PLN = 100 groszy), both ways.
  `to_grosze` takes a Decimal (never a float) and rounds half up to the grosz; `from_grosze`
  gives the exact Decimal back. Sending decimals would understate invoices 100x (3rd-party).
- Lines: net prices go as `unit_net_price`; gross prices as the line's `gross_price` without net
  prices, which the docs say makes inFakt compute the net side. A line discount is applied to
  the price we send (the meaning of `discount` next to `unit_net_price` is UNCONFIRMED: before or
  after the discount), so the totals are what the shop computed.
- Our idempotency key travels in `notes` (the documented free-text field, up to 3,500
  characters) as `[fynode:<key>]`; the duplicate guard finds it with the documented filter
  `q[notes_cont]=`. The order number goes to `transaction_terms.orders` (KSeF's
  WarunkiTransakcji).
- Buyer: always the order's data inline (`client_*`). With `client_id` inFakt takes its stored
  client card instead (seen on the sandbox), which could print an outdated address, so customer
  records are not reused.
- Corrections: neutral credit-note lines are positive (what is refunded). inFakt wants pairs per
  `group`: the line before (`correction: false`) and after (`correction: true`). A line that
  matches a line of the corrected invoice (same name and price) keeps its quantity before and
  loses the refunded quantity after; any other line goes from its quantity to zero.
- KSeF: `ksef_data.status` sent/success/error -> sent/accepted/rejected (with
  `status_description` as the reason); no `ksef_data` -> nothing in KSeF (not applicable:
  inFakt sends nothing on its own, 3rd-party observation); proformas never go to KSeF.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..documents import (
    CREDIT_NOTE,
    INVOICE,
    KSEF_ACCEPTED,
    KSEF_NOT_APPLICABLE,
    KSEF_REJECTED,
    KSEF_SENT,
    PROFORMA,
    DocumentDraft,
    Line,
    Party,
    RemoteDocument,
    RemoteLine,
    VatBreakdown,
)

GROSZ = Decimal("0.01")
HUNDRED = Decimal("100")
NOTES_LIMIT = 3500
MARKER = "[fynode:{key}]"
_MARKER = re.compile(r"\[fynode:([^\]\s]+)\]")
PAYMENT_METHODS = {
    "bank_transfer": "transfer",
    "card": "card",
    "cod": "delivery",
    "cash": "cash",
    "paypal": "paypal",
    "other": "other",
}
KSEF_STATUSES = {"sent": KSEF_SENT, "success": KSEF_ACCEPTED, "error": KSEF_REJECTED}
# UNCONFIRMED beyond the one symbol seen in data (`return_of_goods`); a draft may name another.
DEFAULT_CORRECTION_REASON = "return_of_goods"


# -- money ------------------------------------------------------------------------------------
def to_grosze(amount: Decimal) -> int:
    """Decimal złoty -> integer grosze, half up to the grosz. Floats are refused: they are not exact."""
    if isinstance(amount, float) or not isinstance(amount, (Decimal, int)) or isinstance(amount, bool):
        raise TypeError(f"amounts are Decimal, not {type(amount).__name__}")
    return int((Decimal(amount) * HUNDRED).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def from_grosze(value: Any) -> Decimal:
    """Integer grosze (as inFakt sends them) -> exact Decimal złoty with two places."""
    if value is None or value == "":
        return Decimal("0.00")
    if isinstance(value, bool):
        raise TypeError("grosze are integers")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"grosze must be whole numbers, got {value!r}")
        value = int(value)
    return (Decimal(int(str(value).strip())) / HUNDRED).quantize(GROSZ)


def quantity(value: Decimal) -> int | float:
    """inFakt's quantity is a JSON number: whole quantities as integers, others as the nearest float
    (a count, not money)."""
    return int(value) if value == value.to_integral_value() else float(value)


def tax_symbol(rate: Decimal) -> str:
    """Decimal("23") -> "23"; "8", "5", "0". ("zw"/"np" come from the draft's options.)"""
    return format(rate.normalize(), "f") if rate == rate.to_integral_value() else str(rate)


def rate_of(symbol: Any) -> Decimal:
    try:
        return Decimal(str(symbol))
    except (ArithmeticError, ValueError):
        return Decimal("0")  # zw, np, oo: no VAT


# -- outgoing ---------------------------------------------------------------------------------
def reference_marker(key: str) -> str:
    return MARKER.format(key=key)


def reference_from_notes(notes: Any) -> str:
    match = _MARKER.search(str(notes or ""))
    return match.group(1) if match else ""


def notes(draft: DocumentDraft, key: str) -> str:
    marker = reference_marker(key)
    text = (draft.note or "").strip()
    room = NOTES_LIMIT - len(marker) - 1
    return f"{text[:room]}\n{marker}" if text else marker


def split_street(street: str) -> tuple[str, str]:
    """ "Marszałkowska 12/3" -> ("Marszałkowska", "12/3"): inFakt keeps the building number apart."""
    match = re.match(r"^(.*?\D)[\s,]+(\d+[\w/.\-]*)$", (street or "").strip())
    return (match.group(1).strip(" ,"), match.group(2)) if match else ((street or "").strip(), "")


def tax_code(customer: Party, country: str) -> str:
    value = (customer.tax_id or customer.vat_id or "").strip()
    if country == "PL":
        value = re.sub(r"^PL", "", value.upper().replace(" ", "").replace("-", ""))
    return value


def client_fields(customer: Party) -> dict[str, Any]:
    address = customer.billing_address
    country = (address.country or "PL").upper()
    street, number = split_street(address.street)
    nip = tax_code(customer, country)
    business = bool(customer.company_name or nip)
    fields = {
        "client_company_name": customer.display_name,
        "client_tax_code": nip or None,
        "client_street": street or None,
        "client_street_number": number or None,
        "client_city": address.city or None,
        "client_post_code": address.zip or None,
        "client_country": country,
        "client_business_activity_kind": "other_business" if business else "private_person",
    }
    return {k: v for k, v in fields.items() if v is not None}


def _unit_price(line: Line) -> Decimal:
    price = line.unit_price
    if line.discount_percent:
        price = price * (HUNDRED - line.discount_percent) / HUNDRED
    return price


def service(line: Line, prices_include_vat: bool, tax: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "name": line.name[:256],
        "tax_symbol": tax or tax_symbol(line.vat_rate),
        "quantity": quantity(line.quantity),
    }
    if prices_include_vat:
        payload["gross_price"] = to_grosze(_unit_price(line) * line.quantity)
    else:
        payload["unit_net_price"] = to_grosze(_unit_price(line))
    if line.unit:
        payload["unit"] = line.unit
    return payload


def invoice_payload(draft: DocumentDraft, key: str, config: dict[str, Any]) -> dict[str, Any]:
    """The `invoice` object for `POST /async/invoices.json` (VAT invoice or proforma)."""
    payload: dict[str, Any] = {
        "kind": "proforma" if draft.kind == PROFORMA else "vat",
        "currency": draft.currency,  # never left out: inFakt would use the account's silently
        "invoice_date": draft.issue_date.isoformat(),
        "sale_date": (draft.taxable_date or draft.issue_date).isoformat(),
        "payment_method": PAYMENT_METHODS.get(draft.payment_method, "other"),
        "notes": notes(draft, key),
        **client_fields(draft.customer),
        "services": [service(line, draft.prices_include_vat, draft.options.get("tax_symbol")) for line in draft.lines],
    }
    if draft.due_date:
        payload["payment_date"] = draft.due_date.isoformat()
    if draft.order_number:
        payload["transaction_terms"] = {
            "orders": [{"number": draft.order_number, "date": draft.issue_date.isoformat()}]
        }
    if config.get("bank_account") and payload["payment_method"] == "transfer":
        payload["bank_account"] = config["bank_account"]
    return payload


def correction_payload(draft: DocumentDraft, key: str, corrected: dict[str, Any]) -> dict[str, Any]:
    """The `corrective_invoice` object for `POST /async/corrective_invoices.json`."""
    originals = list(corrected.get("services") or [])
    services: list[dict[str, Any]] = []
    for group, line in enumerate(draft.lines, start=1):
        after = service(line, draft.prices_include_vat, draft.options.get("tax_symbol"))
        before = dict(after)
        match = _matching(originals, after)
        if match is not None:
            originals.remove(match)
            before["quantity"] = match.get("quantity")
            left = Decimal(str(match.get("quantity"))) - line.quantity
            after["quantity"] = quantity(max(left, Decimal("0")))
        else:
            after["quantity"] = 0
        if "gross_price" in after:
            # A gross line states its value: the value after is what remains.
            unit = Decimal(after["gross_price"]) / (line.quantity or 1)
            after["gross_price"] = to_grosze(unit * Decimal(str(after["quantity"])) / HUNDRED)
            before["gross_price"] = to_grosze(unit * Decimal(str(before["quantity"])) / HUNDRED)
        services += [{**before, "group": group, "correction": False}, {**after, "group": group, "correction": True}]
    payload: dict[str, Any] = {
        "corrected_invoice_uuid": corrected.get("uuid"),
        "corrected_invoice_number": corrected.get("number"),
        "corrected_invoice_date": corrected.get("invoice_date"),
        "correction_reason": draft.options.get("correction_reason") or DEFAULT_CORRECTION_REASON,
        "currency": corrected.get("currency") or draft.currency,
        "invoice_date": draft.issue_date.isoformat(),
        "payment_method": PAYMENT_METHODS.get(draft.payment_method, "other"),
        "notes": notes(draft, key),
        "services": services,
    }
    if draft.order_number:
        payload["transaction_terms"] = {
            "orders": [{"number": draft.order_number, "date": draft.issue_date.isoformat()}]
        }
    return {k: v for k, v in payload.items() if v is not None}


def _matching(originals: list[dict[str, Any]], line: dict[str, Any]) -> dict[str, Any] | None:
    if "unit_net_price" not in line:
        return None
    for original in originals:
        if (
            original.get("name") == line["name"]
            and original.get("unit_net_price") == line["unit_net_price"]
            and str(original.get("tax_symbol")) == line["tax_symbol"]
            and Decimal(str(original.get("quantity") or 0)) >= Decimal(str(line["quantity"]))
        ):
            return original
    return None


# -- incoming ---------------------------------------------------------------------------------
def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def kind_of(invoice: dict[str, Any]) -> str:
    kind = str(invoice.get("kind") or "vat")
    if kind == "proforma":
        return PROFORMA
    if kind in ("correction", "corrective_invoice") or invoice.get("corrected_invoice_uuid"):
        return CREDIT_NOTE
    return INVOICE


def status_of(invoice: dict[str, Any], today: date | None = None) -> str:
    """inFakt's draft/printed/sent are all issued and unpaid; paid is paid."""
    gross = invoice.get("gross_price") or 0
    left = invoice.get("left_to_pay")
    if invoice.get("status") == "paid" or invoice.get("paid_date") or (left == 0 and gross > 0):
        return "paid"
    if left is not None and 0 < left < gross:
        return "partially_paid"
    due = _date(invoice.get("payment_date"))
    if due and gross > 0 and due < (today or date.today()):
        return "overdue"
    return "open"


def _signed_services(invoice: dict[str, Any]) -> list[tuple[dict[str, Any], int]]:
    """Each service with the sign it counts with: a correction's line before counts negative."""
    if kind_of(invoice) != CREDIT_NOTE:
        return [(s, 1) for s in invoice.get("services") or []]
    return [(s, 1 if s.get("correction") else -1) for s in invoice.get("services") or []]


def vat_breakdown(invoice: dict[str, Any]) -> list[VatBreakdown]:
    rates: dict[Decimal, list[int]] = {}
    for line, sign in _signed_services(invoice):
        sums = rates.setdefault(rate_of(line.get("tax_symbol")), [0, 0])
        sums[0] += sign * int(line.get("net_price") or 0)
        sums[1] += sign * int(line.get("tax_price") or 0)
    return [
        VatBreakdown(rate=rate, base=from_grosze(net), vat=from_grosze(tax))
        for rate, (net, tax) in sorted(rates.items())
    ]


def remote_lines(invoice: dict[str, Any]) -> list[RemoteLine]:
    if kind_of(invoice) != CREDIT_NOTE:
        return [
            RemoteLine(
                name=s.get("name") or "",
                quantity=Decimal(str(s.get("quantity") or 0)),
                unit_price=from_grosze(s.get("unit_net_price")),
                vat_rate=rate_of(s.get("tax_symbol")),
                unit=s.get("unit") or "",
                total=from_grosze(s.get("gross_price")),
            )
            for s in invoice.get("services") or []
        ]
    groups: dict[Any, dict[bool, dict[str, Any]]] = {}
    for s in invoice.get("services") or []:
        groups.setdefault(s.get("group"), {})[bool(s.get("correction"))] = s
    lines = []
    for pair in groups.values():
        after, before = pair.get(True) or {}, pair.get(False) or {}
        ref = after or before
        lines.append(
            RemoteLine(
                name=ref.get("name") or "",
                quantity=Decimal(str(after.get("quantity") or 0)) - Decimal(str(before.get("quantity") or 0)),
                unit_price=from_grosze(ref.get("unit_net_price")),
                vat_rate=rate_of(ref.get("tax_symbol")),
                unit=ref.get("unit") or "",
                total=from_grosze(int(after.get("gross_price") or 0) - int(before.get("gross_price") or 0)),
            )
        )
    return lines


def ksef_state(invoice: dict[str, Any]) -> tuple[str, str, list[str]]:
    data = invoice.get("ksef_data") or {}
    number = str(invoice.get("ksef_number") or data.get("ksef_number") or "")
    if kind_of(invoice) == PROFORMA or not data:
        return (KSEF_ACCEPTED if number else KSEF_NOT_APPLICABLE), number, []
    status = KSEF_STATUSES.get(str(data.get("status") or ""), KSEF_SENT)
    if status == KSEF_ACCEPTED and not number:
        status = KSEF_SENT
    reasons = [str(data["status_description"])] if status == KSEF_REJECTED and data.get("status_description") else []
    return status, number, reasons


def order_number(invoice: dict[str, Any]) -> str:
    orders = ((invoice.get("transaction_terms") or {}).get("orders")) or []
    return str(orders[0].get("number") or "") if orders else ""


def remote_document(invoice: dict[str, Any]) -> RemoteDocument:
    ksef_status, ksef_number, ksef_errors = ksef_state(invoice)
    return RemoteDocument(
        remote_id=str(invoice.get("uuid") or ""),
        kind=kind_of(invoice),
        number=invoice.get("number") or "",
        currency=invoice.get("currency") or "PLN",
        total=from_grosze(invoice.get("gross_price")),
        issue_date=_date(invoice.get("invoice_date")),
        taxable_date=_date(invoice.get("sale_date")),
        due_date=_date(invoice.get("payment_date")),
        customer_name=invoice.get("client_company_name")
        or " ".join(p for p in (invoice.get("client_first_name"), invoice.get("client_last_name")) if p),
        order_number=order_number(invoice),
        status=status_of(invoice),
        vat=vat_breakdown(invoice),
        lines=remote_lines(invoice),
        reference=reference_from_notes(invoice.get("notes")),
        raw_id_fields={
            k: invoice.get(k)
            for k in ("id", "uuid", "client_id", "kind", "corrected_invoice_uuid", "parent_id")
            if invoice.get(k) is not None
        },
        ksef_status=ksef_status,
        ksef_number=ksef_number,
        ksef_errors=ksef_errors,
    )
