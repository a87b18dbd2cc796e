"""Helpers for the orders and order-API tests: a contract-shaped order body, shops with tokens,
and reading rows back."""

from __future__ import annotations

import copy

from webapp.extensions import db
from webapp.models import Document, Order, OrderEvent, Shop
from webapp.services.orders import tokens
from webapp.services.orders.totals import decimal_text

# The body of ORDER_API.md, with a VAT id that passes the Slovak checksum (the document's
# "SK2020123456" does not: the IČ DPH must be divisible by 11).
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
        "tax_id": "2020273893",
        "email": "jan@example.sk",
        "phone": "+421900000000",
        "billing_address": {"street": "Hlavná 1", "city": "Bratislava", "zip": "81101", "country": "SK"},
        "delivery_address": {"street": "Hlavná 1", "city": "Bratislava", "zip": "81101", "country": "SK"},
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
    "status": "new",
}
TOTAL = "28.50"  # 2 x 12.30 + 3.90


def order_body(**changes) -> dict:
    body = copy.deepcopy(ORDER)
    body.update(changes)
    return body


def two_line_body(number: str = "2026-000200") -> dict:
    return order_body(
        number=number,
        lines=[
            {
                "sku": "TEA-01",
                "name": "Green tea 100 g",
                "quantity": "2",
                "unit": "ks",
                "unit_price": "12.30",
                "vat_rate": "23",
            },
            {
                "sku": "CUP-01",
                "name": "Cup",
                "quantity": "1",
                "unit": "ks",
                "unit_price": "10.00",
                "vat_rate": "23",
                "discount_percent": "10",
            },
        ],
    )


def shop_with_token(app, name: str = "Shop") -> tuple[int, str]:
    with app.app_context():
        shop = Shop(name=name)
        db.session.add(shop)
        db.session.commit()
        _token, raw = tokens.create_token(shop.id, "platform")
        return shop.id, raw


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def count(app, model, **where) -> int:
    with app.app_context():
        query = db.select(db.func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return db.session.scalar(query)


def events_of(app, shop_id: int, number: str) -> list[tuple[str, str | None]]:
    with app.app_context():
        order = db.session.scalar(db.select(Order).where(Order.shop_id == shop_id, Order.number == number))
        rows = db.session.scalars(db.select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id))
        return [(e.type, decimal_text(e.amount)) for e in rows]


def add_document(app, shop_id: int, order_number: str, /, **values) -> int:
    """A Document row for the order, as the documents engine would write it."""
    from webapp.models import Integration

    with app.app_context():
        order = db.session.scalar(db.select(Order).where(Order.shop_id == shop_id, Order.number == order_number))
        integration = db.session.scalar(db.select(Integration).where(Integration.shop_id == shop_id))
        if integration is None:
            integration = Integration(shop_id=shop_id, system="superfaktura", status="active", current=True)
            db.session.add(integration)
            db.session.flush()
        pdf = values.pop("pdf", None)
        document = Document(
            shop_id=shop_id,
            integration_id=integration.id,
            order_id=order.id,
            idempotency_key=values.pop("idempotency_key", f"k-{order.id}-{values.get('kind')}-{values.get('state')}"),
            **values,
        )
        db.session.add(document)
        db.session.commit()
        if pdf is not None:  # archived, as the engine keeps PDFs
            from webapp.services.documents import archiving

            document.remote_id = document.remote_id or str(document.id)
            archiving.store(document, pdf)
        return document.id
