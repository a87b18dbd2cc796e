"""Position and invoice amounts computed the way Fakturownia documents them (README, "Pola
faktury"): a position carries `quantity`, `tax` and any of `price_net`, `price_gross`,
`total_price_net`, `total_price_gross`; "missing amounts are computed". Money is Decimal, rounded
half-up to grosze after each step.

`calculating_strategy` (documented values, our reading of what they do; UNCONFIRMED in detail):
- `position: "keep_gross"`: the gross sent (total, or unit gross x quantity) is kept; net is
  gross / (1 + rate), tax the difference.
- `position: "default"`: the unit price on the form decides (`invoice_form_price_kind`, an account
  setting, `net` on the seeded accounts). With `net`, a gross-only position is turned into a
  rounded unit net price, the line net is unit net x quantity and the gross is recomputed from it,
  so it can differ from the gross sent by a grosz; with `gross`, the line gross is kept.
- `sum: "sum"` (default): invoice totals are the sums of the positions. `keep_gross`: per VAT rate
  the gross sum is kept and the net recomputed from it; `keep_net`: per VAT rate the net sum is
  kept and the VAT computed once from it.

`tax` is a rate (0..99.99) or "zw" (exempt), "np" (not subject; also "n/a", "nie podlega",
"not applicable", "na", any case), "oo" (reverse charge) or "disabled" (no VAT shown): all 0 %.
Discounts (`discount_percent`, or `discount` as an amount per line) count only with
`show_discount` = 1 and reduce the unit price (or the line value) before VAT.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
ZERO = Decimal("0")
NP_VARIANTS = {"np", "n/a", "nie podlega", "not applicable", "na"}
WORD_RATES = {"zw", "oo", "disabled"}
POSITION_STRATEGIES = ("default", "keep_gross")
SUM_STRATEGIES = ("sum", "keep_gross", "keep_net")
PRICE_KINDS = ("net", "gross")


def round2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: Decimal) -> str:
    return str(round2(value))


def parse_decimal(raw) -> Decimal | None:
    """Numbers or strings; a decimal comma is accepted ("10,23" appears in the docs). None when
    missing; raises InvalidOperation when not a number."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise InvalidOperation
    text = str(raw).strip().replace(" ", "").replace(",", ".")
    value = Decimal(text)
    if not value.is_finite():
        raise InvalidOperation
    return value


def parse_tax(raw) -> tuple[str, Decimal] | None:
    """-> (label as stored, rate in %), or None when not a valid tax value."""
    if raw is None or isinstance(raw, bool):
        return None
    text = str(raw).strip().lower()
    if text in NP_VARIANTS:
        return "np", ZERO
    if text in WORD_RATES:
        return text, ZERO
    try:
        rate = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    if not rate.is_finite() or not ZERO <= rate < HUNDRED:
        return None
    return format(rate.normalize(), "f"), rate


@dataclass
class Line:
    quantity: Decimal
    tax: str
    rate: Decimal
    price_net: Decimal
    price_gross: Decimal
    total_net: Decimal
    total_gross: Decimal

    @property
    def total_tax(self) -> Decimal:
        return self.total_gross - self.total_net


def compute_line(
    quantity: Decimal,
    tax: str,
    rate: Decimal,
    *,
    price_net: Decimal | None = None,
    price_gross: Decimal | None = None,
    total_net: Decimal | None = None,
    total_gross: Decimal | None = None,
    strategy: str = "default",
    price_kind: str = "net",
    discount_percent: Decimal | None = None,
    discount_amount: Decimal | None = None,
) -> Line:
    """One position. At least one of the four amounts must be given (checked by the caller)."""
    factor = 1 + rate / HUNDRED
    keep = 1 - (discount_percent or ZERO) / HUNDRED
    if price_net is not None:
        price_net = round2(price_net * keep)
    if price_gross is not None:
        price_gross = round2(price_gross * keep)
    gross_given = total_gross is not None or price_gross is not None
    net_given = total_net is not None or price_net is not None
    gross_driven = gross_given and (strategy == "keep_gross" or price_kind == "gross" or not net_given)
    # A line with quantity 0 and a total (a price-only correction) keeps that total.
    keeps_gross = strategy == "keep_gross" or price_kind == "gross" or (not quantity and total_gross is not None)
    if gross_driven and keeps_gross:
        gross = total_gross if total_gross is not None else round2(price_gross * quantity)
        gross = round2(gross - (discount_amount or ZERO) * factor)
        net = round2(gross / factor)
    elif gross_driven:
        # Default strategy with net unit prices on the form: the gross becomes a rounded unit net.
        if price_gross is not None:
            unit_net = round2(price_gross / factor)
        else:
            unit_net = round2(total_gross / quantity / factor)
        net = round2(unit_net * quantity - (discount_amount or ZERO))
        gross = round2(net * factor)
    else:
        net = total_net if total_net is not None else round2(price_net * quantity)
        net = round2(net - (discount_amount or ZERO))
        gross = round2(net * factor)
    unit_net = round2(net / quantity) if quantity else (price_net or ZERO)
    unit_gross = round2(gross / quantity) if quantity else (price_gross or ZERO)
    return Line(quantity, tax, rate, unit_net, unit_gross, net, gross)


@dataclass
class Sums:
    net: Decimal
    gross: Decimal

    @property
    def tax(self) -> Decimal:
        return self.gross - self.net


def sum_lines(lines: list[Line], strategy: str = "sum") -> Sums:
    if strategy == "sum":
        return Sums(sum((line.total_net for line in lines), ZERO), sum((line.total_gross for line in lines), ZERO))
    groups: dict[tuple[str, Decimal], list[Line]] = {}
    for line in lines:
        groups.setdefault((line.tax, line.rate), []).append(line)
    net = gross = ZERO
    for (_label, rate), group in groups.items():
        factor = 1 + rate / HUNDRED
        if strategy == "keep_gross":
            g = sum((line.total_gross for line in group), ZERO)
            n = round2(g / factor)
        else:  # keep_net
            n = sum((line.total_net for line in group), ZERO)
            g = n + round2(n * rate / HUNDRED)
        net += n
        gross += g
    return Sums(net, gross)
