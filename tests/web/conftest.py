"""Web-test fixtures: one app per session on a migrated database (SQLite by default, PostgreSQL
when DATABASE_URL says so), rows cleared between tests, sandboxes over real HTTP."""

from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import text

from webapp import create_app
from webapp.config import SANDBOX_REGISTRATIONS, Config
from webapp.extensions import db
from webapp.models import Shop, User

from ..conftest import clear_redis_limiter, run_prefix

# The rate limiter's Redis keys of this worker in this run (see the app fixture).
RATE_LIMIT_PREFIX = run_prefix("test")


def _psycopg_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


def _worker_database(url: str, worker: str) -> str:
    """Each pytest-xdist worker gets a database of its own (`<name>_<worker>`), created on first
    use, so parallel workers never drop each other's schema."""
    if worker in ("", "master"):
        return url
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(_psycopg_url(url))
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(_psycopg_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def app(sandbox_servers, tmp_path_factory):
    url = os.environ.get("DATABASE_URL")
    if url and url.startswith("postgres"):
        database = _worker_database(url, os.environ.get("PYTEST_XDIST_WORKER", ""))
        _reset_postgres(database)
    else:
        database = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    app = create_app(
        Config(
            TESTING=True,
            SQLALCHEMY_DATABASE_URI=database,
            WTF_CSRF_ENABLED=False,
            ACCOUNTING_SANDBOX=True,
            VENDOR_REGISTRATIONS=dict(SANDBOX_REGISTRATIONS),
            SESSION_COOKIE_SECURE=False,
            PUBLIC_URL="http://127.0.0.1:5000",
            CONNECT_TIMEOUT=2.0,
            READ_TIMEOUT=3.0,
            # Workers' integrations share ids across their databases, and every run starts
            # its ids afresh: keep their quotas apart (per worker and per run) when the
            # limiter is on Redis, so a run never inherits another's hits or pauses.
            RATE_LIMIT_PREFIX=RATE_LIMIT_PREFIX,
        )
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=app.extensions["migrate"].directory)
        db.session.remove()
    yield app
    clear_redis_limiter(app)


@pytest.fixture(autouse=False)
def clean_db(app):
    with app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
    clear_redis_limiter(app)
    yield


@pytest.fixture
def make_user(app, clean_db):
    def make(
        email: str,
        password: str = "secret-pass",
        role: str = "owner",
        shop_name: str | None = "Shop",
        shop_id: int | None = None,
    ) -> User:
        """A user in a new shop named `shop_name`, or in the existing shop `shop_id`, or (support
        and admin) in none."""
        with app.app_context():
            if shop_id is None and shop_name:
                shop = Shop(name=shop_name)
                db.session.add(shop)
                db.session.flush()
                shop_id = shop.id
            user = User(email=email, role=role, shop_id=shop_id)
            user.set_password(password)
            db.session.add(user)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    return make


@pytest.fixture
def client(app, clean_db):
    return app.test_client()


def login(client, email: str, password: str = "secret-pass"):
    return client.post("/login", data={"email": email, "password": password})


@pytest.fixture
def owner_client(app, client, make_user):
    user = make_user("owner@shop.test")
    login(client, "owner@shop.test")
    client.user = user
    return client


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)
