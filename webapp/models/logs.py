from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ColumnElement, ForeignKey, Index, String, Text, or_
from sqlalchemy.ext.hybrid import hybrid_property
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
    # Set by the transport for a failure on the wire, and by the connector for an answer it read as
    # a refusal (an error in the body of an HTTP 200 included), with the connector's own hint.
    error_code: Mapped[str | None] = mapped_column(String(40))
    hint_key: Mapped[str | None] = mapped_column(String(80))
    # What the call was for, so an order page can show the attempts with their log entries.
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @hybrid_property
    def failed(self) -> bool:
        """The one definition of a failed call, for the log, its filter, health and the support
        console: no answer, an error status, or an answer the connector read as a refusal."""
        return self.error_code is not None or self.status is None or self.status >= 400

    @failed.inplace.expression
    @classmethod
    def _failed_expression(cls) -> ColumnElement[bool]:
        return or_(cls.error_code.is_not(None), cls.status.is_(None), cls.status >= 400)


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
