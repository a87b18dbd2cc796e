"""The shared rate limiter keeps every window of `window_seconds` at `limit` granted slots or
fewer, exactly as the vendors (and our sandboxes' `Quota`) count, on Redis, SQLite and
PostgreSQL, even with several OS processes competing for one key, while still using the quota.

PostgreSQL runs when DATABASE_URL points at PostgreSQL (CI's second pass) or FYNODE_TEST_PG
names a PostgreSQL database; the tests use a schema of their own there. Redis is the one at
REDIS_URL or 127.0.0.1:6379, always (CI has it), with a key prefix of their own.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from unittest import mock

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sandboxes import core as sandbox_core
from webapp.models.limits import RateLimitHit, RateLimitPenalty
from webapp.services.rate_limit import DatabaseRateLimiter, RateLimiter, RedisRateLimiter

REDIS_URL = os.environ.get("FYNODE_TEST_REDIS") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def _postgres_url() -> str | None:
    url = os.environ.get("FYNODE_TEST_PG") or os.environ.get("DATABASE_URL") or ""
    return url if url.startswith("postgres") else None


BACKENDS = ["sqlite", "redis"] + (["postgresql"] if _postgres_url() else [])


class FakeClock:
    def __init__(self, now: float = 1_764_500_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# -- backends -------------------------------------------------------------------------------


def _create_tables(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        for table in (RateLimitHit.__table__, RateLimitPenalty.__table__):
            table.create(conn, checkfirst=True)
    engine.dispose()


@pytest.fixture(scope="module")
def postgres_schema_url():
    """A schema of our own in the PostgreSQL database, dropped afterwards (the web tests reset
    `public` of the shared database at will)."""
    base = make_url(_postgres_url()).set(drivername="postgresql+psycopg")
    schema = f"rl_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    _create_tables(url)
    yield url
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@contextmanager
def shared_state(backend: str, request, tmp_path) -> Iterator[tuple[str, str]]:
    """(backend, where): enough for any process to build a limiter on the same shared state."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'limits.sqlite3'}"
        _create_tables(url)
        yield ("sqlite", url)
    elif backend == "postgresql":
        url = request.getfixturevalue("postgres_schema_url")
        engine = create_engine(url)
        with engine.begin() as conn:  # the schema lives for the module; each test starts empty
            conn.execute(text("DELETE FROM rate_limit_hits"))
            conn.execute(text("DELETE FROM rate_limit_penalties"))
        engine.dispose()
        yield ("postgresql", url)
    else:
        prefix = f"fynode:rl:test-{uuid.uuid4().hex[:10]}:"
        try:
            yield ("redis", prefix)
        finally:
            client = redis.Redis.from_url(REDIS_URL)
            for name in client.scan_iter(match=f"{prefix}*"):
                client.delete(name)


@pytest.fixture
def backend_spec(request, tmp_path):
    with shared_state(request.param, request, tmp_path) as spec:
        yield spec


def build_limiter(spec: tuple[str, str], clock) -> RateLimiter:
    backend, where = spec
    if backend == "redis":
        return RedisRateLimiter.from_url(REDIS_URL, prefix=where, clock=clock)
    return DatabaseRateLimiter(where, clock=clock)


def stored_hits(limiter: RateLimiter, key: str) -> int:
    """Entries the backend keeps for `key`, pruned or not (not the same as `usage`)."""
    if isinstance(limiter, RedisRateLimiter):
        return limiter.client.zcard(limiter._keys(key)[0])
    assert isinstance(limiter, DatabaseRateLimiter)
    with limiter.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM rate_limit_hits WHERE key = :k"), {"k": key}).scalar_one()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture(params=BACKENDS)
def limiter(request, clock, tmp_path):
    with shared_state(request.param, request, tmp_path) as spec:
        built = build_limiter(spec, clock)
        yield built
        if isinstance(built, DatabaseRateLimiter):
            built.dispose()


# -- sliding-window semantics (injected clock) ----------------------------------------------


def test_grants_up_to_the_limit_then_says_when_the_oldest_slot_leaves_the_window(limiter, clock):
    for _ in range(3):
        assert limiter.acquire("k", limit=3, window_seconds=10) == 0.0
        clock.advance(4)
    # slots taken at +0, +4 and +8; now +12: the one at +0 left, so one more fits
    assert limiter.acquire("k", 3, 10) == 0.0
    clock.advance(1)  # +13: slots at +4, +8, +12 fill the window until +14
    assert limiter.acquire("k", 3, 10) == pytest.approx(1.0)


def test_a_slot_frees_exactly_one_window_after_it_was_taken_as_the_vendor_counts(limiter, clock):
    assert limiter.acquire("k", 1, 10) == 0.0
    clock.advance(9.999)
    assert limiter.acquire("k", 1, 10) == pytest.approx(0.001, abs=1e-6)
    clock.advance(0.001)
    assert limiter.acquire("k", 1, 10) == 0.0


def test_a_burst_across_a_fixed_window_boundary_is_refused(limiter, clock):
    clock.now = 1_764_500_009.5  # just before a round ten seconds
    assert limiter.acquire("k", 2, 10) == 0.0
    assert limiter.acquire("k", 2, 10) == 0.0
    clock.now = 1_764_500_010.5  # a fixed-window counter would start again here
    assert limiter.acquire("k", 2, 10) == pytest.approx(9.0)


def test_refused_requests_take_no_slot_and_do_not_push_the_wait_back(limiter, clock):
    assert limiter.acquire("k", 2, 10) == 0.0
    assert limiter.acquire("k", 2, 10) == 0.0
    clock.advance(5)
    waits = [limiter.acquire("k", 2, 10) for _ in range(5)]
    assert waits == [pytest.approx(5.0)] * 5
    clock.advance(5)
    assert limiter.acquire("k", 2, 10) == 0.0
    assert limiter.usage("k", 10) == 1  # the first two left the window; the refusals never counted


def test_keys_are_limited_independently(limiter):
    assert limiter.acquire("fakturoid:1", 1, 60) == 0.0
    assert limiter.acquire("fakturoid:1", 1, 60) > 0
    assert limiter.acquire("fakturoid:2", 1, 60) == 0.0


def test_usage_counts_the_slots_granted_in_the_window(limiter, clock):
    assert limiter.usage("k", 60) == 0
    for _ in range(3):
        limiter.acquire("k", 10, 60)
        clock.advance(20)
    assert limiter.usage("k", 60) == 2  # the first one is 60 s old now
    assert limiter.usage("other", 60) == 0


def test_entries_older_than_two_windows_are_pruned_when_slots_are_taken(limiter, clock):
    for _ in range(5):
        limiter.acquire("k", 5, 1)
    clock.advance(2.5)
    limiter.acquire("k", 5, 1)
    assert stored_hits(limiter, "k") == 1


def test_a_penalty_makes_every_caller_wait_until_the_vendors_reset(limiter, clock):
    reset = datetime.fromtimestamp(clock.now + 30, tz=timezone.utc)
    limiter.penalize("k", reset)
    assert limiter.acquire("k", 100, 60) == pytest.approx(30.0)
    clock.advance(29.5)
    assert limiter.acquire("k", 100, 60) == pytest.approx(0.5)
    clock.advance(0.5)
    assert limiter.acquire("k", 100, 60) == 0.0
    assert limiter.acquire("other", 100, 60) == 0.0


def test_an_earlier_reset_reported_later_does_not_shorten_the_pause(limiter, clock):
    limiter.penalize("k", datetime.fromtimestamp(clock.now + 30, tz=timezone.utc))
    limiter.penalize("k", datetime.fromtimestamp(clock.now + 5, tz=timezone.utc))
    assert limiter.acquire("k", 100, 60) == pytest.approx(30.0)
    limiter.penalize("k", datetime.fromtimestamp(clock.now + 45, tz=timezone.utc))
    assert limiter.acquire("k", 100, 60) == pytest.approx(45.0)


def test_a_naive_reset_time_is_read_as_utc(limiter, clock):
    naive = datetime.fromtimestamp(clock.now + 12, tz=timezone.utc).replace(tzinfo=None)
    limiter.penalize("k", naive)
    assert limiter.acquire("k", 100, 60) == pytest.approx(12.0)


def test_a_reset_time_already_past_changes_nothing(limiter, clock):
    limiter.penalize("k", datetime.fromtimestamp(clock.now - 5, tz=timezone.utc))
    assert limiter.acquire("k", 100, 60) == 0.0


def test_wait_for_slot_sleeps_as_long_as_needed_then_takes_the_slot(limiter, clock):
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(seconds)

    assert limiter.wait_for_slot("k", 1, 10, deadline=None, sleep=sleep)
    clock.advance(4)
    assert limiter.wait_for_slot("k", 1, 10, deadline=time.monotonic() + 60, sleep=sleep)
    assert sleeps == [pytest.approx(6.0)]
    assert limiter.usage("k", 10) == 1


def test_wait_for_slot_gives_up_at_once_when_the_slot_frees_after_the_deadline(limiter, clock):
    sleeps: list[float] = []
    assert limiter.acquire("k", 1, 60) == 0.0
    assert not limiter.wait_for_slot("k", 1, 60, deadline=time.monotonic() + 10, sleep=sleeps.append)
    assert sleeps == []


def test_wait_for_slot_waits_out_a_penalty(limiter, clock):
    limiter.penalize("k", datetime.fromtimestamp(clock.now + 3, tz=timezone.utc))
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(seconds)

    assert limiter.wait_for_slot("k", 5, 60, deadline=time.monotonic() + 60, sleep=sleep)
    assert sleeps == [pytest.approx(3.0)]


@pytest.mark.parametrize(
    "key, limit, window",
    [("", 1, 1.0), ("k" * 201, 1, 1.0), ("k", 0, 1.0), ("k", 1, 0.0), ("k", 1, -5.0), ("k", 1, float("inf"))],
)
def test_nonsensical_limits_are_refused(limiter, key, limit, window):
    with pytest.raises(ValueError):
        limiter.acquire(key, limit, window)


def test_the_limiter_grants_exactly_what_the_vendor_quota_accepts(limiter, clock):
    """Random arrivals: every request we let through is one the sandbox's Quota accepts, and
    every request we hold back is one it would refuse (no quota wasted)."""
    quota = sandbox_core.Quota(limit=5, window_seconds=10)
    fake_time = SimpleNamespace(time=clock)
    rng = random.Random(42)
    granted = refused = 0
    with mock.patch.object(sandbox_core, "time", fake_time):
        for _ in range(300):
            clock.advance(rng.choice([0.0, 0.3, 1.0, 2.0, 2.5, 5.0]))
            sent = [t for t in quota.used.get("acct", []) if t > clock.now - 10]
            if limiter.acquire("k", 5, 10) == 0.0:
                granted += 1
                _remaining, _reset, exceeded = quota.consume("acct")
                assert not exceeded, f"the vendor would refuse the request at {clock.now}"
            else:
                refused += 1
                assert len(sent) >= 5, "we held back a request the vendor would have accepted"
    assert granted > 50 and refused > 50  # the schedule exercised both sides


# -- several OS processes against one key ---------------------------------------------------

# 10 slots a second, above Fakturoid's 400 per minute (6.7/s); 20 a second is too much for the
# SQLite backend on a machine busy with the rest of the suite (each grant is a write transaction
# with its fsyncs), and the run would measure the disk, not the limiter.
PROCESSES = 4
LIMIT = 20
WINDOW = 2.0
RUN_SECONDS = 6.0


def hammer(spec: tuple[str, str], key: str, ready, start, run_from, results) -> None:
    """One worker process: take slots as fast as the limiter allows for RUN_SECONDS; reports the
    recorded time of each slot taken (the limiter reads its clock once per acquire)."""
    last = [0.0]

    def clock() -> float:
        last[0] = time.time()
        return last[0]

    limiter = build_limiter(spec, clock)
    limiter.usage(key, WINDOW)  # connected and warm before the start
    ready.put(os.getpid())
    if not start.wait(timeout=300):
        results.put([])
        return
    time.sleep(max(0.0, run_from.value - time.time()))
    end_at = run_from.value + RUN_SECONDS
    grants: list[float] = []
    while (remaining := end_at - time.time()) > 0:
        if not limiter.wait_for_slot(key, LIMIT, WINDOW, deadline=time.monotonic() + remaining):
            break
        grants.append(last[0])
    results.put(grants)


def run_processes(spec: tuple[str, str], key: str) -> list[list[float]]:
    """Start PROCESSES interpreters (spawn, like separate workers), wait until every one is ready
    (a loaded machine takes seconds to import the app), then let them loose together."""
    ctx = multiprocessing.get_context("spawn")
    ready, results, start = ctx.Queue(), ctx.Queue(), ctx.Event()
    run_from = ctx.Value("d", 0.0)
    processes = [
        ctx.Process(target=hammer, args=(spec, key, ready, start, run_from, results)) for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    try:
        for _ in processes:
            ready.get(timeout=300)
        run_from.value = time.time() + 0.2
        start.set()
        return [results.get(timeout=RUN_SECONDS + 120) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()


def assert_no_window_exceeds_the_limit(grants: list[float], limit: int, window: float) -> None:
    """The vendor's rule: a request is refused when `limit` requests came in the `window`
    seconds before it (`Quota.consume`), i.e. request i+limit must come >= window after i."""
    for earlier, later in zip(grants, grants[limit:]):
        assert later - earlier >= window, f"{limit + 1} slots within {later - earlier:.4f} s (window {window} s)"


@pytest.mark.parametrize("backend_spec", BACKENDS, indirect=True)
def test_processes_sharing_a_key_never_exceed_the_limit_and_use_the_quota(backend_spec):
    per_process = run_processes(backend_spec, f"concurrency-{uuid.uuid4().hex[:8]}")
    grants = sorted(t for process in per_process for t in process)
    assert_no_window_exceeds_the_limit(grants, LIMIT, WINDOW)
    assert sum(1 for process in per_process if process) >= 2, "the processes did not compete"
    best = LIMIT * RUN_SECONDS / WINDOW
    stalls = sorted(round(b - a, 3) for a, b in zip(grants, grants[1:]))[-4:]
    assert len(grants) >= 0.9 * best, (
        f"{len(grants)} slots taken ({[len(p) for p in per_process]} per process), at best {best:.0f}; "
        f"longest pauses between slots {stalls} s"
    )


def test_the_window_check_itself_catches_one_slot_too_many():
    grants = [0.0, 0.25, 0.5, 1.0, 1.25, 1.5]  # exact binary fractions: no rounding in the check
    assert_no_window_exceeds_the_limit(grants, 3, 1.0)
    with pytest.raises(AssertionError):
        assert_no_window_exceeds_the_limit(grants + [1.75], 3, 1.0)
    with pytest.raises(AssertionError):
        assert_no_window_exceeds_the_limit(sorted(grants + [0.75]), 3, 1.0)


def test_a_penalty_recorded_by_one_process_holds_back_the_others(tmp_path):
    url = f"sqlite:///{tmp_path / 'limits.sqlite3'}"
    _create_tables(url)
    until = datetime.now(timezone.utc) + timedelta(seconds=120)
    DatabaseRateLimiter(url).penalize("shared", until)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        asked_at, wait = pool.submit(acquire_once, ("sqlite", url), "shared").result(timeout=300)
    assert asked_at + wait == pytest.approx(until.timestamp(), abs=0.5)


def acquire_once(spec: tuple[str, str], key: str) -> tuple[float, float]:
    """In another process: (when it asked, how long it was told to wait)."""
    readings: list[float] = []

    def clock() -> float:
        readings.append(time.time())
        return readings[-1]

    wait = build_limiter(spec, clock).acquire(key, 100, 60)
    return readings[-1], wait
