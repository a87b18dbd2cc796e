"""Amounts, lines and validation of inFakt invoice payloads (readme "Definicja faktury VAT",
"Definicja pozycji (Service)").

Every amount is an integer number of grosze, both ways. A decimal string or number is not refused:
it is read as grosze too (3rd-party, OpenLinker: sending "12.50" meaning złoty produced invoices
about 100x too small), rounded half up to a whole grosz. So a client sending złoty sees it in the
totals, as it would on the real API.

Line arithmetic (UNCONFIRMED rounding, the usual Polish per-line reading):
- `unit_net_price` (+ `quantity`, `discount` %): net = unit × qty × (100 − discount) / 100;
- else `net_price` (the line's net value);
- else `gross_price` (the line's gross value, "faktura od brutto"): net = gross × 100 / (100 + rate);
- VAT = net × rate / 100 per line (0 for `zw` / `np`), gross = net + VAT; totals are line sums.

`validate_invoice` returns `{field: [messages]}` in the shape of the async task's
`invoice_errors`; messages are Polish like the application's (wording UNCONFIRMED).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

TAX_SYMBOLS = {"23": 23, "8": 8, "5": 5, "0": 0, "zw": None, "np": None}
PAYMENT_METHODS = (
    "transfer",
    "cash",
    "card",
    "barter",
    "check",
    "bill_of_sale",
    "delivery",
    "compensation",
    "accredited",
    "paypal",
    "instalment_sale",
    "payu",
    "tpay",
    "przelewy24",
    "dotpay",
    "other",
)
CURRENCIES = ("PLN", "EUR", "USD", "GBP", "CHF", "CZK", "DKK", "NOK", "SEK", "HUF", "RON", "BGN", "UAH", "JPY")
ACTIVITY_KINDS = ("private_person", "self_employed", "other_business")
STATUSES = ("draft", "sent", "printed", "paid")
BLANK = "nie może być puste"
INVALID = "jest nieprawidłowe"
NOT_NUMBER = "nie jest liczbą"
NOT_IN_LIST = "nie znajduje się na liście dopuszczalnych wartości"
BAD_DATE = "ma nieprawidłowy format (RRRR-MM-DD)"
TAKEN = "jest już zajęty"


class Invalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def grosze(value: Any) -> int:
    """An amount in grosze from an int, a float or a numeric string; raises Invalid otherwise."""
    if isinstance(value, bool) or value is None:
        raise Invalid(NOT_NUMBER)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise Invalid(NOT_NUMBER) from None
    if not number.is_finite():
        raise Invalid(NOT_NUMBER)
    return int(number.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def quantity_of(value: Any, allow_zero: bool = False) -> Decimal:
    if value in (None, ""):
        return Decimal(1)
    if isinstance(value, bool):
        raise Invalid(NOT_NUMBER)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise Invalid(NOT_NUMBER) from None
    if not number.is_finite():
        raise Invalid(NOT_NUMBER)
    if number < 0 or (number == 0 and not allow_zero):
        raise Invalid("musi być większe od 0")
    return number


def rate_of(symbol: Any) -> int | None:
    return TAX_SYMBOLS[str(symbol).strip().lower()]


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_date(value: Any) -> date | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def nip_digits(value: Any) -> str:
    text = str(value or "").upper().strip()
    if text.startswith("PL"):
        text = text[2:]
    return re.sub(r"[\s-]", "", text)


def nip_valid(value: Any) -> bool:
    digits = nip_digits(value)
    if not re.fullmatch(r"\d{10}", digits):
        return False
    checksum = sum(int(d) * w for d, w in zip(digits, (6, 5, 7, 2, 3, 4, 5, 6, 7))) % 11
    return checksum == int(digits[9])


def build_service(
    data: dict[str, Any],
    position: int,
    errors: dict[str, list[str]],
    prefix: str = "services",
    allow_zero: bool = False,
) -> dict[str, Any] | None:
    """One stored service line (amounts in grosze) or None with errors added."""

    def add(field: str, message: str) -> None:
        errors.setdefault(f"{prefix}.{field}", []).append(message)

    if not isinstance(data, dict):
        errors.setdefault(prefix, []).append(INVALID)
        return None
    name = str(data.get("name") or "").strip()
    if not name:
        add("name", BLANK)
    symbol = str(data.get("tax_symbol") if data.get("tax_symbol") is not None else "").strip().lower()
    if not symbol:
        add("tax_symbol", BLANK)
    elif symbol not in TAX_SYMBOLS:
        add("tax_symbol", NOT_IN_LIST)
    try:
        quantity = quantity_of(data.get("quantity"), allow_zero)
    except Invalid as exc:
        add("quantity", exc.message)
        quantity = Decimal(1)
    discount = 0
    if data.get("discount") not in (None, ""):
        try:
            discount = grosze(data["discount"])
            if not 0 <= discount <= 100:
                add("discount", "musi być w przedziale 0-100")
        except Invalid as exc:
            add("discount", exc.message)
    amounts: dict[str, int] = {}
    for key in ("unit_net_price", "net_price", "gross_price"):
        if data.get(key) not in (None, ""):
            try:
                amounts[key] = grosze(data[key])
            except Invalid as exc:
                add(key, exc.message)
    if not amounts and not any(f"{prefix}.{k}" in errors for k in ("unit_net_price", "net_price", "gross_price")):
        add("unit_net_price", BLANK)
    if any(key.startswith(prefix + ".") for key in errors) or symbol not in TAX_SYMBOLS:
        return None
    rate = TAX_SYMBOLS[symbol]
    factor = Decimal(100 - discount) / 100
    if "unit_net_price" in amounts:
        before = amounts["unit_net_price"]
        net = _round(Decimal(before) * quantity * factor)
    elif "net_price" in amounts:
        net = amounts["net_price"]
        before = _round(Decimal(net) / quantity / factor) if factor and quantity else 0
    else:
        gross = amounts["gross_price"]
        net = _round(Decimal(gross) * 100 / (100 + (rate or 0)))
        before = _round(Decimal(net) / quantity / factor) if factor and quantity else 0
    if "gross_price" in amounts and "unit_net_price" not in amounts and "net_price" not in amounts:
        tax = amounts["gross_price"] - net
    else:
        tax = _round(Decimal(net) * (rate or 0) / 100)
    return {
        "id": None,
        "related_id": None,
        "name": name,
        "tax_symbol": symbol,
        "unit": str(data.get("unit") or "szt."),
        "quantity": _quantity_out(quantity),
        "unit_net_price": _round(Decimal(before) * factor),
        "net_price": net,
        "gross_price": net + tax,
        "tax_price": tax,
        "pkwiu": data.get("pkwiu"),
        "cn": data.get("cn"),
        "pkob": data.get("pkob"),
        "gtin": data.get("gtin"),
        "gtu_id": data.get("gtu_id"),
        "discount": discount,
        "unit_net_price_before_discount": before,
        "flat_rate_tax_symbol": data.get("flat_rate_tax_symbol"),
    }


def _quantity_out(quantity: Decimal) -> float | int:
    return int(quantity) if quantity == quantity.to_integral_value() else float(quantity)


def totals(services: list[dict[str, Any]]) -> dict[str, int]:
    net = sum(s["net_price"] for s in services)
    tax = sum(s["tax_price"] for s in services)
    return {"net_price": net, "tax_price": tax, "gross_price": net + tax}


def validate_header(
    data: dict[str, Any], company: dict[str, Any], errors: dict[str, list[str]], *, creating: bool
) -> None:
    """Header fields shared by VAT/proforma invoices and corrections."""

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for key in (
        "invoice_date",
        "sale_date",
        "payment_date",
        "paid_date",
        "continuous_service_start_on",
        "continuous_service_end_on",
    ):
        if data.get(key) not in (None, "") and parse_date(data[key]) is None:
            add(key, BAD_DATE)
    invoice_date = parse_date(data.get("invoice_date"))
    payment_date = parse_date(data.get("payment_date"))
    if invoice_date and payment_date and payment_date < invoice_date:
        add("payment_date", "nie może być wcześniejsza niż data wystawienia")
    if data.get("payment_method") not in (None, "") and data["payment_method"] not in PAYMENT_METHODS:
        add("payment_method", NOT_IN_LIST)
    method = data.get("payment_method") or "transfer"
    # 3rd-party (OpenLinker): "transfer" is refused while the account has no bank account.
    if method == "transfer" and creating and not company["bank_accounts"] and not data.get("bank_account"):
        add("bank_account", "Dodaj rachunek bankowy w ustawieniach, aby wystawić fakturę z płatnością przelewem")
    if data.get("currency") not in (None, "") and str(data["currency"]).upper() not in CURRENCIES:
        add("currency", NOT_IN_LIST)
    if data.get("status") not in (None, "") and data["status"] not in STATUSES:
        add("status", NOT_IN_LIST)
    if (
        data.get("client_business_activity_kind") not in (None, "")
        and data["client_business_activity_kind"] not in ACTIVITY_KINDS
    ):
        add("client_business_activity_kind", NOT_IN_LIST)
    if data.get("split_payment_type") not in (None, "") and data["split_payment_type"] not in ("required", "optional"):
        add("split_payment_type", NOT_IN_LIST)
    client_id = data.get("client_id")
    if client_id not in (None, ""):
        if not any(str(c["id"]) == str(client_id) for c in company["clients"]):
            add("client_id", "nie istnieje")
    elif (
        creating
        and not str(data.get("client_company_name") or "").strip()
        and not (str(data.get("client_first_name") or "").strip() and str(data.get("client_last_name") or "").strip())
    ):
        add("client_company_name", BLANK)
    country = str(data.get("client_country") or "PL").upper()
    # UNCONFIRMED: the NIP checksum is enforced for Polish buyers (KSeF refuses bad NIPs anyway).
    if data.get("client_tax_code") not in (None, "") and country == "PL" and not nip_valid(data["client_tax_code"]):
        add("client_tax_code", INVALID)
    terms = data.get("transaction_terms")
    if terms not in (None, ""):
        if not isinstance(terms, dict):
            add("transaction_terms", INVALID)
        else:
            for key in ("contracts", "orders"):
                items = terms.get(key, [])
                if not isinstance(items, list) or any(
                    not isinstance(i, dict)
                    or not str(i.get("number") or "").strip()
                    or (i.get("date") not in (None, "") and parse_date(i["date"]) is None)
                    for i in items
                ):
                    add(f"transaction_terms.{key}", INVALID)


def validate_invoice(data: dict[str, Any], company: dict[str, Any]) -> tuple[dict[str, list[str]], list[dict]]:
    """Errors of a VAT/proforma create payload and the built service lines."""
    errors: dict[str, list[str]] = {}
    kind = data.get("kind") or "vat"
    if kind not in ("vat", "proforma"):
        errors.setdefault("kind", []).append(NOT_IN_LIST)
    validate_header(data, company, errors, creating=True)
    services = data.get("services")
    built: list[dict[str, Any]] = []
    if not isinstance(services, list) or not services:
        errors.setdefault("services", []).append(BLANK)
    else:
        for position, line in enumerate(services):
            service = build_service(line, position, errors)
            if service is not None:
                built.append(service)
        # UNCONFIRMED: an exempt (zw) line needs the exemption basis, as KSeF's FA schema does.
        if any(s["tax_symbol"] == "zw" for s in built) and data.get("vat_exemption_reason") in (None, ""):
            errors.setdefault("vat_exemption_reason", []).append(BLANK)
        elif data.get("vat_exemption_reason") not in (None, "") and str(data["vat_exemption_reason"]) not in {
            str(v["id"]) for v in VAT_EXEMPTIONS
        }:
            errors.setdefault("vat_exemption_reason", []).append("nie istnieje")
    number = data.get("number")
    if number not in (None, "") and data.get("check_duplicate_number") in (True, "true", 1, "1"):
        if any(i["number"] == str(number) and i["kind"] == kind for i in company["invoices"].values()):
            errors.setdefault("number", []).append(TAKEN)
    return errors, built


VAT_EXEMPTIONS = (
    {
        "id": 1,
        "name": "Zwolnienie ze względu na nieprzekroczenie 200 000 PLN obrotu",
        "description": "art. 113 ust. 1 i 9 ustawy o VAT",
    },
    {
        "id": 2,
        "name": "Zwolnienie ze względu na rodzaj prowadzonej działalności",
        "description": "art. 43 ust. 1 ustawy o VAT",
    },
    {
        "id": 3,
        "name": "Zwolnienie na mocy rozporządzenia MF",
        "description": "§ 3 ust. 1 rozporządzenia w sprawie zwolnień od podatku",
    },
)
