"""Reading the integration log: the filters merchants (and support) use, paging and CSV export.

Every query is scoped to one shop: the caller passes the shop id (the current shop in views, the
chosen shop in the support console). Filters come from the query string and are bounded, so bad
input only narrows nothing (never a 500).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from webapp.models.types import changed_rows

from ...extensions import db
from ...models import ApiCall, Document, Order
from ...urls import MAX_ID
from . import operations

EXPORT_LIMIT = 10_000


def _id(raw: str | None) -> int | None:
    raw = (raw or "").strip().lstrip("#")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 10 and int(raw) <= MAX_ID else None


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip()[:10]) if raw else None
    except ValueError:
        return None


@dataclass(frozen=True)
class LogFilter:
    status: str = ""  # "", "ok", "error"
    operation: str = ""  # an operation key (see operations.LABELS)
    order: str = ""  # order number as merchants know it, or an id
    document: str = ""  # document number, or an id
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> LogFilter:
        status = args.get("status", "")
        if args.get("errors") == "1":  # older links
            status = "error"
        operation = (args.get("operation") or "")[:60]
        return cls(
            status=status if status in ("ok", "error") else "",
            operation=operation if operation in operations.LABELS else "",
            order=(args.get("order") or "").strip()[:64],
            document=(args.get("document") or "").strip()[:64],
            since=_date(args.get("since")),
            until=_date(args.get("until")),
        )

    def query_args(self) -> dict[str, str]:
        values = {
            "status": self.status,
            "operation": self.operation,
            "order": self.order,
            "document": self.document,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }
        return {k: v for k, v in values.items() if v}

    @property
    def active(self) -> bool:
        return bool(self.query_args())


def filtered(shop_id: int, f: LogFilter):
    query = db.select(ApiCall).where(ApiCall.shop_id == shop_id)
    if f.status == "error":
        query = query.where(ApiCall.failed)
    elif f.status == "ok":
        query = query.where(db.not_(ApiCall.failed))
    if f.operation:
        query = query.where(ApiCall.operation.in_(operations.keys_with_label_of(f.operation)))
    if f.order:
        ids = select_ids(Order, shop_id, f.order, Order.number)
        query = query.where(ApiCall.order_id.in_(ids))
    if f.document:
        ids = select_ids(Document, shop_id, f.document, Document.number)
        query = query.where(ApiCall.document_id.in_(ids))
    if f.since:
        query = query.where(ApiCall.created_at >= datetime.combine(f.since, time.min))
    if f.until:
        query = query.where(ApiCall.created_at < datetime.combine(f.until + timedelta(days=1), time.min))
    return query


def select_ids(model, shop_id: int, text: str, number_column):
    """Ids of the shop's rows whose number is `text` (or whose id it is)."""
    ident = _id(text)
    condition = number_column == text
    if ident is not None:
        condition = db.or_(condition, model.id == ident)
    return db.select(model.id).where(model.shop_id == shop_id, condition)


def page(shop_id: int, f: LogFilter, number: int, size: int) -> tuple[list[ApiCall], bool, int]:
    """One page of the filtered rows, newest first: (rows, whether older ones follow, the page's
    number). A page past the end (an old link, a hand-typed number) is the last page instead."""
    rows = _rows(shop_id, f, number, size)
    if not rows and number > 1:
        total = db.session.scalar(db.select(db.func.count()).select_from(filtered(shop_id, f).subquery())) or 0
        number = max(1, -(-total // size))
        rows = _rows(shop_id, f, number, size)
    return list(rows[:size]), len(rows) > size, number


def _rows(shop_id: int, f: LogFilter, number: int, size: int) -> list[ApiCall]:
    query = filtered(shop_id, f).order_by(ApiCall.id.desc()).offset((number - 1) * size).limit(size + 1)
    return list(db.session.scalars(query).all())


def links(shop_id: int, calls: Iterable[ApiCall]) -> tuple[dict[int, Order], dict[int, Document]]:
    """The orders and documents the calls were for (the shop's own only)."""
    calls = list(calls)
    order_ids = {c.order_id for c in calls if c.order_id}
    document_ids = {c.document_id for c in calls if c.document_id}
    orders = (
        {o.id: o for o in db.session.scalars(db.select(Order).where(Order.shop_id == shop_id, Order.id.in_(order_ids)))}
        if order_ids
        else {}
    )
    documents = (
        {
            d.id: d
            for d in db.session.scalars(
                db.select(Document).where(Document.shop_id == shop_id, Document.id.in_(document_ids))
            )
        }
        if document_ids
        else {}
    )
    return orders, documents


CSV_COLUMNS = (
    "id",
    "time_utc",
    "system",
    "operation",
    "method",
    "url",
    "status",
    "duration_ms",
    "error_code",
    "order",
    "document",
    "request_body",
    "response_body",
)


def export_csv(shop_id: int, f: LogFilter) -> str:
    """The filtered rows as CSV: the same redacted text the log shows (secrets and personal data
    were removed before the rows were stored)."""
    calls = db.session.scalars(filtered(shop_id, f).order_by(ApiCall.id.desc()).limit(EXPORT_LIMIT)).all()
    orders, documents = links(shop_id, calls)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for c in calls:
        order = orders.get(c.order_id)
        document = documents.get(c.document_id)
        writer.writerow(
            [
                c.id,
                c.created_at.isoformat(timespec="seconds"),
                c.system,
                operations.label(c.system, c.operation, c.method, c.url),
                c.method,
                _cell(c.url),
                c.status if c.status is not None else "",
                c.duration_ms,
                c.error_code or "",
                order.number if order else "",
                (document.number or f"#{document.id}") if document else "",
                _cell(c.request_body),
                _cell(c.response_body),
            ]
        )
    return out.getvalue()


def _cell(text: str | None) -> str:
    """No spreadsheet formula injection from a vendor's answer."""
    text = text or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


DEFAULT_RETENTION_DAYS = 90
RETENTION_CHOICES = (30, 60, 90, 180, 365)


def retention_days(shop) -> int:
    from flask import current_app

    default = int(current_app.config.get("LOG_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))
    return shop.log_retention_days or default


def purge_expired(now: datetime | None = None) -> int:
    """Delete each shop's log rows older than its retention period; returns how many went."""
    from ...models import Shop

    now = now or datetime.utcnow()
    removed = 0
    for shop in db.session.scalars(db.select(Shop)).all():
        cutoff = now - timedelta(days=retention_days(shop))
        result = db.session.execute(db.delete(ApiCall).where(ApiCall.shop_id == shop.id, ApiCall.created_at < cutoff))
        removed += changed_rows(result) or 0
    db.session.commit()
    return removed
