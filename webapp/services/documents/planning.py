"""From an order event to the documents it causes (written in the event's transaction) and,
after the commit, to the worker's queue.

Keys make "at most one" structural: an order has one invoice (`order-<id>-invoice`), one
proforma, one credit note per refund event and one for a cancellation; the unique key on
(shop, idempotency key) turns any race between two events into one row.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from flask_babel import force_locale
from flask_babel import gettext as _

from connectors.documents import CREDIT_NOTE, INVOICE, PROFORMA

from ...extensions import db
from ...models import Document, DocumentRule, DocumentState, Integration, IntegrationStatus, Order, OrderEvent, PostStep
from . import drafts, rules

ISSUABLE = (IntegrationStatus.ACTIVE, IntegrationStatus.NEEDS_ATTENTION)  # needs attention: they wait
# Notices the order page explains.
PROFORMA_LEFT = "proforma_left"  # cancelled with only a proforma issued: it stays
CANCELLED_BEFORE_ISSUE = "cancelled_before_issue"


def key_for(order: Order, kind: str, event: OrderEvent | None = None) -> str:
    if kind == CREDIT_NOTE and event is not None:
        suffix = "cancel" if event.type == "cancelled" else f"refund-{event.id}"
        return f"order-{order.id}-credit-{suffix}"
    return f"order-{order.id}-{kind}"


def _existing(order: Order, kind: str | None = None) -> list[Document]:
    query = db.select(Document).where(
        Document.shop_id == order.shop_id, Document.order_id == order.id, Document.is_test.is_(False)
    )
    if kind:
        query = query.where(Document.kind == kind)
    return list(db.session.scalars(query.order_by(Document.id)))


def _live_invoice(order: Order) -> Document | None:
    """The order's invoice, issued or on its way (a cancelled-before-issue one does not count)."""
    return next(
        (d for d in _existing(order, INVOICE) if d.state not in (DocumentState.CANCELLED, DocumentState.DELETED)), None
    )


def current_integration(order: Order) -> Integration | None:
    return db.session.scalar(
        db.select(Integration).where(
            Integration.shop_id == order.shop_id, Integration.current.is_(True), Integration.status.in_(ISSUABLE)
        )
    )


def plan_documents(order: Order, event: OrderEvent) -> list[Document]:
    """The documents this event calls for, added to the session (the caller commits them with
    the event). Events the rules do not mention plan nothing."""
    integration = current_integration(order)
    if integration is None or order.is_test:
        return []
    db.session.flush()  # the event needs its id for the credit note's key
    if event.type == "cancelled":
        _cancel_unissued(order)
    planned: list[Document] = []
    for rule in rules.rules_of(integration, enabled_only=True):
        if not rules.matches(rule, order, event):
            continue
        document = _plan_one(rule, integration, order, event)
        if document is not None:
            db.session.add(document)
            db.session.flush()
            planned.append(document)
    return planned


def _event_day(event: OrderEvent) -> date:
    return event.at.date() if event.at else date.today()


def _new(
    rule: DocumentRule,
    integration: Integration,
    order: Order,
    event: OrderEvent,
    kind: str,
    spec: dict,
    related: Document | None = None,
) -> Document:
    options = rules.options_of(rule)
    delay = int(options.get("delay_minutes") or 0)
    email = (order.customer or {}).get("email", "")
    return Document(
        shop_id=order.shop_id,
        integration_id=integration.id,
        order_id=order.id,
        order_event_id=event.id,
        rule_id=rule.id,
        kind=kind,
        state=DocumentState.PENDING,
        idempotency_key=key_for(order, kind, event),
        order_number=order.number,
        related_document_id=related.id if related is not None else None,
        spec=spec,
        total=Decimal(spec["total"]),
        currency=order.currency,
        taxable_date=spec.get("taxable_date") or None,
        customer_name=((order.customer or {}).get("company_name") or (order.customer or {}).get("name") or "")[:255]
        or None,
        next_attempt_at=event.created_at + timedelta(minutes=delay) if delay else None,
        archive_state=PostStep.PENDING if options.get("archive_pdf") else PostStep.NONE,
        email_state=PostStep.PENDING if options.get("send_email") and email else PostStep.NONE,
        email_to=email if options.get("send_email") and email else None,
    )


def _plan_one(rule: DocumentRule, integration: Integration, order: Order, event: OrderEvent) -> Document | None:
    options = rules.options_of(rule)
    existing = _existing(order)
    keys = {d.idempotency_key for d in existing}
    with force_locale(order.language or "en"):
        if rule.kind in (INVOICE, PROFORMA):
            if key_for(order, rule.kind) in keys:
                return None  # one invoice and one proforma per order, whichever event comes twice
            if rule.kind == PROFORMA and _live_invoice(order) is not None:
                return None  # the invoice is there already: a proforma would only confuse
            if order.status == "cancelled":
                return None
            spec = drafts.spec_for(order, rule.kind, taxable_date=_event_day(event), options=options)
            proforma = next(
                (
                    d
                    for d in existing
                    if d.kind == PROFORMA and d.state not in (DocumentState.CANCELLED, DocumentState.DELETED)
                ),
                None,
            )
            return _new(
                rule, integration, order, event, rule.kind, spec, related=proforma if rule.kind == INVOICE else None
            )
        # A credit note corrects an invoice: without one there is nothing to credit.
        invoice = _live_invoice(order)
        if invoice is None or key_for(order, CREDIT_NOTE, event) in keys:
            return None
        if event.type == "refunded":
            refunded = (event.payload or {}).get("lines") or []
            lines = drafts.refund_lines(order, refunded) if refunded else []
            if not lines and event.amount:
                lines = drafts.amount_lines(order, Decimal(event.amount), _("Refund"))
            if not lines:
                return None
            note = _("Refund for order %(number)s", number=order.number)
        elif event.type == "cancelled":
            if invoice.state == DocumentState.CANCELLED:
                return None
            credited = [
                (d.spec or {}).get("lines", [])
                for d in existing
                if d.kind == CREDIT_NOTE and d.state not in (DocumentState.CANCELLED, DocumentState.DELETED)
            ]
            lines = drafts.remaining_lines(
                (invoice.spec or {}).get("lines") or drafts.order_line_dicts(order),
                credited,
                order.prices_include_vat,
                _("Refunded earlier"),
            )
            if not lines or drafts.total_of(lines, order.prices_include_vat) <= 0:
                return None
            note = _("Order %(number)s was cancelled", number=order.number)
        else:
            return None
        spec = drafts.spec_for(
            order, CREDIT_NOTE, lines=lines, taxable_date=_event_day(event), options=options, note=note
        )
        return _new(rule, integration, order, event, CREDIT_NOTE, spec, related=invoice)


def _cancel_unissued(order: Order) -> None:
    """An order cancelled before its documents went out: invoices and proformas still waiting
    are never issued; a proforma already issued stays (systems keep proformas; the merchant is
    told on the order page)."""
    for document in _existing(order):
        if document.kind in (INVOICE, PROFORMA) and document.state in (DocumentState.PENDING, DocumentState.FAILED):
            document.state = DocumentState.CANCELLED
            document.notice = CANCELLED_BEFORE_ISSUE
        elif document.kind == PROFORMA and document.state == DocumentState.CREATED and _live_invoice(order) is None:
            document.notice = PROFORMA_LEFT


def enqueue(documents: list[Document]) -> None:
    """After the commit: hand each new document to the worker (at its time, for delayed rules).
    Anything lost here (a crash between commit and queue) is found by the sweep."""
    from ...tasks import process_document

    for document in documents:
        if document.next_attempt_at is not None:
            delay = (document.next_attempt_at - document.created_at).total_seconds()
            process_document.schedule((document.id,), delay=max(delay, 0))
        else:
            process_document(document.id)
