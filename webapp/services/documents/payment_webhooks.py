"""Payments flowing back by webhook: the key the merchant pastes into the accounting system's
webhook, the address the system sends to, and the deliveries taken in.

The key is random (`secrets.token_urlsafe`), created per integration when the owner asks, shown
once and stored only as its SHA-256; a delivery is checked by comparing hashes with
`hmac.compare_digest`. Creating a new key replaces the old one at once (rotation): deliveries
with the old key are refused from then on. Nobody could ever have learned the secret the
integration id used to be signed with (it was shown nowhere), so that one is not kept working.

Fakturoid sends the webhook's `auth_header` back in the Authorization header of each delivery
[fakturoid.md §5; Fakturoid's webhook page: "Value send in Authorization header"]. It also sends
an `Idempotency-Key` header [fakturoid.md §6]. UNCONFIRMED: that the value stays the same when a
failed delivery is repeated and differs from one event to the next. The safe reading is that one
value is one event: a delivery whose value was already taken in is a repeat and queues nothing.
A delivery without the header is always taken in; the worker's part is idempotent anyway (it
asks the system about the invoice and records a payment once).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from sqlalchemy.exc import IntegrityError

from connectors import registry
from connectors.base import CAN_PAYMENT_WEBHOOK

from ...extensions import db
from ...models import Integration, IntegrationStatus, WebhookDelivery, utcnow
from ...models.types import changed_rows
from ..accounts import encryption
from ..observability import audit

KEY_BYTES = 32  # secrets.token_urlsafe(32): 43 characters, 256 bits
MAX_HEADER_LENGTH = 200  # a longer Authorization value is refused without hashing it
DELIVERY_DAYS = 30  # how long an Idempotency-Key taken in is remembered


@dataclass(frozen=True)
class Setup:
    """What the settings page shows about payments flowing back (never the key)."""

    address: str
    events: tuple[str, ...]
    plans: tuple[str, ...]
    plan: str  # the plan the system reported at the last verification, "" when unknown
    active: bool  # deliveries are acted on only while the connection is active
    key_created_at: datetime | None
    last_delivery_at: datetime | None

    @property
    def delivery_before_key(self) -> bool:
        """The last delivery came before the current key existed: the system still sends the
        old one (or none), so the new key has not been pasted there yet."""
        return (
            self.key_created_at is not None
            and self.last_delivery_at is not None
            and self.last_delivery_at < self.key_created_at
        )


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def applies(integration: Integration | None) -> bool:
    """Payments can flow back for this integration: its system reports them by webhook, and it
    has been connected (credentials stored)."""
    if integration is None or not integration.secrets_encrypted:
        return False
    cls = registry.get(integration.system)
    return cls is not None and CAN_PAYMENT_WEBHOOK in cls.capabilities


def address(integration: Integration) -> str:
    """The absolute address the merchant enters in the system: FYNODE_PUBLIC_URL plus the path
    (never built from the request's Host header, which whoever sends the request chooses)."""
    path = url_for(f"webhooks.{integration.system}", integration_id=integration.id)
    return str(current_app.config["PUBLIC_URL"]).rstrip("/") + path


def setup(integration: Integration | None) -> Setup | None:
    if not applies(integration):
        return None
    assert integration is not None
    cls = registry.require(integration.system)
    return Setup(
        address=address(integration),
        events=cls.payment_webhook_events,
        plans=cls.payment_webhook_plans,
        plan=str((integration.verified_as or {}).get("plan") or ""),
        active=integration.status == IntegrationStatus.ACTIVE,
        key_created_at=integration.webhook_key_created_at,
        last_delivery_at=integration.webhook_received_at,
    )


# -- the key -------------------------------------------------------------------------------------
def create_key(integration: Integration) -> str:
    """A new key for the integration, replacing any earlier one at once. Returns the plain key,
    which exists only in this answer: the caller shows it once (`seal` / `unseal`)."""
    replaced = integration.webhook_key_hash is not None
    raw = secrets.token_urlsafe(KEY_BYTES)
    integration.webhook_key_hash = _hash(raw)
    integration.webhook_key_created_at = utcnow()
    audit.record("integration.webhook_key_created", integration.shop_id, system=integration.system, replaced=replaced)
    db.session.commit()
    return raw


def seal(integration: Integration, raw: str) -> str:
    """The new key wrapped for its one trip to the page that shows it."""
    return encryption.seal_for_reveal({"integration_id": integration.id, "key": raw})


def unseal(integration: Integration | None, sealed: str | None) -> str | None:
    """The key to show now, once; None when there is none, it is too old, belongs to another
    integration, or was replaced since (a key that no longer works is never shown)."""
    if integration is None or not integration.webhook_key_hash:
        return None
    data = encryption.open_for_reveal(sealed)
    if data is None:
        return None
    raw = data.get("key")
    if data.get("integration_id") != integration.id or not isinstance(raw, str):
        return None
    return raw if hmac.compare_digest(_hash(raw), integration.webhook_key_hash) else None


def authentic(integration: Integration, authorization: str | None) -> bool:
    """Does the delivery's Authorization header carry the integration's current key? Never true
    before a key was created. A "Bearer " prefix is tolerated (a merchant may type one)."""
    expected = integration.webhook_key_hash
    value = (authorization or "").strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    if not expected or not value or len(value) > MAX_HEADER_LENGTH:
        return False
    return hmac.compare_digest(_hash(value), expected)


# -- deliveries ----------------------------------------------------------------------------------
def take_in(integration: Integration, idempotency_key: str | None) -> bool:
    """Note an authenticated delivery: its time (the settings page shows it, so the merchant sees
    the webhook works) and its Idempotency-Key. False when that key was taken in already (a
    repeat: queue nothing), True otherwise."""
    now = utcnow()
    key = (idempotency_key or "").strip()
    if key:
        # Stored hashed: a fixed length whatever the sender puts there, and no vendor text kept.
        db.session.add(WebhookDelivery(shop_id=integration.shop_id, integration_id=integration.id, key_hash=_hash(key)))
        try:
            db.session.flush()
        except IntegrityError:
            # Taken in before, or by a concurrent request a moment ago: theirs stands.
            db.session.rollback()
            integration.webhook_received_at = now
            db.session.commit()
            return False
    integration.webhook_received_at = now
    db.session.commit()
    return True


def forget(integration: Integration, idempotency_key: str | None) -> None:
    """Undo `take_in`'s record of the key when the work could not be queued, so the system's
    repeat of the delivery is taken in rather than answered as a duplicate."""
    key = (idempotency_key or "").strip()
    if not key:
        return
    db.session.execute(
        db.delete(WebhookDelivery).where(
            WebhookDelivery.integration_id == integration.id, WebhookDelivery.key_hash == _hash(key)
        )
    )
    db.session.commit()


def purge_expired(now: datetime | None = None) -> int:
    """Forget Idempotency-Keys older than DELIVERY_DAYS; returns how many rows went."""
    cutoff = (now or utcnow()) - timedelta(days=DELIVERY_DAYS)
    gone = changed_rows(db.session.execute(db.delete(WebhookDelivery).where(WebhookDelivery.received_at < cutoff)))
    db.session.commit()
    return gone
