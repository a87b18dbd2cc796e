"""The result of an import on its own page: the documents it brought in, a page at a time,
filtered by whether they were matched to an order, with counts for the summary line.

Read-only; it reads the rows `services.importing` stored (imported documents of the job's
connection) and never changes them."""

from __future__ import annotations

from dataclasses import dataclass

from ..extensions import db
from ..models import Document, DocumentState, Job

PAGE_SIZE = 20
ALL, MATCHED, UNMATCHED = "all", "matched", "unmatched"
FILTERS = (ALL, MATCHED, UNMATCHED)


@dataclass(frozen=True)
class ImportResults:
    documents: list[Document]
    show: str
    page: int
    pages: int
    total: int
    matched: int

    @property
    def unmatched(self) -> int:
        return self.total - self.matched

    def count(self, show: str) -> int:
        return {ALL: self.total, MATCHED: self.matched, UNMATCHED: self.unmatched}[show]


def _imported(job: Job):
    return (
        Document.shop_id == job.shop_id,
        Document.integration_id == job.integration_id,
        Document.state == DocumentState.IMPORTED,
    )


def results(job: Job, show: str = ALL, page: int = 1) -> ImportResults:
    """One page of the job's documents; an unknown filter shows all, a page past the end the last."""
    show = show if show in FILTERS else ALL
    where = _imported(job)

    def count(*extra) -> int:
        return db.session.scalar(db.select(db.func.count(Document.id)).where(*where, *extra)) or 0

    total = count()
    matched = count(Document.order_id.is_not(None))
    condition = {ALL: (), MATCHED: (Document.order_id.is_not(None),), UNMATCHED: (Document.order_id.is_(None),)}[show]
    shown = {ALL: total, MATCHED: matched, UNMATCHED: total - matched}[show]
    pages = max(1, -(-shown // PAGE_SIZE))
    page = min(max(page, 1), pages)
    documents = list(
        db.session.scalars(
            db.select(Document)
            .where(*where, *condition)
            .order_by(Document.issue_date.desc(), Document.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    return ImportResults(documents=documents, show=show, page=page, pages=pages, total=total, matched=matched)
