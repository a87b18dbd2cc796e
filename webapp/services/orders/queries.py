"""Reading a shop's orders for the pages and the API: always scoped to one shop, so another
shop's order is simply "not found"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, exists, func, not_

from ...extensions import db
from ...models import ApiCall, Document, DocumentState, Order, OrderStatus

PAGE_SIZE = 25

# How far an order's documents have got, as the list shows and filters it.
DOCS_DONE = "done"  # has documents, none waiting or failed
DOCS_WAITING = "waiting"  # some are pending or being created, none failed
DOCS_FAILED = "failed"  # at least one failed: the merchant has something to fix
DOCS_NONE = "none"  # no documents yet
DOCUMENT_FILTERS = (DOCS_DONE, DOCS_WAITING, DOCS_FAILED, DOCS_NONE)
IN_FLIGHT = (DocumentState.PENDING, DocumentState.CREATING)


@dataclass
class OrderFilters:
    status: str = ""
    documents: str = ""
    date_from: date | None = None
    date_to: date | None = None
    tests: bool = False  # test orders are kept apart: shown only when asked for

    @property
    def active(self) -> bool:
        return bool(self.status or self.documents or self.date_from or self.date_to or self.tests)

    def as_args(self) -> dict[str, str]:
        args = {
            "status": self.status,
            "documents": self.documents,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "tests": "1" if self.tests else "",
        }
        return {k: v for k, v in args.items() if v}


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def parse_filters(args) -> OrderFilters:
    """Filters from a query string; a value we do not know is ignored, never an error page."""
    status = args.get("status", "")
    documents = args.get("documents", "")
    return OrderFilters(
        status=status if status in OrderStatus.ALL else "",
        documents=documents if documents in DOCUMENT_FILTERS else "",
        date_from=_day(args.get("from")),
        date_to=_day(args.get("to")),
        tests=args.get("tests") == "1",
    )


@dataclass
class OrderPage:
    orders: list[Order]
    page: int
    pages: int
    total: int
    document_states: dict[int, str]

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _documents(shop_id: int, *states: str):
    condition = and_(Document.shop_id == shop_id, Document.order_id == Order.id)
    if states:
        condition = and_(condition, Document.state.in_(states))
    return exists().where(condition)


def _document_condition(shop_id: int, wanted: str):
    failed = _documents(shop_id, DocumentState.FAILED)
    waiting = _documents(shop_id, *IN_FLIGHT)
    anything = _documents(shop_id)
    return {
        DOCS_FAILED: failed,
        DOCS_WAITING: and_(waiting, not_(failed)),
        DOCS_DONE: and_(anything, not_(waiting), not_(failed)),
        DOCS_NONE: not_(anything),
    }[wanted]


def list_orders(shop_id: int, filters: OrderFilters, page: int = 1, per_page: int = PAGE_SIZE) -> OrderPage:
    """One page of the shop's orders, newest first, with each order's documents state."""
    query = db.select(Order).where(Order.shop_id == shop_id, Order.is_test.is_(filters.tests))
    if filters.status:
        query = query.where(Order.status == filters.status)
    if filters.documents:
        query = query.where(_document_condition(shop_id, filters.documents))
    if filters.date_from:
        query = query.where(Order.ordered_at >= datetime.combine(filters.date_from, time.min))
    if filters.date_to:
        query = query.where(Order.ordered_at < datetime.combine(filters.date_to + timedelta(days=1), time.min))
    total = db.session.scalar(db.select(func.count()).select_from(query.subquery())) or 0
    pages = max((total + per_page - 1) // per_page, 1)
    page = min(max(page, 1), pages)
    orders = list(
        db.session.scalars(
            query.order_by(Order.ordered_at.desc(), Order.id.desc()).offset((page - 1) * per_page).limit(per_page)
        )
    )
    return OrderPage(
        orders=orders,
        page=page,
        pages=pages,
        total=total,
        document_states=document_states(shop_id, [o.id for o in orders]),
    )


def document_states(shop_id: int, order_ids: list[int]) -> dict[int, str]:
    """For each order: done, waiting, failed or none (see DOCUMENT_FILTERS)."""
    states: dict[int, set[str]] = {order_id: set() for order_id in order_ids}
    if order_ids:
        rows = db.session.execute(
            db.select(Document.order_id, Document.state)
            .distinct()
            .where(Document.shop_id == shop_id, Document.order_id.in_(order_ids))
        )
        for order_id, state in rows:
            states[order_id].add(state)
    return {order_id: _summary(found) for order_id, found in states.items()}


def _summary(states: set[str]) -> str:
    if not states:
        return DOCS_NONE
    if DocumentState.FAILED in states:
        return DOCS_FAILED
    if states & set(IN_FLIGHT):
        return DOCS_WAITING
    return DOCS_DONE


def get_order(shop_id: int, order_id: int) -> Order | None:
    return db.session.scalar(db.select(Order).where(Order.shop_id == shop_id, Order.id == order_id))


def find_order(shop_id: int, number: str) -> Order | None:
    return db.session.scalar(db.select(Order).where(Order.shop_id == shop_id, Order.number == number))


def order_documents(order: Order) -> list[Document]:
    """The order's documents, oldest first (an invoice before its credit notes)."""
    return list(
        db.session.scalars(
            db.select(Document)
            .where(Document.shop_id == order.shop_id, Document.order_id == order.id)
            .order_by(Document.id)
        )
    )


def order_document(order: Order, document_id: int) -> Document | None:
    return db.session.scalar(
        db.select(Document).where(
            Document.shop_id == order.shop_id, Document.order_id == order.id, Document.id == document_id
        )
    )


def document_attempts(order: Order) -> dict[int, list[ApiCall]]:
    """The integration-log rows of each of the order's documents (its attempts), newest first."""
    rows = db.session.scalars(
        db.select(ApiCall)
        .where(ApiCall.shop_id == order.shop_id, ApiCall.order_id == order.id, ApiCall.document_id.is_not(None))
        .order_by(ApiCall.id.desc())
        .limit(200)
    )
    attempts: dict[int, list[ApiCall]] = {}
    for row in rows:
        attempts.setdefault(row.document_id or 0, []).append(row)
    return attempts
