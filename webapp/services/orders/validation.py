"""What the platform (ORDER_API.md) or the merchant's form sends, checked before anything is
written: an order or an event either passes whole, or comes back with every problem keyed by the
field's path (`lines[0].vat_rate`), so nothing is ever half-written.

Problems are codes with parameters (a worker or an API client has no request language);
`messages()` turns them into sentences in the current locale. Amounts are decimal strings
("12.30"), never JSON numbers; dates are ISO 8601 with an offset; countries ISO 3166 alpha-2;
currencies ISO 4217 (Babel's list); VAT ids, company ids and tax ids are checked with
python-stdnum where it has a module for the country.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from babel import Locale, localedata
from babel.numbers import is_currency
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from stdnum import get_cc_module
from stdnum.exceptions import ValidationError as StdnumError

from ...models import EventType, OrderStatus
from ...models.orders import PAYMENT_METHODS, SHIPPING_METHODS

HUNDRED = Decimal("100")
ZERO = Decimal("0")
MAX_LINES = 500
DECIMAL_TEXT = re.compile(r"^[+-]?\d{1,14}(\.\d{1,4})?$")
ORDER_NUMBER = re.compile(r"^[^/\s\x00-\x1f\x7f]{1,64}$")
PHONE = re.compile(r"^[+0-9 ()./-]{3,32}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}([_-][A-Za-z]{2})?$")
CUSTOMER_TYPES = ("person", "company")
# CLDR territories that are not ISO 3166 alpha-2 country codes (XK, Kosovo, stays: it is in use).
NOT_COUNTRIES = frozenset({"AC", "CP", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"})
EU_VAT_PREFIXES = frozenset(
    {
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "EL",
        "ES",
        "FI",
        "FR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
        "XI",
    }
)
# python-stdnum modules for company and tax ids, where a country has one (SK has none for IČO or DIČ).
COMPANY_ID_MODULES = {"CZ": "dic", "PL": "regon"}  # a Czech IČO is the 8-digit form cz.dic checks
TAX_ID_MODULES = {"CZ": "dic", "PL": "nip"}


# -- problems ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    code: str
    params: tuple[tuple[str, str], ...] = ()

    def message(self) -> str:
        return str(MESSAGES.get(self.code, MESSAGES["invalid"])) % dict(self.params)


Errors = dict[str, list[Problem]]

MESSAGES = {
    "required": _l("This field is required."),
    "invalid": _l("This value is not valid."),
    "not_an_object": _l("Send an object here."),
    "not_a_list": _l("Send a list here."),
    "not_a_string": _l("Send text here."),
    "not_a_boolean": _l("Send true or false here."),
    "empty_list": _l("Add at least one item."),
    "too_many": _l("At most %(max)s items are allowed."),
    "too_long": _l("At most %(max)s characters are allowed."),
    "decimal_string": _l('Send a decimal number as a string, for example "12.30".'),
    "not_positive": _l("Must be greater than zero."),
    "negative": _l("Must not be negative."),
    "percent_range": _l("Must be between 0 and 100."),
    "one_of": _l("Must be one of: %(choices)s."),
    "datetime": _l("Send a date and time in ISO 8601 with an offset, for example 2026-11-24T10:15:00+01:00."),
    "order_number": _l("Use 1 to 64 characters without spaces or slashes."),
    "currency": _l("Not an ISO 4217 currency code (for example EUR, CZK, PLN)."),
    "country": _l("Not an ISO 3166 country code (for example SK, CZ, PL)."),
    "language": _l("Not a language code (for example sk, cs, pl, en)."),
    "email": _l("Not a valid e-mail address."),
    "phone": _l("Not a valid phone number."),
    "vat_id": _l("Not a valid VAT id for %(country)s."),
    "company_id": _l("Not a valid company id for %(country)s."),
    "tax_id": _l("Not a valid tax id for %(country)s."),
    "company_name_required": _l("A company customer needs a company name."),
    "name_required": _l("Enter the customer's name."),
    "negative_total": _l("The order total must not be negative."),
    "unknown_sku": _l("The order has no line with SKU %(sku)s."),
    "refund_quantity": _l("At most %(max)s can still be refunded on this line."),
    "refund_amount": _l("At most %(max)s can still be refunded on this order."),
    "nothing_to_refund": _l("Choose lines to refund or enter an amount."),
}


def messages(errors: Errors) -> dict[str, list[str]]:
    """The problems as sentences in the current locale, keyed by field path."""
    return {path: [problem.message() for problem in problems] for path, problems in errors.items()}


# -- validated data ------------------------------------------------------------------------------
@dataclass
class LineData:
    name: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    sku: str = ""
    unit: str = ""
    discount_percent: Decimal = ZERO


@dataclass
class OrderData:
    number: str
    currency: str
    customer: dict[str, Any]
    lines: list[LineData]
    ordered_at: datetime | None = None  # UTC, naive
    language: str = ""
    prices_include_vat: bool = True
    shipping: dict[str, str] | None = None  # method, name, price, vat_rate (decimal strings)
    payment: dict[str, str] | None = None  # method, fee, vat_rate
    status: str = OrderStatus.NEW


@dataclass
class EventData:
    type: str
    at: datetime  # UTC, naive
    reference: str = ""
    amount: Decimal | None = None
    status: str = ""
    lines: list[dict[str, str]] = field(default_factory=list)  # refunded: [{"sku", "quantity"}]

    @property
    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {}
        if self.status:
            payload["status"] = self.status
        if self.lines:
            payload["lines"] = self.lines
        return payload


# -- reading one value ---------------------------------------------------------------------------
class _Reader:
    """Reads values out of a JSON object, collecting problems by path instead of stopping."""

    def __init__(self) -> None:
        self.errors: Errors = {}

    def add(self, path: str, code: str, **params: Any) -> None:
        self.errors.setdefault(path or "body", []).append(
            Problem(code, tuple(sorted((k, str(v)) for k, v in params.items())))
        )

    def obj(self, source: dict, key: str, path: str, *, required: bool = True) -> dict | None:
        value = source.get(key)
        if value is None:
            if required:
                self.add(path, "required")
            return None
        if not isinstance(value, dict):
            self.add(path, "not_an_object")
            return None
        return value

    def text(self, source: dict, key: str, path: str, *, required: bool = False, max_length: int = 255) -> str:
        value = source.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(path, "required")
            return ""
        if not isinstance(value, str):
            self.add(path, "not_a_string")
            return ""
        value = value.strip()
        if len(value) > max_length:
            self.add(path, "too_long", max=max_length)
            return ""
        return value

    def decimal(
        self,
        source: dict,
        key: str,
        path: str,
        *,
        required: bool = True,
        default: str | None = None,
        positive: bool = False,
        non_negative: bool = False,
        percent: bool = False,
    ) -> Decimal | None:
        value = source.get(key)
        if value is None or value == "":
            if default is not None:
                return Decimal(default)
            if required:
                self.add(path, "required")
            return None
        if not isinstance(value, str) or not DECIMAL_TEXT.match(value.strip()):
            self.add(path, "decimal_string")
            return None
        try:
            number = Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            self.add(path, "decimal_string")
            return None
        if positive and number <= ZERO:
            self.add(path, "not_positive")
            return None
        if (non_negative or percent) and number < ZERO:
            self.add(path, "negative" if non_negative else "percent_range")
            return None
        if percent and number > HUNDRED:
            self.add(path, "percent_range")
            return None
        return number

    def choice(
        self, source: dict, key: str, path: str, choices: tuple[str, ...], *, required: bool = True, default: str = ""
    ) -> str:
        value = source.get(key)
        if value is None or value == "":
            if required and not default:
                self.add(path, "required")
            return default
        if value not in choices:
            self.add(path, "one_of", choices=", ".join(choices))
            return default
        return value

    def boolean(self, source: dict, key: str, path: str, default: bool) -> bool:
        value = source.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.add(path, "not_a_boolean")
            return default
        return value

    def moment(self, source: dict, key: str, path: str, *, required: bool) -> datetime | None:
        value = source.get(key)
        if value is None or value == "":
            if required:
                self.add(path, "required")
            return None
        parsed = parse_datetime(value) if isinstance(value, str) else None
        if parsed is None:
            self.add(path, "datetime")
        return parsed


def parse_datetime(value: str) -> datetime | None:
    """ISO 8601 with an offset -> naive UTC (how every datetime column is stored); None if not."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return None
    return parsed.astimezone(timezone.utc).replace(tzinfo=None)


@lru_cache(maxsize=1)
def countries() -> frozenset[str]:
    return frozenset(
        code
        for code in Locale("en").territories
        # Babel types the keys loosely (its locale data also has int and None keys elsewhere).
        if isinstance(code, str) and len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
    )


def is_country(code: str) -> bool:
    return code in countries()


def is_language(code: str) -> bool:
    return bool(LANGUAGE.match(code)) and localedata.exists(code.replace("-", "_"))


def _stdnum_valid(country: str, module_name: str, value: str) -> bool | None:
    """True/False where python-stdnum has a module for the country, None where it has none."""
    module = get_cc_module(country.lower(), module_name) if country else None
    if module is None:
        return None
    try:
        module.validate(value)
    except StdnumError:
        return False
    return True


def vat_id_valid(value: str, country: str) -> bool | None:
    compact = re.sub(r"[\s.-]", "", value).upper()
    prefix = compact[:2] if compact[:2].isalpha() else ""
    if not prefix:
        prefix = "EL" if country == "GR" else country
        compact = prefix + compact
    if prefix in EU_VAT_PREFIXES:
        return _stdnum_valid("eu", "vat", compact) if prefix else None
    return _stdnum_valid(prefix, "vat", compact)


def company_id_valid(value: str, country: str) -> bool | None:
    name = COMPANY_ID_MODULES.get(country)
    if name is None:
        return None
    if country == "CZ" and len(re.sub(r"\D", "", value)) != 8:
        return False
    return _stdnum_valid(country, name, value)


def tax_id_valid(value: str, country: str) -> bool | None:
    name = TAX_ID_MODULES.get(country)
    return None if name is None else _stdnum_valid(country, name, value)


# -- the order -----------------------------------------------------------------------------------
def _address(r: _Reader, source: dict, key: str, path: str, *, required: bool) -> dict[str, str] | None:
    data = r.obj(source, key, path, required=required)
    if data is None:
        return None
    address = {
        "street": r.text(data, "street", f"{path}.street"),
        "city": r.text(data, "city", f"{path}.city", max_length=100),
        "zip": r.text(data, "zip", f"{path}.zip", max_length=20),
    }
    country = r.text(data, "country", f"{path}.country", required=True, max_length=2).upper()
    if country and not is_country(country):
        r.add(f"{path}.country", "country")
    address["country"] = country
    return address


def _customer(r: _Reader, payload: dict) -> dict[str, Any]:
    data = r.obj(payload, "customer", "customer")
    if data is None:
        return {}
    kind = r.choice(data, "type", "customer.type", CUSTOMER_TYPES)
    customer: dict[str, Any] = {"type": kind}
    for key, length in (
        ("name", 255),
        ("company_name", 255),
        ("company_id", 32),
        ("vat_id", 32),
        ("tax_id", 32),
        ("email", 255),
        ("phone", 32),
    ):
        customer[key] = r.text(data, key, f"customer.{key}", max_length=length)
    if kind == "company" and not customer["company_name"] and "customer.company_name" not in r.errors:
        r.add("customer.company_name", "company_name_required")
    if kind == "person" and not customer["name"] and "customer.name" not in r.errors:
        r.add("customer.name", "name_required")
    if customer["email"]:
        try:
            customer["email"] = validate_email(customer["email"], check_deliverability=False).normalized
        except EmailNotValidError:
            r.add("customer.email", "email")
    if customer["phone"] and not PHONE.match(customer["phone"]):
        r.add("customer.phone", "phone")
    billing = _address(r, data, "billing_address", "customer.billing_address", required=True)
    delivery = _address(r, data, "delivery_address", "customer.delivery_address", required=False)
    customer["billing_address"] = billing or {}
    if delivery:
        customer["delivery_address"] = delivery
    country = (billing or {}).get("country", "")
    checks = (("vat_id", vat_id_valid), ("company_id", company_id_valid), ("tax_id", tax_id_valid))
    for key, check in checks:
        if customer[key] and country and check(customer[key], country) is False:
            shown = customer[key][:2].upper() if key == "vat_id" and customer[key][:2].isalpha() else country
            r.add(f"customer.{key}", key, country=shown)
    return {k: v for k, v in customer.items() if v not in ("", None)}


def _lines(r: _Reader, payload: dict) -> list[LineData]:
    raw = payload.get("lines")
    if raw is None:
        r.add("lines", "required")
        return []
    if not isinstance(raw, list):
        r.add("lines", "not_a_list")
        return []
    if not raw:
        r.add("lines", "empty_list")
        return []
    if len(raw) > MAX_LINES:
        r.add("lines", "too_many", max=MAX_LINES)
        return []
    lines = []
    for i, item in enumerate(raw):
        path = f"lines[{i}]"
        if not isinstance(item, dict):
            r.add(path, "not_an_object")
            continue
        name = r.text(item, "name", f"{path}.name", required=True)
        sku = r.text(item, "sku", f"{path}.sku", max_length=64)
        unit = r.text(item, "unit", f"{path}.unit", max_length=16)
        # A coupon may come as a line with a negative price; the order total is checked below.
        quantity = r.decimal(item, "quantity", f"{path}.quantity", positive=True)
        unit_price = r.decimal(item, "unit_price", f"{path}.unit_price")
        vat_rate = r.decimal(item, "vat_rate", f"{path}.vat_rate", percent=True)
        discount = r.decimal(item, "discount_percent", f"{path}.discount_percent", default="0", percent=True)
        if quantity is None or unit_price is None or vat_rate is None or discount is None:
            continue  # the reader recorded why, so the order is refused with every problem listed
        lines.append(LineData(name, quantity, unit_price, vat_rate, sku=sku, unit=unit, discount_percent=discount))
    return lines


def _fee(r: _Reader, payload: dict, key: str, amount_key: str, methods: tuple[str, ...]) -> dict[str, str] | None:
    data = r.obj(payload, key, key, required=False)
    if data is None:
        return None
    result = {"method": r.choice(data, "method", f"{key}.method", methods)}
    name = r.text(data, "name", f"{key}.name")
    if name:
        result["name"] = name
    amount = r.decimal(data, amount_key, f"{key}.{amount_key}", default="0", non_negative=True)
    rate = r.decimal(
        data, "vat_rate", f"{key}.vat_rate", required=bool(amount), default=None if amount else "0", percent=True
    )
    result[amount_key] = str(amount) if amount is not None else "0"
    result["vat_rate"] = str(rate) if rate is not None else "0"
    return result


def validate_order(payload: Any) -> tuple[OrderData | None, Errors]:
    """An order as ORDER_API.md describes it -> OrderData, or every problem by path."""
    r = _Reader()
    if not isinstance(payload, dict):
        r.add("body", "not_an_object")
        return None, r.errors
    number = r.text(payload, "number", "number", required=True, max_length=64)
    if number and not ORDER_NUMBER.match(number):
        r.add("number", "order_number")
    currency = r.text(payload, "currency", "currency", required=True, max_length=3).upper()
    if currency and not is_currency(currency):
        r.add("currency", "currency")
    language = r.text(payload, "language", "language", max_length=5)
    if language and not is_language(language):
        r.add("language", "language")
    data = OrderData(
        number=number,
        currency=currency,
        language=language,
        ordered_at=r.moment(payload, "created_at", "created_at", required=False),
        prices_include_vat=r.boolean(payload, "prices_include_vat", "prices_include_vat", True),
        customer=_customer(r, payload),
        lines=_lines(r, payload),
        shipping=_fee(r, payload, "shipping", "price", SHIPPING_METHODS),
        payment=_fee(r, payload, "payment", "fee", PAYMENT_METHODS),
        status=r.choice(payload, "status", "status", OrderStatus.ALL, default=OrderStatus.NEW),
    )
    if not r.errors:
        from .totals import totals_of  # totals need whole lines: only once the lines are valid

        if totals_of(data.lines, data.shipping, data.payment, data.prices_include_vat).gross < ZERO:
            r.add("lines", "negative_total")
    return (None, r.errors) if r.errors else (data, {})


# -- an event ------------------------------------------------------------------------------------
def validate_event(payload: Any) -> tuple[EventData | None, Errors]:
    """An event as ORDER_API.md describes it -> EventData, or every problem by path. Checks
    against the order itself (what can still be refunded) are `check_event_for_order`'s."""
    r = _Reader()
    if not isinstance(payload, dict):
        r.add("body", "not_an_object")
        return None, r.errors
    kind = r.choice(payload, "type", "type", EventType.FROM_PLATFORM)
    at = r.moment(payload, "at", "at", required=True)
    reference = r.text(payload, "reference", "reference", max_length=128)
    data = EventData(type=kind, at=at or datetime.min, reference=reference)
    if kind == EventType.STATUS_CHANGED:
        data.status = r.choice(payload, "status", "status", OrderStatus.ALL)
    if kind in (EventType.PAID, EventType.REFUNDED):
        data.amount = r.decimal(payload, "amount", "amount", positive=True)
    if kind == EventType.REFUNDED and payload.get("lines") is not None:
        raw = payload["lines"]
        if not isinstance(raw, list):
            r.add("lines", "not_a_list")
        elif len(raw) > MAX_LINES:
            r.add("lines", "too_many", max=MAX_LINES)
        else:
            for i, item in enumerate(raw):
                if not isinstance(item, dict):
                    r.add(f"lines[{i}]", "not_an_object")
                    continue
                sku = r.text(item, "sku", f"lines[{i}].sku", required=True, max_length=64)
                quantity = r.decimal(item, "quantity", f"lines[{i}].quantity", positive=True)
                if sku and quantity is not None:
                    data.lines.append({"sku": sku, "quantity": str(quantity)})
    return (None, r.errors) if r.errors else (data, {})


def check_event_for_order(data: EventData, order) -> Errors:
    """What the order allows: a refund names lines it has and refunds no more than is left."""
    if data.type != EventType.REFUNDED:
        return {}
    from .totals import refundable_amount, refundable_by_sku

    r = _Reader()
    left = refundable_by_sku(order)
    asked: dict[str, Decimal] = {}
    for i, line in enumerate(data.lines):
        sku = line["sku"]
        if sku not in left:
            r.add(f"lines[{i}].sku", "unknown_sku", sku=sku)
            continue
        asked[sku] = asked.get(sku, ZERO) + Decimal(line["quantity"])
        if asked[sku] > left[sku]:
            r.add(f"lines[{i}].quantity", "refund_quantity", max=_plain(left[sku]))
    remaining = refundable_amount(order)
    if data.amount is not None and data.amount > remaining:
        r.add("amount", "refund_amount", max=_plain(remaining))
    return r.errors


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
