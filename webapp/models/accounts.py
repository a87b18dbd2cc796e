from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import Model
from .types import utcnow

ROLES = ("owner", "staff", "support", "admin")


class Shop(Model):
    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2), default="SK")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    api_token_hash: Mapped[str | None] = mapped_column(String(255))
    # Days the integration log is kept (None: LOG_RETENTION_DAYS, 90); enforced by tasks.purge_integration_log.
    log_retention_days: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="shop")


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="owner")
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"))
    locale: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Binds sessions and remember-me cookies to this account: part of `get_id()`, so a cookie
    # works only while this value is unchanged. Rotated at sign-in, cleared at sign-out and on a
    # password or role change (services.sign_in).
    session_token: Mapped[str | None] = mapped_column(String(64))

    shop: Mapped[Shop | None] = relationship(back_populates="users")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token or ''}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.session_token = None  # every session signed in with the old password ends

    @validates("role")
    def _role_change_ends_sessions(self, _key: str, role: str) -> str:
        if self.role is not None and role != self.role:
            self.session_token = None
        return role

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_support(self) -> bool:
        return self.role in ("support", "admin")


class LoginAttempt(Model):
    """Failed and successful sign-ins, to limit repeated attempts per e-mail and per address."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_email_at", "email", "at"), Index("ix_login_attempts_ip_at", "ip", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255))
    ip: Mapped[str] = mapped_column(String(64))
    success: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(default=utcnow)
