"""Invoice totals computed the way Fakturoid describes them (invoices page, "VAT Price Mode").

- ``without_vat``: the line's `unit_price` is the price without VAT; VAT "is calculated
  automatically as a percentage from the line".
- ``from_total_with_vat``: the line's `unit_price` includes VAT and VAT "is calculated from it".

UNCONFIRMED, our reading: each line is rounded to 2 decimals (its total without VAT and its
VAT), and `vat_rates_summary` sums the rounded line values per rate. The document `subtotal`
and `total` are the sums of the summary. `round_total` (write-only) rounds the total with VAT
to whole units and reports the difference as `rounding_adjustment`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
VAT_PRICE_MODES = ("without_vat", "from_total_with_vat")


def round2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def decimal(value) -> Decimal:
    """Parse a JSON number or string without going through float; raises ValueError."""
    if isinstance(value, bool) or value is None:
        raise ValueError(value)
    try:
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(value) from None


def amount(value: Decimal) -> str:
    """Amounts as Fakturoid writes them: strings such as "1210.0" or "12.34"."""
    text = f"{round2(value):f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


@dataclass
class LineTotals:
    unit_price_without_vat: Decimal
    unit_price_with_vat: Decimal
    total_price_without_vat: Decimal
    total_vat: Decimal


@dataclass
class DocumentTotals:
    lines: list[LineTotals]
    summary: list[tuple[Decimal, Decimal, Decimal]] = field(default_factory=list)  # rate, base, vat
    subtotal: Decimal = Decimal("0")
    total: Decimal = Decimal("0")
    rounding_adjustment: Decimal = Decimal("0")


def line_totals(quantity: Decimal, unit_price: Decimal, vat_rate: Decimal, mode: str) -> LineTotals:
    if mode == "from_total_with_vat":
        gross = round2(quantity * unit_price)
        vat = round2(gross * vat_rate / (HUNDRED + vat_rate))
        unit_without = round2(unit_price * HUNDRED / (HUNDRED + vat_rate))
        return LineTotals(unit_without, round2(unit_price), gross - vat, vat)
    base = round2(quantity * unit_price)
    return LineTotals(
        round2(unit_price), round2(unit_price * (HUNDRED + vat_rate) / HUNDRED), base, round2(base * vat_rate / HUNDRED)
    )


def document_totals(
    lines: list[tuple[Decimal, Decimal, Decimal]], mode: str, round_total: bool = False
) -> DocumentTotals:
    """lines: (quantity, unit_price, vat_rate) as sent."""
    computed = [line_totals(q, p, r, mode) for q, p, r in lines]
    per_rate: dict[Decimal, list[Decimal]] = {}
    for (_q, _p, rate), line in zip(lines, computed):
        sums = per_rate.setdefault(rate, [Decimal("0"), Decimal("0")])
        sums[0] += line.total_price_without_vat
        sums[1] += line.total_vat
    summary = [(rate, base, vat) for rate, (base, vat) in sorted(per_rate.items(), reverse=True)]
    subtotal = sum((b for _r, b, _v in summary), Decimal("0"))
    total = subtotal + sum((v for _r, _b, v in summary), Decimal("0"))
    adjustment = Decimal("0")
    if round_total:
        rounded = total.quantize(Decimal("1"), rounding=ROUND_HALF_UP)
        adjustment, total = rounded - total, rounded
    return DocumentTotals(computed, summary, subtotal, total, adjustment)
