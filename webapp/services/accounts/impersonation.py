"""Support agents act as a merchant's owner to help them.

The agent gives a reason (a ticket reference); the session is read-only until the agent
switches to changes with a reason of its own (`webapp.access` refuses every change before
that); it ends after IMPERSONATION_MINUTES. Every start, switch, stop and change is audited with
both the agent (`acting_user_id`) and the merchant (`user_id`), and the merchant reads them on
the "Access by support" page. The agent's own identity is kept in the session to return to.
"""

from __future__ import annotations

import time
from typing import Any

from flask import request, session
from flask_login import current_user, login_user

from ...access import CHANGES_KEY, REASON_KEY, STARTED_KEY
from ...extensions import db
from ...models import AuditEvent, Integration, Shop, User
from . import sign_in

REASON_MAX = 200
SUPPORT_ACTIONS = (
    "support.impersonation_started",
    "support.changes_enabled",
    "support.impersonation_stopped",
    "support.action",
    "support.action_refused",
)


def shops_overview() -> list[dict]:
    shops = db.session.scalars(db.select(Shop).order_by(Shop.name)).all()
    current = {i.shop_id: i for i in db.session.scalars(db.select(Integration).where(Integration.current.is_(True)))}
    return [{"shop": s, "integration": current.get(s.id)} for s in shops]


def clean_reason(reason: str | None) -> str:
    return " ".join((reason or "").split())[:REASON_MAX]


def _event(action: str, shop_id: int | None, merchant_id: int | None, agent_id: int | None, **detail) -> None:
    db.session.add(
        AuditEvent(shop_id=shop_id, user_id=merchant_id, acting_user_id=agent_id, action=action, detail=detail)
    )


def start(shop_id: int, reason: str) -> User | None:
    """Act as the shop's owner, read-only. None when not allowed, no owner, or no reason."""
    reason = clean_reason(reason)
    if not current_user.is_support or not reason:
        return None
    owner = db.session.scalar(db.select(User).where(User.shop_id == shop_id, User.role == "owner").order_by(User.id))
    if owner is None:
        return None
    agent = current_user._get_current_object()
    _event("support.impersonation_started", shop_id, owner.id, agent.id, reason=reason, agent=agent.email)
    db.session.commit()
    sign_in.act_as(owner, agent)
    session[STARTED_KEY] = time.time()
    session[REASON_KEY] = reason
    session.pop(CHANGES_KEY, None)
    return owner


def enable_changes(reason: str) -> bool:
    """Switch the current impersonation to allow changes; needs its own reason."""
    reason = clean_reason(reason)
    agent_id = session.get(sign_in.IMPERSONATOR_KEY)
    if agent_id is None or not reason:
        return False
    _event("support.changes_enabled", current_user.shop_id, current_user.id, agent_id, reason=reason)
    db.session.commit()
    session[CHANGES_KEY] = True
    return True


def record_action(*, refused: bool, status: int | None = None) -> None:
    """One change (or refused attempt) made while acting as the merchant."""
    agent_id = session.get(sign_in.IMPERSONATOR_KEY)
    if agent_id is None:
        return
    detail: dict[str, Any] = {
        "method": request.method,
        "path": request.path[:300],
        "endpoint": request.endpoint or "",
    }
    # The route's arguments (a document's or an order's id, a system's key): the merchant reads
    # the action in words ("Retried document Invoice 2026049", support_actions.describe).
    args = {k: v for k, v in (request.view_args or {}).items() if isinstance(v, int | str)}
    if args:
        detail["args"] = args
    if status is not None:
        detail["status"] = status
    try:
        _event(
            "support.action_refused" if refused else "support.action",
            current_user.shop_id,
            current_user.id,
            agent_id,
            **detail,
        )
        db.session.commit()
    except Exception:  # the audit row must not turn the merchant's answer into a 500
        db.session.rollback()
        raise


def stop(reason: str = "stopped") -> User | None:
    agent_id = session.pop(sign_in.IMPERSONATOR_KEY, None)
    for key in (STARTED_KEY, CHANGES_KEY, REASON_KEY):
        session.pop(key, None)
    if agent_id is None:
        return None
    agent = db.session.get(User, agent_id)
    _event("support.impersonation_stopped", current_user.shop_id, current_user.id, agent_id, ended=reason)
    db.session.commit()
    if agent is None:
        return None
    login_user(agent)
    return agent


def access_history(shop_id: int, limit: int = 200) -> list[dict]:
    """What support did in this shop, newest first, with the agent's e-mail."""
    events = db.session.scalars(
        db.select(AuditEvent)
        .where(AuditEvent.shop_id == shop_id, AuditEvent.action.in_(SUPPORT_ACTIONS))
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    ).all()
    agents = {
        u.id: u.email
        for u in db.session.scalars(
            db.select(User).where(User.id.in_({e.acting_user_id for e in events if e.acting_user_id}))
        )
    }
    from .support_actions import describe

    return [
        {
            "event": e,
            "agent": agents.get(e.acting_user_id, "—"),
            "what": describe(e) if e.action in ("support.action", "support.action_refused") else "",
        }
        for e in events
    ]
