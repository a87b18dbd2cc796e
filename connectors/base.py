"""The `Connector` contract every accounting system implements.

A connector is built per integration from `ConnectionSettings` (non-secret config, decrypted
secrets, resolved endpoints, a transport and a token cache). It speaks the vendor's documented
API and returns neutral objects from `connectors.documents`, raising `ConnectorError` with a
code from `connectors.errors` for every failure.

The contract is shaped for the Polish systems as much as the seed ones: per-account
subdomains (endpoints are resolved from config), integer grosze (mapping is per connector),
asynchronous creation (`create_document` may return a document whose number is still empty and
`get_document` fills it later), XML envelopes and HMAC-signed requests (the client builds the
request; the transport only carries bytes).
"""

from __future__ import annotations

import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from . import errors
from .documents import DocumentDraft, DocumentPage, Identity, NumberSeries, Payment, Pdf, RemoteDocument
from .fields import Field
from .http import Transport

# Capabilities: the UI hides what a system cannot do.
CAN_INVOICE = "invoice"
CAN_PROFORMA = "proforma"
CAN_CREDIT_NOTE = "credit_note"
CAN_LIST = "list_documents"
CAN_PDF = "pdf"
CAN_EMAIL = "send_email"
CAN_MARK_PAID = "mark_paid"
CAN_NUMBER_SERIES = "number_series"
CAN_DELETE = "delete_document"
CAN_DRAFT = "draft"
CAN_OAUTH = "oauth"
# The system can tell Fynode about payments: the merchant adds Fynode's webhook address in the
# system by hand, and the web app's `webhooks.<key>` endpoint receives the deliveries.
CAN_PAYMENT_WEBHOOK = "payment_webhook"


class TokenCache(Protocol):
    """Where a connector keeps tokens it obtained (access tokens, rotated refresh tokens).

    The web app backs it with the integration row (encrypted), so web and worker processes
    share one token: several vendors invalidate the previous token when a new one is issued.
    `lock()` serialises renewal across processes.
    """

    def load(self) -> dict[str, Any] | None: ...

    def save(self, data: dict[str, Any]) -> None: ...

    def lock(self) -> Any: ...


class MemoryTokenCache:
    """A process-local token cache, for tests, the CLI and one-off verification."""

    def __init__(self) -> None:
        self._data: dict[str, Any] | None = None
        self._lock = threading.RLock()

    def load(self) -> dict[str, Any] | None:
        return dict(self._data) if self._data else None

    def save(self, data: dict[str, Any]) -> None:
        self._data = dict(data)

    @contextmanager
    def lock(self) -> Iterator[None]:
        with self._lock:
            yield


@dataclass
class AppIdentity:
    """Fynode's own identity towards vendors (User-Agent, module name, registered apps)."""

    name: str = "Fynode Accounting Connect"
    version: str = "0.1"
    contact_email: str = "integrations@fynode.example"
    registrations: dict[str, str] = field(default_factory=dict)  # e.g. FAKTUROID_CLIENT_ID

    @property
    def user_agent(self) -> str:
        return f"{self.name.replace(' ', '')}/{self.version} ({self.contact_email})"


@dataclass
class ConnectionSettings:
    config: dict[str, Any]
    secrets: dict[str, str]
    endpoints: dict[str, str]  # name -> origin or base URL, see Connector.endpoints
    transport: Transport
    token_cache: TokenCache = field(default_factory=MemoryTokenCache)
    app: AppIdentity = field(default_factory=AppIdentity)
    sandbox: bool = False


class Connector(ABC):
    key: ClassVar[str]
    name: ClassVar[str]
    markets: ClassVar[tuple[str, ...]] = ()
    website: ClassVar[str] = ""
    capabilities: ClassVar[frozenset[str]] = frozenset()
    schema: ClassVar[tuple[Field, ...]] = ()
    sandbox_port: ClassVar[int] = 0
    # The vendor's request quota as (requests, window in seconds); every worker process together
    # stays within it. None: the vendor documents none.
    rate_limit: ClassVar[tuple[int, float] | None] = None
    # Where a created document says which customer record it went to (`raw_id_fields` key), so
    # the next document for the same customer can pass `Party.remote_id`. "": not reused.
    customer_id_field: ClassVar[str] = ""
    # Per-system hint overrides: error code -> hint key the web app's catalogue knows.
    hint_overrides: ClassVar[dict[str, str]] = {}
    # Fynode's own registrations with the vendor (OAuth app, application id) the connector reads
    # from `AppIdentity.registrations`: setting name -> the value the sandbox knows. The web app
    # collects these (webapp/config.py): from the environment in production, these in sandbox mode.
    registrations: ClassVar[dict[str, str]] = {}
    # Request and response headers that carry the vendor's credentials (lower-case); the transport
    # redacts them in the integration log on top of the standard ones (connectors/http.py).
    sensitive_headers: ClassVar[frozenset[str]] = frozenset()
    # Which settings to flag when the vendor refuses without naming a field: error code -> schema
    # keys, e.g. {"account_not_found": ("subdomain",)}. Invalid credentials flag the secrets by default.
    error_fields: ClassVar[dict[str, tuple[str, ...]]] = {}
    # The config key an OAuth connection stores the chosen account under (CAN_OAUTH systems).
    oauth_account_key: ClassVar[str] = ""
    # CAN_PAYMENT_WEBHOOK systems: the events the merchant ticks when adding Fynode's address in
    # the system, and the vendor's plans that offer webhooks (both named as the vendor names them).
    payment_webhook_events: ClassVar[tuple[str, ...]] = ()
    payment_webhook_plans: ClassVar[tuple[str, ...]] = ()

    def __init__(self, settings: ConnectionSettings) -> None:
        self.settings = settings
        self.config = settings.config
        self.secrets = settings.secrets
        self.http = settings.transport
        self.http.add_secrets(v for v in settings.secrets.values() if isinstance(v, str))
        self.http.add_sensitive_headers(type(self).sensitive_headers)

    # -- endpoints ------------------------------------------------------------------------
    @classmethod
    @abstractmethod
    def endpoints(cls, config: Mapping[str, Any]) -> dict[str, str]:
        """Production origins by name, e.g. {"api": "https://moja.superfaktura.sk"}.

        May depend on config (market, subdomain). In sandbox mode, or with the
        <KEY>_API_URL override, every name maps to the one local origin with paths unchanged.
        """

    # -- operations -----------------------------------------------------------------------
    @abstractmethod
    def verify(self) -> Identity:
        """The cheapest call that proves the credentials work; says who we are connected as."""

    def list_choices(self, source: str) -> list[tuple[str, str]]:
        """Values for a field's `choices_from` (number series, bank accounts...)."""
        if source.startswith("number_series:"):
            kind = source.split(":", 1)[1]
            return [
                (s.id, s.name + (f" ({s.next_number})" if s.next_number else "")) for s in self.list_number_series(kind)
            ]
        raise errors.ConnectorError(errors.NOT_SUPPORTED, detail=f"no choices for {source}")

    def list_documents(self, page: int = 1, kind: str = "invoice") -> DocumentPage:
        raise errors.ConnectorError(errors.NOT_SUPPORTED, detail="list_documents")

    def get_document(self, remote_id: str, kind: str = "invoice") -> RemoteDocument:
        raise errors.ConnectorError(errors.NOT_SUPPORTED, detail="get_document")

    def create_document(self, draft: DocumentDraft, idempotency_key: str) -> RemoteDocument:
        raise errors.ConnectorError(errors.NOT_SUPPORTED, detail="create_document")

    def find_by_reference(self, idempotency_key: str, draft: DocumentDraft | None = None) -> RemoteDocument | None:
        """The duplicate guard: the document created earlier with this key, if any."""
        raise errors.ConnectorError(errors.NOT_SUPPORTED, detail="find_by_reference")

    def get_pdf(self, remote_id: str, kind: str = "invoice") -> Pdf:
        raise errors.ConnectorError(errors.NOT_SUPPORTED, detail="get_pdf")

    def send_email(self, remote_id: str, to: str, kind: str = "invoice") -> None:
        raise errors.ConnectorError(errors.NOT_SUPPORTED, detail="send_email")

    def mark_paid(self, remote_id: str, payment: Payment, kind: str = "invoice") -> None:
        raise errors.ConnectorError(errors.NOT_SUPPORTED, detail="mark_paid")

    def list_number_series(self, kind: str = "invoice") -> list[NumberSeries]:
        raise errors.ConnectorError(errors.NOT_SUPPORTED, detail="list_number_series")

    def delete_document(self, remote_id: str, kind: str = "invoice") -> None:
        raise errors.ConnectorError(errors.NOT_SUPPORTED, detail="delete_document")

    def disconnect(self) -> None:
        """Give back what the connection holds at the vendor (e.g. revoke OAuth tokens)."""

    # -- OAuth (systems with CAN_OAUTH) ---------------------------------------------------
    @classmethod
    def authorization_url(cls, endpoints: dict[str, str], app: AppIdentity, redirect_uri: str, state: str) -> str:
        raise errors.ConnectorError(errors.NOT_SUPPORTED, detail="oauth")

    def exchange_code(self, code: str, redirect_uri: str) -> dict[str, str]:
        """Trade an authorization code for tokens; returns secrets to store (refresh token)."""
        raise errors.ConnectorError(errors.NOT_SUPPORTED, detail="oauth")

    @classmethod
    def consent_error(cls, error_param: str, description: str = "") -> errors.ConnectorError:
        """The error to show when the authorization callback came back with `?error=...`.

        `access_denied` (the merchant refused) is consent_denied; anything else is remote_error.
        """
        if error_param == "access_denied":
            return errors.ConnectorError(errors.CONSENT_DENIED, detail=description or error_param)
        return errors.ConnectorError(errors.REMOTE_ERROR, detail=f"{error_param}: {description}".strip(": "))

    def list_accounts(self) -> list[tuple[str, str]]:
        """After OAuth consent: (account id, name) of the accounts the user may connect, to pick one."""
        raise errors.ConnectorError(errors.NOT_SUPPORTED, detail="list_accounts")


def resolve_endpoints(
    cls: type[Connector], config: Mapping[str, Any], env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Production endpoints, unless ACCOUNTING_SANDBOX=1 or <KEY>_API_URL points elsewhere."""
    env = os.environ if env is None else env
    production = cls.endpoints(config)
    override = env.get(f"{cls.key.upper()}_API_URL", "").rstrip("/")
    if not override and env.get("ACCOUNTING_SANDBOX") in ("1", "true", "yes"):
        override = f"http://127.0.0.1:{cls.sandbox_port}"
    if override:
        return {name: _swap_origin(url, override) for name, url in production.items()}
    return production


def _swap_origin(url: str, origin: str) -> str:
    """Keep the path of a production URL and put it on another origin."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return origin + parts.path.rstrip("/")
