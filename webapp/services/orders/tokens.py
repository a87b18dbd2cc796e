"""The shop's API tokens: created and revoked by the owner, stored as SHA-256 hashes only. The
plain token exists once, in the answer to "create"; afterwards the owner sees its prefix.

Demo Shop's token is the fixed `demo-shop-token`, accepted only in local sandbox mode (the seed
adds it only there, and `authenticate` refuses it anywhere else, even if a database seeded
locally ends up elsewhere)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app

from ...extensions import db
from ...models import ApiToken
from ...models.types import utcnow
from ..accounts import encryption

DEMO_TOKEN = "demo-shop-token"
TOKEN_PREFIX = "fyn_"
PREFIX_LENGTH = 12
MAX_TOKEN_LENGTH = 200
LAST_USED_EVERY = timedelta(minutes=1)  # how often using a token writes its last-used time


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def demo_token_allowed() -> bool:
    return bool(current_app.config.get("LOCAL_MODE") and current_app.config.get("ACCOUNTING_SANDBOX"))


def shop_tokens(shop_id: int) -> list[ApiToken]:
    return list(
        db.session.scalars(
            db.select(ApiToken)
            .where(ApiToken.shop_id == shop_id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
        )
    )


def _store(shop_id: int, name: str, raw: str) -> ApiToken:
    token = ApiToken(shop_id=shop_id, name=name, prefix=raw[:PREFIX_LENGTH], token_hash=hash_token(raw))
    db.session.add(token)
    db.session.commit()
    return token


def create_token(shop_id: int, name: str) -> tuple[ApiToken, str]:
    """A new token for the shop: the row, and the plain token to show the owner once."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return _store(shop_id, name.strip()[:100], raw), raw


def seal(token: ApiToken, raw: str) -> str:
    """The new token wrapped for its one trip to the page that shows it."""
    return encryption.seal_for_reveal({"shop_id": token.shop_id, "token_id": token.id, "token": raw})


def unseal(shop_id: int, sealed: str | None) -> dict[str, str] | None:
    """The token to show now, once, with its name; None when there is none, it is too old, belongs
    to another shop, or was revoked since (a token that no longer works is never shown)."""
    data = encryption.open_for_reveal(sealed)
    if data is None:
        return None
    raw = data.get("token")
    if data.get("shop_id") != shop_id or not isinstance(raw, str):
        return None
    token = db.session.scalar(
        db.select(ApiToken).where(
            ApiToken.shop_id == shop_id, ApiToken.id == data.get("token_id"), ApiToken.revoked_at.is_(None)
        )
    )
    if token is None or not secrets.compare_digest(token.token_hash, hash_token(raw)):
        return None
    return {"name": token.name, "token": raw}


def revoke_token(shop_id: int, token_id: int) -> bool:
    """Revoke one of the shop's tokens; False when the shop has no such token."""
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.shop_id == shop_id, ApiToken.id == token_id))
    if token is None:
        return False
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
    return True


def authenticate(raw: str | None) -> ApiToken | None:
    """The active token this string is, or None (unknown, revoked, or the demo token outside
    local sandbox mode)."""
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        return None
    if raw == DEMO_TOKEN and not demo_token_allowed():
        return None
    token = db.session.scalar(
        db.select(ApiToken).where(ApiToken.token_hash == hash_token(raw), ApiToken.revoked_at.is_(None))
    )
    if token is not None:
        now = utcnow()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
            token.last_used_at = now
            db.session.commit()
    return token


def ensure_demo_token(shop_id: int) -> ApiToken | None:
    """Demo Shop's fixed token, in local sandbox mode only; None elsewhere."""
    if not demo_token_allowed():
        return None
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.token_hash == hash_token(DEMO_TOKEN)))
    if token is None:
        token = _store(shop_id, "Demo", DEMO_TOKEN)
    return token
