"""The Fynode side: orders as the platform sends them (ORDER_API.md)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import Money, utcnow


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("shop_id", "number", name="uq_orders_shop_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    number: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32), default="new")
    currency: Mapped[str] = mapped_column(String(3))
    language: Mapped[str] = mapped_column(String(5), default="")
    prices_include_vat: Mapped[bool] = mapped_column(default=True)
    customer: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    shipping: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    payment: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    is_test: Mapped[bool] = mapped_column(default=False)
    ordered_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lines: Mapped[list["OrderLine"]] = relationship(back_populates="order", cascade="all, delete-orphan",
                                                    order_by="OrderLine.position")
    events: Mapped[list["OrderEvent"]] = relationship(back_populates="order", cascade="all, delete-orphan")


class OrderLine(db.Model):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    position: Mapped[int] = mapped_column(default=0)
    sku: Mapped[str] = mapped_column(String(64), default="")
    name: Mapped[str] = mapped_column(String(255))
    quantity: Mapped[Decimal] = mapped_column(Money)
    unit: Mapped[str] = mapped_column(String(16), default="")
    unit_price: Mapped[Decimal] = mapped_column(Money)
    vat_rate: Mapped[Decimal] = mapped_column(Money)
    discount_percent: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))

    order: Mapped[Order] = relationship(back_populates="lines")


class OrderEvent(db.Model):
    __tablename__ = "order_events"
    __table_args__ = (UniqueConstraint("order_id", "type", "at", "reference", name="uq_order_events_dedupe"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    type: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    reference: Mapped[str] = mapped_column(String(128), default="")
    amount: Mapped[Decimal | None] = mapped_column(Money)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship(back_populates="events")
