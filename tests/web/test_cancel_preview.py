"""Cancelling an order asks first and says exactly what will happen to its documents, worked out
by the same planning the button runs (in a savepoint rolled back), so nothing changes until the
merchant confirms."""

from __future__ import annotations

import re

import pytest

from webapp.extensions import db
from webapp.models import Document, Order, OrderEvent

from .conftest import login


@pytest.fixture
def demo_owner(app, clean_db, sandbox, client):
    from webapp.services import demo

    with app.app_context():
        demo.seed(sandbox("superfaktura").url)
    login(client, "owner@demo.test", "demo-owner")
    return client


def _order(app, number: str) -> tuple[int, str, int, int]:
    with app.app_context():
        order = db.session.scalar(db.select(Order).where(Order.number == number))
        documents = db.session.scalar(db.select(db.func.count()).where(Document.order_id == order.id))
        events = db.session.scalar(db.select(db.func.count()).where(OrderEvent.order_id == order.id))
        return order.id, order.status, documents, events


def _invoice(app, order_id: int) -> Document:
    with app.app_context():
        return db.session.scalar(db.select(Document).where(Document.order_id == order_id, Document.kind == "invoice"))


def _consequences(html: str) -> list[str]:
    block = re.search(r'<ul class="consequences">(.*?)</ul>', html, re.S)
    return (
        [re.sub(r"\s+", " ", li).strip() for li in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)] if block else []
    )


def test_a_paid_invoice_gets_a_credit_note_for_everything_and_nothing_changes_before_the_confirmation(app, demo_owner):
    order_id, status, documents, events = _order(app, "1052")
    invoice = _invoice(app, order_id)
    html = demo_owner.get(f"/orders/{order_id}/cancel").get_data(as_text=True)
    total = f"€{invoice.total:.2f}"
    assert _consequences(html) == [
        f"A credit note for {total} will be issued in SuperFaktura, correcting invoice {invoice.number}."
    ]
    assert _order(app, "1052") == (order_id, status, documents, events)  # the preview left no trace


def test_a_partly_refunded_order_is_credited_for_the_rest_only(app, demo_owner):
    order_id, *_ = _order(app, "1053")
    with app.app_context():
        notes = db.session.scalars(
            db.select(Document).where(Document.order_id == order_id, Document.kind == "credit_note")
        ).all()
        rest = _invoice(app, order_id).total - sum(abs(n.total) for n in notes)  # stored as the system shows it
    html = demo_owner.get(f"/orders/{order_id}/cancel").get_data(as_text=True)
    assert len(notes) == 1 and rest > 0
    assert _consequences(html)[0].startswith(f"A credit note for €{rest:.2f} will be issued in SuperFaktura")


def test_an_order_with_only_a_proforma_keeps_it_and_says_so(app, demo_owner):
    order_id, *_ = _order(app, "1050")
    with app.app_context():
        proforma = db.session.scalar(db.select(Document).where(Document.order_id == order_id))
        assert proforma.kind == "proforma" and proforma.state == "created"
    [sentence] = _consequences(demo_owner.get(f"/orders/{order_id}/cancel").get_data(as_text=True))
    assert sentence.startswith(f"Proforma {proforma.number} stays in SuperFaktura")


def test_an_order_without_documents_says_none_will_be_issued_in_polish_too(app, demo_owner):
    order_id, *_ = _order(app, "1055")
    demo_owner.post("/language", data={"lang": "pl", "next": "/"})
    html = demo_owner.get(f"/orders/{order_id}/cancel").get_data(as_text=True)
    assert _consequences(html) == [] and 'class="consequences"' not in html
    assert "No document will be issued" not in html  # translated
    with app.app_context():
        from flask_babel import force_locale, gettext

        with force_locale("pl"):
            expected = gettext(
                "No document will be issued or changed: your rules ask for none when this order is cancelled."
            )
    assert expected in html


def test_confirming_does_what_the_page_said(app, demo_owner):
    order_id, *_ = _order(app, "1052")
    page = demo_owner.get(f"/orders/{order_id}/cancel").get_data(as_text=True)
    stamp = re.search(r'name="stamp" value="([^"]+)"', page).group(1)
    demo_owner.post(f"/orders/{order_id}/cancel", data={"confirm": "1", "stamp": stamp})
    with app.app_context():
        notes = db.session.scalars(
            db.select(Document).where(Document.order_id == order_id, Document.kind == "credit_note")
        ).all()
    assert [abs(n.total) for n in notes] == [_invoice(app, order_id).total]
