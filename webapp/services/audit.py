"""The audit trail: who did what, as whom."""
from __future__ import annotations

from typing import Any

from flask import session
from flask_login import current_user

from ..extensions import db
from ..models import AuditEvent


def record(action: str, shop_id: int | None, **detail: Any) -> None:
    user_id = getattr(current_user, "id", None) if current_user else None
    acting = session.get("impersonator_id") if session else None
    db.session.add(AuditEvent(shop_id=shop_id, user_id=user_id, acting_user_id=acting or user_id,
                              action=action, detail=detail))
