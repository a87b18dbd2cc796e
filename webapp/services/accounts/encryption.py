"""Secrets at rest: Fernet with key rotation (MultiFernet).

ENCRYPTION_KEYS lists keys newest first: the newest encrypts, every key decrypts, so data
written under an old key stays readable during a rotation; `rotate_all` re-encrypts every
stored secret under the newest key, after which the old key can be dropped.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

from webapp.models.types import changed_rows


class SecretBox:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("ENCRYPTION_KEYS is empty")
        self._fernet = MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])

    def encrypt(self, data: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(data, sort_keys=True).encode()).decode()

    def decrypt(self, token: str | None, ttl: int | None = None) -> dict[str, Any]:
        """The decrypted data. RuntimeError when no configured key opens the token, and also,
        with `ttl`, when the token is older than `ttl` seconds."""
        if not token:
            return {}
        try:
            return json.loads(self._fernet.decrypt(token.encode(), ttl=ttl))
        except InvalidToken as exc:
            raise RuntimeError("stored secrets cannot be decrypted with the configured ENCRYPTION_KEYS") from exc

    def rotate(self, token: str | None) -> str | None:
        return self._fernet.rotate(token.encode()).decode() if token else token


def box() -> SecretBox:
    return SecretBox(current_app.config["ENCRYPTION_KEYS"])


REVEAL_SECONDS = 600  # a secret shown once must be shown within this time after its creation


def seal_for_reveal(data: dict[str, Any]) -> str:
    """A new secret (and what identifies it) wrapped for its one trip to the page that shows it
    once. It travels in the session cookie, which is signed but readable: so it travels
    encrypted, and expires after REVEAL_SECONDS."""
    return box().encrypt(data)


def open_for_reveal(sealed: str | None) -> dict[str, Any] | None:
    """What `seal_for_reveal` wrapped; None when there is nothing, it is too old, or no key opens it."""
    if not sealed:
        return None
    try:
        return box().decrypt(sealed, ttl=REVEAL_SECONDS)
    except RuntimeError:
        return None


PENDING_OAUTH = "_pending_oauth"  # an encrypted blob inside Integration.choices (oauth.py)


def rotate_all() -> int:
    """Re-encrypt every stored secret with the newest key. Returns how many values changed.

    Safe while the app runs, provided every process already has the new key in ENCRYPTION_KEYS
    (new first, old still listed) before this starts; the old key is dropped only afterwards.
    Each row is rotated in its own short transaction, and a value is replaced only if it is still
    the one that was read (compare-and-swap): a token the worker refreshed meanwhile is kept, not
    overwritten by the rotated copy of the old one, and rotated again in the next pass.
    """
    from ...extensions import db
    from ...models import Integration

    secret_box = box()
    count = 0
    ids = db.session.scalars(db.select(Integration.id).order_by(Integration.id)).all()
    db.session.commit()
    for integration_id in ids:
        for column in (Integration.secrets_encrypted, Integration.token_encrypted):
            for _attempt in range(5):
                value = db.session.scalar(db.select(column).where(Integration.id == integration_id))
                if not value:
                    break
                swapped = changed_rows(
                    db.session.execute(
                        db.update(Integration)
                        .where(Integration.id == integration_id, column == value)
                        .values({column.key: secret_box.rotate(value)})
                        .execution_options(synchronize_session=False)
                    )
                )
                db.session.commit()
                if swapped == 1:
                    count += 1
                    break
        count += _rotate_pending_oauth(integration_id, secret_box)
    db.session.expire_all()
    return count


def _rotate_pending_oauth(integration_id: int, secret_box: SecretBox) -> int:
    """The accounts offered after an OAuth consent wait encrypted in `choices`: rotate them too,
    or they would be unreadable once the old key is dropped. (JSON has no portable equality for
    a compare-and-swap: the row is locked on PostgreSQL; SQLite serialises writers.)"""
    from ...extensions import db
    from ...models import Integration

    query = db.select(Integration).where(Integration.id == integration_id)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    integration = db.session.scalar(query)
    blob = (integration.choices or {}).get(PENDING_OAUTH) if integration is not None else None
    if not blob:
        db.session.commit()
        return 0
    integration.choices = {**integration.choices, PENDING_OAUTH: secret_box.rotate(blob)}
    db.session.commit()
    return 1
