"""The Fynode side: orders as the platform sends them (ORDER_API.md).

An order carries its customer (a JSON object validated on the way in: type, names, ids,
addresses), its lines, shipping and payment (method, name, price or fee, VAT rate). Everything
that happens to it later (payments, shipments, refunds, cancellations, status changes) is an
`OrderEvent` row: the single record the order page shows as a timeline and the documents engine
plans documents from. `paid_total`, `refunded_total` and `status` on the order are summaries of
those events, kept in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import Money, utcnow

ZERO = Decimal("0")


class OrderStatus:
    NEW = "new"
    PROCESSING = "processing"
    ON_HOLD = "on_hold"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    ALL = (
        NEW,
        PROCESSING,
        ON_HOLD,
        PARTIALLY_PAID,
        PAID,
        SHIPPED,
        DELIVERED,
        COMPLETED,
        CANCELLED,
        PARTIALLY_REFUNDED,
        REFUNDED,
    )
    # Before the goods leave: a payment moves the order to (partially) paid only from these.
    BEFORE_SHIPPING = (NEW, PROCESSING, ON_HOLD, PARTIALLY_PAID)


class EventType:
    CREATED = "created"
    STATUS_CHANGED = "status_changed"
    PAID = "paid"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    ALL = (CREATED, STATUS_CHANGED, PAID, SHIPPED, CANCELLED, REFUNDED)
    FROM_PLATFORM = (STATUS_CHANGED, PAID, SHIPPED, CANCELLED, REFUNDED)  # `created` comes with the order


class OrderSource:
    API = "api"  # POST /api/v1/orders
    UI = "ui"  # created by the merchant on the orders page
    TEST = "test"  # a test order made by the test invoice
    ALL = (API, UI, TEST)


PAYMENT_METHODS = ("bank_transfer", "card", "cod", "cash", "paypal", "other")
SHIPPING_METHODS = ("courier", "post", "pickup_point", "personal", "other")


class Order(Model):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("shop_id", "number", name="uq_orders_shop_number"),
        Index("ix_orders_shop_ordered_at", "shop_id", "ordered_at"),
        Index("ix_orders_shop_status", "shop_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    number: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32), default=OrderStatus.NEW)
    currency: Mapped[str] = mapped_column(String(3))
    language: Mapped[str] = mapped_column(String(5), default="")
    prices_include_vat: Mapped[bool] = mapped_column(default=True)
    # type (person/company), name, company_name, company_id, vat_id, tax_id, email, phone,
    # billing_address and delivery_address ({street, city, zip, country}); see services/orders/validation.py
    customer: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    shipping: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # method, name, price, vat_rate
    payment: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # method, fee, vat_rate
    is_test: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(String(10), default=OrderSource.API, server_default=OrderSource.API)
    total: Mapped[Decimal | None] = mapped_column(Money)  # gross, lines + shipping + fee
    paid_total: Mapped[Decimal] = mapped_column(Money, default=ZERO, server_default="0")
    refunded_total: Mapped[Decimal] = mapped_column(Money, default=ZERO, server_default="0")
    ordered_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(default=utcnow)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.position"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="[OrderEvent.at, OrderEvent.id]"
    )

    # What the document rules look at, read from the JSON columns.
    @property
    def payment_method(self) -> str:
        return (self.payment or {}).get("method", "")

    @property
    def delivery_method(self) -> str:
        return (self.shipping or {}).get("method", "")

    @property
    def customer_type(self) -> str:
        return (self.customer or {}).get("type", "person")

    @property
    def customer_country(self) -> str:
        return ((self.customer or {}).get("billing_address") or {}).get("country", "")

    @property
    def customer_name(self) -> str:
        customer = self.customer or {}
        return customer.get("company_name") or customer.get("name", "")


class OrderLine(Model):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    position: Mapped[int] = mapped_column(default=0)
    sku: Mapped[str] = mapped_column(String(64), default="")
    name: Mapped[str] = mapped_column(String(255))
    quantity: Mapped[Decimal] = mapped_column(Money)
    unit: Mapped[str] = mapped_column(String(16), default="")
    unit_price: Mapped[Decimal] = mapped_column(Money)  # gross or net, as the order's prices_include_vat says
    vat_rate: Mapped[Decimal] = mapped_column(Money)
    discount_percent: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))

    order: Mapped[Order] = relationship(back_populates="lines")


class OrderEvent(Model):
    """One thing that happened to an order. The same type, time and reference is one event
    (a platform retrying a callback records it once)."""

    __tablename__ = "order_events"
    __table_args__ = (UniqueConstraint("order_id", "type", "at", "reference", name="uq_order_events_dedupe"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    type: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]  # UTC, naive (as every datetime column here)
    reference: Mapped[str] = mapped_column(String(128), default="")
    amount: Mapped[Decimal | None] = mapped_column(Money)
    # status_changed: {"status", "previous_status"}; refunded: {"lines": [{"sku", "quantity"}]}
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actor: Mapped[str] = mapped_column(String(64), default="", server_default="")  # "api", "user:<id>", ...
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship(back_populates="events")

    @property
    def status(self) -> str:
        return (self.payload or {}).get("status", "")

    @property
    def refunded_lines(self) -> list[dict[str, str]]:
        return list((self.payload or {}).get("lines") or [])


class ApiToken(Model):
    """A shop's key to the JSON API. Only a SHA-256 hash is stored; the owner sees the token
    once, when it is created, and afterwards only its prefix."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    @property
    def active(self) -> bool:
        return self.revoked_at is None
