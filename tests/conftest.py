"""Shared fixtures: every sandbox runs as a real HTTP server on a free loopback port for the
whole test session; tests reset the ones they use."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid

# Tests never touch the developer's instance/ folder: keys, SQLite files, the PDF archive and
# Huey's queue go to a temporary one. One per process: pytest-xdist's workers inherit the
# environment of the process that started them, and a folder they shared would let one worker's
# test (the backup drill restoring the archive folder, say) remove or replace another's files.
# This must happen before webapp is imported.
os.environ["FYNODE_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="fynode-test-")
os.environ.setdefault("HUEY_IMMEDIATE", "1")
# Production is the app's default; the tests run it in local mode (generated keys, demo data)
# unless a test builds a production Config on purpose.
os.environ["FYNODE_LOCAL"] = "1"

import pytest
import requests

from sandboxes import SANDBOXES
from sandboxes.server import start

atexit.register(shutil.rmtree, os.environ["FYNODE_INSTANCE_PATH"], ignore_errors=True)


@pytest.fixture(scope="session")
def sandbox_servers():
    running = {key: start(key, port=0) for key in SANDBOXES}
    for key, r in running.items():
        os.environ[f"{key.upper()}_API_URL"] = r.url
    yield running
    for r in running.values():
        r.stop()


class SandboxClient:
    """Drives one sandbox through its control API only, as SANDBOX_API.md requires."""

    def __init__(self, key: str, url: str) -> None:
        self.key = key
        self.url = url

    def reset(self) -> None:
        requests.post(f"{self.url}/_sandbox/reset", timeout=5).raise_for_status()

    def accounts(self) -> list[dict]:
        return requests.get(f"{self.url}/_sandbox/accounts", timeout=5).json()

    def account(self, state: str) -> dict:
        return next(a for a in self.accounts() if a["state"] == state)

    def requests(self) -> list[dict]:
        return requests.get(f"{self.url}/_sandbox/requests", timeout=5).json()

    def documents(self) -> list[dict]:
        return requests.get(f"{self.url}/_sandbox/documents", timeout=5).json()

    def fault(self, kind: str, **params) -> None:
        requests.post(f"{self.url}/_sandbox/faults", json={"kind": kind, **params}, timeout=5).raise_for_status()

    def quota(self, limit: int, window_seconds: int = 86400) -> None:
        requests.post(
            f"{self.url}/_sandbox/quota", json={"limit": limit, "window_seconds": window_seconds}, timeout=5
        ).raise_for_status()


@pytest.fixture
def sandbox(sandbox_servers):
    """sandbox("superfaktura") -> a freshly reset SandboxClient."""

    def get(key: str) -> SandboxClient:
        client = SandboxClient(key, sandbox_servers[key].url)
        client.reset()
        return client

    return get


def run_prefix(suite: str) -> str:
    """The rate limiter's Redis key prefix for one app of this run and this xdist worker:
    integration ids start afresh in every run and every worker's database, so keys named by
    them (`integration:<id>`) must never meet another run's or worker's."""
    return f"fynode:rl:{suite}:{os.environ.get('PYTEST_XDIST_WORKER', 'main')}:{uuid.uuid4().hex[:8]}:"


def clear_redis_limiter(app) -> None:
    """Delete the app's rate-limiter keys when the limiter is on Redis (REDIS_URL). On the
    database its hits and pauses are rows, cleared with the others between tests; on Redis they
    would outlive the rows whose ids they name."""
    if not app.config.get("REDIS_URL"):
        return
    import redis

    client = redis.Redis.from_url(app.config["REDIS_URL"])
    try:
        names = list(client.scan_iter(match=f"{app.config['RATE_LIMIT_PREFIX']}*", count=500))
        if names:
            client.delete(*names)
    finally:
        client.close()
