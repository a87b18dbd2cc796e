"""Configuration from the environment, with safe embedded defaults for local runs.

Local defaults: SQLite and generated keys under `instance/`, Huey on SQLite. Production sets
DATABASE_URL (PostgreSQL), REDIS_URL, SECRET_KEY and ENCRYPTION_KEYS.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("FYNODE_INSTANCE_PATH", ROOT / "instance"))

# Values Fynode's sandboxes know in place of Fynode's real vendor registrations.
SANDBOX_REGISTRATIONS = {
    "FAKTUROID_CLIENT_ID": "fynode-sandbox-oauth-client",
    "FAKTUROID_CLIENT_SECRET": "fynode-sandbox-oauth-secret",
    "IDOKLAD_APPLICATION_ID": "fynode-sandbox-app",
}


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes", "on")


def _instance_secret(name: str, make) -> str:
    """A value generated once into instance/ so local runs keep sessions and data readable."""
    INSTANCE.mkdir(parents=True, exist_ok=True)
    path = INSTANCE / name
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    def __init__(self, **overrides) -> None:
        env = os.environ
        self.TESTING = False
        self.SQLALCHEMY_DATABASE_URI = env.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'fynode.sqlite3'}"
        if self.SQLALCHEMY_DATABASE_URI.startswith("postgres://"):
            self.SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://" + self.SQLALCHEMY_DATABASE_URI[len("postgres://"):]
        elif self.SQLALCHEMY_DATABASE_URI.startswith("postgresql://"):
            self.SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://" + self.SQLALCHEMY_DATABASE_URI[len("postgresql://"):]
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.SECRET_KEY = env.get("SECRET_KEY") or _instance_secret("secret_key", lambda: secrets.token_hex(32))
        keys = env.get("ENCRYPTION_KEYS") or _instance_secret("encryption_keys", lambda: Fernet.generate_key().decode())
        self.ENCRYPTION_KEYS = [k.strip() for k in keys.replace("\n", ",").split(",") if k.strip()]
        self.REDIS_URL = env.get("REDIS_URL", "")
        self.HUEY_SQLITE_PATH = str(INSTANCE / "huey.sqlite3")
        self.HUEY_IMMEDIATE = _truthy(env.get("HUEY_IMMEDIATE"))
        self.ACCOUNTING_SANDBOX = _truthy(env.get("ACCOUNTING_SANDBOX"))
        self.LOCAL_MODE = _truthy(env.get("FYNODE_LOCAL", "1" if not env.get("DATABASE_URL") else "0"))
        self.VENDOR_REGISTRATIONS = {
            name: env.get(name) or (SANDBOX_REGISTRATIONS[name] if self.ACCOUNTING_SANDBOX else "")
            for name in SANDBOX_REGISTRATIONS
        }
        self.APP_CONTACT_EMAIL = env.get("FYNODE_CONTACT_EMAIL", "integrations@fynode.example")
        self.PUBLIC_URL = env.get("FYNODE_PUBLIC_URL", "")
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _truthy(env.get("SESSION_COOKIE_SECURE", "0" if self.LOCAL_MODE else "1"))
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.WTF_CSRF_TIME_LIMIT = None
        self.BABEL_DEFAULT_LOCALE = "en"
        self.LANGUAGES = ["en", "pl", "cs", "sk"]
        self.LOGIN_MAX_FAILURES = 5
        self.LOGIN_WINDOW_SECONDS = 15 * 60
        # Activation must answer within 15 s even when the system hangs.
        self.CONNECT_TIMEOUT = 4.0
        self.READ_TIMEOUT = 10.0
        # PDF archive: local folder instance/archive unless s3://bucket/prefix; kept 10 years.
        self.ARCHIVE_URL = env.get("ARCHIVE_URL", "")
        self.ARCHIVE_S3_ENDPOINT_URL = env.get("ARCHIVE_S3_ENDPOINT_URL", "")
        self.ARCHIVE_RETENTION_DAYS = int(env.get("ARCHIVE_RETENTION_DAYS") or 3650)
        for key, value in overrides.items():
            setattr(self, key, value)
