"""An order's sums in Decimal: each line (and shipping, and the payment fee) rounded half-up to
cents, VAT summed per rate, and what is left to refund. Unit prices are gross or net as the
order's `prices_include_vat` says; the other side is derived per line, as the accounting
systems do."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ...models import EventType, Order

HUNDRED = Decimal("100")
ZERO = Decimal("0")
ONE = Decimal("1")
CENT = Decimal("0.01")


def round2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def decimal_text(value: Decimal | None) -> str | None:
    """ "28.50", not 28.5 or "28.5000" (as PostgreSQL returns it); more places only where they
    carry a value. Never a float."""
    if value is None:
        return None
    value = Decimal(value)
    return format(value.quantize(CENT) if value == value.quantize(CENT) else value.normalize(), "f")


@dataclass
class LineTotal:
    name: str
    quantity: Decimal
    vat_rate: Decimal
    net: Decimal
    vat: Decimal
    gross: Decimal
    sku: str = ""
    kind: str = "line"  # line, shipping or payment (the fee)


@dataclass
class OrderTotals:
    lines: list[LineTotal]
    by_rate: dict[Decimal, tuple[Decimal, Decimal, Decimal]] = field(default_factory=dict)  # net, vat, gross
    net: Decimal = ZERO
    vat: Decimal = ZERO
    gross: Decimal = ZERO


def line_total(
    name: str,
    quantity: Decimal,
    unit_price: Decimal,
    vat_rate: Decimal,
    discount_percent: Decimal,
    prices_include_vat: bool,
    sku: str = "",
) -> LineTotal:
    amount = round2(unit_price * quantity * (ONE - (discount_percent or ZERO) / HUNDRED))
    if prices_include_vat:
        gross = amount
        net = round2(gross / (ONE + vat_rate / HUNDRED))
    else:
        net = amount
        gross = net + round2(net * vat_rate / HUNDRED)
    return LineTotal(name=name, quantity=quantity, vat_rate=vat_rate, net=net, vat=gross - net, gross=gross, sku=sku)


def _extra(data: dict[str, Any] | None, amount_key: str) -> tuple[Decimal, Decimal] | None:
    amount = Decimal(str((data or {}).get(amount_key) or "0"))
    if not amount:
        return None
    return amount, Decimal(str((data or {}).get("vat_rate") or "0"))


def totals_of(
    lines: Iterable[Any], shipping: dict[str, Any] | None, payment: dict[str, Any] | None, prices_include_vat: bool
) -> OrderTotals:
    """Sums for lines (anything with name, quantity, unit_price, vat_rate, discount_percent, sku),
    shipping {price, vat_rate} and payment {fee, vat_rate}."""
    rows = [
        line_total(
            l.name, l.quantity, l.unit_price, l.vat_rate, l.discount_percent or ZERO, prices_include_vat, l.sku or ""
        )
        for l in lines
    ]
    for data, key, kind in ((shipping, "price", "shipping"), (payment, "fee", "payment")):
        extra = _extra(data, key)
        if extra:
            row = line_total((data or {}).get("name") or "", ONE, extra[0], extra[1], ZERO, prices_include_vat)
            row.kind = kind
            rows.append(row)
    totals = OrderTotals(lines=rows)
    for row in rows:
        rate = row.vat_rate.normalize()
        net, vat, gross = totals.by_rate.get(rate, (ZERO, ZERO, ZERO))
        totals.by_rate[rate] = (net + row.net, vat + row.vat, gross + row.gross)
        totals.net += row.net
        totals.vat += row.vat
        totals.gross += row.gross
    return totals


def order_totals(order: Order) -> OrderTotals:
    return totals_of(order.lines, order.shipping, order.payment, order.prices_include_vat)


# -- refunds -------------------------------------------------------------------------------------
def balance_due(order: Order) -> Decimal:
    total = order.total if order.total is not None else order_totals(order).gross
    return max(total - (order.paid_total or ZERO), ZERO)


def refunded_by_sku(order: Order) -> dict[str, Decimal]:
    refunded: dict[str, Decimal] = {}
    for event in order.events:
        if event.type == EventType.REFUNDED:
            for line in event.refunded_lines:
                refunded[line["sku"]] = refunded.get(line["sku"], ZERO) + Decimal(line["quantity"])
    return refunded


def refundable_by_sku(order: Order) -> dict[str, Decimal]:
    """Per SKU, the quantity not refunded yet (lines without a SKU cannot be refunded by line)."""
    ordered: dict[str, Decimal] = {}
    for line in order.lines:
        if line.sku:
            ordered[line.sku] = ordered.get(line.sku, ZERO) + line.quantity
    refunded = refunded_by_sku(order)
    return {sku: max(quantity - refunded.get(sku, ZERO), ZERO) for sku, quantity in ordered.items()}


def refundable_amount(order: Order) -> Decimal:
    total = order.total if order.total is not None else order_totals(order).gross
    return max(total - (order.refunded_total or ZERO), ZERO)


def refund_amount_for(order: Order, quantities: dict[str, Decimal]) -> Decimal:
    """What refunding these quantities per SKU is worth, gross: each line's share of its total."""
    left = dict(quantities)
    amount = ZERO
    for line in order.lines:
        want = min(left.get(line.sku, ZERO), line.quantity) if line.sku else ZERO
        if want <= ZERO:
            continue
        total = line_total(
            line.name,
            line.quantity,
            line.unit_price,
            line.vat_rate,
            line.discount_percent or ZERO,
            order.prices_include_vat,
        ).gross
        amount += round2(total * want / line.quantity)
        left[line.sku] -= want
    return amount
