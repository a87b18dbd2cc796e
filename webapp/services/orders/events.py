"""Everything that happens to an order is recorded here, by one function: `record_event`.

The event row, the order's summaries (status, paid and refunded sums) and the documents the
event causes (`plan_documents`, the documents engine) are written in one transaction; the
planned documents are queued for the worker only after that commit (`enqueue`), so a crash in
between loses nothing (the engine's sweep finds them) and a rollback queues nothing.

The same type, time and reference is one event: a platform retrying a callback, or a merchant
double-clicking, records it once and gets the first row back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import EventType, Order, OrderEvent, OrderStatus
from ...models.types import utcnow
from . import validation
from .totals import ZERO, order_totals


def _naive_utc(at: datetime) -> datetime:
    return at.astimezone(timezone.utc).replace(tzinfo=None) if at.tzinfo is not None else at


def _find(order_id: int, type: str, at: datetime, reference: str) -> OrderEvent | None:
    return db.session.scalar(
        db.select(OrderEvent).where(
            OrderEvent.order_id == order_id,
            OrderEvent.type == type,
            OrderEvent.at == at,
            OrderEvent.reference == reference,
        )
    )


def _lock(order: Order) -> None:
    """Serialise events of one order (PostgreSQL: a row lock; SQLite serialises writers itself),
    so two payments arriving together both count."""
    if order in db.session.dirty:
        db.session.execute(db.select(Order.id).where(Order.id == order.id).with_for_update())
    else:
        db.session.refresh(order, with_for_update=True)


def _sum(order: Order, type: str) -> Decimal:
    amounts = db.session.scalars(
        db.select(OrderEvent.amount).where(OrderEvent.order_id == order.id, OrderEvent.type == type)
    )
    return sum((a for a in amounts if a is not None), ZERO)


def _apply(order: Order, event: OrderEvent) -> None:
    """The order's summaries after the event, as a merchant reads them."""
    total = order.total if order.total is not None else order_totals(order).gross
    if event.type == EventType.STATUS_CHANGED:
        order.status = event.status
    elif event.type == EventType.PAID:
        order.paid_total = _sum(order, EventType.PAID)
        if order.status in OrderStatus.BEFORE_SHIPPING:
            order.status = OrderStatus.PAID if order.paid_total >= total else OrderStatus.PARTIALLY_PAID
    elif event.type == EventType.SHIPPED:
        if order.status not in (OrderStatus.CANCELLED, OrderStatus.REFUNDED):
            order.status = OrderStatus.SHIPPED
    elif event.type == EventType.CANCELLED:
        order.status = OrderStatus.CANCELLED
    elif event.type == EventType.REFUNDED:
        order.refunded_total = _sum(order, EventType.REFUNDED)
        if order.status != OrderStatus.CANCELLED:
            order.status = OrderStatus.REFUNDED if order.refunded_total >= total else OrderStatus.PARTIALLY_REFUNDED
    order.updated_at = utcnow()


def record_in_transaction(
    order: Order,
    type: str,
    at: datetime,
    *,
    reference: str = "",
    amount: Decimal | None = None,
    payload: dict[str, Any] | None = None,
    actor: str = "system",
) -> tuple[OrderEvent, bool, list]:
    """`record_event` without the commit, for a caller that writes more in the same transaction
    (intake: the order, its lines and its `created` event together). Returns the planned
    documents, which the caller passes to `enqueue` after its commit."""
    from ..documents.planning import plan_documents

    at = _naive_utc(at)
    reference = reference or ""
    if order.id is None:
        db.session.add(order)
        db.session.flush()
    else:
        _lock(order)
        existing = _find(order.id, type, at, reference)
        if existing is not None:
            return existing, False, []
    event_payload = dict(payload or {})
    if type == EventType.STATUS_CHANGED:
        event_payload.setdefault("previous_status", order.status)
    event = OrderEvent(
        shop_id=order.shop_id,
        order_id=order.id,
        type=type,
        at=at,
        reference=reference,
        amount=amount,
        payload=event_payload,
        actor=actor,
    )
    db.session.add(event)
    try:
        db.session.flush()
    except IntegrityError:
        # Another request recorded the same event between our look-up and our insert: theirs stands.
        db.session.rollback()
        existing = _find(order.id, type, at, reference)
        if existing is None:
            raise
        return existing, False, []
    db.session.expire(order, ["events"])
    _apply(order, event)
    documents = plan_documents(order, event)
    return event, True, documents


def record_event(
    order: Order,
    type: str,
    at: datetime,
    *,
    reference: str = "",
    amount: Decimal | None = None,
    payload: dict[str, Any] | None = None,
    actor: str = "system",
) -> tuple[OrderEvent, bool]:
    """Record one event of `order` (types in `EventType.ALL`), update the order's status and
    sums, plan its documents in the same transaction, commit, then queue the documents.
    Returns the event and whether it was newly recorded (False: the same type, `at` and
    `reference` was recorded before, and that row is returned; nothing else happens)."""
    from ..documents.planning import enqueue

    event, created, documents = record_in_transaction(
        order, type, at, reference=reference, amount=amount, payload=payload, actor=actor
    )
    db.session.commit()
    if created:
        enqueue(documents)
    return event, created


# -- what the API and the order page send --------------------------------------------------------
@dataclass
class EventOutcome:
    event: OrderEvent | None = None
    created: bool = False
    errors: validation.Errors = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def submit_event(order: Order, data: validation.EventData, *, actor: str) -> EventOutcome:
    """A validated event from the API or a page: a repeat returns the first row; a status change
    to the status the order already has records nothing; otherwise the order's own limits
    (what is left to refund) are checked, then the event is recorded."""
    existing = _find(order.id, data.type, _naive_utc(data.at), data.reference)
    if existing is not None:
        return EventOutcome(event=existing, created=False)
    if data.type == EventType.STATUS_CHANGED and data.status == order.status:
        return EventOutcome()
    errors = validation.check_event_for_order(data, order)
    if errors:
        return EventOutcome(errors=errors)
    event, created = record_event(
        order, data.type, data.at, reference=data.reference, amount=data.amount, payload=data.payload, actor=actor
    )
    return EventOutcome(event=event, created=created)


# -- what an event would do, before the merchant confirms it ------------------------------------
@dataclass
class DocumentChange:
    """One document the event would touch: `issue` (a new document of `kind` for `total`,
    correcting `corrects` when it is a credit note), `not_issued` (one still waiting, which
    will never be sent) or `kept` (an issued proforma that stays in the accounting system)."""

    action: str
    kind: str
    total: Decimal | None = None
    currency: str = ""
    number: str = ""
    corrects: str = ""


def preview_event(order: Order, type: str, *, payload: dict[str, Any] | None = None) -> list[DocumentChange]:
    """What recording this event now would do to the order's documents, without doing it: the
    same `record_in_transaction` (the order's summaries, the rules, the planning) inside a
    savepoint that is rolled back, so a confirmation page says exactly what its button will do."""
    from ...models import Document, DocumentState
    from ..documents.planning import PROFORMA_LEFT

    changes: list[DocumentChange] = []
    savepoint = db.session.begin_nested()
    try:
        before = {
            d.id: d.state
            for d in db.session.scalars(db.select(Document).where(Document.order_id == order.id))
            if d.shop_id == order.shop_id
        }
        _event, _created, planned = record_in_transaction(order, type, utcnow(), payload=payload, actor="preview")
        for document in planned:
            related = db.session.get(Document, document.related_document_id) if document.related_document_id else None
            changes.append(
                DocumentChange(
                    "issue",
                    document.kind,
                    document.total,
                    document.currency,
                    corrects=(related.number or "") if related is not None and related.kind != "proforma" else "",
                )
            )
        for document in db.session.scalars(db.select(Document).where(Document.id.in_(before))):
            if document.state == DocumentState.CANCELLED and before[document.id] != DocumentState.CANCELLED:
                changes.append(DocumentChange("not_issued", document.kind, document.total, document.currency))
            elif document.notice == PROFORMA_LEFT and document.state == DocumentState.CREATED:
                changes.append(DocumentChange("kept", document.kind, number=document.number or ""))
    finally:
        savepoint.rollback()
    return changes
