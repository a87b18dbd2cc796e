"""The app's rate limiter: the database (migrated tables) unless REDIS_URL is set, one per
process, and its short transactions never commit the caller's unfinished work."""

from __future__ import annotations

import os

import pytest

from webapp.extensions import db
from webapp.models import RateLimitHit, Shop
from webapp.services.rate_limit import DatabaseRateLimiter, RedisRateLimiter, limiter_from_app


@pytest.fixture
def database_limiter(app, clean_db, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "")
    monkeypatch.delitem(app.extensions, "fynode_rate_limiter", raising=False)
    limiter = limiter_from_app(app)
    yield limiter
    limiter.dispose()
    app.extensions.pop("fynode_rate_limiter", None)


def test_without_redis_the_app_limits_through_its_own_database(app, database_limiter):
    assert isinstance(database_limiter, DatabaseRateLimiter)
    assert limiter_from_app(app) is database_limiter  # one per process
    assert database_limiter.acquire("fakturoid:1", 2, 60) == 0.0
    assert database_limiter.acquire("fakturoid:1", 2, 60) == 0.0
    assert database_limiter.acquire("fakturoid:1", 2, 60) > 0
    with app.app_context():
        assert db.session.query(RateLimitHit).filter_by(key="fakturoid:1").count() == 2
    assert database_limiter.usage("fakturoid:1", 60) == 2


def test_taking_a_slot_never_commits_the_callers_unfinished_work(app, database_limiter):
    with app.app_context():
        db.session.add(Shop(name="Not yet committed"))
        assert database_limiter.acquire("superfaktura:1", 10, 60) == 0.0
        db.session.rollback()
        assert db.session.query(Shop).filter_by(name="Not yet committed").count() == 0
        assert db.session.query(RateLimitHit).count() == 1


def test_with_redis_url_the_app_limits_through_redis(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    monkeypatch.delitem(app.extensions, "fynode_rate_limiter", raising=False)
    limiter = limiter_from_app(app)
    try:
        assert isinstance(limiter, RedisRateLimiter)
        assert limiter.prefix == app.config["RATE_LIMIT_PREFIX"]  # the tests' own prefix (default fynode:rl:)
        assert limiter.usage("web-test-never-used", 60) == 0
    finally:
        app.extensions.pop("fynode_rate_limiter", None)
