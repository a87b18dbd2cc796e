"""Background work (Huey): Redis-backed in production (REDIS_URL), SQLite-backed locally.

The consumer runs `huey_consumer webapp.tasks.huey` (see Procfile). Tasks re-enter the app
context through `create_app()` so they share services with the views.
"""
from __future__ import annotations

import os

from huey import RedisHuey, SqliteHuey, crontab

from .config import INSTANCE, Config


def _make_huey():
    redis_url = os.environ.get("REDIS_URL")
    immediate = os.environ.get("HUEY_IMMEDIATE", "").lower() in ("1", "true", "yes")
    if redis_url:
        return RedisHuey("fynode", url=redis_url, immediate=immediate)
    INSTANCE.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("fynode", filename=str(INSTANCE / "huey.sqlite3"), immediate=immediate)


huey = _make_huey()
_app = None


def init_huey(app) -> None:
    global _app
    _app = app
    if app.config.get("HUEY_IMMEDIATE"):
        huey.immediate = True


def app_context():
    global _app
    if _app is None:
        from . import create_app
        _app = create_app(Config())
    return _app.app_context()


@huey.periodic_task(crontab(hour="*/6", minute="7"))
def reverify_connections():
    """Re-verify active connections periodically, so revoked credentials are noticed early."""
    with app_context():
        from .services import verification
        verification.reverify_all()
from .services import jobs  # noqa: E402,F401  (registers the job tasks with the consumer)
