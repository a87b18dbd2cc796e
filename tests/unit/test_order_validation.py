"""Validation of orders and events from the platform or a form: problems keyed by the field's
path as stable codes, sentences only when asked for, nothing accepted half-valid."""

from __future__ import annotations

import copy
from datetime import datetime
from decimal import Decimal

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from webapp.services.orders import validation
from webapp.services.orders.totals import order_totals, totals_of

ORDER = {
    "number": "2026-000123",
    "created_at": "2026-11-24T10:15:00+01:00",
    "currency": "EUR",
    "language": "sk",
    "prices_include_vat": True,
    "customer": {
        "type": "company",
        "name": "Ján Novák",
        "company_name": "Novák s.r.o.",
        "company_id": "12345678",
        "vat_id": "SK2020273893",
        "email": "jan@example.sk",
        "billing_address": {"street": "Hlavná 1", "city": "Bratislava", "zip": "81101", "country": "SK"},
    },
    "lines": [
        {
            "sku": "TEA-01",
            "name": "Green tea 100 g",
            "quantity": "2",
            "unit": "ks",
            "unit_price": "12.30",
            "vat_rate": "23",
            "discount_percent": "0",
        }
    ],
    "shipping": {"method": "courier", "name": "Courier", "price": "3.90", "vat_rate": "23"},
    "payment": {"method": "bank_transfer", "fee": "0.00", "vat_rate": "23"},
}


def body(**changes):
    data = copy.deepcopy(ORDER)
    for path, value in changes.items():
        target = data
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        if value is ...:
            del target[keys[-1]]
        else:
            target[keys[-1]] = value
    return data


def codes(payload) -> dict[str, list[str]]:
    _data, errors = validation.validate_order(payload)
    return {path: [p.code for p in problems] for path, problems in errors.items()}


def test_the_contract_body_is_valid_and_read_into_decimals_and_utc():
    data, errors = validation.validate_order(ORDER)
    assert errors == {}
    assert data.ordered_at == datetime(2026, 11, 24, 9, 15)
    assert data.lines[0].unit_price == Decimal("12.30") and data.lines[0].vat_rate == Decimal("23")
    assert data.shipping == {"method": "courier", "name": "Courier", "price": "3.90", "vat_rate": "23"}
    assert data.status == "new" and data.customer["type"] == "company"


@pytest.mark.parametrize(
    "change, path, code",
    [
        ({"lines__0__vat_rate": "123"}, "lines[0].vat_rate", "percent_range"),
        ({"lines__0__vat_rate": 23}, "lines[0].vat_rate", "decimal_string"),
        ({"lines__0__unit_price": 12.3}, "lines[0].unit_price", "decimal_string"),
        ({"lines__0__unit_price": "12.3.0"}, "lines[0].unit_price", "decimal_string"),
        ({"lines__0__quantity": "0"}, "lines[0].quantity", "not_positive"),
        ({"lines__0__discount_percent": "101"}, "lines[0].discount_percent", "percent_range"),
        ({"lines__0__name": ...}, "lines[0].name", "required"),
        ({"lines": "tea"}, "lines", "not_a_list"),
        ({"lines": []}, "lines", "empty_list"),
        ({"number": ...}, "number", "required"),
        ({"number": "a b"}, "number", "order_number"),
        ({"currency": "XYZ"}, "currency", "currency"),
        ({"language": "xx"}, "language", "language"),
        ({"created_at": "2026-11-24T10:15:00"}, "created_at", "datetime"),
        ({"created_at": "yesterday"}, "created_at", "datetime"),
        ({"prices_include_vat": "yes"}, "prices_include_vat", "not_a_boolean"),
        ({"status": "lost"}, "status", "one_of"),
        ({"customer__type": "robot"}, "customer.type", "one_of"),
        ({"customer__company_name": ...}, "customer.company_name", "company_name_required"),
        ({"customer__email": "not-an-email"}, "customer.email", "email"),
        ({"customer__phone": "call me"}, "customer.phone", "phone"),
        ({"customer__billing_address": ...}, "customer.billing_address", "required"),
        ({"customer__billing_address__country": "XX"}, "customer.billing_address.country", "country"),
        ({"customer__billing_address__country": "EU"}, "customer.billing_address.country", "country"),
        ({"customer__vat_id": "SK2020123456"}, "customer.vat_id", "vat_id"),
        ({"shipping__method": "drone"}, "shipping.method", "one_of"),
        ({"shipping__price": "-1"}, "shipping.price", "negative"),
        ({"shipping__vat_rate": ...}, "shipping.vat_rate", "required"),
        ({"payment__method": ...}, "payment.method", "required"),
        ({"customer": "Jan"}, "customer", "not_an_object"),
    ],
)
def test_each_bad_field_is_reported_at_its_path_with_a_code(change, path, code):
    assert code in codes(body(**change)).get(path, []), codes(body(**change))


def test_every_problem_is_reported_at_once_and_no_data_is_returned():
    data, errors = validation.validate_order(body(currency="XYZ", lines__0__vat_rate="-5", customer__email="x"))
    assert data is None and set(errors) == {"currency", "lines[0].vat_rate", "customer.email"}


def test_a_body_that_is_not_an_object_is_one_problem():
    assert codes([1, 2]) == {"body": ["not_an_object"]}


def test_a_person_needs_a_name_and_no_company_name():
    assert codes(body(customer__type="person", customer__company_name=...)) == {}
    assert codes(body(customer__type="person", customer__company_name=..., customer__name=...)) == {
        "customer.name": ["name_required"]
    }


@pytest.mark.parametrize(
    "country, key, value, valid",
    [
        ("CZ", "vat_id", "CZ25596641", True),
        ("CZ", "company_id", "25596641", True),
        ("CZ", "company_id", "25596642", False),
        ("PL", "tax_id", "1234563218", True),
        ("PL", "tax_id", "1234563219", False),
        ("PL", "company_id", "123456785", True),
        ("SK", "company_id", "12345678", True),  # python-stdnum has no Slovak IČO module: not checked
        ("SK", "vat_id", "2020273893", True),  # without its prefix, read as the billing country's
        ("DE", "vat_id", "DE136695976", True),
        ("DE", "vat_id", "DE136695977", False),
    ],
)
def test_ids_are_checked_with_stdnum_where_the_country_has_a_module(country, key, value, valid):
    payload = body(customer__billing_address__country=country, customer__vat_id=..., customer__company_id=...)
    payload["customer"][key] = value
    assert (f"customer.{key}" not in codes(payload)) is valid


def test_a_coupon_line_may_be_negative_but_the_order_total_may_not():
    coupon = {"name": "Coupon", "quantity": "1", "unit_price": "-5.00", "vat_rate": "23"}
    assert codes(body(lines=[ORDER["lines"][0], coupon])) == {}
    assert codes(body(lines=[ORDER["lines"][0], dict(coupon, unit_price="-50.00")])) == {"lines": ["negative_total"]}


def test_totals_round_each_line_and_sum_vat_per_rate():
    data, _ = validation.validate_order(
        body(
            lines=[
                {"name": "A", "quantity": "3", "unit_price": "0.99", "vat_rate": "23", "discount_percent": "10"},
                {"name": "B", "quantity": "1", "unit_price": "10.00", "vat_rate": "5"},
            ]
        )
    )
    totals = totals_of(data.lines, data.shipping, data.payment, data.prices_include_vat)
    assert [row.gross for row in totals.lines] == [Decimal("2.67"), Decimal("10.00"), Decimal("3.90")]
    assert totals.gross == Decimal("16.57")
    assert totals.by_rate[Decimal("23")] == (Decimal("5.34"), Decimal("1.23"), Decimal("6.57"))
    net = totals_of(data.lines, None, None, prices_include_vat=False)
    assert net.gross == Decimal("2.67") + Decimal("0.61") + Decimal("10.50")
    assert order_totals  # the order-level helper reads the same function


# -- events --------------------------------------------------------------------------------------
def event_codes(payload) -> dict[str, list[str]]:
    _data, errors = validation.validate_event(payload)
    return {path: [p.code for p in problems] for path, problems in errors.items()}


def test_a_payment_event_is_read_with_its_amount_and_time_in_utc():
    data, errors = validation.validate_event(
        {"type": "paid", "at": "2026-11-24T11:00:00+01:00", "amount": "28.50", "reference": "PAY-9"}
    )
    assert errors == {} and data.at == datetime(2026, 11, 24, 10, 0) and data.amount == Decimal("28.50")
    assert data.payload == {}


@pytest.mark.parametrize(
    "payload, path, code",
    [
        ({"type": "created", "at": "2026-11-24T11:00:00+01:00"}, "type", "one_of"),
        ({"type": "paid", "at": "2026-11-24T11:00:00+01:00"}, "amount", "required"),
        ({"type": "paid", "at": "2026-11-24T11:00:00+01:00", "amount": "0"}, "amount", "not_positive"),
        ({"type": "paid", "amount": "1.00"}, "at", "required"),
        ({"type": "status_changed", "at": "2026-11-24T11:00:00+01:00"}, "status", "required"),
        (
            {"type": "refunded", "at": "2026-11-24T11:00:00+01:00", "amount": "1", "lines": [{"sku": "A"}]},
            "lines[0].quantity",
            "required",
        ),
        (
            {"type": "refunded", "at": "2026-11-24T11:00:00+01:00", "amount": "1", "lines": {"sku": "A"}},
            "lines",
            "not_a_list",
        ),
        ({"type": "shipped", "at": "2026-11-24T11:00:00+01:00", "reference": "x" * 129}, "reference", "too_long"),
    ],
)
def test_each_bad_event_field_is_reported_at_its_path(payload, path, code):
    assert code in event_codes(payload).get(path, []), event_codes(payload)


def test_a_partial_refund_keeps_its_lines_in_the_payload():
    data, _ = validation.validate_event(
        {
            "type": "refunded",
            "at": "2026-11-24T11:00:00Z",
            "amount": "12.30",
            "lines": [{"sku": "TEA-01", "quantity": "1"}],
        }
    )
    assert data.payload == {"lines": [{"sku": "TEA-01", "quantity": "1"}]}


# -- sentences -----------------------------------------------------------------------------------
@pytest.fixture
def babel_app():
    from webapp import translation_directories

    app = Flask(__name__)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = translation_directories()
    Babel(app)
    with app.app_context():
        yield app


def test_messages_are_sentences_with_their_parameters_in_the_current_language(babel_app):
    _data, errors = validation.validate_order(body(lines=[ORDER["lines"][0]] * 501))
    assert validation.messages(errors) == {"lines": ["At most 500 items are allowed."]}
    with force_locale("pl"):
        polish = validation.messages(errors)["lines"][0]
    assert "500" in polish and polish != "At most 500 items are allowed."
