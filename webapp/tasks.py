"""Every background task (Huey), in one module.

The consumer runs `huey_consumer webapp.tasks.huey` (see Procfile). Huey is configured from
`Config`: a SQLite file under `instance/` by default, Redis when `REDIS_URL` is set, and
synchronous ("immediate") execution when `HUEY_IMMEDIATE` is on (tests). A task only re-enters
the app and hands over to the service that does the work, so views, the worker and the CLI share
one implementation; the rows the services update carry the progress and the result.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey, crontab
from huey.storage import RedisStorage, SqliteStorage

from .config import huey_settings

huey = Huey("fynode", immediate=True)  # in memory until configure_huey() below names the storage
_app: Flask | None = None


def configure_huey(config: Mapping[str, Any]) -> None:
    """Point the queue at the storage the configuration names (Redis, else a SQLite file)."""
    huey.name = str(config.get("REDIS_NAMESPACE") or "fynode")
    if config.get("REDIS_URL"):
        huey.storage_class = RedisStorage
        huey.storage_kwargs = {"url": config["REDIS_URL"]}
    else:
        huey.storage_class = SqliteStorage
        Path(config["HUEY_SQLITE_PATH"]).parent.mkdir(parents=True, exist_ok=True)
        huey.storage_kwargs = {"filename": config["HUEY_SQLITE_PATH"]}
    huey._immediate = bool(config.get("HUEY_IMMEDIATE"))
    huey.storage = huey.create_storage()


def init_huey(app: Flask) -> None:
    global _app
    _app = app
    configure_huey(app.config)


def app_context() -> AbstractContextManager[Any]:
    """The app context a task runs in.

    A task run inline (immediate mode, `call_local`) from inside an app's context belongs to that
    app: a process may hold several apps (the tests' apps, a script's), and `_app` names only the
    one created last, whose database and settings may not be the caller's. The consumer runs
    tasks outside any context: there it is the app that configured Huey, or a new one."""
    global _app
    if has_app_context():
        return current_app._get_current_object().app_context()  # type: ignore[attr-defined]
    if _app is None:
        from . import create_app

        _app = create_app()
    return _app.app_context()


configure_huey(huey_settings(os.environ))


# -- jobs a merchant watches (import) ----------------------------------------------------------
@huey.task()
def run_import(job_id: int) -> None:
    with app_context():
        from .services.documents import importing

        importing.run_import(job_id)


@huey.periodic_task(crontab(minute="*"))
def recover_jobs() -> None:
    """Take back imports whose heartbeat stopped (a killed or restarted worker): queue them
    again as a new attempt, or fail them after too many (`JOB_HEARTBEAT_TIMEOUT`)."""
    with app_context():
        from .services.documents import importing

        importing.recover_stale_jobs()


@huey.task()
def run_sync(job_id: int) -> None:
    """Sync verification: compare our documents with the system's (progress on the Job row)."""
    with app_context():
        from .services.documents import sync

        sync.run_check(job_id)


@huey.periodic_task(crontab(hour="2", minute="41"))
def nightly_sync() -> None:
    """Every night, a sync check of the last days for every active integration."""
    with app_context():
        from .services.documents import sync

        sync.check_all_active()


@huey.periodic_task(crontab(hour="6", minute="13"))
def find_missing_documents() -> None:
    """Every day, the orders whose rules asked for a document that is not there."""
    with app_context():
        from .services.documents import missing

        missing.daily_check()


@huey.task()
def payment_from_system(integration_id: int, remote_id: str) -> None:
    """A payment webhook (Fakturoid): ask the system about the invoice, mark the order paid."""
    with app_context():
        from .services.documents import sync

        sync.payment_from_system(integration_id, remote_id)


# -- documents ---------------------------------------------------------------------------------
@huey.task()
def process_document(document_id: int) -> None:
    """Create one document in the accounting system (exactly once), then its PDF and e-mail."""
    with app_context():
        from .services.documents import worker

        worker.process(document_id)


@huey.periodic_task(crontab(minute="*"))
def sweep_documents() -> None:
    """Re-queue documents left pending or in flight (a crash between commit and queue, a killed
    worker, a paused integration that works again, a retry whose time has come)."""
    with app_context():
        from .services.documents import worker

        worker.sweep()


@huey.periodic_task(crontab(hour="3", minute="17"))
def purge_archive() -> None:
    """Drop archived PDFs older than the retention period."""
    with app_context():
        from .services.documents import archiving

        archiving.purge_expired()


@huey.periodic_task(crontab(hour="3", minute="41"))
def purge_integration_log() -> None:
    """Drop integration log rows older than each shop's retention setting (default 90 days)."""
    with app_context():
        from .services.observability import log_queries

        log_queries.purge_expired()


@huey.periodic_task(crontab(hour="4", minute="23"))
def purge_webhook_deliveries() -> None:
    """Forget the Idempotency-Keys of webhook deliveries older than 30 days."""
    with app_context():
        from .services.documents import payment_webhooks

        payment_webhooks.purge_expired()


# -- connections -------------------------------------------------------------------------------
@huey.periodic_task(crontab(hour="*/6", minute="7"))
def reverify_connections() -> None:
    """Re-verify active connections periodically, so revoked credentials are noticed early."""
    with app_context():
        from .services.connections import verification

        verification.reverify_all()
