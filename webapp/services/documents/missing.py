"""Orders without their documents: an event a rule asked a document for, and no such document
(lost by an outage, a crash before planning), or one that failed or has waited too long.

`find(shop_id)` lists them; `issue_now(order)` brings them back through the engine: the order's
events are planned again (`planning.plan_documents`, idempotent by key, so a document that exists
is never planned twice), failed ones are retried, stuck ones re-queued. The daily task stores the
count on a `Job` of kind "missing" so the dashboard can show it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from connectors.documents import CREDIT_NOTE, INVOICE, PROFORMA

from ...extensions import db
from ...models import Document, DocumentState, EventType, Integration, Job, JobState, Order, OrderStatus, utcnow
from . import planning, rules

MISSING = "missing"
LOOK_BACK = timedelta(days=60)
PENDING_TOO_LONG = timedelta(hours=1)
GRACE = timedelta(minutes=10)  # an event this fresh may still be planning its documents

# Reasons (the view words them).
NOT_CREATED = "not_created"
FAILED = "failed"
STUCK = "stuck"


@dataclass
class MissingOrder:
    order: Order
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (reason, document kind)


def _expected(
    order: Order, integration: Integration, shop_rules, documents: list[Document], now
) -> list[tuple[str, str]]:
    """(reason, kind) for each document a rule asked for that is not there."""
    keys = {d.idempotency_key for d in documents}
    live_invoice = any(
        d.kind == INVOICE and d.state not in (DocumentState.CANCELLED, DocumentState.DELETED) for d in documents
    )
    since = max(filter(None, [integration.activated_at, integration.created_at]))
    found: list[tuple[str, str]] = []
    for event in order.events:
        if event.type == EventType.CANCELLED or event.created_at < since or event.created_at > now - GRACE:
            continue
        for rule in shop_rules:
            if rule.created_at and event.created_at < rule.created_at:
                continue  # the rule came after the event: it never asked for this document
            if not rules.matches(rule, order, event):
                continue
            if rule.kind == CREDIT_NOTE or order.status == OrderStatus.CANCELLED:
                continue  # credit notes depend on what was invoiced; the engine decides at planning
            if rule.kind == PROFORMA and live_invoice:
                continue
            key = planning.key_for(order, rule.kind, event)
            # A re-issued document carries a new key (`<key>-rN`): it counts as the document.
            if (
                key not in keys
                and not any(k.startswith(f"{key}-r") for k in keys)
                and (NOT_CREATED, rule.kind) not in found
            ):
                found.append((NOT_CREATED, rule.kind))
    for document in documents:
        if document.state == DocumentState.FAILED:
            found.append((FAILED, document.kind))
        elif (
            document.state in DocumentState.OPEN
            and document.created_at < now - PENDING_TOO_LONG
            and (document.next_attempt_at is None or document.next_attempt_at < now - PENDING_TOO_LONG)
        ):
            found.append((STUCK, document.kind))
    return found


def find(shop_id: int, *, limit: int = 200, now=None) -> list[MissingOrder]:
    now = now or utcnow()
    integration = db.session.scalar(
        db.select(Integration).where(
            Integration.shop_id == shop_id, Integration.current.is_(True), Integration.status.in_(planning.ISSUABLE)
        )
    )
    if integration is None:
        return []
    shop_rules = rules.rules_of(integration, enabled_only=True)
    orders = db.session.scalars(
        db.select(Order)
        .where(Order.shop_id == shop_id, Order.is_test.is_(False), Order.created_at >= now - LOOK_BACK)
        .order_by(Order.id.desc())
        .limit(5000)
    )
    result: list[MissingOrder] = []
    for order in orders:
        documents = list(
            db.session.scalars(
                db.select(Document).where(
                    Document.shop_id == shop_id, Document.order_id == order.id, Document.is_test.is_(False)
                )
            )
        )
        reasons = _expected(order, integration, shop_rules, documents, now)
        if reasons:
            result.append(MissingOrder(order, reasons))
            if len(result) >= limit:
                break
    return result


def issue_now(order: Order) -> list[Document]:
    """One action: plan what is missing (the engine skips every key that exists), retry what
    failed, re-queue what is stuck. Returns the documents sent to the worker."""
    from ...tasks import process_document
    from . import worker

    planned: list[Document] = []
    for event in sorted(order.events, key=lambda e: e.id):
        if event.type == EventType.CANCELLED:
            continue
        planned.extend(planning.plan_documents(order, event))
    db.session.commit()
    planning.enqueue(planned)
    touched = list(planned)
    now = utcnow()
    for document in db.session.scalars(
        db.select(Document).where(
            Document.shop_id == order.shop_id, Document.order_id == order.id, Document.is_test.is_(False)
        )
    ):
        if document in planned:
            continue
        if document.state == DocumentState.FAILED and worker.retry(document):
            touched.append(document)
        elif document.state == DocumentState.PENDING and document.created_at < now - PENDING_TOO_LONG:
            process_document(document.id)
            touched.append(document)
    return touched


def daily_check() -> int:
    """Record the count per shop (a finished Job the dashboard reads)."""
    shop_ids = list(
        db.session.scalars(
            db.select(Integration.shop_id)
            .where(Integration.current.is_(True), Integration.status.in_(planning.ISSUABLE))
            .distinct()
        )
    )
    for shop_id in shop_ids:
        integration_id = db.session.scalar(
            db.select(Integration.id).where(Integration.shop_id == shop_id, Integration.current.is_(True))
        )
        found = find(shop_id)
        db.session.add(
            Job(
                shop_id=shop_id,
                integration_id=integration_id,
                kind=MISSING,
                state=JobState.DONE,
                done=len(found),
                total=len(found),
                result={"orders": [m.order.id for m in found][:200]},
            )
        )
        db.session.commit()
    return len(shop_ids)


def latest_count(shop_id: int) -> int | None:
    job = db.session.scalar(db.select(Job).where(Job.shop_id == shop_id, Job.kind == MISSING).order_by(Job.id.desc()))
    return None if job is None else job.done
