"""Configuration from the environment.

Production is the default. Local mode is asked for explicitly with FYNODE_LOCAL=1 (`make run`
and the tests do): only then are SECRET_KEY and ENCRYPTION_KEYS generated into `instance/`,
cookies sent without Secure, and demo data allowed. In production a missing SECRET_KEY,
ENCRYPTION_KEYS or FYNODE_PUBLIC_URL stops start-up with `ConfigurationError`: a key generated
on each host would differ between hosts and be lost at the next deploy, leaving every stored
credential unreadable.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("FYNODE_INSTANCE_PATH", ROOT / "instance"))


def sandbox_registrations() -> dict[str, str]:
    """Fynode's vendor registrations (setting name -> the value the sandboxes know), as each
    connector declares them (`Connector.registrations`)."""
    from connectors import registry

    return {name: value for cls in registry.all_connectors() for name, value in cls.registrations.items()}


# Values Fynode's sandboxes know in place of Fynode's real vendor registrations.
SANDBOX_REGISTRATIONS = sandbox_registrations()


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes", "on")


class ConfigurationError(RuntimeError):
    """Production start-up refused because required settings are missing."""


# Settings production cannot run without, and why (shown when start-up is refused).
REQUIRED_IN_PRODUCTION = {
    "SECRET_KEY": "signs sessions; the same value on every host",
    "ENCRYPTION_KEYS": "Fernet keys for stored credentials, newest first (`flask keys generate`)",
    "FYNODE_PUBLIC_URL": "the public https:// address, used for OAuth redirect URIs and e-mailed links",
}


def _instance_secret(name: str, make) -> str:
    """A value generated once into instance/ so local runs keep sessions and data readable.

    Several processes start at once (`make run`'s web app and worker, test workers): the first to
    create the file wins and every process reads its value. A file written in place could be
    read empty while another process writes it, or overwritten with a second value after a
    process had read the first (its sessions and encrypted data then unreadable by the others);
    so the value is written whole into a file of its own and linked into place, which fails if
    the name exists."""
    INSTANCE.mkdir(parents=True, exist_ok=True)
    path = INSTANCE / name
    if not path.exists():
        draft = INSTANCE / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
        try:
            draft.write_text(make())
            draft.chmod(0o600)
            try:
                os.link(draft, path)
            except FileExistsError:
                pass  # another process was first: its value is the one
        finally:
            draft.unlink(missing_ok=True)
    return path.read_text().strip()


def write_instance_secret(name: str, value: str) -> None:
    """Replace a value in instance/ at once (never seen half-written by a starting process)."""
    path = INSTANCE / name
    draft = INSTANCE / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
    try:
        draft.write_text(value)
        draft.chmod(0o600)
        os.replace(draft, path)
    finally:
        draft.unlink(missing_ok=True)


def _quota(value: str) -> tuple[int, float] | None:
    """ "400/60" -> (400, 60.0); anything else -> None."""
    requests, _, seconds = (value or "").partition("/")
    try:
        parsed = (int(requests), float(seconds))
    except ValueError:
        return None
    return parsed if parsed[0] > 0 and parsed[1] > 0 else None


def huey_settings(env) -> dict[str, object]:
    """The queue's settings, shared by `Config` and the consumer (which reads them at import)."""
    return {
        "REDIS_URL": env.get("REDIS_URL", ""),
        "HUEY_SQLITE_PATH": env.get("HUEY_SQLITE_PATH") or str(INSTANCE / "huey.sqlite3"),
        "HUEY_IMMEDIATE": _truthy(env.get("HUEY_IMMEDIATE")),
        # Names this app's keys in a shared Redis (Huey's queue, the rate limiter), so a second
        # installation, the benchmark or a test run beside it never reads its queue.
        "REDIS_NAMESPACE": env.get("REDIS_NAMESPACE") or "fynode",
    }


def _count(value: str | None) -> int:
    try:
        return max(int(value or 0), 0)
    except ValueError:
        raise ConfigurationError(f"TRUSTED_PROXIES must be a number of proxies, not {value!r}.") from None


def _is_fernet_key(key: str) -> bool:
    try:
        Fernet(key)
    except (ValueError, TypeError):
        return False
    return True


def _key_list(keys: str) -> list[str]:
    return [k.strip() for k in keys.replace("\n", ",").split(",") if k.strip()]


class Config:
    def __init__(self, **overrides) -> None:
        env = os.environ
        self.TESTING = False
        self.SQLALCHEMY_DATABASE_URI = env.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'fynode.sqlite3'}"
        if self.SQLALCHEMY_DATABASE_URI.startswith("postgres://"):
            self.SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://" + self.SQLALCHEMY_DATABASE_URI[len("postgres://") :]
        elif self.SQLALCHEMY_DATABASE_URI.startswith("postgresql://"):
            self.SQLALCHEMY_DATABASE_URI = (
                "postgresql+psycopg://" + self.SQLALCHEMY_DATABASE_URI[len("postgresql://") :]
            )
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        # Local mode only when asked for: forgetting a variable must never turn production local.
        self.LOCAL_MODE = _truthy(env.get("FYNODE_LOCAL"))
        self.SECRET_KEY = env.get("SECRET_KEY", "")
        self.ENCRYPTION_KEYS = _key_list(env.get("ENCRYPTION_KEYS", ""))
        for key, value in huey_settings(env).items():
            setattr(self, key, value)
        self.ACCOUNTING_SANDBOX = _truthy(env.get("ACCOUNTING_SANDBOX"))
        self.VENDOR_REGISTRATIONS = {
            name: env.get(name) or (SANDBOX_REGISTRATIONS[name] if self.ACCOUNTING_SANDBOX else "")
            for name in SANDBOX_REGISTRATIONS
        }
        self.APP_CONTACT_EMAIL = env.get("FYNODE_CONTACT_EMAIL", "integrations@fynode.example")
        # The one source of the app's public address (OAuth redirect URIs, links in e-mails):
        # never the Host header, which the client chooses. Local runs default to the dev server.
        self.PUBLIC_URL = env.get("FYNODE_PUBLIC_URL", "").rstrip("/")
        # Larger request bodies are refused with a 413 page (nothing in the app takes uploads).
        self.MAX_CONTENT_LENGTH = 2 * 1024 * 1024
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _truthy(env.get("SESSION_COOKIE_SECURE", "0" if self.LOCAL_MODE else "1"))
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_DURATION = timedelta(days=30)
        # How many reverse proxies in front of the app set X-Forwarded-For/-Proto (0: none, the
        # client's address is the connection's). Only that many hops are believed.
        self.TRUSTED_PROXIES = _count(env.get("TRUSTED_PROXIES"))
        self.WTF_CSRF_TIME_LIMIT = None
        self.BABEL_DEFAULT_LOCALE = "en"
        self.LANGUAGES = ["en", "pl", "cs", "sk"]
        # E-mail to users (password-reset links). Without MAIL_SERVER, local mode writes messages
        # to the outbox folder, readable at /dev/outbox.
        self.MAIL_SERVER = env.get("MAIL_SERVER", "")
        self.MAIL_PORT = int(env.get("MAIL_PORT") or 587)
        self.MAIL_USERNAME = env.get("MAIL_USERNAME", "")
        self.MAIL_PASSWORD = env.get("MAIL_PASSWORD", "")
        self.MAIL_USE_TLS = _truthy(env.get("MAIL_USE_TLS", "1"))
        self.MAIL_USE_SSL = _truthy(env.get("MAIL_USE_SSL", "0"))
        self.MAIL_DEFAULT_SENDER = env.get("MAIL_DEFAULT_SENDER", "Fynode Accounting Connect <no-reply@fynode.example>")
        self.MAIL_OUTBOX_PATH = str(INSTANCE / "outbox")
        self.PASSWORD_RESET_MAX_AGE = 60 * 60
        # Activation must answer within 15 s even when the system hangs.
        self.CONNECT_TIMEOUT = 4.0
        self.READ_TIMEOUT = 10.0
        # Our share of each vendor's request quota: RATE_LIMIT_<SYSTEM>=REQUESTS/SECONDS overrides the
        # documented one (a merchant who bought a larger SuperFaktura quota, or the benchmark).
        self.RATE_LIMITS = {
            name[len("RATE_LIMIT_") :].lower(): _quota(value)
            for name, value in env.items()
            if name.startswith("RATE_LIMIT_") and _quota(value)
        }
        self.RATE_LIMITING = _truthy(env.get("RATE_LIMITING", "1"))
        self.THROTTLE_WAIT = float(env.get("THROTTLE_WAIT", "20"))
        # Seconds a background job's heartbeat may be silent before its worker counts as lost and
        # the job is restarted (the import beats at least once a page).
        self.JOB_HEARTBEAT_TIMEOUT = float(env.get("JOB_HEARTBEAT_TIMEOUT") or 60)
        # How much longer than the vendor's window ours is (the vendor counts arrivals, a little later).
        self.THROTTLE_MARGIN = float(env.get("THROTTLE_MARGIN") or 0.5)
        # The documents engine: a worker holding a document longer than the lease is presumed dead
        # and the sweep takes it back; passing failures wait this long first, doubling each time
        # (a lost answer at least twice as long). Drills shorten both.
        self.DOCUMENT_LEASE_SECONDS = float(env.get("DOCUMENT_LEASE_SECONDS") or 300)
        self.DOCUMENT_BACKOFF_SECONDS = float(env.get("DOCUMENT_BACKOFF_SECONDS") or 30)
        # PDF archive: local folder instance/archive unless s3://bucket/prefix; kept 10 years.
        self.ARCHIVE_URL = env.get("ARCHIVE_URL", "")
        self.ARCHIVE_S3_ENDPOINT_URL = env.get("ARCHIVE_S3_ENDPOINT_URL", "")
        self.ARCHIVE_RETENTION_DAYS = int(env.get("ARCHIVE_RETENTION_DAYS") or 3650)
        for key, value in overrides.items():
            setattr(self, key, value)
        self._complete()

    def _complete(self) -> None:
        """Local mode: keys generated once into instance/. Production: refuse to start without
        what production needs."""
        if self.LOCAL_MODE:
            self.PUBLIC_URL = self.PUBLIC_URL or f"http://127.0.0.1:{os.environ.get('PORT', '5000')}"
            self.SECRET_KEY = self.SECRET_KEY or _instance_secret("secret_key", lambda: secrets.token_hex(32))
            self.ENCRYPTION_KEYS = self.ENCRYPTION_KEYS or _key_list(
                _instance_secret("encryption_keys", lambda: Fernet.generate_key().decode())
            )
            return
        present = {
            "SECRET_KEY": self.SECRET_KEY,
            "ENCRYPTION_KEYS": self.ENCRYPTION_KEYS,
            "FYNODE_PUBLIC_URL": self.PUBLIC_URL,
        }
        missing = [name for name, value in present.items() if not value]
        bad_keys = [n for n, key in enumerate(self.ENCRYPTION_KEYS, 1) if not _is_fernet_key(key)]
        if bad_keys:
            raise ConfigurationError(
                f"ENCRYPTION_KEYS: key {', '.join(map(str, bad_keys))} is not a Fernet key "
                "(32 url-safe base64-encoded bytes; `flask keys generate` prints one)."
            )
        if missing:
            lines = "\n".join(f"  {name}: {REQUIRED_IN_PRODUCTION[name]}" for name in missing)
            raise ConfigurationError(
                "Fynode Accounting Connect runs in production mode and these settings are missing:\n"
                f"{lines}\nSet them in the environment, or set FYNODE_LOCAL=1 for a local run "
                "(keys generated into instance/, demo data allowed)."
            )
