"""The audit trail: who did what, as whom."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, session
from flask_login import current_user

from ...extensions import db
from ...models import AuditEvent


def record(action: str, shop_id: int | None, **detail: Any) -> None:
    user_id = acting = None
    if has_request_context():  # the CLI and the worker act as the system itself
        user_id = getattr(current_user, "id", None)
        acting = session.get("impersonator_id")
    db.session.add(
        AuditEvent(shop_id=shop_id, user_id=user_id, acting_user_id=acting or user_id, action=action, detail=detail)
    )
