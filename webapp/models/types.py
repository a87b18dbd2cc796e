"""Column types shared by the models."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, Numeric, Result, String
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Money(TypeDecorator):
    """Exact decimal money: NUMERIC on PostgreSQL, text on SQLite (which has no decimal type,
    and would otherwise round through float)."""

    impl = Numeric(18, 4)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(18, 4))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = Decimal(str(value)) if not isinstance(value, Decimal) else value
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return Decimal(str(value))


def changed_rows(result: Result[Any]) -> int:
    """Rows matched by an UPDATE/DELETE (`execute` is typed as returning a plain `Result`)."""
    return cast(CursorResult[Any], result).rowcount
