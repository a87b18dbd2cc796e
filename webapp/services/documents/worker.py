"""The worker's steps for one document, and the sweep that leaves nothing behind.

`process(document_id)`: create the document exactly once (issuing.issue), then the steps after
creation, each recorded on the row so that none is done twice and a failed one is retried by
the sweep: mark paid (when the system could not create it paid), archive the PDF, e-mail it
through the accounting system.

`sweep()`: runs every minute. Re-queues documents left pending (a crash between commit and
queue, a retry whose time has come, a paused integration that works again) and takes back the
rows of workers that died (an expired lease); the exactly-once core makes a repeated queue
entry harmless.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

from connectors import base, registry
from connectors import errors as codes
from connectors.documents import CREDIT_NOTE, KSEF_REJECTED, KSEF_SENT, KSEF_WAITING, Payment
from connectors.errors import ConnectorError
from webapp.models.types import changed_rows

from ...extensions import db
from ...models import Document, DocumentState, Integration, IntegrationStatus, PostStep, utcnow
from ..connections import calls
from . import archiving, issuing
from .importing import apply_remote

WAIT_FOR_RELATED = timedelta(seconds=30)
SWEEP_BATCH = 500
FRESH = timedelta(seconds=20)  # just queued by the request that planned it: not the sweep's yet
RELATED_MISSING = "related_missing"


def process(document_id: int) -> str:
    """The task: one document, as far as it can go now. Returns a result code (for tests, CLI)."""
    with _rows_kept_after_commit():
        return _process(document_id)


@contextmanager
def _rows_kept_after_commit() -> Iterator[None]:
    """Within one task, a commit does not expire the rows already loaded: the document is ours
    (claimed, and read again right after the claim), and what we wrote is what the row holds,
    so reading every row again after each of the task's commits would only cost time. Values
    other processes change (the integration's token) are read from the database where they are
    used (`calls.IntegrationTokenCache`)."""
    session = db.session()
    previous = session.expire_on_commit
    session.expire_on_commit = False
    try:
        yield
    finally:
        session.expire_on_commit = previous


def _process(document_id: int) -> str:
    document = db.session.get(Document, document_id, options=[db.joinedload(Document.integration)])
    if document is None or document.is_test:
        return "gone"
    if document.state == DocumentState.CREATED:
        finish(document)
        return issuing.ALREADY
    if document.state != DocumentState.PENDING:
        return document.state  # failed (the merchant decides), cancelled, or in another worker's hands
    if document.next_attempt_at is not None and document.next_attempt_at > utcnow() + timedelta(seconds=1):
        _schedule(document)
        return issuing.RETRY_LATER
    if document.integration.status != IntegrationStatus.ACTIVE:
        return issuing.PAUSED  # waits for re-authentication; the sweep brings it back
    waiting = _wait_for_related(document)
    if waiting:
        return waiting
    result = issuing.issue(document, throttled=True)
    if result.code == issuing.CREATED:
        finish(document)
    elif result.code == issuing.RETRY_LATER:
        _schedule(document)
    return result.code


def _wait_for_related(document: Document) -> str:
    """A credit note goes out after the invoice it corrects (it needs the invoice's number)."""
    related = document.related
    if document.kind != CREDIT_NOTE or related is None or related.state == DocumentState.CREATED:
        return ""
    if related.state in (DocumentState.CANCELLED, DocumentState.DELETED):
        document.state = DocumentState.CANCELLED
        document.notice = RELATED_MISSING
        db.session.commit()
        return DocumentState.CANCELLED
    document.next_attempt_at = utcnow() + WAIT_FOR_RELATED
    db.session.commit()
    _schedule(document)
    return "waiting_for_related"


def _schedule(document: Document) -> None:
    from ...tasks import huey, process_document

    if huey.immediate:
        return  # tests run tasks inline: the sweep (called by the test) brings it back
    delay = max((document.next_attempt_at - utcnow()).total_seconds(), 0) if document.next_attempt_at else 0
    process_document.schedule((document.id,), delay=delay)


# -- after creation ----------------------------------------------------------------------------
KSEF_OPEN = (KSEF_WAITING, KSEF_SENT)  # not final yet: the worker asks again


def finish(document: Document) -> None:
    """Mark paid, archive the PDF, e-mail: each once, each recorded; failures wait for the sweep.
    A document on its way through KSeF is asked about until its state is final, and its e-mail
    waits for the KSeF number (the customer gets the invoice the law knows)."""
    cls = registry.get(document.integration.system)
    spec = document.spec or {}
    if document.ksef_status in KSEF_OPEN:
        refresh(document)
    if (
        spec.get("paid")
        and document.paid_state != PostStep.DONE
        and document.status != "paid"
        and cls is not None
        and base.CAN_MARK_PAID in cls.capabilities
        and document.kind != CREDIT_NOTE
    ):
        _step(
            document,
            "paid_state",
            lambda call: call.connector.mark_paid(
                document.remote_id or "",
                Payment(
                    amount=document.total or Decimal("0"), paid_on=_paid_on(document), currency=document.currency or ""
                ),
                kind=document.kind,
            ),
        )
    if (
        document.archive_state in (PostStep.PENDING, PostStep.FAILED)
        and cls is not None
        and base.CAN_PDF in cls.capabilities
    ):
        try:
            archiving.pdf_of(document)
        except ConnectorError as error:
            document.archive_state = PostStep.PENDING if error.is_retryable else PostStep.FAILED
            db.session.commit()
    if (
        document.email_state == PostStep.PENDING
        and document.email_to
        and cls is not None
        and base.CAN_EMAIL in cls.capabilities
        and document.ksef_status not in KSEF_OPEN
    ):

        def send(call: calls.ConnectorCall) -> None:
            call.connector.send_email(document.remote_id or "", document.email_to or "", kind=document.kind)
            document.emailed_at = utcnow()

        _step(document, "email_state", send)


def refresh(document: Document) -> bool:
    """Ask the system for the document as it is now (KSeF state, number, payment status)."""
    try:
        with calls.connector_session(
            document.integration, throttled=True, document_id=document.id, order_id=document.order_id
        ) as call:
            remote = call.connector.get_document(document.remote_id or "", kind=document.kind)
            apply_remote(document, remote)
    except ConnectorError:
        return False
    return True


def resend_to_ksef(document: Document) -> bool:
    """After the merchant fixed what KSeF rejected: send the same invoice again (never a second
    invoice), where the system can; else just ask for its state again."""
    if document.state != DocumentState.CREATED or document.ksef_status != KSEF_REJECTED:
        return False
    try:
        with calls.connector_session(document.integration, document_id=document.id, order_id=document.order_id) as call:
            send = getattr(call.connector, "send_to_ksef", None)
            remote = (
                send(document.remote_id or "", document.kind)
                if callable(send)
                else call.connector.get_document(document.remote_id or "", kind=document.kind)
            )
            apply_remote(document, remote)
    except ConnectorError:
        return False
    return True


def _paid_on(document: Document):
    from datetime import date

    day = document.taxable_date or document.issue_date
    return date.fromisoformat(day) if day else date.today()


def _step(document: Document, column: str, action) -> None:
    try:
        with calls.connector_session(
            document.integration, throttled=True, document_id=document.id, order_id=document.order_id
        ) as call:
            action(call)
            setattr(document, column, PostStep.DONE)
    except ConnectorError as error:
        setattr(
            document,
            column,
            PostStep.PENDING if error.is_retryable or error.code == codes.NOT_READY else PostStep.FAILED,
        )
        db.session.commit()


# -- the sweep ---------------------------------------------------------------------------------
def sweep(now=None) -> dict[str, int]:
    """Bring back everything that waits: expired leases, due retries, paused documents whose
    integration works again, steps after creation that did not finish."""
    now = now or utcnow()
    reclaimed = changed_rows(
        db.session.execute(
            db.update(Document)
            .where(Document.state == DocumentState.CREATING, Document.claimed_until < now, Document.is_test.is_(False))
            # Due at once (however fresh the row): its task died with the worker.
            .values(state=DocumentState.PENDING, claimed_until=None, needs_lookup=True, next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    db.session.commit()
    due = list(
        db.session.scalars(
            db.select(Document.id)
            .join(Integration, Integration.id == Document.integration_id)
            .where(
                Document.state == DocumentState.PENDING,
                Document.is_test.is_(False),
                Integration.status == IntegrationStatus.ACTIVE,
                db.or_(Document.next_attempt_at.is_(None), Document.next_attempt_at <= now),
                db.or_(Document.next_attempt_at.is_not(None), Document.created_at <= now - FRESH),
            )
            .order_by(Document.id)
            .limit(SWEEP_BATCH)
        )
    )
    unfinished = list(
        db.session.scalars(
            db.select(Document.id)
            .join(Integration, Integration.id == Document.integration_id)
            .where(
                Document.state == DocumentState.CREATED,
                Document.is_test.is_(False),
                Integration.status == IntegrationStatus.ACTIVE,
                db.or_(
                    Document.archive_state == PostStep.PENDING,
                    Document.email_state == PostStep.PENDING,
                    Document.paid_state == PostStep.PENDING,
                    Document.ksef_status.in_(KSEF_OPEN),
                ),
                Document.updated_at <= now - FRESH,
            )
            .order_by(Document.id)
            .limit(SWEEP_BATCH)
        )
    )
    waiting = _queued_documents()
    due = [d for d in due if d not in waiting]
    unfinished = [d for d in unfinished if d not in waiting]
    if due:
        # Due now (by the sweep's clock): the task must not wait for the old time again.
        db.session.execute(
            db.update(Document)
            .where(Document.id.in_(due))
            .values(next_attempt_at=None)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    from ...tasks import process_document

    for document_id in due + unfinished:
        process_document(document_id)
    return {"reclaimed": reclaimed, "queued": len(due), "finishing": len(unfinished)}


QUEUE_READ_LIMIT = 20 * SWEEP_BATCH


def _queued_documents() -> set[int]:
    """Documents whose task is still in the queue or scheduled: a long backlog is not lost, and
    re-queueing it every minute (once per consumer) would only make every worker read each row
    twice. Past QUEUE_READ_LIMIT tasks the queue is not read and nothing is skipped."""
    from ...tasks import huey, process_document

    if huey.immediate:
        return set()
    try:
        if huey.pending_count() + huey.scheduled_count() > QUEUE_READ_LIMIT:
            return set()
        tasks = huey.pending() + huey.scheduled()
    except Exception:  # the queue unreadable: better a repeated task than a lost one
        return set()
    return {int(task.args[0]) for task in tasks if task.name == process_document.task_class.__name__ and task.args}


def retry(document: Document) -> bool:
    """The merchant's retry button (also the support agent's): back to the queue, now."""
    if not issuing.reopen(document):
        return False
    from ...tasks import process_document

    process_document(document.id)
    return True


def resume(integration: Integration) -> int:
    """After re-authentication: the documents that waited go out (the sweep would do it within
    a minute; this does it at once)."""
    ids = list(
        db.session.scalars(
            db.select(Document.id).where(
                Document.integration_id == integration.id,
                Document.state == DocumentState.PENDING,
                Document.is_test.is_(False),
            )
        )
    )
    from ...tasks import process_document

    for document_id in ids:
        process_document(document_id)
    return len(ids)
