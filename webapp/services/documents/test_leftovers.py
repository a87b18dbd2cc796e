"""Test documents left in the accounting system, and test orders kept apart and cleaned up.

A test document stays listed while it is still present in the system (state `created`); each has
its tidy-up (the removal step of the test invoice). Test orders (`Order.is_test`) are removed
only once none of their documents is left in the system or on its way there, so removing them
never orphans a document that still exists in the accounting system.
"""

from __future__ import annotations

from ...extensions import db
from ...models import ApiCall, Document, DocumentState, Order

TIDIED = (DocumentState.DELETED, DocumentState.CANCELLED, DocumentState.FAILED)


def present(shop_id: int) -> list[Document]:
    """Test documents still present in the accounting system, newest first."""
    return list(
        db.session.scalars(
            db.select(Document)
            .where(Document.shop_id == shop_id, Document.is_test.is_(True), Document.state == DocumentState.CREATED)
            .order_by(Document.id.desc())
        )
    )


def _untidied_orders(shop_id: int):
    return db.select(Document.order_id).where(
        Document.shop_id == shop_id, Document.order_id.is_not(None), Document.state.not_in(TIDIED)
    )


def removable_test_orders(shop_id: int) -> list[Order]:
    """Test orders whose documents are all tidied up (or that have none)."""
    return list(
        db.session.scalars(
            db.select(Order)
            .where(Order.shop_id == shop_id, Order.is_test.is_(True), Order.id.not_in(_untidied_orders(shop_id)))
            .order_by(Order.id)
        )
    )


def kept_test_orders(shop_id: int) -> int:
    """Test orders that stay because a document of theirs is still in the system (or on its way)."""
    return (
        db.session.scalar(
            db.select(db.func.count(Order.id)).where(
                Order.shop_id == shop_id, Order.is_test.is_(True), Order.id.in_(_untidied_orders(shop_id))
            )
        )
        or 0
    )


def remove_test_orders(shop_id: int) -> int:
    """Delete the removable test orders with their tidied-up test documents; the integration log
    keeps its entries (unlinked from the deleted rows). Returns how many orders were removed."""
    orders = removable_test_orders(shop_id)
    ids = [o.id for o in orders]
    if not ids:
        return 0
    documents = list(
        db.session.scalars(db.select(Document.id).where(Document.shop_id == shop_id, Document.order_id.in_(ids)))
    )
    db.session.execute(
        db.update(ApiCall)
        .where(ApiCall.shop_id == shop_id, ApiCall.order_id.in_(ids))
        .values(order_id=None)
        .execution_options(synchronize_session=False)
    )
    if documents:
        db.session.execute(
            db.update(ApiCall)
            .where(ApiCall.shop_id == shop_id, ApiCall.document_id.in_(documents))
            .values(document_id=None)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            db.update(Document)
            .where(Document.shop_id == shop_id, Document.related_document_id.in_(documents))
            .values(related_document_id=None)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            db.delete(Document)
            .where(Document.shop_id == shop_id, Document.id.in_(documents))
            .execution_options(synchronize_session=False)
        )
    for order in orders:
        db.session.delete(order)
    db.session.commit()
    return len(ids)
