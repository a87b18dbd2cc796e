"""Drill: the worker killed with SIGKILL mid-job, five times, while it drains a backlog against a
sandbox that drops connections after storing a document and times out; nothing is lost and
nothing is duplicated.

Everything runs as real processes: the sandbox (`python -m sandboxes serve`), the database
(SQLite, or a PostgreSQL database of the drill's own when DATABASE_URL points at PostgreSQL),
Huey's queue (SQLite, or Redis under a namespace of its own when REDIS_URL is set), the worker
(`huey_consumer webapp.tasks.huey -w 1`) and the set-up and the sweep (`bench/app_steps.py`; the
sweep runs every second instead of every minute, and the lease is 3 s instead of 5 minutes, so a
killed worker's document comes back within seconds).
"""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
from sqlalchemy import create_engine, text

from bench.harness import Sandbox, Stack

SYSTEM = "superfaktura"
ORDERS = 36
KILLS = 5
DRILL_SECONDS = 80


@pytest.fixture
def drill_database():
    """SQLite in the stack's folder by default; with DATABASE_URL on PostgreSQL, a database of
    the drill's own on that server (created here, dropped afterwards), never the shared one."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield ""
        return
    url = url.replace("postgres://", "postgresql+psycopg://", 1).replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"fynode_drill_{os.getpid()}_{int(time.time())}"
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def stack(tmp_path, drill_database):
    sandbox = Sandbox(SYSTEM, tmp_path)
    sandbox.quota(100000, 86400)
    stack = Stack(
        SYSTEM,
        sandbox.url,
        database_url=drill_database,
        redis_url=os.environ.get("REDIS_URL", ""),
        folder=tmp_path,
        keep=True,
        extra_env={
            "DOCUMENT_LEASE_SECONDS": "3",
            "DOCUMENT_BACKOFF_SECONDS": "1",
            f"RATE_LIMIT_{SYSTEM.upper()}": "100000/86400",
        },
    )
    stack.sandbox = sandbox
    try:
        stack.migrate()
        yield stack
    finally:
        stack.cleanup()
        sandbox.stop()


def _json(done) -> dict:
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _creating(engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM documents WHERE state = 'creating'")).scalar_one())


def _open(engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(text("SELECT count(*) FROM documents WHERE state IN ('pending', 'creating')")).scalar_one()
        )


def test_a_worker_killed_five_times_mid_job_loses_and_duplicates_nothing(stack):
    setup = _json(stack.run("bench/app_steps.py", "setup", SYSTEM, stack.sandbox.url, str(ORDERS)))
    numbers = setup["numbers"]
    # Faults from now on: a fifth of the creates are stored but their answer is lost, a tenth of
    # all calls hang up after a moment.
    stack.sandbox.fault("drop_after_create", probability=0.2)
    stack.sandbox.fault("timeout", probability=0.1, seconds=0.2)
    engine = create_engine(stack.database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    sweeper = stack.start("bench/app_steps.py", "sweep", "1", name="sweeper")
    started = time.monotonic()
    try:
        worker = stack.start_worker(periodic=False)
        kills_mid_job = 0
        for _ in range(KILLS):
            # Kill while the worker holds a document (the only worker: a "creating" row is its).
            deadline = time.monotonic() + 15
            while _creating(engine) == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
            kills_mid_job += _creating(engine) > 0
            worker.kill()
            worker = stack.start_worker(periodic=False)
            time.sleep(0.8)
        while _open(engine) and time.monotonic() - started < DRILL_SECONDS:
            time.sleep(0.25)
        drained_in = time.monotonic() - started
    finally:
        stack.stop_workers()
        sweeper.send_signal(signal.SIGTERM)
        sweeper.wait(15)
        engine.dispose()

    ours = _json(stack.run("bench/app_steps.py", "report", *numbers))
    remote = stack.sandbox.invoices_per_order()
    sweeps = json.loads((stack.folder / "sweeper.log").read_text().strip().splitlines()[-1])

    assert kills_mid_job >= 3, "the drill must kill the worker while it holds documents"
    assert sweeps["reclaimed"] >= 1, "killed work came back through the lease and the sweep"
    assert drained_in < DRILL_SECONDS, f"documents still open after {DRILL_SECONDS} s"
    assert {n: states for n, states in ours.items() if states != ["created"]} == {}, "one created invoice per order"
    assert {n: remote.get(n, 0) for n in numbers if remote.get(n, 0) != 1} == {}, "one invoice per order in the system"
