"""One rate limiter per vendor quota, shared by every worker process on every machine.

Vendors count every request they receive in a sliding window: Fakturoid allows 400 per 60 s,
SuperFaktura a daily quota, and the sandboxes enforce exactly this (`sandboxes.core.Quota`): a
request is refused when `limit` requests already arrived in the `window_seconds` before it. So
this is a *sliding log*, not a fixed window: we grant a slot only when fewer than `limit` slots
were granted in the last `window_seconds`, which keeps every window of that length at `limit`
or below, while a backlog can still use the whole quota.

- `acquire(key, limit, window_seconds)` takes a slot and returns 0.0, or takes nothing and
  returns the seconds until one frees (or until a vendor-imposed pause ends).
- `wait_for_slot(...)` loops acquire and sleep until a slot is taken or a deadline passes.
- `penalize(key, until)` records the reset time a vendor sent with a 429: every process waits.
- `usage(key, window_seconds)` counts the slots granted in the window, for health pages.

Backends: Redis when `REDIS_URL` is set (a Lua script checks and adds atomically on a sorted set,
keys `fynode:rl:{<key>}:hits` and `...:pause`), else the database (tables `rate_limit_hits` and
`rate_limit_penalties`; the check and the insert run in one short transaction on a connection of
the limiter's own, serialised per key by `pg_advisory_xact_lock` on PostgreSQL and by
`BEGIN IMMEDIATE` on SQLite, so the caller's session is never committed).

Times are wall-clock seconds (`time.time`), because processes on several machines share them:
keep hosts NTP-synchronised. The clock is read exactly once per `acquire`, and that reading is
the recorded time of a granted slot. A limiter counts slots as it grants them; the vendor counts
requests as they arrive, a little later and with jitter, so callers should pass a window slightly
longer than the vendor's (say + 1 s) and take one slot per HTTP request, retries included.
Use one key per quota (e.g. `fakturoid:<integration id>`) and always the same window for a key:
old entries are pruned by the window of the call. On SQLite (one writer at a time) take the slot
before the caller's session writes anything, or after it commits: a session holding SQLite's
write lock would make the limiter wait for it (up to 30 s, then `OperationalError`).
"""

from __future__ import annotations

import math
import os
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, func, insert, select, text, update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import DeclarativeBase

from ..models.limits import KEY_LENGTH, RateLimitHit, RateLimitPenalty

if TYPE_CHECKING:
    from flask import Flask

Clock = Callable[[], float]
Sleep = Callable[[float], Any]

REDIS_PREFIX = "fynode:rl:"
# Waits are never shorter than this, so a caller never spins on a rounding error.
MIN_WAIT = 0.001
# Hits are kept for two windows: a process whose clock reading is a little older than another's
# must still see every hit of its own window (pruning at exactly one window would hide some).
KEEP_WINDOWS = 2
# First half of the two-part advisory lock key on PostgreSQL, so our locks never collide with
# another user of advisory locks on the same database ("FYN").
PG_LOCK_SPACE = 0x46594E


def _check(key: str, limit: int | None = None, window_seconds: float | None = None) -> None:
    if not key or len(key) > KEY_LENGTH:
        raise ValueError(f"a rate-limit key is 1 to {KEY_LENGTH} characters")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise ValueError("a rate limit allows at least one request")
    if window_seconds is not None and not (window_seconds > 0 and math.isfinite(window_seconds)):
        raise ValueError("a rate-limit window is a positive number of seconds")


def _epoch(moment: datetime) -> float:
    """Seconds since the epoch; naive datetimes are UTC (the models store naive UTC)."""
    aware = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment
    return aware.timestamp()


class RateLimiter(ABC):
    """The shared sliding-log limiter; backends implement `_acquire`, `penalize` and `usage`."""

    clock: Clock

    def acquire(self, key: str, limit: int, window_seconds: float) -> float:
        """Take a slot and return 0.0, or take nothing and return the seconds to wait."""
        _check(key, limit, window_seconds)
        wait = self._acquire(key, limit, float(window_seconds))
        # Denied means a positive wait even if float rounding says 0: 0.0 is reserved for "taken".
        return 0.0 if wait is None else max(wait, MIN_WAIT)

    def wait_for_slot(
        self, key: str, limit: int, window_seconds: float, deadline: float | None, sleep: Sleep = time.sleep
    ) -> bool:
        """Take a slot, sleeping as long as `acquire` says; True once taken.

        `deadline` is a `time.monotonic()` value (like the connectors' time budget); None waits as
        long as it takes. Returns False at once, without sleeping, when the next slot frees only
        after the deadline.
        """
        while True:
            wait = self.acquire(key, limit, window_seconds)
            if wait == 0.0:
                return True
            if deadline is not None and time.monotonic() + wait > deadline:
                return False
            sleep(wait)

    @abstractmethod
    def _acquire(self, key: str, limit: int, window_seconds: float) -> float | None:
        """None when a slot was taken, else the seconds until one frees."""

    @abstractmethod
    def penalize(self, key: str, until: datetime) -> None:
        """Make every process wait until `until` (a vendor's reset time after a 429).

        A pause is only ever extended, never shortened by an earlier reset reported later."""

    @abstractmethod
    def usage(self, key: str, window_seconds: float) -> int:
        """How many slots were granted for `key` in the last `window_seconds`."""


# -- Redis ---------------------------------------------------------------------------------

# KEYS: hits (sorted set: member = unique id, score = grant time), pause (string: until).
# ARGV: now, limit, window, member, lower bound of the window (exclusive), prune bound,
#       time to keep the set (ms). Bounds come from Python as exact decimal strings: Lua would
#       print numbers with 14 significant digits, a tenth of a millisecond at today's epoch.
_ACQUIRE_LUA = """
local now = tonumber(ARGV[1])
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > now then
  return tostring(paused - now)
end
local limit = tonumber(ARGV[2])
local count = redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[5], '+inf')
if count < limit then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[6])
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[7])
  return 'taken'
end
local oldest = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[5], '+inf', 'WITHSCORES', 'LIMIT', count - limit, 1)
return tostring(tonumber(oldest[2]) + tonumber(ARGV[3]) - now)
"""

# KEYS: pause. ARGV: until, expiry in ms. Keeps the later of the stored and the new time.
_PENALIZE_LUA = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 0
"""


class RedisRateLimiter(RateLimiter):
    """Sliding log in a Redis sorted set per key; one Lua script checks and adds atomically."""

    def __init__(self, client: Any, prefix: str = REDIS_PREFIX, clock: Clock = time.time) -> None:
        self.client = client
        self.prefix = prefix
        self.clock = clock
        self._acquire_script = client.register_script(_ACQUIRE_LUA)
        self._penalize_script = client.register_script(_PENALIZE_LUA)

    @classmethod
    def from_url(cls, url: str, prefix: str = REDIS_PREFIX, clock: Clock = time.time) -> RedisRateLimiter:
        import redis

        return cls(redis.Redis.from_url(url), prefix=prefix, clock=clock)

    def _keys(self, key: str) -> tuple[str, str]:
        # The hash tag keeps both keys of one limit in one Redis Cluster slot.
        base = f"{self.prefix}{{{key}}}"
        return f"{base}:hits", f"{base}:pause"

    def _acquire(self, key: str, limit: int, window_seconds: float) -> float | None:
        now = self.clock()
        keep_ms = math.ceil(KEEP_WINDOWS * window_seconds * 1000) + 1000
        answer = self._acquire_script(
            keys=list(self._keys(key)),
            args=[
                repr(now),
                limit,
                repr(window_seconds),
                uuid.uuid4().hex,
                repr(now - window_seconds),
                repr(now - KEEP_WINDOWS * window_seconds),
                keep_ms,
            ],
        )
        answer = answer.decode() if isinstance(answer, bytes) else str(answer)
        return None if answer == "taken" else float(answer)

    def penalize(self, key: str, until: datetime) -> None:
        _check(key)
        moment = _epoch(until)
        remaining_ms = math.ceil((moment - self.clock()) * 1000)
        if remaining_ms <= 0:
            return
        self._penalize_script(keys=[self._keys(key)[1]], args=[repr(moment), remaining_ms + 1000])

    def usage(self, key: str, window_seconds: float) -> int:
        _check(key, window_seconds=window_seconds)
        now = self.clock()
        return int(self.client.zcount(self._keys(key)[0], f"({now - window_seconds!r}", "+inf"))


# -- database ------------------------------------------------------------------------------


def _limiter_engine(url: str | URL) -> Engine:
    """An engine of the limiter's own: its short transactions never touch the caller's session."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        # READ COMMITTED: after the advisory lock, each statement sees what the previous holder
        # committed (a REPEATABLE READ snapshot taken before the lock would not).
        return create_engine(parsed, pool_size=2, max_overflow=4, pool_pre_ping=True, isolation_level="READ COMMITTED")
    if backend == "sqlite":
        if parsed.database in (None, "", ":memory:") or "mode=memory" in str(parsed):
            raise ValueError("the database rate limiter needs a database file that all processes share")
        engine = create_engine(parsed, connect_args={"timeout": 30})

        # SQLAlchemy's documented recipe: let SQLAlchemy, not the sqlite3 module, begin
        # transactions, and begin them IMMEDIATE so the check and the insert hold the write lock.
        @event.listens_for(engine, "connect")
        def _no_implicit_begin(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    raise ValueError(f"the database rate limiter supports PostgreSQL and SQLite, not {backend}")


def _table_of(model: type[DeclarativeBase]) -> Table:
    """A model's `Table`, for Core statements on the limiter's own connection.

    SQLAlchemy types `__table__` as any `FromClause` (a model may be mapped to a join or a
    select); ours are declared with `__tablename__`, so it is a `Table`, which `insert`,
    `update` and `delete` need.
    """
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table


# Take a slot when there is no pause and fewer than `limit` hits in the window (one statement,
# run under the per-key lock).
_GRANT = text(
    # Typed, so PostgreSQL deduces one type for each parameter used twice.
    f'INSERT INTO rate_limit_hits ("key", "at") SELECT CAST(:key AS VARCHAR({KEY_LENGTH})), CAST(:at AS DOUBLE PRECISION)'
    ' WHERE NOT EXISTS (SELECT 1 FROM rate_limit_penalties WHERE "key" = :key AND "until" > :at)'
    ' AND (SELECT count(*) FROM rate_limit_hits WHERE "key" = :key AND "at" > :since) < :limit'
)
_REFUSED = text(
    'SELECT (SELECT "until" FROM rate_limit_penalties WHERE "key" = :key),'
    ' (SELECT "at" FROM rate_limit_hits WHERE "key" = :key AND "at" > :since'
    ' ORDER BY "at" DESC LIMIT 1 OFFSET :offset)'
)
_PRUNE = text('DELETE FROM rate_limit_hits WHERE "key" = :key AND "at" <= :before')


class DatabaseRateLimiter(RateLimiter):
    """Sliding log in `rate_limit_hits`; works on PostgreSQL and SQLite (tables from migrations)."""

    def __init__(self, url: str | URL, clock: Clock = time.time) -> None:
        self.engine = _limiter_engine(url)
        self.clock = clock
        self.hits = _table_of(RateLimitHit)
        self.penalties = _table_of(RateLimitPenalty)
        # When this process last pruned each key's old hits (its own clock reading).
        self._pruned: dict[str, float] = {}

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _serialised(self, key: str) -> Iterator[Connection]:
        """One short transaction holding the per-key lock; committed on leaving."""
        with self.engine.begin() as conn:  # SQLite: BEGIN IMMEDIATE (see _limiter_engine)
            if conn.dialect.name == "postgresql":
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(:space, hashtext(:key))"), {"space": PG_LOCK_SPACE, "key": key}
                )
            yield conn

    def _acquire(self, key: str, limit: int, window_seconds: float) -> float | None:
        with self._serialised(key) as conn:
            now = self.clock()  # read under the lock, so grants are recorded in order
            # The common case in one statement: no pause and room in the window -> the hit is
            # recorded. Everything else (why not, and for how long) only when it was refused.
            granted = conn.execute(
                _GRANT, {"key": key, "at": now, "since": now - window_seconds, "limit": limit}
            ).rowcount
            if granted == 1:
                # Old hits go at most once a window per key and process: they are never counted
                # (the window check reads only the last window), they only take space.
                if now - self._pruned.get(key, float("-inf")) >= window_seconds:
                    conn.execute(_PRUNE, {"key": key, "before": now - KEEP_WINDOWS * window_seconds})
                    self._pruned[key] = now
                return None
            # Refused: a pause, or a full window whose slot frees when the hit that makes it full
            # (the limit-th newest) leaves it. Both in one statement.
            paused, filling = conn.execute(
                _REFUSED, {"key": key, "since": now - window_seconds, "offset": limit - 1}
            ).one()
            if paused is not None and paused > now:
                return float(paused - now)
            return float(filling + window_seconds - now) if filling is not None else MIN_WAIT

    def penalize(self, key: str, until: datetime) -> None:
        _check(key)
        moment = _epoch(until)
        penalties = self.penalties
        with self._serialised(key) as conn:
            current = conn.execute(select(penalties.c.until).where(penalties.c.key == key)).scalar()
            if current is None:
                conn.execute(insert(penalties).values(key=key, until=moment))
            elif moment > current:
                conn.execute(update(penalties).where(penalties.c.key == key).values(until=moment))

    def usage(self, key: str, window_seconds: float) -> int:
        _check(key, window_seconds=window_seconds)
        hits = self.hits
        with self.engine.begin() as conn:
            now = self.clock()
            return int(
                conn.execute(
                    select(func.count()).select_from(hits).where(hits.c.key == key, hits.c.at > now - window_seconds)
                ).scalar_one()
            )


# -- choosing ------------------------------------------------------------------------------

_EXTENSION = "fynode_rate_limiter"


def limiter_from_app(app: Flask) -> RateLimiter:
    """The app's limiter: Redis when `REDIS_URL` is set, else the app's database.

    One per process (connections must not cross a fork), created on first use.
    """
    cached = app.extensions.get(_EXTENSION)
    if cached and cached[0] == os.getpid():
        return cached[1]
    redis_url = app.config.get("REDIS_URL")
    limiter: RateLimiter
    if redis_url:
        prefix = app.config.get("RATE_LIMIT_PREFIX") or f"{app.config.get('REDIS_NAMESPACE') or 'fynode'}:rl:"
        limiter = RedisRateLimiter.from_url(redis_url, prefix=prefix)
    else:
        limiter = DatabaseRateLimiter(app.config["SQLALCHEMY_DATABASE_URI"])
    app.extensions[_EXTENSION] = (os.getpid(), limiter)
    return limiter
