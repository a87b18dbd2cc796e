from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import utcnow


class IntegrationStatus:
    DRAFT = "draft"  # form saved, never verified
    ACTIVE = "active"
    NEEDS_ATTENTION = "needs_attention"  # an auth error since activation: re-authenticate
    DISABLED = "disabled"  # deactivated by the merchant; history kept
    ALL = (DRAFT, ACTIVE, NEEDS_ATTENTION, DISABLED)


class Integration(Model):
    """A shop's connection to one accounting system. A shop may have several over time (history
    is kept when switching); at most one is `current`."""

    __tablename__ = "integrations"
    __table_args__ = (Index("ix_integrations_shop_system", "shop_id", "system"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    system: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default=IntegrationStatus.DRAFT)
    current: Mapped[bool] = mapped_column(default=False)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    secrets_encrypted: Mapped[str | None] = mapped_column(Text)
    token_encrypted: Mapped[str | None] = mapped_column(Text)
    verified_as: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    choices: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # fetched selects, by source
    last_error_code: Mapped[str | None] = mapped_column(String(40))
    last_error_detail: Mapped[str | None] = mapped_column(Text)
    # The connector's own hint for that error ("fakturoid.no_bank_account"), when it gave one: a
    # paused connection says exactly what to fix, not only what the error code says in general.
    last_error_hint_key: Mapped[str | None] = mapped_column(String(80))
    verified_at: Mapped[datetime | None]
    activated_at: Mapped[datetime | None]
    busy_until: Mapped[datetime | None]  # compare-and-set guard against double activation
    # Payments flowing back (services/documents/payment_webhooks.py): the SHA-256 of the key the
    # merchant pasted into the system's webhook, when it was created, and when the last delivery
    # carrying it arrived. The key itself is shown once and never stored.
    webhook_key_hash: Mapped[str | None] = mapped_column(String(64))
    webhook_key_created_at: Mapped[datetime | None]
    webhook_received_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    shop = relationship("Shop")

    @property
    def company_name(self) -> str:
        return (self.verified_as or {}).get("company_name", "")


class WebhookDelivery(Model):
    """One webhook delivery already taken in, known by the hash of the `Idempotency-Key` the
    system sent with it: a repeated delivery with the same key queues nothing. Kept for
    `payment_webhooks.DELIVERY_DAYS`, then purged."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("integration_id", "key_hash", name="uq_webhook_deliveries_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id"))
    key_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
