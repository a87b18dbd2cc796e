"""Documents we asked a system to issue (or imported from it), and the rules that create them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import Money, utcnow


class DocumentState:
    PENDING = "pending"  # planned; waits for the worker (or for its integration to work again)
    CREATING = "creating"  # claimed by a worker (a lease: `claimed_until`)
    CREATED = "created"
    FAILED = "failed"  # needs the merchant: the hint and a retry button
    CANCELLED = "cancelled"  # never issued (order cancelled first) or cancelled by a credit note
    DELETED = "deleted"  # deleted in the accounting system (a removed test document)
    IMPORTED = "imported"  # found in the system by an import
    OPEN = (PENDING, CREATING)


class PostStep:
    """The state of a step after creation (archiving the PDF, e-mailing the customer)."""

    NONE = "none"  # not asked for
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class DocumentRule(Model):
    """When a document of a kind is created (trigger, conditions) and how (options).

    trigger: order_created, status_changed, paid, shipped, cancelled, refunded.
    conditions: {"status": "...", "payment_methods": [...], "shipping_methods": [...],
                 "countries": [...], "customer_type": "company" | "person" | ""}.
    options: {"series_id": "", "paid": bool, "send_email": bool, "language": "" (the order's),
              "variable_symbol": "order_number" | "none", "archive_pdf": bool, "delay_minutes": 0}.
    """

    __tablename__ = "document_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id"))
    kind: Mapped[str] = mapped_column(String(20))
    trigger: Mapped[str] = mapped_column(String(40))
    conditions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(default=True)
    preset: Mapped[str | None] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime | None] = mapped_column(default=utcnow)


class Document(Model):
    """A document we issue through (or imported from) an accounting system.

    The idempotency key is unique per shop: an order has at most one invoice and one proforma,
    and one credit note per refund event, whatever races or retries happen. `spec` holds what
    to issue (lines, amounts, options), fixed when the document is planned, so every attempt
    asks for the same document; only the issue date is the day it is actually created.
    """

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("shop_id", "idempotency_key", name="uq_documents_idempotency"),
        Index("ix_documents_state_next", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    order_event_id: Mapped[int | None] = mapped_column(ForeignKey("order_events.id"))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("document_rules.id"))
    # A credit note: the invoice it corrects; an invoice: the proforma it settles.
    related_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default=DocumentState.PENDING)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    remote_id: Mapped[str | None] = mapped_column(String(64))
    number: Mapped[str | None] = mapped_column(String(64))
    order_number: Mapped[str | None] = mapped_column(String(64))  # as the system reports it
    customer_name: Mapped[str | None] = mapped_column(String(255))
    issue_date: Mapped[str | None] = mapped_column(String(10))
    taxable_date: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str | None] = mapped_column(String(20))
    total: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    spec: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # what to issue (see docstring)
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # RemoteDocument as received
    is_test: Mapped[bool] = mapped_column(default=False)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_until: Mapped[datetime | None]
    # An attempt may have created it although no answer arrived: look it up before creating.
    needs_lookup: Mapped[bool] = mapped_column(default=False)
    last_error_code: Mapped[str | None] = mapped_column(String(40))
    last_error_detail: Mapped[str | None] = mapped_column(Text)
    last_error_hint_key: Mapped[str | None] = mapped_column(String(80))
    last_error_fields: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    notice: Mapped[str | None] = mapped_column(String(60))  # a code the order page explains
    # Poland's KSeF, where it applies: the state (connectors.documents.KSEF_STATES), the number once
    # accepted; the reasons of a rejection stay in the snapshot. Refreshed until final.
    ksef_status: Mapped[str | None] = mapped_column(String(20))
    ksef_number: Mapped[str | None] = mapped_column(String(80))
    archive_state: Mapped[str] = mapped_column(String(10), default=PostStep.NONE)
    archive_key: Mapped[str | None] = mapped_column(String(255))
    archived_at: Mapped[datetime | None]
    email_state: Mapped[str] = mapped_column(String(10), default=PostStep.NONE)
    email_to: Mapped[str | None] = mapped_column(String(255))
    emailed_at: Mapped[datetime | None]
    paid_state: Mapped[str] = mapped_column(String(10), default=PostStep.NONE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    issued_at: Mapped[datetime | None]

    order = relationship("Order")
    integration = relationship("Integration")
    related = relationship("Document", remote_side=[id], foreign_keys=[related_document_id])

    @property
    def is_open(self) -> bool:
        return self.state in DocumentState.OPEN


class CustomerLink(Model):
    """A customer as the accounting system knows them (Fakturoid subject, iDoklad contact...),
    so a returning customer's document costs one request."""

    __tablename__ = "customer_links"
    __table_args__ = (UniqueConstraint("integration_id", "customer_key", name="uq_customer_links_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id"))
    customer_key: Mapped[str] = mapped_column(String(64))
    remote_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
