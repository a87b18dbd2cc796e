"""Documents we asked a system to issue (or imported from it), and the rules that create them."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..extensions import db
from .types import Money, utcnow


class DocumentState:
    PENDING = "pending"
    CREATING = "creating"
    CREATED = "created"
    FAILED = "failed"
    CANCELLED = "cancelled"
    IMPORTED = "imported"


class DocumentRule(db.Model):
    """When a document of a kind is created: trigger (status, paid, shipped...) and conditions
    (payment method, delivery method). Options: send e-mail, series, mark paid..."""

    __tablename__ = "document_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id"))
    kind: Mapped[str] = mapped_column(String(20))
    trigger: Mapped[str] = mapped_column(String(40))
    conditions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(default=True)


class Document(db.Model):
    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("shop_id", "idempotency_key", name="uq_documents_idempotency"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default=DocumentState.PENDING)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    remote_id: Mapped[str | None] = mapped_column(String(64))
    number: Mapped[str | None] = mapped_column(String(64))
    order_number: Mapped[str | None] = mapped_column(String(64))   # as the system reports it
    customer_name: Mapped[str | None] = mapped_column(String(255))
    issue_date: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str | None] = mapped_column(String(20))
    total: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # RemoteDocument as received
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    is_test: Mapped[bool] = mapped_column(default=False)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error_code: Mapped[str | None] = mapped_column(String(40))
    last_error_detail: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    order = relationship("Order")
    integration = relationship("Integration")
