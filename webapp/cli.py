"""`flask seed`, `flask keys rotate`: commands live here, not in loose scripts."""

from __future__ import annotations

import os
import sys

import click
import requests
from cryptography.fernet import Fernet
from flask import Flask, current_app

from .extensions import db


def init_app(app: Flask) -> None:
    @app.cli.command("seed")
    @click.option("--sandbox-url", default=None, help="SuperFaktura sandbox URL (default: from the environment)")
    def seed(sandbox_url: str | None) -> None:
        """Create the demo shops and users, and connect Demo Shop to the SuperFaktura sandbox."""
        if not current_app.config["LOCAL_MODE"]:
            # Demo logins (a support agent who sees every shop) must never exist in production,
            # sandbox mode or not.
            click.echo("Refusing to seed demo data outside local mode (set FYNODE_LOCAL=1 for a local run).", err=True)
            sys.exit(2)
        from .services import demo

        url = sandbox_url or os.environ.get("SUPERFAKTURA_API_URL") or "http://127.0.0.1:5101"
        try:
            summary = demo.seed(url)
        except requests.RequestException:
            click.echo(
                f"The SuperFaktura sandbox does not answer at {url}; start it with `python -m sandboxes serve all`.",
                err=True,
            )
            sys.exit(1)
        for line in summary:
            click.echo(line)

    @app.cli.group("keys")
    def keys() -> None:
        """Encryption keys for stored credentials."""

    @keys.command("generate")
    def generate() -> None:
        """Print a new Fernet key (put it first in ENCRYPTION_KEYS)."""
        click.echo(Fernet.generate_key().decode())

    @keys.command("rotate")
    @click.option("--new-key", default=None, help="use this key instead of generating one")
    def rotate(new_key: str | None) -> None:
        """Re-encrypt every stored secret under a new key.

        Locally (keys in instance/encryption_keys) the new key is prepended to that file. With
        ENCRYPTION_KEYS from the environment, put the printed key first there, then run
        `flask keys rotate --new-key <key>` so all rows move to it; then drop the old key.
        """
        from .config import write_instance_secret
        from .services.accounts.encryption import rotate_all

        key = new_key or Fernet.generate_key().decode()
        current = current_app.config["ENCRYPTION_KEYS"]
        if key not in current:
            current_app.config["ENCRYPTION_KEYS"] = [key, *current]
            if not os.environ.get("ENCRYPTION_KEYS"):
                write_instance_secret("encryption_keys", ",".join(current_app.config["ENCRYPTION_KEYS"]))
            else:
                click.echo("Add this key first in ENCRYPTION_KEYS before restarting: " + key)
        count = rotate_all()
        click.echo(f"Re-encrypted {count} stored values with the newest key.")

    @app.cli.command("after-restore")
    def after_restore() -> None:
        """Run on a database restored from a backup, before the worker starts: documents not yet
        created there look themselves up in the accounting system before creating anything (they
        may have been created after the backup was taken)."""
        from .services.documents import restore

        click.echo(f"{restore.mark_for_lookup()} documents will look themselves up before they are created.")

    @app.cli.command("create-db")
    def create_db() -> None:
        """Apply migrations (alembic upgrade head)."""
        from flask_migrate import upgrade

        upgrade(directory=current_app.extensions["migrate"].directory)
        db.session.remove()
        click.echo("Database is up to date.")
