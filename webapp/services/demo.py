"""Demo data for local and sandbox runs (`flask seed`). Safe to run on every start."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import requests
from flask import current_app

from ..extensions import db
from ..models import Order, OrderLine, Shop, User, utcnow
from .connections import activation
from .orders import tokens
from .orders.totals import order_totals

# Demo Shop's latest orders. 1040-1047 were invoiced earlier in the SuperFaktura sandbox (its seeded
# invoices carry order numbers 1000-1047), so an import shows them matched; 1048 and 1049 are new.
DEMO_ORDERS = [str(n) for n in range(1040, 1050)]
CUSTOMERS = ("Ján Novák", "Eva Kováčová", "Alfa Trade s.r.o.")

DEMO_DOMAIN = "demo.test"
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


class NotLocalMode(RuntimeError):
    """Demo data asked for outside local mode."""


def is_demo_login(email: str | None) -> bool:
    """A demo account (known passwords, printed in the README): usable in local mode only."""
    return (email or "").lower().endswith("@" + DEMO_DOMAIN)


def seed(superfaktura_url: str) -> list[str]:
    if not current_app.config["LOCAL_MODE"]:
        raise NotLocalMode("demo data exists in local mode only (FYNODE_LOCAL=1)")
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
    _demo_orders(demo)
    if tokens.ensure_demo_token(demo.id) is not None:   # local sandbox mode only
        lines.append(f"Demo Shop API token: {tokens.DEMO_TOKEN}")
    current = activation.current_connection(demo.id)
    if current is None or current.system != "superfaktura":
        accounts = requests.get(f"{superfaktura_url}/_sandbox/accounts", timeout=5).json()
        valid = next(a for a in accounts if a["state"] == "valid")
        _integration, outcome = activation.activate(demo.id, "superfaktura", dict(valid["credentials"]))
        lines.append(f"Demo Shop -> SuperFaktura sandbox: {'connected' if outcome.ok else outcome.code}")
    else:
        lines.append(f"Demo Shop -> SuperFaktura: {current.status}")
    return lines


def _demo_orders(shop: Shop) -> None:
    known = set(db.session.scalars(db.select(Order.number).where(Order.shop_id == shop.id)))
    for i, number in enumerate(DEMO_ORDERS):
        if number in known:
            continue
        name = CUSTOMERS[i % 3]
        order = Order(shop_id=shop.id, number=number, status="paid" if i < 8 else "new", currency="EUR",
                      language="sk", prices_include_vat=True, ordered_at=utcnow() - timedelta(days=3 * (9 - i)),
                      customer={"type": "company" if name.endswith("s.r.o.") else "person", "name": name,
                                "email": "customer@example.sk",
                                "billing_address": {"street": "Hlavná 1", "city": "Bratislava", "zip": "81101",
                                                    "country": "SK"}},
                      shipping={"method": "courier", "name": "Courier", "price": "3.90", "vat_rate": "23"},
                      payment={"method": "bank_transfer", "fee": "0.00", "vat_rate": "23"})
        order.lines.append(OrderLine(shop_id=shop.id, position=0, sku=f"TEA-0{i % 3 + 1}", name="Green tea 100 g",
                                     quantity=Decimal(1 + i % 3), unit="ks", unit_price=Decimal("12.30"),
                                     vat_rate=Decimal("23")))
        order.total = order_totals(order).gross
        db.session.add(order)
    db.session.commit()
