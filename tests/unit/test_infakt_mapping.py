"""inFakt amounts are integer grosze both ways: exact Decimal <-> int, never through float."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.documents import KSEF_ACCEPTED, KSEF_NOT_APPLICABLE, KSEF_REJECTED, KSEF_SENT, Line
from connectors.infakt import mapping


@pytest.mark.parametrize(
    "amount, grosze",
    [
        (Decimal("0"), 0),
        (Decimal("0.01"), 1),
        (Decimal("79.00"), 7900),
        (Decimal("1234567.89"), 123456789),
        (Decimal("-97.17"), -9717),
        (Decimal("0.005"), 1),
        (Decimal("0.004"), 0),
        (Decimal("17.991"), 1799),
        (Decimal("5"), 500),
    ],
)
def test_decimal_zloty_becomes_integer_grosze_rounded_half_up(amount, grosze):
    assert mapping.to_grosze(amount) == grosze
    assert isinstance(mapping.to_grosze(amount), int)


@pytest.mark.parametrize(
    "grosze, amount",
    [
        (0, "0.00"),
        (1, "0.01"),
        (7900, "79.00"),
        (123456789, "1234567.89"),
        (-9717, "-97.17"),
        ("2460", "24.60"),
        (None, "0.00"),
        (1230.0, "12.30"),
    ],
)
def test_integer_grosze_become_exact_decimal_zloty(grosze, amount):
    assert mapping.from_grosze(grosze) == Decimal(amount)
    assert str(mapping.from_grosze(grosze)) == amount


def test_every_two_place_amount_survives_the_round_trip_exactly():
    for cents in range(-100_00, 100_00, 7):
        amount = Decimal(cents).scaleb(-2)
        assert mapping.from_grosze(mapping.to_grosze(amount)) == amount


def test_floats_are_refused_both_ways():
    with pytest.raises(TypeError):
        mapping.to_grosze(0.1)
    with pytest.raises(ValueError):
        mapping.from_grosze(12.5)


def test_net_line_sends_unit_net_price_in_grosze_with_the_discount_applied():
    line = Line("Herbata", Decimal("3"), Decimal("25.90"), Decimal("8"), unit="szt.", discount_percent=Decimal("10"))
    assert mapping.service(line, prices_include_vat=False) == {
        "name": "Herbata",
        "tax_symbol": "8",
        "quantity": 3,
        "unit_net_price": 2331,
        "unit": "szt.",
    }


def test_gross_line_sends_the_line_value_in_grosze_without_net_prices():
    line = Line("Zestaw", Decimal("1.5"), Decimal("10.01"), Decimal("23"))
    assert mapping.service(line, prices_include_vat=True) == {
        "name": "Zestaw",
        "tax_symbol": "23",
        "quantity": 1.5,
        "gross_price": 1502,
    }


def test_street_and_building_number_are_sent_apart():
    assert mapping.split_street("Marszałkowska 12/3") == ("Marszałkowska", "12/3")
    assert mapping.split_street("ul. 3 Maja 5") == ("ul. 3 Maja", "5")
    assert mapping.split_street("Rynek") == ("Rynek", "")


def test_the_reference_marker_is_found_again_only_for_its_own_key():
    notes = "Dziękujemy za zakupy\n" + mapping.reference_marker("order-12-invoice")
    assert mapping.reference_from_notes(notes) == "order-12-invoice"
    assert mapping.reference_from_notes("Zamówienie 1001") == ""


def test_correction_lines_count_after_minus_before():
    correction = {
        "kind": "correction",
        "gross_price": -9717,
        "services": [
            {
                "name": "Kawa",
                "group": 1,
                "correction": False,
                "quantity": 2,
                "unit_net_price": 7900,
                "net_price": 15800,
                "tax_price": 3634,
                "gross_price": 19434,
                "tax_symbol": "23",
            },
            {
                "name": "Kawa",
                "group": 1,
                "correction": True,
                "quantity": 1,
                "unit_net_price": 7900,
                "net_price": 7900,
                "tax_price": 1817,
                "gross_price": 9717,
                "tax_symbol": "23",
            },
        ],
    }
    document = mapping.remote_document(correction)
    assert document.kind == "credit_note" and document.total == Decimal("-97.17")
    assert [(v.rate, v.base, v.vat) for v in document.vat] == [(Decimal("23"), Decimal("-79.00"), Decimal("-18.17"))]
    assert [(line.quantity, line.total) for line in document.lines] == [(Decimal("-1"), Decimal("-97.17"))]


@pytest.mark.parametrize(
    "invoice, expected",
    [
        ({"kind": "vat", "ksef_data": None}, (KSEF_NOT_APPLICABLE, "", [])),
        ({"kind": "proforma", "ksef_data": None}, (KSEF_NOT_APPLICABLE, "", [])),
        ({"kind": "vat", "ksef_data": {"status": "sent"}}, (KSEF_SENT, "", [])),
        (
            {
                "kind": "vat",
                "ksef_number": "5252344078-20261112-4510ACC6D8F2-56",
                "ksef_data": {"status": "success", "ksef_number": "5252344078-20261112-4510ACC6D8F2-56"},
            },
            (KSEF_ACCEPTED, "5252344078-20261112-4510ACC6D8F2-56", []),
        ),
        (
            {"kind": "vat", "ksef_data": {"status": "error", "status_description": "Brak NIP nabywcy"}},
            (KSEF_REJECTED, "", ["Brak NIP nabywcy"]),
        ),
    ],
)
def test_ksef_data_maps_to_the_neutral_ksef_state(invoice, expected):
    assert mapping.ksef_state(invoice) == expected
