"""Builds a connector for an integration: endpoints, transport, token cache, integration log.

Shared by views, the worker and the CLI, so every call to an accounting system is made the same
way: with our timeouts, our User-Agent, secrets redacted, and each exchange written to the
integration log (`ApiCall`).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from flask import current_app

from connectors import registry
from connectors.base import AppIdentity, ConnectionSettings, Connector, MemoryTokenCache, resolve_endpoints
from connectors.http import Exchange, Transport

from ...extensions import db
from ...models import ApiCall, Integration
from ..accounts.encryption import box


class IntegrationTokenCache:
    """Tokens kept encrypted on the integration row, so web and worker processes share one token
    (vendors such as Fakturoid invalidate the previous token when a new one is issued)."""

    def __init__(self, integration: Integration) -> None:
        self.integration = integration

    def load(self) -> dict[str, Any] | None:
        if self.integration.id is not None and db.session.get_bind().dialect.name != "sqlite":
            db.session.refresh(self.integration, ["token_encrypted"])
        return box().decrypt(self.integration.token_encrypted) or None

    def save(self, data: dict[str, Any]) -> None:
        self.integration.token_encrypted = box().encrypt(data)
        db.session.flush()

    @contextmanager
    def lock(self) -> Iterator[None]:
        # PostgreSQL: a row lock serialises renewal between processes until the caller commits.
        # SQLite serialises writers on its own.
        if self.integration.id is not None and db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(db.select(Integration.id).where(Integration.id == self.integration.id)
                               .with_for_update())
        yield


class ExchangeLog:
    """Collects exchanges during an operation; `flush_to_db` writes them as ApiCall rows."""

    def __init__(self, system: str, shop_id: int, integration_id: int | None) -> None:
        self.system = system
        self.shop_id = shop_id
        self.integration_id = integration_id
        self.exchanges: list[Exchange] = []

    def __call__(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)

    def flush_to_db(self) -> int | None:
        """Write the collected exchanges as ApiCall rows; returns the id of the newest row
        (what an outcome links to), or None when nothing was sent."""
        rows = [ApiCall(shop_id=self.shop_id, integration_id=self.integration_id, system=self.system,
                        operation=e.operation, method=e.method, url=e.url, status=e.status,
                        duration_ms=e.duration_ms, request_headers=e.request_headers,
                        request_body=e.request_body, response_headers=e.response_headers,
                        response_body=e.response_body, error_code=e.error_code)
                for e in self.exchanges]
        db.session.add_all(rows)
        db.session.flush()  # assigns the ids now, whenever the caller commits
        self.exchanges = []
        return rows[-1].id if rows else None


def app_identity() -> AppIdentity:
    return AppIdentity(contact_email=current_app.config["APP_CONTACT_EMAIL"],
                       registrations=dict(current_app.config["VENDOR_REGISTRATIONS"]))


def endpoints_for(system: str, config: dict[str, Any]) -> dict[str, str]:
    cls = registry.get(system)
    env = None
    if current_app.config.get("ACCOUNTING_SANDBOX"):
        import os
        env = {**os.environ, "ACCOUNTING_SANDBOX": "1"}
    return resolve_endpoints(cls, config, env)


def build(system: str, *, shop_id: int, config: dict[str, Any], secrets: dict[str, str],
          integration: Integration | None = None, token_cache=None) -> tuple[Connector, ExchangeLog]:
    cls = registry.get(system)
    if cls is None:
        raise LookupError(system)
    log = ExchangeLog(system, shop_id, integration.id if integration is not None else None)
    cfg = current_app.config
    transport = Transport(user_agent=app_identity().user_agent, on_exchange=log,
                          secrets=[v for v in secrets.values() if isinstance(v, str)],
                          connect_timeout=cfg["CONNECT_TIMEOUT"], read_timeout=cfg["READ_TIMEOUT"])
    if token_cache is None:
        token_cache = IntegrationTokenCache(integration) if integration is not None else MemoryTokenCache()
    settings = ConnectionSettings(config=dict(config), secrets=dict(secrets),
                                  endpoints=endpoints_for(system, config), transport=transport,
                                  token_cache=token_cache, app=app_identity(),
                                  sandbox=bool(cfg.get("ACCOUNTING_SANDBOX")))
    return cls(settings), log


def stored_secrets(integration: Integration) -> dict[str, str]:
    """Secrets of an integration, with a rotated refresh token from the token cache taking over."""
    secrets = box().decrypt(integration.secrets_encrypted)
    token = box().decrypt(integration.token_encrypted)
    if token.get("refresh_token"):
        secrets["refresh_token"] = token["refresh_token"]
    return secrets


def for_integration(integration: Integration) -> tuple[Connector, ExchangeLog]:
    return build(integration.system, shop_id=integration.shop_id, config=integration.config or {},
                 secrets=stored_secrets(integration), integration=integration)
