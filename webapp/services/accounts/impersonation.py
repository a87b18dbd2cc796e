"""Support agents act as a merchant's owner to help them; every start and stop is audited, and
the agent's own identity is kept in the session to return to."""
from __future__ import annotations

from flask import session
from flask_login import current_user, login_user

from ...extensions import db
from ...models import AuditEvent, Integration, Shop, User
from ..observability import audit
from . import sign_in


def shops_overview() -> list[dict]:
    shops = db.session.scalars(db.select(Shop).order_by(Shop.name)).all()
    current = {i.shop_id: i for i in db.session.scalars(
        db.select(Integration).where(Integration.current.is_(True)))}
    return [{"shop": s, "integration": current.get(s.id)} for s in shops]


def start(shop_id: int) -> User | None:
    if not current_user.is_support:
        return None
    owner = db.session.scalar(db.select(User).where(User.shop_id == shop_id, User.role == "owner")
                              .order_by(User.id))
    if owner is None:
        return None
    agent = current_user._get_current_object()
    audit.record("support.impersonation_started", shop_id, owner=owner.email)
    db.session.commit()
    sign_in.act_as(owner, agent)
    return owner


def stop() -> User | None:
    agent_id = session.pop(sign_in.IMPERSONATOR_KEY, None)
    if agent_id is None:
        return None
    agent = db.session.get(User, agent_id)
    db.session.add(AuditEvent(shop_id=current_user.shop_id, user_id=current_user.id, acting_user_id=agent_id,
                              action="support.impersonation_stopped", detail={}))
    db.session.commit()
    login_user(agent)
    return agent
