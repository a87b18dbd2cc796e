"""The exactly-once core: issue one `Document` row in its accounting system.

Used by the worker, the retry button and the merchant's test invoice alike:
1. claim the row with a compare-and-set (PENDING/FAILED, or a CREATING lease that expired, ->
   CREATING with a new lease): two workers, a double click or a racing callback issue once;
2. before sending a create, mark the row `needs_lookup` and commit: if the answer is lost (a
   timeout, a dropped connection, a killed worker), the next attempt asks the system for the
   document created with our key (`find_by_reference`) before it creates anything;
3. create with the row's idempotency key, which each connector turns into its vendor's guard
   (SuperFaktura checksum, Fakturoid custom_id, iDoklad note marker, Fakturownia oid...);
4. record the answer (number, totals, the customer record for next time) or the failure as a
   code with its parameters; nothing here builds a sentence.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from flask import current_app
from sqlalchemy import inspect

from connectors import errors as codes
from connectors import registry
from connectors.documents import RemoteDocument
from connectors.errors import ConnectorError
from webapp.models.types import changed_rows

from ...extensions import db
from ...models import CustomerLink, Document, DocumentState, IntegrationStatus, utcnow
from ..connections import calls
from ..observability import audit
from . import drafts
from .importing import apply_remote

log = logging.getLogger(__name__)
# A worker holding a row longer than the lease is presumed dead (DOCUMENT_LEASE_SECONDS, 5 min).
LEASE = timedelta(minutes=5)
MAX_AUTOMATIC_ATTEMPTS = 8  # then the merchant decides (retry button)
# Backoff for passing failures: 30 s, 1, 2, 4, 8, 16 min... (DOCUMENT_BACKOFF_SECONDS is the
# first step). An ambiguous failure waits at least twice the first step, so a create still
# being processed by the system lands before we look it up.
FIRST_BACKOFF = timedelta(seconds=30)
INTERNAL = "internal_error"  # our own bug: shown as such, never as the system's fault

# Result codes (views turn them into words).
CREATED = "created"
ALREADY = "already_created"
BUSY = "busy"
RETRY_LATER = "retry_later"
PAUSED = "paused"
FAILED = "failed"


@dataclass
class IssueResult:
    code: str
    document: Document
    error: ConnectorError | None = None
    log_id: int | None = None
    retry_at: datetime | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.code in (CREATED, ALREADY)


def lease_length() -> timedelta:
    return timedelta(seconds=float(current_app.config.get("DOCUMENT_LEASE_SECONDS") or LEASE.total_seconds()))


def first_backoff() -> timedelta:
    return timedelta(seconds=float(current_app.config.get("DOCUMENT_BACKOFF_SECONDS") or FIRST_BACKOFF.total_seconds()))


def claim(document: Document, *, lease: timedelta | None = None) -> bool:
    """Compare-and-set to CREATING. True: this caller owns the row until the lease ends."""
    lease = lease or lease_length()
    now = utcnow()
    claimed = changed_rows(
        db.session.execute(
            db.update(Document)
            .where(
                Document.id == document.id,
                db.or_(
                    Document.state.in_((DocumentState.PENDING, DocumentState.FAILED)),
                    db.and_(
                        Document.state == DocumentState.CREATING,
                        db.or_(Document.claimed_until.is_(None), Document.claimed_until < now),
                    ),
                ),
            )
            .values(
                state=DocumentState.CREATING, claimed_until=now + lease, updated_at=now, attempts=Document.attempts + 1
            )
            .execution_options(synchronize_session=False)
        )
    )
    db.session.commit()
    # The row as it is now (columns only: the integration it belongs to is already loaded).
    db.session.refresh(document, _COLUMNS)
    return claimed == 1


_COLUMNS = [c.key for c in inspect(Document).column_attrs]


def _customer_link(document: Document) -> CustomerLink | None:
    cls = registry.get(document.integration.system)
    if cls is None or not cls.customer_id_field or not (document.spec or {}).get("customer"):
        return None
    return db.session.scalar(
        db.select(CustomerLink).where(
            CustomerLink.integration_id == document.integration_id,
            CustomerLink.customer_key == drafts.customer_key((document.spec or {})["customer"]),
        )
    )


def _remember_customer(document: Document, remote: RemoteDocument, known: CustomerLink | None = None) -> None:
    """Keep the system's id of the document's customer for the next document. `known`: the link
    read before the create (still valid unless the create forgot it)."""
    cls = registry.get(document.integration.system)
    remote_id = str((remote.raw_id_fields or {}).get(cls.customer_id_field) or "") if cls else ""
    if not remote_id or not (document.spec or {}).get("customer"):
        return
    if known is not None and not _deleted(known):
        if known.remote_id != remote_id:
            known.remote_id = remote_id
        return
    key = drafts.customer_key((document.spec or {})["customer"])
    link = db.session.scalar(
        db.select(CustomerLink).where(
            CustomerLink.integration_id == document.integration_id, CustomerLink.customer_key == key
        )
    )
    if link is None:
        db.session.add(
            CustomerLink(
                shop_id=document.shop_id, integration_id=document.integration_id, customer_key=key, remote_id=remote_id
            )
        )
    else:
        link.remote_id = remote_id


def _deleted(row: Any) -> bool:
    state = inspect(row)
    return bool(state.deleted or state.was_deleted or row in db.session.deleted)


def issue(
    document: Document,
    *,
    seconds: float | None = None,
    throttled: bool = False,
    interactive: bool = False,
    today: date | None = None,
) -> IssueResult:
    """Create `document` in its system, exactly once.

    interactive: the merchant is watching (test invoice): no automatic retry, every failure is
    reported at once. Otherwise passing failures are rescheduled with backoff, auth failures
    pause the document until the merchant re-authenticates, and the rest wait for the merchant.
    """
    if document.state == DocumentState.CREATED:
        return IssueResult(ALREADY, document)
    if not claim(document):
        return IssueResult(BUSY, document)
    integration = document.integration
    link = _customer_link(document)
    related = document.related
    draft = drafts.draft_from_spec(
        document.spec or {},
        today or date.today(),
        related_remote_id=(related.remote_id or "") if related is not None else "",
        customer_remote_id=link.remote_id if link is not None else "",
    )
    key = document.idempotency_key
    call = None
    try:
        with calls.connector_session(
            integration, seconds=seconds, throttled=throttled, document_id=document.id, order_id=document.order_id
        ) as call:
            remote = call.connector.find_by_reference(key, draft) if document.needs_lookup else None
            if remote is None:
                document.needs_lookup = True  # from now on a lost answer means "look it up first"
                db.session.commit()
                try:
                    remote = call.connector.create_document(draft, key)
                except ConnectorError as error:
                    if error.ambiguous:
                        remote = _look_up_after(call, key, draft)
                        if remote is None:
                            raise
                    elif link is not None and error.code == codes.VALIDATION:
                        # The customer record we remembered may be gone in the system: forget it
                        # and ask once more with the customer's details (unless the refusal came
                        # from a later step of a create that did land).
                        db.session.delete(link)
                        draft.customer.remote_id = ""
                        remote = _look_up_after(call, key, draft) or call.connector.create_document(draft, key)
                    else:
                        # `needs_lookup` stays set: a create can take several requests (Fakturoid
                        # records the payment of a paid invoice after creating it), so a refusal
                        # does not prove that nothing was created. The next attempt looks first.
                        raise
            _record_success(document, remote, link)
            # In the same transaction as the result: one commit when the call ends.
            audit.record(
                "document.created",
                document.shop_id,
                kind=document.kind,
                number=document.number,
                order=document.order_number,
                system=integration.system,
            )
    except ConnectorError as error:
        return _record_failure(document, error, call.log_id if call else None, interactive=interactive)
    except Exception:
        # Our own failure (a bug, the database): never leave the row "creating" for ever.
        log.exception("issuing document %s failed", document.id)
        document_id = document.id
        db.session.rollback()
        reread = db.session.get(Document, document_id)
        assert reread is not None  # the row was committed before the claim
        document = reread
        document.state = DocumentState.FAILED
        document.claimed_until = None
        document.last_error_code = INTERNAL
        document.last_error_detail = "internal error while issuing; see the server log"
        db.session.commit()
        raise
    return IssueResult(CREATED, document, log_id=call.log_id if call else None)


def _look_up_after(call: calls.ConnectorCall, key: str, draft: Any) -> RemoteDocument | None:
    """After an ambiguous failure: did the create land anyway? A failing lookup is no answer."""
    try:
        return call.connector.find_by_reference(key, draft)
    except ConnectorError:
        return None


def _record_success(document: Document, remote: RemoteDocument, link: CustomerLink | None = None) -> None:
    apply_remote(document, remote)
    document.state = DocumentState.CREATED
    document.needs_lookup = False
    document.claimed_until = None
    document.next_attempt_at = None
    document.issued_at = utcnow()
    document.last_error_code = document.last_error_detail = document.last_error_hint_key = None
    document.last_error_fields = None
    _remember_customer(document, remote, link)


def backoff(attempts: int, error: ConnectorError) -> datetime:
    """When to try again: the vendor's reset time when it gave one, else exponential backoff."""
    now = utcnow()
    if error.retry_at is not None:
        reset = error.retry_at
        if reset.tzinfo is not None:
            reset = reset.astimezone(timezone.utc).replace(tzinfo=None)
        return max(reset, now + timedelta(seconds=1))
    first = first_backoff()
    delay = first * (2 ** max(attempts - 1, 0))
    if error.ambiguous:
        delay = max(delay, 2 * first)
    return now + min(delay, timedelta(hours=2))


def _record_failure(document: Document, error: ConnectorError, log_id: int | None, *, interactive: bool) -> IssueResult:
    document.claimed_until = None
    if calls.is_own_throttle(error) and document.attempts > 0:
        # Our share of the quota was used up before anything was sent: the document waits its
        # turn, and a long backlog must not use up its automatic attempts by waiting.
        document.attempts -= 1
    document.last_error_code = error.code
    document.last_error_detail = (error.detail or "")[:2000]
    document.last_error_hint_key = error.hint_key
    document.last_error_fields = dict(error.fields or {}) or None
    paused = error.is_auth and document.integration.status != IntegrationStatus.ACTIVE
    if interactive:
        document.state = DocumentState.FAILED
        code = FAILED
    elif paused:
        # The connection needs the merchant; the document waits and goes out after
        # re-authentication (the sweep picks it up once the integration is active again).
        document.state = DocumentState.PENDING
        document.next_attempt_at = None
        code = PAUSED
    elif (error.is_retryable or error.ambiguous) and document.attempts < MAX_AUTOMATIC_ATTEMPTS:
        document.state = DocumentState.PENDING
        document.next_attempt_at = backoff(document.attempts, error)
        code = RETRY_LATER
    else:
        document.state = DocumentState.FAILED
        code = FAILED
    db.session.commit()
    return IssueResult(code, document, error=error, log_id=log_id, retry_at=document.next_attempt_at)


def reopen(document: Document) -> bool:
    """The retry button: a failed document goes back to the queue (its key is unchanged, so a
    document that did get created meanwhile is found, not created twice)."""
    changed = changed_rows(
        db.session.execute(
            db.update(Document)
            .where(Document.id == document.id, Document.state == DocumentState.FAILED)
            .values(
                state=DocumentState.PENDING,
                next_attempt_at=None,
                attempts=0,
                updated_at=utcnow(),
                # An internal failure may have happened after the create was sent.
                # (Without an error code the comparison is NULL, and NULL in a NOT NULL column fails.)
                needs_lookup=db.or_(Document.needs_lookup, db.func.coalesce(Document.last_error_code, "") == INTERNAL),
                # The refusal belongs to the attempt before: while the document waits for the new
                # one it is not shown beside it (the integration log keeps it). SQL reads the old
                # value for needs_lookup above.
                last_error_code=None,
                last_error_detail=None,
                last_error_hint_key=None,
                last_error_fields=None,
            )
            .execution_options(synchronize_session=False)
        )
    )
    db.session.commit()
    db.session.refresh(document)
    return changed == 1
