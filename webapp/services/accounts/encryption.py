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


class SecretBox:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("ENCRYPTION_KEYS is empty")
        self._fernet = MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])

    def encrypt(self, data: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(data, sort_keys=True).encode()).decode()

    def decrypt(self, token: str | None) -> dict[str, Any]:
        if not token:
            return {}
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken as exc:
            raise RuntimeError("stored secrets cannot be decrypted with the configured ENCRYPTION_KEYS") from exc

    def rotate(self, token: str | None) -> str | None:
        return self._fernet.rotate(token.encode()).decode() if token else token


def box() -> SecretBox:
    return SecretBox(current_app.config["ENCRYPTION_KEYS"])


def rotate_all() -> int:
    """Re-encrypt every stored secret with the newest key. Returns how many values changed."""
    from ...extensions import db
    from ...models import Integration

    secret_box = box()
    count = 0
    for integration in db.session.scalars(db.select(Integration)):
        for column in ("secrets_encrypted", "token_encrypted"):
            value = getattr(integration, column)
            if value:
                setattr(integration, column, secret_box.rotate(value))
                count += 1
    db.session.commit()
    return count
