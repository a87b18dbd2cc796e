"""Invoice totals computed the way SuperFaktura documents them (value-lists.md, "Rounding types").

`unit_price` is the price WITHOUT VAT. The three rounding modes, as we read the docs:

- ``item_ext`` (retail, "recommended for e-shops"; our default, as the facts file says the
  account default is): after each step prices are rounded to 2 decimals. Per item the unit
  price with VAT is computed and rounded, then multiplied by the quantity and rounded; the
  difference between that and the rounded net line total is the item's VAT.
- ``item``: per item the net line total is rounded, the gross line total is computed from it
  and rounded, VAT is the difference.
- ``document``: net line totals are summed per VAT rate and the VAT is computed once per rate
  from that sum and rounded.

Discounts: the item's `discount` (%) and the document's `discount` (%) reduce the unit price
before any VAT step; the reduced unit price is rounded to 2 decimals (one "step").
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
ROUNDINGS = ("document", "item", "item_ext")


def round2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def rate_key(rate: Decimal) -> str:
    """How a VAT rate is written as a JSON key ("23", "5.5")."""
    text = format(rate.normalize(), "f")
    return text


@dataclass
class ItemTotals:
    unit_price: Decimal  # as sent, net
    unit_price_discount: Decimal
    unit_price_vat: Decimal
    quantity: Decimal
    tax: Decimal
    discount: Decimal
    net: Decimal  # line total without VAT
    gross: Decimal  # line total with VAT
    vat: Decimal


@dataclass
class DocumentTotals:
    items: list[ItemTotals]
    base_by_rate: dict[str, Decimal]
    vat_by_rate: dict[str, Decimal]
    discount: Decimal

    @property
    def base_total(self) -> Decimal:
        return sum(self.base_by_rate.values(), Decimal("0"))

    @property
    def vat_total(self) -> Decimal:
        return sum(self.vat_by_rate.values(), Decimal("0"))

    @property
    def total(self) -> Decimal:
        return self.base_total + self.vat_total


def compute(items: list[dict], rounding: str = "item_ext", document_discount: Decimal = Decimal("0")) -> DocumentTotals:
    """items: dicts with Decimal `unit_price`, `quantity`, `tax`, `discount`."""
    out: list[ItemTotals] = []
    base: dict[str, Decimal] = {}
    vat: dict[str, Decimal] = {}
    discount_total = Decimal("0")
    for item in items:
        price, qty, tax = item["unit_price"], item["quantity"], item["tax"]
        factor = (1 - item["discount"] / HUNDRED) * (1 - document_discount / HUNDRED)
        unit_net = round2(price * factor)
        rate = 1 + tax / HUNDRED
        if rounding == "item_ext":
            unit_gross = round2(unit_net * rate)
            net = round2(unit_net * qty)
            gross = round2(unit_gross * qty)
        else:
            unit_gross = round2(unit_net * rate)
            net = round2(unit_net * qty)
            gross = round2(net * rate)
        discount_total += round2(price * qty) - net
        key = rate_key(tax)
        base[key] = base.get(key, Decimal("0")) + net
        if rounding != "document":
            vat[key] = vat.get(key, Decimal("0")) + (gross - net)
        out.append(ItemTotals(price, unit_net, unit_gross, qty, tax, item["discount"], net, gross, gross - net))
    if rounding == "document":
        vat = {key: round2(amount * Decimal(key) / HUNDRED) for key, amount in base.items()}
    return DocumentTotals(out, base, vat, discount_total)
