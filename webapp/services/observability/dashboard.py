"""The dashboard's figures: is the shop's invoicing working? Counts of the shop's documents by
state (test documents left out: they say nothing about real invoicing) and the test documents
still present in the accounting system. Read-only; every query is scoped to one shop."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timezone

from ...extensions import db
from ...models import Document, DocumentState, Job, JobState

WAITING = (DocumentState.PENDING, DocumentState.CREATING)


@dataclass(frozen=True)
class DocumentCounts:
    created_today: int
    waiting: int
    failed: int


def _start_of_day(now: datetime) -> datetime:
    """Midnight UTC of `now`'s day, naive like the stored timestamps."""
    if now.tzinfo is not None:
        now = now.astimezone(timezone.utc).replace(tzinfo=None)
    return datetime.combine(now.date(), time.min)


def document_counts(shop_id: int, now: datetime | None = None) -> DocumentCounts:
    """Real (not test) documents of the shop: created since midnight (UTC), waiting to be
    created (pending or being created), and failed."""
    since = _start_of_day(now or datetime.now(timezone.utc))
    real = (Document.shop_id == shop_id, Document.is_test.is_(False))

    def count(*conditions) -> int:
        return db.session.scalar(db.select(db.func.count(Document.id)).where(*real, *conditions)) or 0

    return DocumentCounts(
        created_today=count(Document.state == DocumentState.CREATED, Document.created_at >= since),
        waiting=count(Document.state.in_(WAITING)),
        failed=count(Document.state == DocumentState.FAILED),
    )


def leftover_test_documents(shop_id: int, limit: int = 5) -> list[Document]:
    """Test documents still issued in the accounting system (not yet removed), newest first."""
    return list(
        db.session.scalars(
            db.select(Document)
            .where(Document.shop_id == shop_id, Document.is_test.is_(True), Document.state == DocumentState.CREATED)
            .order_by(Document.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class SyncDifferences:
    job_id: int
    count: int


def sync_differences(shop_id: int) -> SyncDifferences | None:
    """The differences the shop's last finished sync check found ("Needs your attention" links
    to that check), or None when it found none."""
    from ..documents.sync import SYNC

    job = db.session.scalar(
        db.select(Job)
        .where(Job.shop_id == shop_id, Job.kind == SYNC, Job.state == JobState.DONE)
        .order_by(Job.id.desc())
        .limit(1)
    )
    count = len((job.result or {}).get("mismatches") or []) if job is not None else 0
    return SyncDifferences(job.id, count) if job is not None and count else None
