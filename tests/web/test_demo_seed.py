"""`flask seed`: Demo Shop starts with its rules confirmed and orders in different states whose
documents were issued in the SuperFaktura sandbox, so the demo shows real data at once."""

from __future__ import annotations

from collections import Counter

from webapp.extensions import db
from webapp.models import Document, Order
from webapp.services import demo


def test_seed_gives_demo_shop_orders_with_their_documents_and_is_safe_to_run_again(app, clean_db, sandbox):
    client = sandbox("superfaktura")
    with app.app_context():
        lines = demo.seed(client.url)
        assert any("documents issued in the sandbox" in line for line in lines)
        documents = db.session.scalars(
            db.select(Document).where(Document.is_test.is_(False), Document.state != "imported")
        ).all()
        kinds = Counter((d.kind, d.state) for d in documents)
        assert kinds[("proforma", "created")] >= 3 and kinds[("invoice", "created")] >= 7
        assert kinds[("credit_note", "created")] == 2  # a partial refund and a cancellation
        assert all(d.state in ("created", "cancelled") for d in documents), [
            (d.kind, d.state, d.last_error_code, d.last_error_detail) for d in documents if d.state != "created"
        ]
        refunded = db.session.scalar(db.select(Order).where(Order.number == "1053"))
        credit = next(d for d in documents if d.order_id == refunded.id and d.kind == "credit_note")
        assert credit.related.kind == "invoice" and credit.related.order_id == refunded.id
        count, in_sandbox = len(documents), len(client.documents())
        demo.seed(client.url)  # every start runs it again
        assert (
            db.session.scalar(
                db.select(db.func.count(Document.id)).where(Document.is_test.is_(False), Document.state != "imported")
            )
            == count
        )
        assert len(client.documents()) == in_sandbox


def test_a_sync_check_of_the_demo_shop_finds_no_difference(app, clean_db, sandbox):
    """The demo's credit notes (a partial refund, a cancellation) match SuperFaktura's, whose
    credit-note amounts are negative: the check once reported "9.90 here, -9.90 in SuperFaktura"."""
    from datetime import date

    from webapp.models import Shop
    from webapp.services.connections import activation
    from webapp.services.documents import sync

    client = sandbox("superfaktura")
    with app.app_context():
        demo.seed(client.url)
        shop = db.session.scalar(db.select(Shop).where(Shop.name == "Demo Shop"))
        integration = activation.current_connection(shop.id)
        job = sync.start_check(integration, period=(date(2020, 1, 1), date(2099, 12, 31)))
        assert job.state == "done", (job.error_code, job.error_detail)
        assert job.result["checked"] >= 10
        assert [(r["kind"], r["number"], r["code"], r["params"]) for r in job.result["mismatches"]] == []
