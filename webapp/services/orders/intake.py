"""Creating and updating an order from validated data (`validation.validate_order`), idempotent
by the order's number within the shop: the same body twice changes nothing, and only the first
one records the `created` event (and so plans documents).

On an update the order's data (customer, lines, shipping, payment, currency, language, prices)
is replaced by what was sent; its status is not: status moves only through events
(`POST /api/v1/orders/{number}/events`), so a platform re-sending an older copy of the order
cannot move a paid order back to "new".
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import EventType, Order, OrderLine, OrderSource
from ...models.types import utcnow
from .events import record_in_transaction
from .totals import totals_of
from .validation import LineData, OrderData


def _line_key(line: OrderLine | LineData) -> tuple[Any, ...]:
    return (
        line.sku or "",
        line.name,
        Decimal(line.quantity),
        line.unit or "",
        Decimal(line.unit_price),
        Decimal(line.vat_rate),
        Decimal(line.discount_percent or 0),
    )


def _fields(data: OrderData) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "currency": data.currency,
        "language": data.language,
        "prices_include_vat": data.prices_include_vat,
        "customer": data.customer,
        "shipping": data.shipping,
        "payment": data.payment,
        "total": totals_of(data.lines, data.shipping, data.payment, data.prices_include_vat).gross,
    }
    if data.ordered_at is not None:
        fields["ordered_at"] = data.ordered_at
    return fields


def _lines(shop_id: int, data: OrderData) -> list[OrderLine]:
    return [
        OrderLine(
            shop_id=shop_id,
            position=i,
            sku=l.sku,
            name=l.name,
            quantity=l.quantity,
            unit=l.unit,
            unit_price=l.unit_price,
            vat_rate=l.vat_rate,
            discount_percent=l.discount_percent,
        )
        for i, l in enumerate(data.lines)
    ]


def find_by_number(shop_id: int, number: str) -> Order | None:
    return db.session.scalar(db.select(Order).where(Order.shop_id == shop_id, Order.number == number))


def _create(shop_id: int, data: OrderData, *, source: str, actor: str, is_test: bool) -> Order:
    from ..documents.planning import enqueue

    now = utcnow()
    order = Order(
        shop_id=shop_id,
        number=data.number,
        status=data.status,
        source=source,
        is_test=is_test,
        ordered_at=data.ordered_at or now,
        created_at=now,
        updated_at=now,
        **{k: v for k, v in _fields(data).items() if k != "ordered_at"},
    )
    order.lines = _lines(shop_id, data)
    db.session.add(order)
    _event, _created, documents = record_in_transaction(
        order, EventType.CREATED, order.ordered_at, actor=actor, payload={"status": order.status, "source": source}
    )
    db.session.commit()
    enqueue(documents)
    return order


def _update(order: Order, data: OrderData) -> bool:
    """Apply what differs; True when anything did (the same body twice changes nothing)."""
    changed = False
    for name, value in _fields(data).items():
        if getattr(order, name) != value:
            setattr(order, name, value)
            changed = True
    if [_line_key(l) for l in order.lines] != [_line_key(l) for l in data.lines]:
        order.lines = _lines(order.shop_id, data)
        changed = True
    if changed:
        order.updated_at = utcnow()
        db.session.commit()
    return changed


def save_order(
    shop_id: int, data: OrderData, *, source: str = OrderSource.API, actor: str = "api", is_test: bool = False
) -> tuple[Order, bool]:
    """Create the shop's order `data.number`, or update it when the shop has it already.
    Returns the order and True when it was created. Creating records the `created` event in the
    same transaction (the documents engine plans from it)."""
    existing = find_by_number(shop_id, data.number)
    if existing is not None:
        _update(existing, data)
        return existing, False
    try:
        return _create(shop_id, data, source=source, actor=actor, is_test=is_test), True
    except IntegrityError:
        # The same number was created by a concurrent request a moment ago: this one is an update.
        db.session.rollback()
        existing = find_by_number(shop_id, data.number)
        if existing is None:
            raise
        _update(existing, data)
        return existing, False
