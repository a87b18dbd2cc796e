"""Sync verification: our documents compared with what the accounting system holds now.

A check runs in the worker (`tasks.run_sync`) as a `Job` of kind "sync" (the import's pattern:
progress on the row, the page polls it). For each of our issued documents in the period (or of
the chosen orders) it fetches the remote document and lists every mismatch as a code with
parameters (the view words it in the merchant's language) and the actions that apply:
re-sync (copy the system's version onto our row), re-issue (only for a document deleted in the
system: a new document with a new key, after the merchant confirms), open in the system.

An invoice the system reports paid while the order is unpaid here marks the order paid
(`record_paid`): during a check, and on Fakturoid's payment webhook.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from connectors.documents import (
    CREDIT_NOTE,
    INVOICE,
    KSEF_ACCEPTED,
    KSEF_OFFLINE,
    KSEF_REJECTED,
    KSEF_SENT,
    KSEF_WAITING,
    PROFORMA,
    RemoteDocument,
)
from connectors.errors import NOT_FOUND, REMOTE_ERROR, ConnectorError
from webapp.models.types import changed_rows

from ...extensions import db
from ...models import (
    Document,
    DocumentState,
    EventType,
    Integration,
    IntegrationStatus,
    Job,
    JobState,
    Order,
    OrderEvent,
    utcnow,
)
from ..connections import calls
from . import drafts, importing

SYNC = "sync"
ROUNDING = Decimal("0.05")  # a per-rate difference up to this is a rounding difference
MAX_DOCUMENTS = 2000  # one check looks at this many documents at most
DEFAULT_DAYS = 31

# Mismatch codes (the view words them; params fill the words).
MISSING_REMOTE = "missing_remote"  # deleted in the system
NUMBER = "number"
ISSUE_DATE = "issue_date"
TAXABLE_DATE = "taxable_date"
LINES = "lines"
VAT_ROUNDING = "vat_rounding"
VAT_TOTAL = "vat_total"
TOTAL = "total"
CURRENCY = "currency"
PAID_REMOTE = "paid_remote"  # paid in the system, unpaid here: recorded now
PAID_HERE = "paid_here"  # paid here, unpaid in the system
KSEF = "ksef"
UNREACHABLE = "unreachable"  # the system answered with an error for this document

RESYNC, REISSUE, OPEN = "resync", "reissue", "open"


@dataclass
class Mismatch:
    code: str
    params: dict[str, str]
    actions: tuple[str, ...]


# -- comparing ---------------------------------------------------------------------------------
def _rate(value: Any) -> str:
    return format(Decimal(str(value)).normalize(), "f")


def _sign(document: Document) -> int:
    """How our spec's amounts compare with the system's: a credit note's spec lists what is
    refunded (positive amounts) while every system reports a credit note's amounts negative
    (see `RemoteDocument`), so our side is negated for it."""
    return -1 if document.kind == CREDIT_NOTE else 1


def _ours_by_rate(spec: dict[str, Any], sign: int = 1) -> dict[str, Decimal]:
    by_rate: dict[str, Decimal] = {}
    for line in spec.get("lines") or []:
        rate = _rate(line["vat_rate"])
        by_rate[rate] = by_rate.get(rate, Decimal("0")) + drafts.line_gross(line, bool(spec.get("prices_include_vat")))
    return {rate: amount * sign for rate, amount in by_rate.items()}


def _quantity(value: Any, credit_note: bool) -> Decimal:
    # A credit note's minus sits on the quantity in some systems (Fakturownia, inFakt), on the
    # price in others: which lines were credited is compared, the amounts per VAT rate below.
    quantity = Decimal(value)
    return (abs(quantity) if credit_note else quantity).normalize()


def _lines_differ(spec: dict[str, Any], remote: RemoteDocument, credit_note: bool = False) -> bool:
    ours = sorted(
        (line["name"].strip(), _quantity(line["quantity"], credit_note), _rate(line["vat_rate"]))
        for line in spec.get("lines") or []
    )
    theirs = sorted(
        (line.name.strip(), _quantity(line.quantity, credit_note), _rate(line.vat_rate)) for line in remote.lines
    )
    return bool(remote.lines) and ours != theirs


def compare(document: Document, remote: RemoteDocument, order_paid: bool) -> list[Mismatch]:
    """Every way the system's document differs from ours. `document.snapshot` is what the system
    returned when it was issued (number, dates, KSeF); `document.spec` what we asked for.

    Credit notes: amounts are compared signed, the system's way (negative, money going back to
    the customer); our spec's positive refund amounts are negated first (`_sign`). A credit note
    issued correctly therefore matches, and a wrong amount still differs."""
    found: list[Mismatch] = []
    spec = document.spec or {}
    snap = document.snapshot or {}
    both = (RESYNC, OPEN)
    if document.number and remote.number and remote.number != document.number:
        found.append(Mismatch(NUMBER, {"ours": document.number, "theirs": remote.number}, both))
    ours_issue = snap.get("issue_date") or document.issue_date
    if ours_issue and remote.issue_date and remote.issue_date.isoformat() != ours_issue:
        found.append(Mismatch(ISSUE_DATE, {"ours": ours_issue, "theirs": remote.issue_date.isoformat()}, both))
    ours_taxable = snap.get("taxable_date")
    if ours_taxable and remote.taxable_date and remote.taxable_date.isoformat() != ours_taxable:
        found.append(Mismatch(TAXABLE_DATE, {"ours": ours_taxable, "theirs": remote.taxable_date.isoformat()}, both))
    currency = spec.get("currency") or document.currency
    if currency and remote.currency and remote.currency.upper() != currency.upper():
        found.append(Mismatch(CURRENCY, {"ours": currency, "theirs": remote.currency}, both))
    sign = _sign(document)
    if spec.get("lines") and _lines_differ(spec, remote, credit_note=sign < 0):
        found.append(Mismatch(LINES, {"ours": str(len(spec["lines"])), "theirs": str(len(remote.lines))}, both))
    rate_mismatch = False
    if spec.get("lines") and remote.vat:
        ours = _ours_by_rate(spec, sign)
        theirs = {_rate(v.rate): v.base + v.vat for v in remote.vat}
        for rate in sorted(set(ours) | set(theirs), key=Decimal, reverse=True):
            a, b = ours.get(rate, Decimal("0")), theirs.get(rate, Decimal("0"))
            if a != b:
                rate_mismatch = True
                difference = abs(a - b)
                code = VAT_ROUNDING if difference <= ROUNDING else VAT_TOTAL
                found.append(
                    Mismatch(
                        code, {"rate": rate, "difference": str(difference), "ours": str(a), "theirs": str(b)}, both
                    )
                )
    # Without a spec (an imported document) our total is the one the system reported: signed already.
    expected_total = Decimal(spec["total"]) * sign if spec.get("total") else document.total
    if not rate_mismatch and expected_total is not None and remote.total != expected_total:
        found.append(Mismatch(TOTAL, {"ours": str(expected_total), "theirs": str(remote.total)}, both))
    if document.kind in (INVOICE, PROFORMA):
        remote_paid = remote.status == "paid"
        if remote_paid and not order_paid:
            found.append(Mismatch(PAID_REMOTE, {}, (OPEN,)))
        elif order_paid and not remote_paid and remote.status not in ("cancelled", "draft") and spec.get("paid"):
            found.append(Mismatch(PAID_HERE, {}, (OPEN,)))
    # Ours as it is now (the worker follows KSeF after issuing), not as it was at issue time.
    ours_ksef = document.ksef_status or snap.get("ksef_status") or ""
    if (
        remote.ksef_status
        and remote.ksef_status != "not_applicable"
        and (remote.ksef_status == "rejected" or (ours_ksef and ours_ksef != remote.ksef_status))
    ):
        found.append(
            Mismatch(
                KSEF,
                {"ours": ours_ksef, "theirs": remote.ksef_status, "errors": "; ".join(remote.ksef_errors)[:300]},
                both,
            )
        )
    return found


# -- payments flowing back -------------------------------------------------------------------
def sync_reference(document: Document) -> str:
    return f"sync:{document.id}"


def record_paid(document: Document, remote: RemoteDocument) -> bool:
    """The system says the invoice is paid: mark the order paid here (the unpaid balance), once.
    Returns whether a payment was recorded now."""
    from ..orders.events import record_event
    from ..orders.totals import balance_due

    if remote.status != "paid" or document.kind not in (INVOICE, PROFORMA) or document.order_id is None:
        return False
    order = db.session.get(Order, document.order_id)
    if order is None or order.shop_id != document.shop_id or order.is_test:
        return False
    reference = sync_reference(document)
    if db.session.scalar(
        db.select(OrderEvent.id).where(
            OrderEvent.order_id == order.id, OrderEvent.type == EventType.PAID, OrderEvent.reference == reference
        )
    ):
        return False
    due = balance_due(order)
    if due <= 0:
        return False
    at = utcnow().replace(microsecond=0)
    record_event(
        order,
        EventType.PAID,
        at,
        amount=due,
        reference=reference,
        payload={
            "source": document.integration.system if document.integration else "",
            "document_number": document.number or "",
        },
        actor="sync",
    )
    return True


def _order_paid(document: Document) -> bool:
    if document.order_id is None:
        return False
    from ..orders.totals import balance_due

    order = db.session.get(Order, document.order_id)
    return order is not None and balance_due(order) <= 0


# -- the job ---------------------------------------------------------------------------------
def _documents(integration: Integration, params: dict[str, Any]) -> list[Document]:
    query = db.select(Document).where(
        Document.shop_id == integration.shop_id,
        Document.integration_id == integration.id,
        Document.is_test.is_(False),
        Document.state.in_((DocumentState.CREATED, DocumentState.IMPORTED)),
        Document.remote_id.is_not(None),
    )
    if params.get("orders"):
        query = query.join(Order, Order.id == Document.order_id).where(Order.number.in_(params["orders"]))
    else:
        start = datetime.combine(date.fromisoformat(params["from"]), time.min)
        end = datetime.combine(date.fromisoformat(params["to"]), time.max)
        query = query.where(
            db.or_(
                db.and_(Document.issued_at >= start, Document.issued_at <= end),
                db.and_(Document.issued_at.is_(None), Document.created_at >= start, Document.created_at <= end),
            )
        )
    return list(db.session.scalars(query.order_by(Document.id).limit(MAX_DOCUMENTS)))


def default_period(today: date | None = None) -> tuple[date, date]:
    today = today or date.today()
    return today - timedelta(days=DEFAULT_DAYS), today


def running_job(integration: Integration) -> Job | None:
    job = db.session.scalar(
        db.select(Job)
        .where(Job.integration_id == integration.id, Job.kind == SYNC, Job.state.in_(JobState.ACTIVE))
        .order_by(Job.id.desc())
    )
    return None if job is None or importing.expire_if_stale(job) else job


def latest_job(shop_id: int) -> Job | None:
    return db.session.scalar(db.select(Job).where(Job.shop_id == shop_id, Job.kind == SYNC).order_by(Job.id.desc()))


def start_check(
    integration: Integration,
    *,
    period: tuple[date, date] | None = None,
    orders: list[str] | None = None,
    trigger: str = "merchant",
) -> Job:
    """Queue a check (or return the one already running for this integration)."""
    job = running_job(integration)
    if job is not None:
        return job
    start, end = period or default_period()
    params: dict[str, Any] = {"from": start.isoformat(), "to": end.isoformat(), "trigger": trigger}
    if orders:
        params = {"orders": [o[:64] for o in orders][:200], "trigger": trigger}
    job = Job(
        shop_id=integration.shop_id,
        integration_id=integration.id,
        kind=SYNC,
        state=JobState.QUEUED,
        result={"params": params, "checked": 0, "mismatches": []},
    )
    db.session.add(job)
    db.session.commit()
    from ...tasks import run_sync

    run_sync(job.id)
    db.session.expire_all()
    fresh = db.session.get(Job, job.id)
    assert fresh is not None  # committed just above
    return fresh


def run_check(job_id: int) -> None:
    """The worker's part: fetch each document from the system and compare it with ours."""
    claimed = changed_rows(
        db.session.execute(
            db.update(Job)
            .where(Job.id == job_id, Job.state == JobState.QUEUED)
            .values(state=JobState.RUNNING, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    )
    db.session.commit()
    if claimed != 1:
        return
    job = db.session.get(Job, job_id)
    assert job is not None  # claimed just above
    integration = db.session.get(Integration, job.integration_id)
    assert integration is not None  # a job's integration is never deleted (foreign key)
    params = dict((job.result or {}).get("params") or {})
    mismatches: list[dict[str, Any]] = []
    counts = {"checked": 0, "paid_recorded": 0}
    try:
        documents = _documents(integration, params)
        job.total = len(documents)
        db.session.commit()
        with calls.connector_session(integration) as call:
            for document in documents:
                rows = _check_one(call, document, counts)
                mismatches.extend(rows)
                counts["checked"] += 1
                job.done = counts["checked"]
                job.result = {"params": params, **counts, "mismatches": mismatches}
                db.session.commit()
        job.state = JobState.DONE
    except ConnectorError as error:
        job.state = JobState.FAILED
        job.error_code = error.code
        job.error_detail = (error.detail or "")[:2000]
    except Exception as exc:
        db.session.rollback()
        job = db.session.get(Job, job_id)
        assert job is not None  # claimed above
        job.state = JobState.FAILED
        job.error_code = REMOTE_ERROR
        job.error_detail = f"internal error: {type(exc).__name__}"
        db.session.commit()
        raise
    job.result = {"params": params, **counts, "mismatches": mismatches}
    db.session.commit()


def _row(document: Document, mismatch: Mismatch) -> dict[str, Any]:
    return {
        "document_id": document.id,
        "order_id": document.order_id,
        "kind": document.kind,
        "number": document.number or "",
        "order_number": document.order_number or "",
        "currency": (document.spec or {}).get("currency") or document.currency or "",  # the amounts' words
        "code": mismatch.code,
        "params": mismatch.params,
        "actions": list(mismatch.actions),
    }


def _ksef_moved_on(document: Document, remote: RemoteDocument) -> bool:
    """Ours is still on its way through KSeF and the system already has the final answer."""
    return (document.ksef_status or "") in (KSEF_WAITING, KSEF_SENT) and remote.ksef_status in (
        KSEF_ACCEPTED,
        KSEF_REJECTED,
        KSEF_OFFLINE,
    )


def _check_one(call, document: Document, counts: dict[str, int]) -> list[dict[str, Any]]:
    try:
        remote = call.connector.get_document(document.remote_id or "", kind=document.kind)
    except ConnectorError as error:
        if error.code == NOT_FOUND:
            actions = (REISSUE,) if document.kind in (INVOICE, PROFORMA, CREDIT_NOTE) and document.spec else ()
            return [_row(document, Mismatch(MISSING_REMOTE, {}, actions))]
        if not error.is_retryable and error.code != "rate_limited":
            return [_row(document, Mismatch(UNREACHABLE, {"code": error.code}, (OPEN,)))]
        raise
    if _ksef_moved_on(document, remote):
        # KSeF answers later than the system: "sent" here and "accepted" there is news, not a
        # difference. Take it over as the worker would when it next asks.
        document.ksef_status = remote.ksef_status
        document.ksef_number = (remote.ksef_number or "")[:80] or document.ksef_number
        counts["ksef_updated"] = counts.get("ksef_updated", 0) + 1
        db.session.commit()
    found = compare(document, remote, _order_paid(document))
    if any(m.code == PAID_REMOTE for m in found) and record_paid(document, remote):
        counts["paid_recorded"] += 1
        db.session.refresh(document)
    return [_row(document, m) for m in found]


def check_all_active() -> int:
    """Nightly: one check (the last days) for every active integration."""
    ids = list(
        db.session.scalars(
            db.select(Integration.id).where(
                Integration.status == IntegrationStatus.ACTIVE, Integration.current.is_(True)
            )
        )
    )
    for integration_id in ids:
        integration = db.session.get(Integration, integration_id)
        if integration is None:
            continue
        start_check(integration, period=(date.today() - timedelta(days=7), date.today()), trigger="nightly")
    return len(ids)


# -- actions ---------------------------------------------------------------------------------
def resync(document: Document) -> bool:
    """Copy the system's current version onto our row (snapshot, number, dates, totals)."""
    with calls.connector_session(document.integration, document_id=document.id, order_id=document.order_id) as call:
        remote = call.connector.get_document(document.remote_id or "", kind=document.kind)
    importing.apply_remote(document, remote)
    db.session.commit()
    record_paid(document, remote)
    return True


def can_reissue(document: Document) -> bool:
    return bool(document.spec) and document.order_id is not None and document.state == DocumentState.CREATED


def reissue(document: Document) -> Document | None:
    """A document deleted in the system: ours becomes "deleted" and a new one (a new key, the
    same spec) is queued. The caller checked with the system (NOT_FOUND) and the merchant
    confirmed."""
    if not can_reissue(document):
        return None
    base = document.idempotency_key[:56]
    keys = set(
        db.session.scalars(
            db.select(Document.idempotency_key).where(
                Document.shop_id == document.shop_id, Document.idempotency_key.like(f"{base}-r%")
            )
        )
    )
    n = 1
    while f"{base}-r{n}" in keys:
        n += 1
    document.state = DocumentState.DELETED
    fresh = Document(
        shop_id=document.shop_id,
        integration_id=document.integration_id,
        order_id=document.order_id,
        order_event_id=document.order_event_id,
        rule_id=document.rule_id,
        related_document_id=document.related_document_id,
        kind=document.kind,
        state=DocumentState.PENDING,
        idempotency_key=f"{base}-r{n}",
        order_number=document.order_number,
        spec=dict(document.spec or {}),
        total=document.total,
        currency=document.currency,
        taxable_date=document.taxable_date,
        customer_name=document.customer_name,
        archive_state=document.archive_state if document.archive_state == "none" else "pending",
        email_state="none",
    )
    db.session.add(fresh)
    db.session.commit()
    from .planning import enqueue

    enqueue([fresh])
    return fresh


def is_gone(document: Document) -> bool:
    """Ask the system whether the document still exists (re-issue only what is really gone)."""
    try:
        with calls.connector_session(document.integration, document_id=document.id, order_id=document.order_id) as call:
            call.connector.get_document(document.remote_id or "", kind=document.kind)
    except ConnectorError as error:
        return error.code == NOT_FOUND
    return False


# -- Fakturoid webhooks (the key and the deliveries: payment_webhooks.py) ----------------------
PAYMENT_EVENTS = ("invoice_paid", "invoice_payment_added", "invoice_updated")


def payment_from_system(integration_id: int, remote_id: str) -> bool:
    """The worker's part of a payment webhook: the payload is only a hint; we ask the system (the
    authenticated API) for the invoice and record a payment only if it says paid."""
    integration = db.session.get(Integration, integration_id)
    if integration is None or integration.status != IntegrationStatus.ACTIVE:
        return False
    document = db.session.scalar(
        db.select(Document)
        .where(
            Document.integration_id == integration.id,
            Document.remote_id == str(remote_id),
            Document.kind.in_((INVOICE, PROFORMA)),
            Document.is_test.is_(False),
        )
        .order_by(Document.id.desc())
    )
    if document is None:
        return False
    with calls.connector_session(integration, document_id=document.id, order_id=document.order_id) as call:
        remote = call.connector.get_document(document.remote_id or "", kind=document.kind)
    document.status = (remote.status or "")[:20] or None
    db.session.commit()
    return record_paid(document, remote)
