"""Demo data for local and sandbox runs (`flask seed`). Safe to run on every start."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import requests
from flask import current_app

from ..extensions import db
from ..models import Document, DocumentState, Order, OrderLine, Shop, User, utcnow
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
    if tokens.ensure_demo_token(demo.id) is not None:  # local sandbox mode only
        lines.append(f"Demo Shop API token: {tokens.DEMO_TOKEN}")
    current = activation.current_connection(demo.id)
    if current is None or current.system != "superfaktura":
        accounts = requests.get(f"{superfaktura_url}/_sandbox/accounts", timeout=5).json()
        valid = next(a for a in accounts if a["state"] == "valid")
        _integration, outcome = activation.activate(demo.id, "superfaktura", dict(valid["credentials"]))
        lines.append(f"Demo Shop -> SuperFaktura sandbox: {'connected' if outcome.ok else outcome.code}")
    else:
        lines.append(f"Demo Shop -> SuperFaktura: {current.status}")
    lines.append(_demo_engine(demo))
    return lines


# Orders the rules turn into documents at once, so the demo shows real data: one of each path.
# (number, payment, shipping, customer, events) with events as (type, extra) in order.
ENGINE_ORDERS: tuple[tuple[str, str, str, str, tuple[tuple[str, dict[str, Any]], ...]], ...] = (
    ("1050", "bank_transfer", "courier", "person", ()),  # proforma
    ("1051", "bank_transfer", "courier", "company", (("paid", {}),)),  # proforma + invoice
    ("1052", "card", "pickup_point", "person", (("paid", {}),)),  # invoice, paid
    (
        "1053",
        "card",
        "courier",
        "company",
        (("paid", {}), ("refunded", {"lines": [{"sku": "TEA-02", "quantity": "1"}]})),
    ),
    ("1054", "cod", "post", "person", (("shipped", {}),)),  # invoice on shipping
    ("1055", "cod", "courier", "person", ()),  # waits for shipping
    ("1056", "card", "courier", "person", (("paid", {}), ("cancelled", {}))),  # invoice + credit note
    ("1057", "bank_transfer", "courier", "person", (("cancelled", {}),)),  # proforma stays
    ("1058", "paypal", "courier", "company", (("paid", {}),)),
    ("1059", "card", "personal", "person", (("paid", {}), ("shipped", {}))),
    ("1060", "bank_transfer", "post", "company", (("paid", {}),)),
    ("1061", "card", "courier", "person", ()),  # not paid yet
)


def _demo_payload(number: str, payment: str, shipping: str, kind: str, index: int) -> dict:
    name = CUSTOMERS[index % 3]
    customer = {
        "type": kind,
        "name": "Ján Novák" if kind == "company" else name,
        "email": f"customer{index}@example.sk",
        "billing_address": {"street": "Hlavná 1", "city": "Bratislava", "zip": "81101", "country": "SK"},
    }
    if kind == "company":
        customer.update(company_name="Alfa Trade s.r.o.", company_id="36070961")
    return {
        "number": number,
        "created_at": (utcnow() - timedelta(days=12 - index)).isoformat() + "+00:00",
        "currency": "EUR",
        "language": "sk",
        "prices_include_vat": True,
        "customer": customer,
        "lines": [
            {
                "sku": "TEA-01",
                "name": "Zelený čaj 100 g",
                "quantity": "2",
                "unit": "ks",
                "unit_price": "12.30",
                "vat_rate": "23",
            },
            {
                "sku": "TEA-02",
                "name": "Čierny čaj 100 g",
                "quantity": str(1 + index % 3),
                "unit": "ks",
                "unit_price": "9.90",
                "vat_rate": "23",
            },
        ],
        "shipping": {"method": shipping, "name": "Doprava", "price": "3.90", "vat_rate": "23"},
        "payment": {"method": payment, "fee": "0.00", "vat_rate": "23"},
        "status": "new",
    }


def _demo_engine(shop: Shop) -> str:
    """Confirm the presets for Demo Shop and give it orders in different states with their
    documents, issued in the sandbox now (the worker would do the same a moment later)."""
    from .documents import rules, worker
    from .orders import events, intake, validation

    integration = activation.current_connection(shop.id)
    if integration is None:
        return "Demo Shop: no connection, no documents"
    if rules.presets_pending(integration):
        rules.confirm_presets(integration)
    known = set(db.session.scalars(db.select(Order.number).where(Order.shop_id == shop.id)))
    for index, (number, payment, shipping, kind, steps) in enumerate(ENGINE_ORDERS):
        if number in known:
            continue
        data, errors = validation.validate_order(_demo_payload(number, payment, shipping, kind, index))
        if data is None:
            raise RuntimeError(f"demo order {number} is invalid: {errors}")
        order, _created = intake.save_order(shop.id, data, source="api", actor="demo")
        for step, (kind_of_event, extra) in enumerate(steps):
            at = utcnow() - timedelta(days=11 - index, hours=-step - 1)
            amount = order.total if kind_of_event == "paid" else None
            if kind_of_event == "refunded":
                amount = Decimal("9.90")
            events.record_event(
                order, kind_of_event, at, reference=f"demo-{number}-{step}", amount=amount, payload=extra, actor="demo"
            )
    waiting = db.session.scalars(
        db.select(Document.id).where(
            Document.shop_id == shop.id, Document.state == DocumentState.PENDING, Document.is_test.is_(False)
        )
    ).all()
    for document_id in waiting:
        worker.process(document_id)
    created = db.session.scalar(
        db.select(db.func.count(Document.id)).where(
            Document.shop_id == shop.id, Document.state == DocumentState.CREATED, Document.is_test.is_(False)
        )
    )
    return f"Demo Shop: rules confirmed, {created} documents issued in the sandbox"


def _demo_orders(shop: Shop) -> None:
    known = set(db.session.scalars(db.select(Order.number).where(Order.shop_id == shop.id)))
    for i, number in enumerate(DEMO_ORDERS):
        if number in known:
            continue
        name = CUSTOMERS[i % 3]
        order = Order(
            shop_id=shop.id,
            number=number,
            status="paid" if i < 8 else "new",
            currency="EUR",
            language="sk",
            prices_include_vat=True,
            ordered_at=utcnow() - timedelta(days=3 * (9 - i)),
            customer={
                "type": "company" if name.endswith("s.r.o.") else "person",
                "name": name,
                "email": "customer@example.sk",
                "billing_address": {"street": "Hlavná 1", "city": "Bratislava", "zip": "81101", "country": "SK"},
            },
            shipping={"method": "courier", "name": "Courier", "price": "3.90", "vat_rate": "23"},
            payment={"method": "bank_transfer", "fee": "0.00", "vat_rate": "23"},
        )
        order.lines.append(
            OrderLine(
                shop_id=shop.id,
                position=0,
                sku=f"TEA-0{i % 3 + 1}",
                name="Green tea 100 g",
                quantity=Decimal(1 + i % 3),
                unit="ks",
                unit_price=Decimal("12.30"),
                vat_rate=Decimal("23"),
            )
        )
        order.total = order_totals(order).gross
        db.session.add(order)
    db.session.commit()
