"""Import of the documents a merchant already has in the accounting system.

Runs in the worker (`tasks.run_import`): pages through `list_documents` until the system
says there is no more (at most `MAX_PAGES`), stores each document as an imported `Document`
upserted by (integration, kind, remote id), and links it to the shop's order whose number equals
the document's order number or variable symbol. Progress lives on the `Job` row the page polls.

Also holds what every issued document shares: the JSON snapshot of a `RemoteDocument` (Decimals
as strings) and copying the system's answer onto our row.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app

from connectors import base, registry
from connectors.documents import INVOICE, RemoteDocument, RemoteLine, VatBreakdown
from connectors.errors import REMOTE_ERROR, ConnectorError
from webapp.models.types import changed_rows

from ...extensions import db
from ...models import Document, DocumentState, Integration, Job, JobState, Order, utcnow
from ..connections import calls

IMPORT = "import"
MAX_PAGES = 20  # a first look at recent documents, not an archive copy
STALE = "stale"
STALE_AFTER = timedelta(minutes=10)  # other jobs (sync) without a heartbeat sweep: see expire_if_stale
MAX_ATTEMPTS = 3  # a job restarted this often after losing its worker fails
TABLE_LIMIT = 1000


# -- snapshots --------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def snapshot_of(remote: RemoteDocument) -> dict[str, Any]:
    """The document as the system reported it, JSON-safe (Decimals and dates as strings)."""
    return _plain(remote)


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _amount(value: Any) -> Decimal:
    """An amount a snapshot always carries (a missing one reads as zero)."""
    return Decimal(str(value)) if value is not None else Decimal("0")


def remote_from_snapshot(data: dict[str, Any]) -> RemoteDocument:
    names = {f.name for f in dataclasses.fields(RemoteDocument)}
    values = {k: v for k, v in data.items() if k in names}
    values["total"] = _dec(values.get("total")) or Decimal("0")
    for key in ("issue_date", "taxable_date", "due_date"):
        values[key] = _day(values.get(key))
    values["vat"] = [
        VatBreakdown(rate=_amount(v["rate"]), base=_amount(v["base"]), vat=_amount(v["vat"]))
        for v in values.get("vat") or []
    ]
    values["lines"] = [
        RemoteLine(
            name=l["name"],
            quantity=_amount(l["quantity"]),
            unit_price=_amount(l["unit_price"]),
            vat_rate=_amount(l["vat_rate"]),
            unit=l.get("unit", ""),
            total=_dec(l.get("total")),
        )
        for l in values.get("lines") or []
    ]
    return RemoteDocument(**values)


def apply_remote(document: Document, remote: RemoteDocument) -> None:
    """Copy what the system says about a document onto our row."""
    document.remote_id = remote.remote_id
    document.number = remote.number or None
    document.order_number = (remote.order_number or remote.variable_symbol or "")[:64] or None
    document.customer_name = (remote.customer_name or "")[:255] or None
    document.issue_date = remote.issue_date.isoformat() if remote.issue_date else None
    document.status = (remote.status or "")[:20] or None
    document.total = remote.total
    document.currency = remote.currency or None
    document.snapshot = {**(document.snapshot or {}), **snapshot_of(remote)}
    document.ksef_status = remote.ksef_status or None
    document.ksef_number = (remote.ksef_number or "")[:80] or None


# -- starting and watching -------------------------------------------------------------------
def can_import(system: str | None) -> bool:
    cls = registry.get(system) if system else None
    return cls is not None and base.CAN_LIST in cls.capabilities


def running_job(integration: Integration) -> Job | None:
    """An import of this integration still under way (one that lost its worker does not count)."""
    job = db.session.scalar(
        db.select(Job)
        .where(Job.integration_id == integration.id, Job.kind == IMPORT, Job.state.in_(JobState.ACTIVE))
        .order_by(Job.id.desc())
    )
    return None if job is None or is_stale(job) else job


def stale_after() -> timedelta:
    """How long a job's heartbeat may be silent before its worker counts as lost
    (`JOB_HEARTBEAT_TIMEOUT` seconds, 60 by default; the worker beats at least once a page)."""
    return timedelta(seconds=float(current_app.config.get("JOB_HEARTBEAT_TIMEOUT") or 60))


def is_stale(job: Job, now=None) -> bool:
    """A queued or running job whose heartbeat is older than the timeout has lost its worker."""
    return job.state in JobState.ACTIVE and job.updated_at < (now or utcnow()) - stale_after()


def attempt_of(job: Job) -> int:
    return int((job.result or {}).get("attempt") or 1)


def restarting(job: Job) -> bool:
    """Queued again after its worker was lost: the page says so instead of "the import continues"."""
    return job.state == JobState.QUEUED and attempt_of(job) > 1


def recover(job: Job, now=None) -> str | None:
    """Take back a job that lost its worker: queue it again as a new attempt (the import restarts
    from the first page; storing is an upsert, so nothing is imported twice), or fail it visibly
    after `MAX_ATTEMPTS`. Returns "requeued", "failed" or None (the job is alive or finished).

    The state change is a conditional update on the heartbeat we read, so two sweeps (or a sweep
    and the page) take a job back once."""
    now = now or utcnow()
    if not is_stale(job, now):
        return None
    attempt = attempt_of(job)
    values: dict[str, Any]
    if attempt >= MAX_ATTEMPTS:
        values = {"state": JobState.FAILED, "error_code": STALE, "updated_at": now}
    else:
        values = {
            "state": JobState.QUEUED,
            "updated_at": now,
            "result": {**(job.result or {}), "attempt": attempt + 1, "restarted_at": now.isoformat()},
        }
    taken = changed_rows(
        db.session.execute(
            db.update(Job)
            .where(Job.id == job.id, Job.state == job.state, Job.updated_at == job.updated_at)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    )
    db.session.commit()
    db.session.refresh(job)
    if taken != 1:
        return None
    if job.state == JobState.FAILED:
        return "failed"
    from ...tasks import run_import

    run_import(job.id)
    db.session.expire_all()
    return "requeued"


def recover_stale_jobs(now=None) -> dict[str, int]:
    """The periodic sweep (`tasks.recover_jobs`): every import whose heartbeat stopped is queued
    again or, after too many attempts, failed. Returns counts by outcome."""
    now = now or utcnow()
    counts = {"requeued": 0, "failed": 0}
    jobs = db.session.scalars(
        db.select(Job).where(Job.kind == IMPORT, Job.state.in_(JobState.ACTIVE), Job.updated_at < now - stale_after())
    ).all()
    for job in jobs:
        outcome = recover(job, now)
        if outcome:
            counts[outcome] += 1
    return counts


def expire_if_stale(job: Job) -> bool:
    """For jobs the heartbeat sweep does not restart (other kinds than the import): a queued or
    running job nobody has touched for `STALE_AFTER` lost its worker; fail it visibly."""
    if job.state in JobState.ACTIVE and job.updated_at < utcnow() - STALE_AFTER:
        job.state = JobState.FAILED
        job.error_code = STALE
        db.session.commit()
        return True
    return False


def supersede(job: Job) -> None:
    """A new import replaces one that lost its worker: the old one ends, so only one runs."""
    db.session.execute(
        db.update(Job)
        .where(Job.id == job.id, Job.state.in_(JobState.ACTIVE))
        .values(state=JobState.FAILED, error_code=STALE, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def latest_job(integration: Integration) -> Job | None:
    return db.session.scalar(
        db.select(Job).where(Job.integration_id == integration.id, Job.kind == IMPORT).order_by(Job.id.desc())
    )


def start_import(integration: Integration) -> Job:
    """Queue an import, or return the one already running (a double submit starts one job)."""
    job = running_job(integration)
    if job is not None:
        return job
    for lost in db.session.scalars(
        db.select(Job).where(Job.integration_id == integration.id, Job.kind == IMPORT, Job.state.in_(JobState.ACTIVE))
    ).all():
        supersede(lost)
    job = Job(shop_id=integration.shop_id, integration_id=integration.id, kind=IMPORT, state=JobState.QUEUED)
    db.session.add(job)
    db.session.commit()
    from ...tasks import run_import

    run_import(job.id)
    db.session.expire_all()  # the worker may already have written progress (immediate mode)
    fresh = db.session.get(Job, job.id)
    assert fresh is not None  # committed just above
    return fresh


def _claim(job_id: int) -> bool:
    claimed = changed_rows(
        db.session.execute(
            db.update(Job)
            .where(Job.id == job_id, Job.state == JobState.QUEUED)
            .values(state=JobState.RUNNING, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    )
    db.session.commit()
    return claimed == 1


class _Superseded(Exception):
    """This worker's attempt was taken back (its heartbeat was late): stop without writing."""


def _beat(job: Job, attempt: int) -> None:
    """The heartbeat: touch `updated_at` and commit the progress, unless the job is no longer
    this worker's (recovered as a new attempt, or superseded by a new import)."""
    with db.session.no_autoflush:
        state, result = db.session.execute(db.select(Job.state, Job.result).where(Job.id == job.id)).one()
    if state != JobState.RUNNING or int((result or {}).get("attempt") or 1) != attempt:
        db.session.rollback()
        raise _Superseded
    job.updated_at = utcnow()
    db.session.commit()


# -- the work ---------------------------------------------------------------------------------
def run_import(job_id: int) -> None:
    """The worker's part: page through the system's documents and store them.

    A later attempt (after a lost worker) starts again from the first page: new documents shift
    the pages, so resuming where the last attempt stopped could miss some, and storing is an
    upsert, so reading a page twice costs nothing but the call."""
    if not _claim(job_id):
        return
    job = db.session.get(Job, job_id)
    assert job is not None  # claimed just above
    integration = db.session.get(Integration, job.integration_id)
    assert integration is not None  # a job's integration is never deleted (foreign key)
    attempt = attempt_of(job)
    counts = {"created": 0, "updated": 0, "matched": 0, "pages": 0, "capped": False, "attempt": attempt}
    job.done = 0
    job.result = dict(counts)
    call = None
    try:
        _beat(job, attempt)
        with calls.connector_session(integration) as call:
            for page in range(1, MAX_PAGES + 1):
                result = call.connector.list_documents(page=page, kind=INVOICE)
                call.log.flush_to_db()  # the log shows each page as it comes
                for remote in result.documents:
                    counts[_store(integration, remote)] += 1
                counts["pages"] = page
                job.done += len(result.documents)
                job.total = max(result.total_count or 0, job.done)
                job.result = dict(counts)
                _beat(job, attempt)
                if not result.has_more:
                    break
            else:
                counts["capped"] = True
            counts["matched"] = _match_orders(integration)
            job.total = job.done if not counts["capped"] else job.total
            job.result = counts
            job.state = JobState.DONE
    except _Superseded:
        return
    except ConnectorError as error:
        job.state = JobState.FAILED
        job.error_code = error.code
        job.error_detail = (error.detail or "")[:2000]
        job.result = {**counts, "log_id": call.log_id if call else None, "hint_key": error.hint_key}
    except Exception as exc:
        # A job must never stay "running" for ever: fail it visibly, then let the worker log it.
        db.session.rollback()
        job = db.session.get(Job, job_id)
        assert job is not None  # claimed above
        job.state = JobState.FAILED
        job.error_code = REMOTE_ERROR
        job.error_detail = f"internal error: {type(exc).__name__}"
        db.session.commit()
        raise
    db.session.commit()


def _store(integration: Integration, remote: RemoteDocument) -> str:
    """Upsert by (integration, kind, remote id): importing twice creates no second row."""
    document = db.session.scalar(
        db.select(Document).where(
            Document.integration_id == integration.id,
            Document.kind == remote.kind,
            Document.remote_id == remote.remote_id,
        )
    )
    outcome = "updated"
    if document is None:
        document = Document(
            shop_id=integration.shop_id,
            integration_id=integration.id,
            kind=remote.kind,
            state=DocumentState.IMPORTED,
            idempotency_key=f"import-{integration.id}-{remote.kind}-{remote.remote_id}"[:64],
        )
        db.session.add(document)
        outcome = "created"
    apply_remote(document, remote)
    return outcome


def _digits_only(column):
    """The order number without the separators shops put in it ("2026-000123" -> "2026000123"),
    which is how variable symbols carry order numbers."""
    for separator in ("-", "/", " ", ".", "_"):
        column = db.func.replace(column, separator, "")
    return column


def _match_orders(integration: Integration) -> int:
    """Link imported documents to the shop's orders: order number or variable symbol equal to the
    order's number, else the variable symbol equal to the number's digits."""
    documents = db.session.scalars(
        db.select(Document).where(Document.integration_id == integration.id, Document.state == DocumentState.IMPORTED)
    ).all()
    by_reference: dict[str, list[Document]] = {}
    by_symbol: dict[str, list[Document]] = {}
    for document in documents:
        snap = document.snapshot or {}
        for key in {snap.get("order_number"), snap.get("variable_symbol")} - {None, ""}:
            by_reference.setdefault(str(key), []).append(document)
        if snap.get("variable_symbol"):
            by_symbol.setdefault(str(snap["variable_symbol"]), []).append(document)
    for wanted, column in ((by_reference, Order.number), (by_symbol, _digits_only(Order.number))):
        keys = list(wanted)
        for start in range(0, len(keys), 500):
            rows = db.session.execute(
                db.select(Order.id, column).where(
                    Order.shop_id == integration.shop_id, column.in_(keys[start : start + 500])
                )
            )
            for order_id, key in rows:
                for document in wanted[key]:
                    if document.order_id is None:
                        document.order_id = order_id
    return sum(document.order_id is not None for document in documents)


def imported_documents(job: Job) -> list[Document]:
    return list(
        db.session.scalars(
            db.select(Document)
            .where(
                Document.shop_id == job.shop_id,
                Document.integration_id == job.integration_id,
                Document.state == DocumentState.IMPORTED,
            )
            .order_by(Document.issue_date.desc(), Document.id.desc())
            .limit(TABLE_LIMIT)
        )
    )
