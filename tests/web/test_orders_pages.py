"""The order pages: the list filters by status, documents state and date and pages through;
one order shows its customer, lines, totals, documents and history; a test order is created from
a form; every action is a POST that redirects, goes through the services and is recorded once
even when the form is sent twice; cancelling asks first on a page of its own."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from webapp.extensions import db
from webapp.models import Order, OrderEvent
from webapp.services.orders import intake, validation

from ._orders import add_document, order_body, two_line_body


def make_order(
    app,
    shop_id: int,
    number: str,
    *,
    created_at: str = "2026-11-24T10:15:00+01:00",
    status: str = "new",
    body: dict | None = None,
) -> int:
    with app.app_context():
        data, errors = validation.validate_order(
            body or order_body(number=number, created_at=created_at, status=status)
        )
        assert not errors, errors
        order, _created = intake.save_order(shop_id, data)
        return order.id


@pytest.fixture
def shop(owner_client):
    return owner_client.user.shop_id


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def order_numbers(html: str) -> list[str]:
    return re.findall(r'<td class="o-number"><a href="/orders/\d+">([^<]+)</a>', html)


# -- the list ------------------------------------------------------------------------------------
def test_the_header_links_to_the_orders(owner_client):
    assert 'href="/orders/"' in page(owner_client, "/settings/accounting/")


def test_the_list_shows_newest_first_with_status_and_documents_state(app, owner_client, shop):
    make_order(app, shop, "A-1", created_at="2026-11-20T10:00:00+01:00")
    make_order(app, shop, "A-2", created_at="2026-11-22T10:00:00+01:00", status="paid")
    add_document(app, shop, "A-2", kind="invoice", state="failed", last_error_code="validation")
    html = page(owner_client, "/orders/")
    assert order_numbers(html) == ["A-2", "A-1"]
    assert "A document failed" in html and "No documents" in html and "Paid" in html


@pytest.mark.parametrize(
    "query, expected",
    [
        ("status=paid", ["PAID"]),
        ("documents=failed", ["FAILED"]),
        ("documents=waiting", ["WAITING"]),
        ("documents=done", ["DONE"]),
        ("documents=none", ["PAID", "NEW"]),
        ("from=2026-11-21&to=2026-11-23", ["WAITING", "FAILED"]),
        ("status=bogus&documents=bogus&from=yesterday", ["DONE", "WAITING", "FAILED", "PAID", "NEW"]),
    ],
)
def test_the_list_filters_by_status_documents_and_date(app, owner_client, shop, query, expected):
    days = {"NEW": 18, "PAID": 19, "FAILED": 21, "WAITING": 23, "DONE": 25}
    for number, day in days.items():
        make_order(
            app, shop, number, created_at=f"2026-11-{day}T10:00:00+01:00", status="paid" if number == "PAID" else "new"
        )
    add_document(app, shop, "FAILED", kind="invoice", state="failed")
    add_document(app, shop, "FAILED", kind="proforma", state="created")
    add_document(app, shop, "WAITING", kind="invoice", state="pending")
    add_document(app, shop, "DONE", kind="invoice", state="created")
    add_document(app, shop, "DONE", kind="credit_note", state="cancelled")
    assert order_numbers(page(owner_client, f"/orders/?{query}")) == expected


def test_the_list_pages_through_25_orders_at_a_time_and_keeps_the_filters(app, owner_client, shop):
    start = datetime(2026, 11, 1, 10, 0)
    for i in range(30):
        make_order(app, shop, f"N-{i:02d}", created_at=(start + timedelta(hours=i)).isoformat() + "+00:00")
    first = page(owner_client, "/orders/?status=new")
    assert len(order_numbers(first)) == 25 and order_numbers(first)[0] == "N-29"
    assert "Page 1 of 2" in first and 'href="/orders/?page=2&amp;status=new"' in first
    second = page(owner_client, "/orders/?status=new&page=2")
    assert order_numbers(second) == [f"N-{i:02d}" for i in range(4, -1, -1)]
    assert order_numbers(page(owner_client, "/orders/?page=99")) == order_numbers(second)


# -- one order -----------------------------------------------------------------------------------
def test_the_order_page_shows_customer_lines_totals_documents_and_history(app, owner_client, shop):
    order_id = make_order(app, shop, "V-1", body=two_line_body("V-1"))
    add_document(
        app, shop, "V-1", kind="proforma", state="created", number="ZAL2026001", total=Decimal("37.50"), currency="EUR"
    )
    html = page(owner_client, f"/orders/{order_id}")
    for text in (
        "Novák s.r.o.",
        "SK2020273893",
        "Hlavná 1",
        "Green tea 100 g",
        "CUP-01",
        "Courier",
        "Bank transfer",
        "ZAL2026001",
        "Proforma invoice",
        "Order received",
    ):
        assert text in html, text
    assert "€37.50" in html and "€9.00" in html  # the total, and the cup after its 10 % discount
    assert 'name="csrf_token"' in html


# -- a new order from the form -------------------------------------------------------------------
NEW_ORDER_FORM = {
    "number": "",
    "currency": "EUR",
    "language": "sk",
    "prices_include_vat": "1",
    "is_test": "1",
    "customer_type": "person",
    "customer_name": "Eva Kováčová",
    "customer_email": "eva@example.sk",
    "billing_street": "Hlavná 2",
    "billing_city": "Košice",
    "billing_zip": "04001",
    "billing_country": "sk",
    "line-0-name": "Green tea",
    "line-0-sku": "TEA-01",
    "line-0-quantity": "2",
    "line-0-unit": "ks",
    "line-0-unit_price": "12,30",
    "line-0-vat_rate": "23",
    "line-2-name": "Cup",
    "line-2-sku": "CUP-01",
    "line-2-quantity": "1",
    "line-2-unit_price": "10",
    "line-2-vat_rate": "23",
    "line-2-discount_percent": "10",
    "shipping_method": "post",
    "shipping_price": "3,90",
    "shipping_vat_rate": "23",
    "payment_method": "card",
    "payment_fee": "",
    "payment_vat_rate": "",
}


def test_a_test_order_is_created_from_the_form_and_the_answer_is_a_redirect(app, owner_client, shop):
    response = owner_client.post("/orders/new", data=NEW_ORDER_FORM)
    assert response.status_code == 302
    with app.app_context():
        order = db.session.scalar(db.select(Order))
        assert response.location == f"/orders/{order.id}"
        assert order.source == "ui" and order.is_test and order.number.startswith("UI-")
        assert [(l.sku, l.unit_price) for l in order.lines] == [("TEA-01", Decimal("12.30")), ("CUP-01", Decimal("10"))]
        assert order.total == Decimal("37.50") and order.payment_method == "card"
        assert order.customer["billing_address"]["country"] == "SK"
        assert [e.type for e in order.events] == ["created"]
        assert order.events[0].actor == f"user:{owner_client.user.id}"


def test_a_real_order_can_be_entered_by_hand_too(app, owner_client, shop):
    owner_client.post("/orders/new", data={**NEW_ORDER_FORM, "is_test": "", "number": "SHOP-77"})
    with app.app_context():
        order = db.session.scalar(db.select(Order))
        assert order.number == "SHOP-77" and not order.is_test and order.source == "ui"


def test_a_bad_form_comes_back_with_the_values_and_each_message_next_to_its_field(app, owner_client, shop):
    response = owner_client.post(
        "/orders/new", data={**NEW_ORDER_FORM, "line-2-vat_rate": "150", "billing_country": "XX"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="line-2-vat_rate-error"' in html and 'id="billing_country-error"' in html
    assert 'value="Eva Kováčová"' in html and 'value="150"' in html
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Order)) == 0


# -- actions -------------------------------------------------------------------------------------
def stamp_of(html: str) -> str:
    return re.search(r'name="stamp" value="([^"]+)"', html).group(1)


def events(app, order_id: int) -> list[OrderEvent]:
    with app.app_context():
        rows = db.session.scalars(
            db.select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
        ).all()
        db.session.expunge_all()
        return rows


def order_row(app, order_id: int) -> Order:
    with app.app_context():
        order = db.session.get(Order, order_id)
        db.session.expunge(order)
        return order


def test_recording_a_payment_redirects_and_the_same_form_sent_twice_records_it_once(app, owner_client, shop):
    order_id = make_order(app, shop, "P-1")
    stamp = stamp_of(page(owner_client, f"/orders/{order_id}"))
    form = {"stamp": stamp, "amount": "28,50", "date": "2026-11-25", "reference": "VS123"}
    for _ in range(2):
        response = owner_client.post(f"/orders/{order_id}/payments", data=form)
        assert response.status_code == 302 and response.location == f"/orders/{order_id}#timeline"
    paid = [e for e in events(app, order_id) if e.type == "paid"]
    assert len(paid) == 1 and paid[0].amount == Decimal("28.50") and paid[0].reference == "VS123"
    assert paid[0].at.date().isoformat() == "2026-11-25"
    assert order_row(app, order_id).status == "paid"
    html = page(owner_client, f"/orders/{order_id}")
    assert "This payment was recorded before; nothing changed." in html and "Payment received" in html


def test_two_payments_entered_from_two_page_loads_both_count(app, owner_client, shop):
    order_id = make_order(app, shop, "P-2")
    for stamp in ("2026-11-25T08:00:00", "2026-11-25T09:00:00"):
        owner_client.post(f"/orders/{order_id}/payments", data={"stamp": stamp, "amount": "10", "date": "2026-11-25"})
    assert order_row(app, order_id).paid_total == Decimal("20")
    assert order_row(app, order_id).status == "partially_paid"


def test_a_bad_payment_amount_is_reported_and_nothing_is_recorded(app, owner_client, shop):
    order_id = make_order(app, shop, "P-3")
    response = owner_client.post(
        f"/orders/{order_id}/payments", data={"amount": "ten", "date": "2026-11-25"}, follow_redirects=True
    )
    assert "Send a decimal number as a string" in response.get_data(as_text=True)
    assert [e.type for e in events(app, order_id)] == ["created"]


def test_status_change_and_shipment_are_recorded_with_their_reference(app, owner_client, shop):
    order_id = make_order(app, shop, "S-1")
    assert owner_client.post(f"/orders/{order_id}/status", data={"status": "processing"}).status_code == 302
    assert owner_client.post(f"/orders/{order_id}/shipments", data={"reference": "TRACK-9"}).status_code == 302
    recorded = events(app, order_id)
    assert [(e.type, e.status or e.reference) for e in recorded[1:]] == [
        ("status_changed", "processing"),
        ("shipped", "TRACK-9"),
    ]
    assert recorded[1].payload["previous_status"] == "new"
    assert order_row(app, order_id).status == "shipped"


def test_refunding_one_line_refunds_its_share_and_keeps_what_is_left_for_later(app, owner_client, shop):
    order_id = make_order(app, shop, "R-1", body=two_line_body("R-1"))
    html = page(owner_client, f"/orders/{order_id}/refund")
    with app.app_context():
        tea = db.session.get(Order, order_id).lines[0].id
    response = owner_client.post(f"/orders/{order_id}/refund", data={"stamp": stamp_of(html), f"qty-{tea}": "1"})
    assert response.status_code == 302 and response.location == f"/orders/{order_id}#timeline"
    refund = events(app, order_id)[-1]
    assert refund.type == "refunded" and refund.amount == Decimal("12.30")
    assert refund.refunded_lines == [{"sku": "TEA-01", "quantity": "1"}]
    assert order_row(app, order_id).status == "partially_refunded"
    assert "1 of 2" in page(owner_client, f"/orders/{order_id}/refund")


def test_refunding_more_than_is_left_goes_back_to_the_refund_page_with_the_reason(app, owner_client, shop):
    order_id = make_order(app, shop, "R-2", body=two_line_body("R-2"))
    with app.app_context():
        tea = db.session.get(Order, order_id).lines[0].id
    response = owner_client.post(f"/orders/{order_id}/refund", data={f"qty-{tea}": "5"})
    assert response.status_code == 302 and response.location == f"/orders/{order_id}/refund"
    assert "TEA-01: At most 2 can still be refunded on this line." in page(owner_client, f"/orders/{order_id}/refund")
    assert [e.type for e in events(app, order_id)] == ["created"]


def test_refunding_nothing_asks_for_lines_or_an_amount(app, owner_client, shop):
    order_id = make_order(app, shop, "R-3")
    response = owner_client.post(f"/orders/{order_id}/refund", data={}, follow_redirects=True)
    assert "Choose lines to refund or enter an amount." in response.get_data(as_text=True)


def test_refunding_the_whole_order_refunds_every_line_and_the_full_amount(app, owner_client, shop):
    order_id = make_order(app, shop, "R-4", body=two_line_body("R-4"))
    owner_client.post(f"/orders/{order_id}/refund", data={"whole": "1"})
    refund = events(app, order_id)[-1]
    assert refund.amount == Decimal("37.50")
    assert sorted(l["sku"] for l in refund.refunded_lines) == ["CUP-01", "TEA-01"]
    assert order_row(app, order_id).status == "refunded"


def test_a_refund_by_amount_alone_is_recorded_without_lines(app, owner_client, shop):
    order_id = make_order(app, shop, "R-5")
    owner_client.post(f"/orders/{order_id}/refund", data={"amount": "5,00", "reference": "RMA-1"})
    refund = events(app, order_id)[-1]
    assert (refund.amount, refund.refunded_lines, refund.reference) == (Decimal("5.00"), [], "RMA-1")


def test_cancelling_asks_for_confirmation_on_a_second_page_first(app, owner_client, shop):
    order_id = make_order(app, shop, "C-1")
    view = page(owner_client, f"/orders/{order_id}")
    assert f'href="/orders/{order_id}/cancel"' in view
    unconfirmed = owner_client.post(f"/orders/{order_id}/cancel", data={})
    assert unconfirmed.status_code == 302 and unconfirmed.location == f"/orders/{order_id}/cancel"
    assert [e.type for e in events(app, order_id)] == ["created"]
    confirm = page(owner_client, f"/orders/{order_id}/cancel")
    assert 'name="confirm" value="1"' in confirm and "Yes, cancel the order" in confirm
    done = owner_client.post(f"/orders/{order_id}/cancel", data={"confirm": "1", "stamp": stamp_of(confirm)})
    assert done.status_code == 302 and done.location == f"/orders/{order_id}#timeline"
    assert order_row(app, order_id).status == "cancelled"
    assert "Cancel the order…" not in page(owner_client, f"/orders/{order_id}")


def test_an_unknown_order_is_404(owner_client):
    assert owner_client.get("/orders/999").status_code == 404
    assert owner_client.post("/orders/999/payments", data={"amount": "1", "date": "2026-11-25"}).status_code == 404


def test_the_pages_need_a_signed_in_user(client):
    response = client.get("/orders/")
    assert response.status_code == 302 and "/login" in response.location


def test_actions_need_a_csrf_token(app, owner_client, shop, monkeypatch):
    order_id = make_order(app, shop, "X-1")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert owner_client.post(f"/orders/{order_id}/shipments", data={}).status_code == 400
    assert [e.type for e in events(app, order_id)] == ["created"]


def test_test_orders_are_kept_apart_from_real_ones_in_the_list(app, owner_client):
    owner_client.post("/orders/new", data={**NEW_ORDER_FORM, "is_test": "1", "number": "TRY-1"})
    owner_client.post("/orders/new", data={**NEW_ORDER_FORM, "is_test": "", "number": "REAL-1"})
    owner_client.get("/orders/")  # the "created" notices are shown once
    real = owner_client.get("/orders/").get_data(as_text=True)
    assert "REAL-1" in real and "TRY-1" not in real
    tests = owner_client.get("/orders/?tests=1").get_data(as_text=True)
    assert "TRY-1" in tests and "REAL-1" not in tests
