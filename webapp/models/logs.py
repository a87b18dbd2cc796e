from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import utcnow


class ApiCall(Model):
    """The integration log: one row per HTTP exchange with an accounting system, secret-free."""

    __tablename__ = "api_calls"
    __table_args__ = (Index("ix_api_calls_shop_created", "shop_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    integration_id: Mapped[int | None] = mapped_column(ForeignKey("integrations.id"))
    system: Mapped[str] = mapped_column(String(40))
    operation: Mapped[str] = mapped_column(String(60))
    method: Mapped[str] = mapped_column(String(10))
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[int | None]
    duration_ms: Mapped[int] = mapped_column(default=0)
    request_headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    request_body: Mapped[str] = mapped_column(Text, default="")
    response_headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    response_body: Mapped[str] = mapped_column(Text, default="")
    error_code: Mapped[str | None] = mapped_column(String(40))
    # What the call was for, so an order page can show the attempts with their log entries.
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(Model):
    """Who did what, as whom (support agents act as a merchant's user)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acting_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(60))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
