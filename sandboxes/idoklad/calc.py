"""iDoklad's price arithmetic for the sandbox: item prices per `PriceType`, VAT per `VatRateType`,
document totals as the sum of the rounded item values, and the `VatRateSummary` per rate type.

Written from the iDoklad v3 facts (../shared/api/idoklad.md §4): PriceType WithVat=0,
WithoutVat=1, OnlyBase=2; VatRateType Reduced1=0, Basic=1, Zero=2, Reduced2=3.
UNCONFIRMED: whether iDoklad sums rounded item values or rounds the VAT of each rate's summed
base; the sandbox sums the rounded items (what the per-item `Prices` it returns add up to).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

WITH_VAT, WITHOUT_VAT, ONLY_BASE = 0, 1, 2
REDUCED1, BASIC, ZERO, REDUCED2 = 0, 1, 2, 3
PRICE_TYPES = {"WithVat": WITH_VAT, "WithoutVat": WITHOUT_VAT, "OnlyBase": ONLY_BASE}
VAT_RATE_TYPES = {"Reduced1": REDUCED1, "Basic": BASIC, "Zero": ZERO, "Reduced2": REDUCED2}

CENT = Decimal("0.01")

# (country, rate type) -> [(valid from, valid to, percent)]; the legal rates of the two markets.
VAT_RATES: dict[tuple[str, int], list[tuple[date, date, Decimal]]] = {
    ("CZ", BASIC): [(date(2013, 1, 1), date(2099, 12, 31), Decimal("21"))],
    ("CZ", REDUCED1): [
        (date(2015, 1, 1), date(2023, 12, 31), Decimal("15")),
        (date(2024, 1, 1), date(2099, 12, 31), Decimal("12")),
    ],
    ("CZ", REDUCED2): [(date(2015, 1, 1), date(2023, 12, 31), Decimal("10"))],
    ("CZ", ZERO): [(date(2000, 1, 1), date(2099, 12, 31), Decimal("0"))],
    ("SK", BASIC): [
        (date(2011, 1, 1), date(2024, 12, 31), Decimal("20")),
        (date(2025, 1, 1), date(2099, 12, 31), Decimal("23")),
    ],
    ("SK", REDUCED1): [
        (date(2011, 1, 1), date(2024, 12, 31), Decimal("10")),
        (date(2025, 1, 1), date(2099, 12, 31), Decimal("19")),
    ],
    ("SK", REDUCED2): [(date(2023, 1, 1), date(2099, 12, 31), Decimal("5"))],
    ("SK", ZERO): [(date(2000, 1, 1), date(2099, 12, 31), Decimal("0"))],
}


def round2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def vat_rate(country: str, rate_type: int, on: date) -> Decimal | None:
    """The percent of a VAT rate type in a country on a date; None where the type does not exist."""
    for start, end, percent in VAT_RATES.get((country, rate_type), []):
        if start <= on <= end:
            return percent
    return None


def item_prices(
    amount: Decimal, unit_price: Decimal, price_type: int, rate: Decimal, discount: Decimal, exchange: Decimal
) -> dict[str, Decimal]:
    """`Prices` of one item (InvoiceItemPrices), rounded to 2 places per item."""
    factor = (Decimal(100) - discount) / Decimal(100)

    def split(gross_or_net: Decimal) -> tuple[Decimal, Decimal, Decimal]:
        if price_type == WITH_VAT:
            with_vat = round2(gross_or_net)
            vat = round2(with_vat * rate / (Decimal(100) + rate))
            return with_vat - vat, vat, with_vat
        base = round2(gross_or_net)
        vat = Decimal("0.00") if price_type == ONLY_BASE else round2(base * rate / Decimal(100))
        return base, vat, base + vat

    base, vat, with_vat = split(amount * unit_price * factor)
    base0, vat0, with0 = split(amount * unit_price)
    return {
        "UnitPrice": unit_price,
        "TotalWithoutVat": base,
        "TotalWithoutVatHc": round2(base * exchange),
        "TotalVat": vat,
        "TotalVatHc": round2(vat * exchange),
        "TotalWithVat": with_vat,
        "TotalWithVatHc": round2(with_vat * exchange),
        "TotalWithoutVatBeforeDiscount": base0,
        "TotalVatBeforeDiscount": vat0,
        "TotalWithVatBeforeDiscount": with0,
    }


def document_prices(items: list[dict], exchange: Decimal, paid: Decimal) -> dict:
    """Document `Prices` (IssuedInvoicePrices) from items that already carry their `Prices`."""
    summary: dict[int, dict[str, Decimal]] = {}
    totals = {"TotalWithoutVat": Decimal("0.00"), "TotalVat": Decimal("0.00"), "TotalWithVat": Decimal("0.00")}
    before = Decimal("0.00")
    for item in items:
        prices = item["Prices"]
        bucket = summary.setdefault(
            item["VatRateType"],
            {"TotalWithoutVat": Decimal("0.00"), "TotalVat": Decimal("0.00"), "TotalWithVat": Decimal("0.00")},
        )
        for name in totals:
            bucket[name] += prices[name]
            totals[name] += prices[name]
        before += prices["TotalWithVatBeforeDiscount"]
    discount = before - totals["TotalWithVat"]
    result: dict = {}
    for name, value in totals.items():
        result[name] = value
        result[name + "Hc"] = round2(value * exchange)
    result.update(
        {
            "TotalPaid": paid,
            "TotalPaidHc": round2(paid * exchange),
            "TotalDiscountAmount": discount,
            "TotalWithoutDiscount": before if discount else Decimal("0.00"),
            "VatRateSummary": [
                {
                    "VatRateType": rate_type,
                    **{name: value for name, value in bucket.items()},
                    **{name + "Hc": round2(value * exchange) for name, value in bucket.items()},
                }
                for rate_type, bucket in sorted(summary.items())
            ],
        }
    )
    return result
