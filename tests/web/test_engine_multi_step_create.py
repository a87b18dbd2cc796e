"""Exactly once when creating a document takes more than one request: Fakturoid creates the
invoice, then records its payment in a second request. A refusal of that second request does
not mean nothing was created."""

from __future__ import annotations

from datetime import timedelta

from webapp.models import utcnow
from webapp.services.documents import worker

from .test_documents_engine import documents_of, engine, event, make_order  # noqa: F401 (fixture)


def test_an_invoice_whose_payment_was_refused_is_found_on_retry_not_created_again(app, engine):
    client = engine.connect("fakturoid")
    client.fault("rate_limit", probability=1.0, operations=["mark_paid"], seconds=1)
    order = make_order(engine.shop_id, payment="card", country="CZ", currency="CZK")
    event(order, "paid")
    [invoice] = documents_of(order)
    assert invoice.state == "pending" and invoice.last_error_code == "rate_limited"
    assert invoice.needs_lookup, "the create may have landed: the next attempt must look first"
    client.fault("none")
    worker.sweep(now=utcnow() + timedelta(hours=3))
    [invoice] = documents_of(order)
    in_system = [d for d in client.documents() if d["order_no"] == order.number and d["type"] == "invoice"]
    assert invoice.state == "created" and len(in_system) == 1
    assert in_system[0]["status"] == "paid" and invoice.remote_id == in_system[0]["id"]
