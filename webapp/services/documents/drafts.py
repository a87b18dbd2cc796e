"""What to issue: an order (or part of it) as a document `spec`, and a spec as a `DocumentDraft`.

A spec is plain JSON fixed when a document is planned: lines with Decimal strings, the customer,
the dates the event decided (taxable supply), and the rule's options. Every attempt turns the
same spec into a draft, so a retry asks for exactly the same document; only the issue date is
the day the document is really created (never back-dated: KSeF treats that as offline).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _

from connectors.documents import CREDIT_NOTE, INVOICE, Address, DocumentDraft, Line, Party, round2

from ...models import Order

ZERO = Decimal("0")
HUNDRED = Decimal("100")
DUE_DAYS = 14


# -- lines -------------------------------------------------------------------------------------
def _line_dict(
    name: str,
    quantity: Decimal,
    unit_price: Decimal,
    vat_rate: Decimal,
    *,
    unit: str = "",
    sku: str = "",
    discount_percent: Decimal = ZERO,
) -> dict[str, str]:
    return {
        "name": name,
        "quantity": str(quantity),
        "unit_price": str(unit_price),
        "vat_rate": str(vat_rate),
        "unit": unit,
        "sku": sku,
        "discount_percent": str(discount_percent or ZERO),
    }


def order_line_dicts(order: Order) -> list[dict[str, str]]:
    """The order as document lines: products, then shipping and a payment fee when charged.
    Names of the extra lines are in the order's language."""
    lines = [
        _line_dict(
            line.name,
            line.quantity,
            line.unit_price,
            line.vat_rate,
            unit=line.unit,
            sku=line.sku,
            discount_percent=line.discount_percent or ZERO,
        )
        for line in order.lines
    ]
    with force_locale(order.language or "en"):
        extras = ((order.shipping, "shipping", _("Shipping")), (order.payment, "payment", _("Payment fee")))
        for extra, sku, default_name in extras:
            data = extra or {}
            price = Decimal(str(data.get("price") or data.get("fee") or "0"))
            if price:
                lines.append(
                    _line_dict(
                        data.get("name") or default_name,
                        Decimal("1"),
                        price,
                        Decimal(str(data.get("vat_rate") or "0")),
                        sku=f"#{sku}",
                    )
                )
    return lines


def line_gross(line: dict[str, str], prices_include_vat: bool) -> Decimal:
    """What the customer pays for a line (rounded to cents the way our comparison does)."""
    keep = 1 - Decimal(line.get("discount_percent") or "0") / HUNDRED
    amount = round2(Decimal(line["unit_price"]) * Decimal(line["quantity"]) * keep)
    if prices_include_vat:
        return amount
    return amount + round2(amount * Decimal(line["vat_rate"]) / HUNDRED)


def total_of(lines: Iterable[dict[str, str]], prices_include_vat: bool) -> Decimal:
    return sum((line_gross(line, prices_include_vat) for line in lines), ZERO)


def refund_lines(order: Order, refunded: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Credit-note lines for exactly the refunded lines and quantities ([{sku, quantity}])."""
    by_sku = {line["sku"]: line for line in order_line_dicts(order) if line["sku"]}
    lines = []
    for item in refunded:
        line = by_sku.get(str(item.get("sku", "")))
        if line is None:
            continue
        quantity = min(Decimal(str(item.get("quantity") or line["quantity"])), Decimal(line["quantity"]))
        if quantity > 0:
            lines.append({**line, "quantity": str(quantity)})
    return lines


def amount_lines(order: Order, amount: Decimal, name: str) -> list[dict[str, str]]:
    """A refund of an amount without lines: split over the order's VAT rates in proportion to
    what each rate carries, so the VAT returned matches the VAT charged; the parts add up to the
    amount to the cent (the last rate takes the rounding rest)."""
    by_rate: dict[Decimal, Decimal] = {}
    for line in order_line_dicts(order):
        rate = Decimal(line["vat_rate"])
        by_rate[rate] = by_rate.get(rate, ZERO) + line_gross(line, order.prices_include_vat)
    total = sum(by_rate.values(), ZERO)
    if not total:
        return []
    rates = sorted(by_rate, reverse=True)
    parts, left = [], amount
    for index, rate in enumerate(rates):
        part = left if index == len(rates) - 1 else round2(amount * by_rate[rate] / total)
        left -= part
        if part:
            gross = part
            price = gross if order.prices_include_vat else round2(gross / (1 + rate / HUNDRED))
            parts.append(_line_dict(name, Decimal("1"), price, rate, sku="#refund"))
    return parts


def remaining_lines(
    invoice_lines: list[dict[str, str]], credited: list[list[dict[str, str]]], prices_include_vat: bool, name: str
) -> list[dict[str, str]]:
    """What a cancellation still has to credit: the invoice's lines less every earlier credit
    note's lines (by SKU and quantity; amount-only credits as negative lines per VAT rate)."""
    left = [dict(line) for line in invoice_lines]
    extra: dict[Decimal, Decimal] = {}
    for lines in credited:
        for line in lines:
            match = next(
                (
                    item
                    for item in left
                    if line.get("sku") and item.get("sku") == line["sku"] and not line["sku"].startswith("#refund")
                ),
                None,
            )
            if match is not None:
                match["quantity"] = str(max(Decimal(match["quantity"]) - Decimal(line["quantity"]), ZERO))
            else:
                rate = Decimal(line["vat_rate"])
                extra[rate] = extra.get(rate, ZERO) + Decimal(line["unit_price"]) * Decimal(line["quantity"])
    result = [line for line in left if Decimal(line["quantity"]) > 0]
    for rate, amount in sorted(extra.items(), reverse=True):
        result.append(_line_dict(name, Decimal("-1"), amount, rate, sku="#refund"))
    return result


# -- the customer -------------------------------------------------------------------------------
def customer_key(customer: dict[str, Any]) -> str:
    """Who the customer is, for reusing their record in the system: company id, VAT id, e-mail,
    else name and address (hashed: nothing personal in the key)."""
    parts = [customer.get("company_id"), customer.get("vat_id"), customer.get("email")]
    ident = next((str(p).strip().lower() for p in parts if p), "")
    if not ident:
        address = customer.get("billing_address") or {}
        ident = "|".join(
            str(x).strip().lower()
            for x in (
                customer.get("company_name") or customer.get("name"),
                address.get("street"),
                address.get("city"),
                address.get("country"),
            )
        )
    return hashlib.sha256(ident.encode("utf-8")).hexdigest()[:40]


def _address(data: dict[str, Any] | None) -> Address | None:
    if not data:
        return None
    return Address(
        street=data.get("street", ""),
        city=data.get("city", ""),
        zip=data.get("zip", ""),
        country=data.get("country", ""),
    )


def party_of(customer: dict[str, Any], remote_id: str = "") -> Party:
    return Party(
        name=customer.get("name", ""),
        company_name=customer.get("company_name", ""),
        company_id=customer.get("company_id", ""),
        tax_id=customer.get("tax_id", ""),
        vat_id=customer.get("vat_id", ""),
        email=customer.get("email", ""),
        phone=customer.get("phone", ""),
        billing_address=_address(customer.get("billing_address")) or Address(),
        delivery_address=_address(customer.get("delivery_address")),
        remote_id=remote_id,
    )


def is_b2b(customer: dict[str, Any]) -> bool:
    return customer.get("type") == "company" and bool(
        customer.get("vat_id") or customer.get("tax_id") or customer.get("company_id")
    )


# -- specs and drafts ---------------------------------------------------------------------------
def spec_for(
    order: Order,
    kind: str,
    *,
    lines: list[dict[str, str]] | None = None,
    taxable_date: date | None = None,
    options: dict[str, Any] | None = None,
    note: str = "",
) -> dict[str, Any]:
    options = dict(options or {})
    lines = order_line_dicts(order) if lines is None else lines
    variable_symbol = ""
    if options.get("variable_symbol", "order_number") == "order_number":
        variable_symbol = "".join(c for c in order.number if c.isdigit())[:10]
    return {
        "kind": kind,
        "lines": lines,
        "total": str(total_of(lines, order.prices_include_vat)),
        "currency": order.currency,
        "prices_include_vat": order.prices_include_vat,
        "customer": dict(order.customer or {}),
        "order_number": order.number,
        "variable_symbol": variable_symbol,
        "payment_method": (order.payment or {}).get("method", "bank_transfer"),
        "shipping_method": (order.shipping or {}).get("method", ""),
        "language": options.get("language") or order.language or "",
        "series_id": options.get("series_id", ""),
        "paid": bool(options.get("paid")) and kind == INVOICE,
        # KSeF takes B2B invoices (and their corrections): a company buyer with a tax id.
        "send_to_ksef": bool(options.get("send_to_ksef")) and kind != "proforma" and is_b2b(order.customer or {}),
        "taxable_date": taxable_date.isoformat() if taxable_date else "",
        "note": note,
        "options": options,
    }


def draft_from_spec(
    spec: dict[str, Any], issue_date: date, *, related_remote_id: str = "", customer_remote_id: str = ""
) -> DocumentDraft:
    taxable = date.fromisoformat(spec["taxable_date"]) if spec.get("taxable_date") else issue_date
    lines = [
        Line(
            name=line["name"],
            quantity=Decimal(line["quantity"]),
            unit_price=Decimal(line["unit_price"]),
            vat_rate=Decimal(line["vat_rate"]),
            unit=line.get("unit", ""),
            sku=line.get("sku", ""),
            discount_percent=Decimal(line.get("discount_percent") or "0"),
        )
        for line in spec["lines"]
    ]
    paid = bool(spec.get("paid"))
    due = issue_date if paid or spec["kind"] == CREDIT_NOTE else issue_date + timedelta(days=DUE_DAYS)
    return DocumentDraft(
        kind=spec["kind"],
        customer=party_of(spec.get("customer") or {}, customer_remote_id),
        lines=lines,
        currency=spec["currency"],
        issue_date=issue_date,
        # A supply is never dated after the document that records it.
        taxable_date=min(taxable, issue_date),
        due_date=due,
        prices_include_vat=bool(spec.get("prices_include_vat")),
        order_number=spec.get("order_number", ""),
        variable_symbol=spec.get("variable_symbol", ""),
        payment_method=spec.get("payment_method") or "bank_transfer",
        shipping_method=spec.get("shipping_method", ""),
        language=spec.get("language", ""),
        series_id=str(spec.get("series_id") or ""),
        related_remote_id=related_remote_id,
        paid=paid,
        note=spec.get("note", ""),
        send_to_ksef=bool(spec.get("send_to_ksef")),
        options={k: v for k, v in (spec.get("options") or {}).items() if k in ("draft", "exchange_rate")},
    )
