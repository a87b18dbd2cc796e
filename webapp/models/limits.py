"""Shared rate-limit state for the database backend of `services.rate_limit`: one row per
request granted (a sliding log, pruned as it ages) and one row per key a vendor told us to pause.

Times are seconds since the epoch (UTC) as double precision: exact enough for sub-millisecond
ordering, compared without time-zone or string-format surprises on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Double, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model

KEY_LENGTH = 200


class RateLimitHit(Model):
    __tablename__ = "rate_limit_hits"
    __table_args__ = (Index("ix_rate_limit_hits_key_at", "key", "at"),)

    # BIGINT: a busy integration grants hundreds of thousands of requests a day, for years.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    at: Mapped[float] = mapped_column(Double)


class RateLimitPenalty(Model):
    __tablename__ = "rate_limit_penalties"

    key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    until: Mapped[float] = mapped_column(Double)
