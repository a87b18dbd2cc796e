"""Demo data for local and sandbox runs (`flask seed`). Safe to run on every start."""
from __future__ import annotations

import requests

from ..extensions import db
from ..models import Shop, User
from . import activation

USERS = (
    ("Demo Shop", "owner@demo.test", "demo-owner", "owner"),
    ("New Shop", "new@demo.test", "demo-new", "owner"),
    (None, "support@demo.test", "demo-support", "support"),
)


def _shop(name: str) -> Shop:
    shop = db.session.scalar(db.select(Shop).where(Shop.name == name))
    if shop is None:
        shop = Shop(name=name, country="SK", currency="EUR")
        db.session.add(shop)
        db.session.flush()
    return shop


def seed(superfaktura_url: str) -> list[str]:
    lines = []
    for shop_name, email, password, role in USERS:
        shop = _shop(shop_name) if shop_name else None
        user = db.session.scalar(db.select(User).where(User.email == email))
        if user is None:
            user = User(email=email, role=role, shop_id=shop.id if shop else None)
            db.session.add(user)
        user.set_password(password)
        lines.append(f"  {email:<22} {password:<14} {role}{' of ' + shop_name if shop_name else ''}")
    db.session.commit()

    demo = _shop("Demo Shop")
    current = activation.current_connection(demo.id)
    if current is None or current.system != "superfaktura":
        accounts = requests.get(f"{superfaktura_url}/_sandbox/accounts", timeout=5).json()
        valid = next(a for a in accounts if a["state"] == "valid")
        _integration, outcome = activation.activate(demo.id, "superfaktura", dict(valid["credentials"]))
        lines.append(f"Demo Shop -> SuperFaktura sandbox: {outcome.title}")
    else:
        lines.append(f"Demo Shop -> SuperFaktura: {current.status}")
    return lines
