"""Every call to an accounting system goes through here.

`connector_session(integration)` owns the ceremony: it builds the connector (endpoints,
transport with our timeouts and User-Agent, token cache), applies the time budget and the
vendor's quota shared by every process, writes each exchange to the integration log (`ApiCall`,
secrets redacted, tied to the order and document it was for), turns an auth failure into
"needs attention", records a vendor's rate-limit reset for every process, and commits. Views,
the worker and the CLI use it alike; services never repeat that ceremony.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections import ChainMap
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app

from connectors import errors as codes
from connectors import registry
from connectors.base import AppIdentity, ConnectionSettings, Connector, MemoryTokenCache, resolve_endpoints
from connectors.errors import ConnectorError
from connectors.http import Exchange, Transport

from ...extensions import db
from ...models import ApiCall, Integration, IntegrationStatus
from ..accounts.encryption import box
from ..observability import audit


class IntegrationTokenCache:
    """Tokens kept encrypted on the integration row, so web and worker processes share one token
    (vendors such as Fakturoid invalidate the previous token when a new one is issued).

    The token column is read from the database once per call (`bind`), and again whenever a
    renewal is considered (under `lock()`: another process may have renewed it meanwhile); it
    is decrypted again only when it changed."""

    def __init__(self, integration: Integration) -> None:
        self.integration = integration
        self._read: tuple[str | None, dict[str, Any]] | None = None
        self._current = False  # the column was read in this call
        self._locked = False

    def bind(self, integration: Integration) -> None:
        """A new call with a kept connector: the token is read from the row again."""
        self.integration = integration
        self._current = False

    def _column(self) -> str | None:
        if self.integration.id is None:
            return self.integration.token_encrypted
        if self._current and not self._locked:
            return self._read[0] if self._read is not None else None
        # The column alone, not the row: on PostgreSQL each statement sees what other processes
        # committed; on SQLite what was committed before this transaction began.
        encrypted = db.session.scalar(
            db.select(Integration.token_encrypted).where(Integration.id == self.integration.id)
        )
        self._current = True
        return encrypted

    def load(self) -> dict[str, Any] | None:
        encrypted = self._column()
        if self._read is None or self._read[0] != encrypted:
            self._read = (encrypted, box().decrypt(encrypted))
        return dict(self._read[1]) or None

    def save(self, data: dict[str, Any]) -> None:
        # Committed at once: other processes need the new token now (vendors invalidate the old
        # one), and on SQLite an open write would block the quota limiter's own transaction.
        self.integration.token_encrypted = box().encrypt(data)
        self._read = (self.integration.token_encrypted, dict(data))
        self._current = True
        db.session.commit()

    @contextmanager
    def lock(self) -> Iterator[None]:
        # PostgreSQL: a row lock serialises renewal between processes until the caller commits.
        # SQLite serialises writers on its own.
        if self.integration.id is not None and db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(db.select(Integration.id).where(Integration.id == self.integration.id).with_for_update())
        self._locked = True
        try:
            yield
        finally:
            self._locked = False


class ExchangeLog:
    """Collects exchanges during an operation; `flush_to_db` writes them as ApiCall rows."""

    def __init__(self, system: str, shop_id: int, integration_id: int | None) -> None:
        self.system = system
        self.shop_id = shop_id
        self.integration_id = integration_id
        self.order_id: int | None = None
        self.document_id: int | None = None
        self.exchanges: list[Exchange] = []

    def reset(self, order_id: int | None = None, document_id: int | None = None) -> None:
        """Start a new call of a kept connector: nothing collected, tied to this order and document."""
        self.order_id, self.document_id = order_id, document_id
        self.exchanges = []

    def __call__(self, exchange: Exchange) -> None:
        # Logged as what the request did, with customers' personal data out of the bodies.
        from ..observability import operations, redaction

        exchange.operation = operations.operation_key(self.system, exchange.operation, exchange.method, exchange.url)[
            :60
        ]
        exchange.url = redaction.redact_url(exchange.url, self.system)
        exchange.request_body = redaction.redact_text(exchange.request_body, self.system)
        exchange.response_body = redaction.redact_text(exchange.response_body, self.system)
        self.exchanges.append(exchange)

    def flush_to_db(self) -> int | None:
        """Write the collected exchanges as ApiCall rows, in one INSERT, within the caller's
        transaction; returns the id of the newest row (what an outcome links to), or None when
        nothing was sent."""
        rows = [
            {
                "shop_id": self.shop_id,
                "integration_id": self.integration_id,
                "system": self.system,
                "operation": e.operation,
                "method": e.method,
                "url": e.url,
                "status": e.status,
                "duration_ms": e.duration_ms,
                "request_headers": e.request_headers,
                "request_body": e.request_body,
                "response_headers": e.response_headers,
                "response_body": e.response_body,
                "error_code": e.error_code,
                "hint_key": e.hint_key,
                "order_id": self.order_id,
                "document_id": self.document_id,
            }
            for e in self.exchanges
        ]
        self.exchanges = []
        if not rows:
            return None
        # On the session's connection, in its transaction (the rows need nothing of the ORM).
        # Ids grow with every row inserted, so the newest row has the largest one (asking for
        # them in parameter order would make SQLite insert the rows one by one).
        table = ApiCall.__table__
        return max(db.session.connection().execute(db.insert(table).returning(table.c.id), rows).scalars())


def app_identity() -> AppIdentity:
    return AppIdentity(
        contact_email=current_app.config["APP_CONTACT_EMAIL"],
        registrations=dict(current_app.config["VENDOR_REGISTRATIONS"]),
    )


def endpoints_for(system: str, config: dict[str, Any]) -> dict[str, str]:
    cls = registry.require(system)
    env = None
    if current_app.config.get("ACCOUNTING_SANDBOX"):
        env = ChainMap({"ACCOUNTING_SANDBOX": "1"}, os.environ)
    return resolve_endpoints(cls, config, env)


def build(
    system: str,
    *,
    shop_id: int,
    config: dict[str, Any],
    secrets: dict[str, str],
    integration: Integration | None = None,
    token_cache=None,
    throttle: Callable[[str], None] | None = None,
) -> tuple[Connector, ExchangeLog]:
    cls = registry.get(system)
    if cls is None:
        raise LookupError(system)
    log = ExchangeLog(system, shop_id, integration.id if integration is not None else None)
    cfg = current_app.config
    transport = Transport(
        user_agent=app_identity().user_agent,
        on_exchange=log,
        secrets=[v for v in secrets.values() if isinstance(v, str)],
        connect_timeout=cfg["CONNECT_TIMEOUT"],
        read_timeout=cfg["READ_TIMEOUT"],
        throttle=throttle,
    )
    if token_cache is None:
        token_cache = IntegrationTokenCache(integration) if integration is not None else MemoryTokenCache()
    settings = ConnectionSettings(
        config=dict(config),
        secrets=dict(secrets),
        endpoints=endpoints_for(system, config),
        transport=transport,
        token_cache=token_cache,
        app=app_identity(),
        sandbox=bool(cfg.get("ACCOUNTING_SANDBOX")),
    )
    return cls(settings), log


def stored_secrets(integration: Integration) -> dict[str, str]:
    """Secrets of an integration, with a rotated refresh token from the token cache taking over."""
    secrets = box().decrypt(integration.secrets_encrypted)
    token = box().decrypt(integration.token_encrypted)
    if token.get("refresh_token"):
        secrets["refresh_token"] = token["refresh_token"]
    return secrets


def for_integration(
    integration: Integration, *, throttled: bool = False, token_cache: IntegrationTokenCache | None = None
) -> tuple[Connector, ExchangeLog]:
    """A new connector for a stored integration (`connector_session` reuses kept ones)."""
    return build(
        integration.system,
        shop_id=integration.shop_id,
        config=integration.config or {},
        secrets=stored_secrets(integration),
        integration=integration,
        token_cache=token_cache,
        throttle=throttle_for(integration) if throttled else None,
    )


# -- connectors kept per integration in this process -------------------------------------------
# A kept connector is built anew after this long: its transport learns every new access token
# (to redact it), and the list of what it redacts must not grow for ever.
KEPT_FOR_SECONDS = 3600.0
# A connector unused this long is let go (with its decrypted credentials), whatever integration.
KEPT_UNUSED_SECONDS = 900.0
# An open connection is used again only after a pause shorter than this; after a longer one the
# connector opens a new connection. Servers close idle connections (Apache after 5 s by default),
# and a create sent on a connection closed at that very moment fails ambiguously: the document
# would wait for a look-up and a retry. A backlog flows well within this.
IDLE_CONNECTION_SECONDS = 4.0
# Connectors kept per integration: one per thread calling the same system at the same moment.
KEPT_PER_INTEGRATION = 4


@dataclass
class KeptConnector:
    """A connector with its log and token cache, as the pool keeps it between calls."""

    connector: Connector
    log: ExchangeLog
    token_cache: IntegrationTokenCache
    fingerprint: tuple
    built_at: float = field(default_factory=time.monotonic)
    used_at: float = field(default_factory=time.monotonic)


def _fingerprint(integration: Integration) -> tuple:
    """What a connector is built from: the stored credentials (encrypted: a new value, even the
    same one re-encrypted by a key rotation, is new ciphertext), the configuration, the resolved
    endpoints and the app's connection settings. A kept connector is used only while it matches."""
    cfg = current_app.config
    return (
        integration.system,
        integration.shop_id,
        integration.secrets_encrypted,
        json.dumps(integration.config or {}, sort_keys=True, default=str),
        registry.get(integration.system),
        tuple(sorted(endpoints_for(integration.system, integration.config or {}).items())),
        cfg["CONNECT_TIMEOUT"],
        cfg["READ_TIMEOUT"],
        cfg["APP_CONTACT_EMAIL"],
        tuple(sorted(dict(cfg["VENDOR_REGISTRATIONS"]).items())),
        bool(cfg.get("ACCOUNTING_SANDBOX")),
    )


class ConnectorPool:
    """Connectors kept per integration in this process, so that a worker issuing one document
    after another reuses the HTTP session (and its open connection), the decrypted credentials
    and what the connector caches (iDoklad's reference data) instead of building them for every
    call.

    A connector is taken by one call at a time (`take`) and given back after it (`give_back`),
    or dropped (`drop`) when the call ended in a way that says nothing good about it. It is used
    again only while its fingerprint matches the integration row: re-authentication, new
    credentials, a key rotation or a changed setting build a new connector (and so empty its
    caches). Tokens are not part of the fingerprint: each call reads the token column again
    (`IntegrationTokenCache.bind`), so a token another process renewed is used at once. A kept
    connector holds no database object between calls, and a connection paused for a few seconds
    is not used again (see IDLE_CONNECTION_SECONDS).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._idle: dict[int, list[KeptConnector]] = {}
        self._lock = threading.Lock()
        self.clock = clock
        self._swept_at = clock()

    def take(self, integration: Integration) -> KeptConnector:
        fingerprint = _fingerprint(integration)
        now = self.clock()
        kept, stale = None, []
        with self._lock:
            idle = self._idle.get(integration.id, [])
            while idle and kept is None:
                candidate = idle.pop()
                fresh = now - candidate.built_at < KEPT_FOR_SECONDS and now - candidate.used_at < KEPT_UNUSED_SECONDS
                if candidate.fingerprint == fingerprint and fresh:
                    kept = candidate
                else:
                    stale.append(candidate)
            if now - self._swept_at >= 60:
                stale += self._unused(now)
        for old in stale:
            old.connector.http.close()
        if kept is None:
            token_cache = IntegrationTokenCache(integration)
            connector, log = for_integration(integration, token_cache=token_cache)
            kept = KeptConnector(connector, log, token_cache, fingerprint, built_at=now, used_at=now)
        elif now - kept.used_at >= IDLE_CONNECTION_SECONDS:
            kept.connector.http.close()  # the session stays; its next request opens a new connection
        kept.token_cache.bind(integration)
        return kept

    def _unused(self, now: float) -> list[KeptConnector]:
        """Take out the connectors of every integration unused for KEPT_UNUSED_SECONDS (under the lock)."""
        self._swept_at = now
        unused = []
        for integration_id, idle in list(self._idle.items()):
            unused += [k for k in idle if now - k.used_at >= KEPT_UNUSED_SECONDS]
            idle[:] = [k for k in idle if now - k.used_at < KEPT_UNUSED_SECONDS]
            if not idle:
                del self._idle[integration_id]
        return unused

    def give_back(self, kept: KeptConnector, integration_id: int) -> None:
        self._release(kept)
        kept.used_at = self.clock()
        with self._lock:
            idle = self._idle.setdefault(integration_id, [])
            if len(idle) < KEPT_PER_INTEGRATION:
                idle.append(kept)
                return
        kept.connector.http.close()

    def drop(self, kept: KeptConnector) -> None:
        self._release(kept)
        kept.connector.http.close()

    def forget(self, integration_id: int | None = None) -> None:
        """Drop the kept connectors of one integration (of all when None)."""
        with self._lock:
            if integration_id is None:
                dropped = [k for idle in self._idle.values() for k in idle]
                self._idle.clear()
            else:
                dropped = self._idle.pop(integration_id, [])
        for kept in dropped:
            kept.connector.http.close()

    def kept(self, integration_id: int) -> int:
        with self._lock:
            return len(self._idle.get(integration_id, []))

    @staticmethod
    def _release(kept: KeptConnector) -> None:
        kept.token_cache.integration = None  # type: ignore[assignment]  # no ORM object outlives the call
        kept.connector.http.throttle = None
        kept.log.reset()


_POOL = "fynode_connector_pool"


def connector_pool() -> ConnectorPool:
    """This process's pool for the current app (a forked process starts its own: connections
    must not cross a fork)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    cached = app.extensions.get(_POOL)
    if cached and cached[0] == os.getpid():
        return cached[1]
    pool = ConnectorPool()
    app.extensions[_POOL] = (os.getpid(), pool)
    return pool


# -- the vendor's quota, shared by every process ----------------------------------------------
def rate_limit_for(system: str) -> tuple[int, float] | None:
    """The quota we keep to: configured (RATE_LIMIT_<SYSTEM>=N/SECONDS), else the vendor's."""
    configured = current_app.config.get("RATE_LIMITS", {}).get(system)
    if configured:
        return configured
    cls = registry.get(system)
    return cls.rate_limit if cls is not None else None


def limiter_key(integration: Integration) -> str:
    return f"integration:{integration.id}"


# Our limiter counts a request when it grants the slot; the vendor when the request arrives, a
# little later and with jitter. Every window we keep is this much longer than the vendor's, so
# requests granted at the edges of our window never meet in one of the vendor's.
THROTTLE_MARGIN_SECONDS = 0.5
# Windows up to this long (per-minute quotas) are kept as several shorter windows, each with its
# share of the limit: a backlog then flows at an even pace instead of spending the whole quota in
# a burst and leaving every worker waiting for the window to roll over. Longer windows (daily
# quotas) are kept whole, so a merchant's backlog goes out at once.
PACED_WINDOW_SECONDS = 300.0
PACE_SECONDS = 2.0
OWN_THROTTLE = "our share of the quota is used up"


def paced(limit: int, window: float, margin: float = THROTTLE_MARGIN_SECONDS) -> tuple[int, float]:
    """The (limit, window) our limiter keeps for a vendor's quota of `limit` per `window` s.

    Any span of `window` seconds at the vendor is a span of at most `window + margin` of our
    grant times; split into n parts of `(window + margin) / n` with `limit // n` slots each, it
    holds at most `limit` grants. Parts are about PACE_SECONDS long."""
    if window > PACED_WINDOW_SECONDS:
        return limit, window + margin
    per_part = max(1, math.ceil(limit * PACE_SECONDS / window))
    parts = max(1, limit // per_part)
    return per_part, (window + margin) / parts


def is_own_throttle(error: ConnectorError) -> bool:
    """Our limiter refused before anything was sent (not the vendor's 429)."""
    return error.code == codes.RATE_LIMITED and OWN_THROTTLE in (error.detail or "")


def throttle_for(integration: Integration) -> Callable[[str], None] | None:
    """Before each request: wait for a slot of the quota (at most THROTTLE_WAIT seconds), else
    raise rate_limited with the time the slot frees, so the worker reschedules instead of waiting."""
    quota = rate_limit_for(integration.system)
    if not quota or not current_app.config.get("RATE_LIMITING", True):
        return None
    from .. import rate_limit

    limiter = rate_limit.limiter_from_app(current_app)
    # The vendor counts a request when it arrives, a little after we grant it: keep a margin.
    margin = max(float(current_app.config.get("THROTTLE_MARGIN", THROTTLE_MARGIN_SECONDS)), quota[1] * 0.01)
    limit, window = paced(int(quota[0]), float(quota[1]), margin)
    key = limiter_key(integration)
    wait_at_most = float(current_app.config.get("THROTTLE_WAIT", 20.0))

    def throttle(operation: str) -> None:
        deadline = time.monotonic() + wait_at_most
        while True:
            wait = limiter.acquire(key, limit, window)
            if wait == 0.0:
                return
            if time.monotonic() + wait > deadline:
                raise ConnectorError(
                    codes.RATE_LIMITED,
                    detail=f"{OWN_THROTTLE} ({operation})",
                    retry_at=datetime.now().astimezone() + timedelta(seconds=wait),
                )
            time.sleep(wait)

    return throttle


def _penalize(integration: Integration, error: ConnectorError) -> None:
    """A vendor said "too many requests" with a reset time: every process waits until then."""
    if (
        error.code != codes.RATE_LIMITED
        or error.retry_at is None
        or not rate_limit_for(integration.system)
        or not current_app.config.get("RATE_LIMITING", True)
    ):
        return
    if is_own_throttle(error):
        return  # our own throttle: nothing was sent
    from .. import rate_limit

    rate_limit.limiter_from_app(current_app).penalize(limiter_key(integration), error.retry_at)


# -- one place for every call ------------------------------------------------------------------
# Auth failures fixed in the accounting system itself (a user's role, the plan, a bank account),
# not with new credentials: "Verify again" resumes the connection once that is done.
FIXED_IN_THE_SYSTEM = frozenset({codes.PERMISSION_DENIED, codes.PLAN_LACKS_API, codes.SUBSCRIPTION_INACTIVE})


def remember_error(integration: Integration, error: ConnectorError) -> None:
    """The integration's last error as the pages show it: its code, detail and the system's hint."""
    integration.last_error_code = error.code
    integration.last_error_detail = error.detail[:2000]
    integration.last_error_hint_key = error.hint_key


def note_auth_failure(integration: Integration, error: ConnectorError) -> None:
    """Any call that fails with an auth error (a refused right to issue included, whichever the
    system): the merchant must fix it, with the connector's hint; documents wait."""
    if error.is_auth and integration.status == IntegrationStatus.ACTIVE:
        integration.status = IntegrationStatus.NEEDS_ATTENTION
        remember_error(integration, error)
        audit.record("integration.needs_attention", integration.shop_id, system=integration.system, code=error.code)


@dataclass
class ConnectorCall:
    """What a `connector_session` hands out, and what it leaves behind (the newest log row)."""

    integration: Integration
    connector: Connector
    log: ExchangeLog
    log_id: int | None = None
    error: ConnectorError | None = None


@contextmanager
def connector_session(
    integration: Integration,
    *,
    seconds: float | None = None,
    order_id: int | None = None,
    document_id: int | None = None,
    throttled: bool = False,
    auth_failure_pauses: bool = True,
) -> Iterator[ConnectorCall]:
    """Call an accounting system: the block gets `call.connector`; on the way out the log is
    written, an auth failure turns the integration to "needs attention" (unless
    `auth_failure_pauses` is False: one refused delete says nothing about the credentials), and
    everything is committed. A ConnectorError is re-raised after that, for the caller to record.
    """
    integration_id = integration.id
    pool = connector_pool() if integration_id is not None else None
    if pool is not None:
        kept = pool.take(integration)
        connector, log = kept.connector, kept.log
        connector.http.throttle = throttle_for(integration) if throttled else None
    else:
        connector, log = for_integration(integration, throttled=throttled)
    log.reset(order_id, document_id)
    call = ConnectorCall(integration=integration, connector=connector, log=log)
    reusable = False
    try:
        with connector.http.deadline(seconds) if seconds else nullcontext():
            yield call
        call.log_id = log.flush_to_db()
        db.session.commit()
        reusable = True
    except ConnectorError as error:
        call.error = error
        call.log_id = log.flush_to_db()
        if auth_failure_pauses:
            note_auth_failure(integration, error)
        db.session.commit()
        # Refused credentials: the next call builds a new connector from what is stored then.
        reusable = not error.is_auth
        _penalize(integration, error)  # after the commit: the limiter writes through its own connection
        raise
    except BaseException:
        # Not the system's answer: keep what was said in the log, drop the half-done changes.
        exchanges = log.exchanges
        db.session.rollback()
        log.exchanges = exchanges
        log.flush_to_db()
        db.session.commit()
        raise
    finally:
        if pool is not None:
            if reusable:
                pool.give_back(kept, integration_id)
            else:
                pool.drop(kept)
        else:
            connector.http.close()
