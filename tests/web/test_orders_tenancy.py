"""Tenancy of the orders: another shop's user gets "not found" for every page and action of
this shop's order, and no action of theirs changes it; the list shows only the shop's own."""

from __future__ import annotations

import pytest

from webapp.extensions import db
from webapp.models import Order, OrderEvent

from ._orders import add_document
from .conftest import login
from .test_orders_pages import make_order, order_numbers


@pytest.fixture
def foreign_order(app, client, make_user):
    owner = make_user("owner@a.test", shop_name="Shop A")
    make_user("owner@b.test", shop_name="Shop B")
    order_id = make_order(app, owner.shop_id, "A-SECRET")
    document_id = add_document(
        app, owner.shop_id, "A-SECRET", kind="invoice", state="created", number="OF1", pdf=b"%PDF-1.4 secret"
    )
    login(client, "owner@a.test")
    assert client.get(f"/orders/{order_id}").status_code == 200  # the owner sees it
    assert client.get(f"/orders/{order_id}/documents/{document_id}/pdf").status_code == 200
    client.post("/logout")
    login(client, "owner@b.test")
    return {"order": order_id, "document": document_id}


@pytest.mark.parametrize(
    "url",
    ["/orders/{order}", "/orders/{order}/refund", "/orders/{order}/cancel", "/orders/{order}/documents/{document}/pdf"],
)
def test_another_shops_user_gets_not_found_for_every_page(client, foreign_order, url):
    assert client.get(url.format(**foreign_order)).status_code == 404


@pytest.mark.parametrize(
    "url, data",
    [
        ("/orders/{order}/status", {"status": "completed"}),
        ("/orders/{order}/payments", {"amount": "1.00", "date": "2026-11-25"}),
        ("/orders/{order}/shipments", {"reference": "T"}),
        ("/orders/{order}/refund", {"amount": "1.00"}),
        ("/orders/{order}/cancel", {"confirm": "1"}),
    ],
)
def test_another_shops_user_cannot_act_on_the_order(app, client, foreign_order, url, data):
    assert client.post(url.format(**foreign_order), data=data).status_code == 404
    with app.app_context():
        order = db.session.get(Order, foreign_order["order"])
        assert order.status == "new"
        assert [e.type for e in db.session.scalars(db.select(OrderEvent))] == ["created"]


def test_another_shops_list_does_not_show_the_order(client, foreign_order):
    html = client.get("/orders/?documents=done").get_data(as_text=True)
    assert "A-SECRET" not in html and order_numbers(html) == []
