"""Operator drills as tests (issue 9, point 12).

1. Key rotation with the app running: threads keep reading credentials (building connectors,
   rendering the connection's settings page) and a worker keeps refreshing a token while
   `rotate_all` re-encrypts everything; no credential is unreadable at any moment, before,
   during or after the old key is dropped, and no refreshed token is lost.
2. Backup and restore: a backup (SQLite file copy, or pg_dump on PostgreSQL) plus the archive
   folder; more documents issued; the backup restored; the worker run again on the restored copy
   issues no duplicate for anything issued before the backup (idempotency keys and the vendor
   guards find the remote documents that already exist).
"""

from __future__ import annotations

import threading
import time

import pytest
from cryptography.fernet import Fernet

from webapp.extensions import db
from webapp.models import Integration
from webapp.services.accounts.encryption import PENDING_OAUTH, SecretBox, box, rotate_all
from webapp.services.connections import calls

from .test_documents_engine import engine  # noqa: F401 - the fixture: a shop connected with presets

SHOPS = 6


def _integrations(app, make_user, first_shop_id: int) -> list[int]:
    """Connections in several shops (the first the signed-in owner's): secrets, an OAuth token and
    accounts waiting after consent."""
    ids = []
    with app.app_context():
        for n in range(SHOPS):
            shop_id = first_shop_id if n == 0 else make_user(f"owner{n}@shop.test").shop_id
            integration = Integration(
                shop_id=shop_id,
                system="superfaktura",
                status="active",
                current=True,
                config={"email": f"owner{n}@shop.test", "company_id": str(3100 + n), "market": "SK"},
                secrets_encrypted=box().encrypt({"api_key": f"key-{n}-" + "k" * 24}),
                token_encrypted=box().encrypt({"access_token": f"token-{n}-0", "refresh_token": f"refresh-{n}"}),
                choices={PENDING_OAUTH: box().encrypt({"accounts": [[f"acc-{n}", "Account"]]})},
            )
            db.session.add(integration)
            db.session.commit()
            ids.append(integration.id)
    return ids


class Readers:
    """Threads reading every credential in a loop, counting successes and recording failures."""

    def __init__(self, app, ids: list[int], owner_client) -> None:
        self.app, self.ids, self.client = app, ids, owner_client
        self.stop = threading.Event()
        self.reads = 0
        self.failures: list[str] = []
        self.threads = [
            threading.Thread(target=self._read_connectors, daemon=True),
            threading.Thread(target=self._read_connectors, daemon=True),
            threading.Thread(target=self._render_settings, daemon=True),
        ]

    def _read_connectors(self) -> None:
        from webapp.services.connections import oauth

        while not self.stop.is_set():
            with self.app.app_context():
                for integration_id in self.ids:
                    try:
                        integration = db.session.get(Integration, integration_id)
                        connector, _log = calls.for_integration(integration)
                        assert calls.stored_secrets(integration)["api_key"].startswith("key-")
                        assert calls.IntegrationTokenCache(integration).load()["access_token"].startswith("token-")
                        assert oauth.pending_accounts(integration)
                        self.reads += 1
                    except Exception as exc:
                        self.failures.append(f"{type(exc).__name__}: {exc}")
                    finally:
                        db.session.rollback()
                db.session.remove()

    def _render_settings(self) -> None:
        while not self.stop.is_set():
            response = self.client.get("/settings/accounting/superfaktura")
            if response.status_code != 200:
                self.failures.append(f"settings page answered {response.status_code}")
            self.reads += 1

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def wait_for(self, reads: int) -> None:
        deadline = time.monotonic() + 20
        target = self.reads + reads
        while self.reads < target and time.monotonic() < deadline and not self.failures:
            time.sleep(0.01)

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(10)


def test_key_rotation_with_the_app_running_leaves_no_credential_unreadable(app, owner_client, make_user):
    original = list(app.config["ENCRYPTION_KEYS"])
    old, new = original[0], Fernet.generate_key().decode()
    try:
        ids = _integrations(app, make_user, owner_client.user.shop_id)
        refreshed: list[int] = []

        def refresh_tokens(stop: threading.Event) -> None:
            """The worker refreshing the first connection's token during the rotation."""
            n = 0
            while not stop.is_set():
                n += 1
                with app.app_context():
                    integration = db.session.get(Integration, ids[0])
                    calls.IntegrationTokenCache(integration).save(
                        {"access_token": f"token-0-{n}", "refresh_token": "refresh-0"}
                    )
                    db.session.commit()
                    refreshed.append(n)
                    db.session.remove()
                time.sleep(0.005)

        with Readers(app, ids, owner_client) as readers:
            readers.wait_for(20)  # old key only
            app.config["ENCRYPTION_KEYS"] = [new, old]  # 1. every process gets the new key first
            readers.wait_for(20)
            stop_refresh = threading.Event()
            refresher = threading.Thread(target=refresh_tokens, args=(stop_refresh,), daemon=True)
            refresher.start()
            with app.app_context():
                for _pass in range(3):  # 2. rotate, as often as the operator likes
                    assert rotate_all() >= SHOPS * 2
                    readers.wait_for(10)
            stop_refresh.set()
            refresher.join(10)
            with app.app_context():
                rotate_all()  # the tokens refreshed meanwhile too
            readers.wait_for(20)
            app.config["ENCRYPTION_KEYS"] = [new]  # 3. the old key is dropped
            readers.wait_for(40)

        assert readers.failures == [], readers.failures[:5]
        assert readers.reads >= 130
        only_new = SecretBox([new])
        with app.app_context():
            for integration in db.session.scalars(db.select(Integration)):
                assert only_new.decrypt(integration.secrets_encrypted)["api_key"].startswith("key-")
                assert only_new.decrypt(integration.choices[PENDING_OAUTH])["accounts"]
                token = only_new.decrypt(integration.token_encrypted)
                if integration.id == ids[0]:
                    assert refreshed and token["access_token"] == f"token-0-{refreshed[-1]}"  # no refresh lost
    finally:
        app.config["ENCRYPTION_KEYS"] = original


def test_rotation_keeps_a_token_the_worker_refreshed_while_it_ran(app, owner_client, make_user, monkeypatch):
    """Compare-and-swap: the rotated copy of the old token never overwrites a fresher one."""
    original = list(app.config["ENCRYPTION_KEYS"])
    new = Fernet.generate_key().decode()
    try:
        ids = _integrations(app, make_user, owner_client.user.shop_id)
        app.config["ENCRYPTION_KEYS"] = [new, *original]
        real_rotate = SecretBox.rotate
        refreshed = []

        def rotate_while_the_worker_refreshes(self, token):
            if not refreshed and box().decrypt(token).get("access_token") == "token-0-0":
                with db.engine.begin() as other_process:  # the worker commits a refreshed token
                    other_process.execute(
                        db.update(Integration)
                        .where(Integration.id == ids[0])
                        .values(token_encrypted=box().encrypt({"access_token": "token-0-fresh", "refresh_token": "r2"}))
                    )
                refreshed.append(True)
            return real_rotate(self, token)

        monkeypatch.setattr(SecretBox, "rotate", rotate_while_the_worker_refreshes)
        with app.app_context():
            rotate_all()
            monkeypatch.setattr(SecretBox, "rotate", real_rotate)
            app.config["ENCRYPTION_KEYS"] = [new]
            token = calls.IntegrationTokenCache(db.session.get(Integration, ids[0])).load()
        assert refreshed and token == {"access_token": "token-0-fresh", "refresh_token": "r2"}
    finally:
        app.config["ENCRYPTION_KEYS"] = original


# -- backup and restore ----------------------------------------------------------------------------
def _backup_database(app, target) -> None:
    """SQLite: the online backup API (a consistent copy of the live file). PostgreSQL: pg_dump."""
    import sqlite3
    import subprocess

    url = db.engine.url
    db.session.remove()
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(url.database) as live, sqlite3.connect(target) as copy:
            live.backup(copy)
    else:
        subprocess.run(["pg_dump", "--format=custom", f"--file={target}", _libpq(url)], check=True)


def _restore_database(app, source) -> None:
    import sqlite3
    import subprocess

    url = db.engine.url
    db.session.remove()
    db.engine.dispose()  # no connection may keep the old pages
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(source) as copy, sqlite3.connect(url.database) as live:
            copy.backup(live)
    else:
        subprocess.run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={_libpq(url)}", str(source)], check=True
        )


def _libpq(url) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _copy_archive(source, target) -> None:
    import shutil

    shutil.rmtree(target, ignore_errors=True)
    if source.exists():
        shutil.copytree(source, target)
    else:
        target.mkdir(parents=True)


SYSTEMS_WITH_DOCUMENTS = [cls.key for cls in __import__("connectors").registry.all_connectors()]


@pytest.mark.parametrize("system", SYSTEMS_WITH_DOCUMENTS)
def test_a_restored_backup_issues_no_duplicate_for_anything_issued_before_it(app, engine, system, tmp_path):
    """Back up (database + archive folder), issue more, restore, run the worker on the restored
    copy: the documents the backup knew as created stay single, and the one the backup knew only
    as pending (issued in the system after the backup) is found there, not created again."""
    from datetime import timedelta

    from webapp.models import Document, IntegrationStatus, utcnow
    from webapp.services.documents import archiving, worker

    from .test_documents_engine import documents_of, event, make_order, market_of

    client = engine.connect(system)
    country, currency = ("PL", "PLN") if system == "infakt" else market_of(system)
    shop_id, integration_id = engine.shop_id, engine.integration.id

    def set_status(status: str) -> None:
        db.session.get(Integration, integration_id).status = status
        db.session.commit()

    issued = make_order(shop_id, number="B-1", country=country, currency=currency)
    event(issued, "paid")
    [invoice] = documents_of(issued)
    assert invoice.state == "created", (invoice.last_error_code, invoice.last_error_detail)
    pdf_before = archiving.load(invoice) if invoice.archive_key else None

    # A document the backup holds as pending, never attempted: the connection was paused.
    set_status(IntegrationStatus.NEEDS_ATTENTION)
    waiting = make_order(shop_id, number="B-2", country=country, currency=currency)
    event(waiting, "paid")
    [pending] = documents_of(waiting)
    assert pending.state == "pending" and not pending.needs_lookup

    archive_root = archiving.storage().root
    _backup_database(app, tmp_path / "backup.db")
    _copy_archive(archive_root, tmp_path / "archive")

    # After the backup: the paused document goes out, and another order is invoiced.
    set_status(IntegrationStatus.ACTIVE)
    worker.sweep(now=utcnow() + timedelta(minutes=5))
    later = make_order(shop_id, number="B-3", country=country, currency=currency)
    event(later, "paid")
    after_backup = {d.order_number: (d.state, d.remote_id) for d in db.session.scalars(db.select(Document))}
    assert [after_backup[n][0] for n in ("B-1", "B-2", "B-3")] == ["created"] * 3, after_backup
    in_system = len(client.documents())

    # Disaster: restore the database and the archive from the backup.
    _restore_database(app, tmp_path / "backup.db")
    _copy_archive(tmp_path / "archive", archive_root)
    restored = {d.order_number: d for d in db.session.scalars(db.select(Document))}
    assert set(restored) == {"B-1", "B-2"} and restored["B-2"].state == "pending"
    result = app.test_cli_runner().invoke(args=["after-restore"])  # the runbook's step after a restore
    assert result.exit_code == 0 and result.output.startswith("1 documents"), result.output

    # The restored copy's worker runs (the integration is active again there too) ...
    set_status(IntegrationStatus.ACTIVE)
    worker.sweep(now=utcnow() + timedelta(minutes=5))
    worker.sweep(now=utcnow() + timedelta(hours=3))
    db.session.expire_all()
    rows = {d.order_number: d for d in db.session.scalars(db.select(Document))}
    # ... and finds the document the system already has instead of creating a second one.
    assert len(client.documents()) == in_system, "the restored copy created a duplicate"
    assert rows["B-2"].state == "created" and rows["B-2"].remote_id == after_backup["B-2"][1]
    assert rows["B-1"].remote_id == after_backup["B-1"][1] and len(rows) == 2
    if pdf_before is not None:  # the archive came back with the database
        assert archiving.load(rows["B-1"]) == pdf_before
