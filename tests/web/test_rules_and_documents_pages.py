"""Settings -> Rules (presets in plain words, confirmation, the merchant's own rules) and the
Documents page (at a glance: waiting, failed with its hint and a retry button, issued)."""

from __future__ import annotations

from connectors import registry
from connectors.errors import VALIDATION, ConnectorError
from webapp.extensions import db
from webapp.models import Document, DocumentRule, Integration
from webapp.services.documents import rules

from .test_documents_engine import documents_of, event, make_order
from .test_import import connect


def _connected(app, owner_client, sandbox, system="superfaktura") -> int:
    return connect(app, sandbox, owner_client.user.shop_id, system)


def test_rules_page_proposes_the_presets_in_plain_words_and_issues_nothing_before_confirmation(
    app, owner_client, sandbox
):
    _connected(app, owner_client, sandbox)
    html = owner_client.get("/settings/rules/").get_data(as_text=True)
    assert "Nothing is issued by itself until you confirm" in html
    assert "When a bank transfer order is placed, issue a proforma invoice" in html
    assert "When a card or PayPal order is paid, issue an invoice" in html and "mark it paid" in html
    assert "When a cash on delivery order is shipped, issue an invoice" in html
    assert "credit note for exactly the refunded lines" in html
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(DocumentRule.id))) == 0


def test_confirming_some_presets_switches_on_exactly_those(app, owner_client, sandbox):
    integration_id = _connected(app, owner_client, sandbox)
    response = owner_client.post("/settings/rules/presets", data={"preset": ["card_invoice", "refund_credit_note"]})
    assert response.status_code == 302
    with app.app_context():
        keys = sorted(r.preset for r in rules.rules_of(db.session.get(Integration, integration_id)))
    assert keys == ["card_invoice", "refund_credit_note"]
    html = owner_client.get("/settings/rules/").get_data(as_text=True)
    assert "Add a rule" in html and "When a card or PayPal order is paid" in html
    assert "When a bank transfer order is placed" not in html


def test_a_rule_of_the_merchants_own_is_saved_and_described(app, owner_client, sandbox):
    _connected(app, owner_client, sandbox)
    owner_client.post("/settings/rules/presets", data={})
    response = owner_client.post(
        "/settings/rules/new",
        data={
            "kind": "invoice",
            "trigger": "status_changed",
            "status": "processing",
            "payment_methods": ["cod"],
            "countries": "sk, cz",
            "customer_type": "company",
            "send_email": "y",
            "language": "",
            "variable_symbol": "order_number",
            "archive_pdf": "y",
            "delay_minutes": "5",
            "enabled": "y",
            "series_id": "",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    html = owner_client.get("/settings/rules/").get_data(as_text=True)
    assert "When a cash on delivery order to SK, CZ from a company changes to “processing”" in html
    assert "e-mail it to the customer" in html and "wait 5 minutes first" in html


def test_a_bad_rule_keeps_what_was_typed_and_says_what_is_wrong(app, owner_client, sandbox):
    _connected(app, owner_client, sandbox)
    response = owner_client.post(
        "/settings/rules/new",
        data={
            "kind": "credit_note",
            "trigger": "paid",
            "countries": "SK, XX",
            "delay_minutes": "5000",
            "language": "",
            "variable_symbol": "order_number",
            "series_id": "no-such-series",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A credit note follows a refund or a cancellation." in html
    assert "Not a country code: XX" in html and 'value="SK, XX"' in html
    assert "Pick one of the series your accounting system has for this document." in html


def test_deleting_a_rule_asks_first(app, owner_client, sandbox):
    integration_id = _connected(app, owner_client, sandbox)
    owner_client.post("/settings/rules/presets", data={"preset": ["card_invoice"]})
    with app.app_context():
        [rule] = rules.rules_of(db.session.get(Integration, integration_id))
        rule_id = rule.id
    page = owner_client.get(f"/settings/rules/{rule_id}/delete").get_data(as_text=True)
    assert "Delete this rule?" in page and "When a card or PayPal order is paid" in page
    owner_client.post(f"/settings/rules/{rule_id}/delete", data={})  # no confirmation: nothing happens
    with app.app_context():
        assert db.session.get(DocumentRule, rule_id) is not None
    owner_client.post(f"/settings/rules/{rule_id}/delete", data={"confirm": "yes"})
    with app.app_context():
        assert db.session.get(DocumentRule, rule_id) is None


def test_documents_page_shows_a_failed_document_with_its_hint_and_retries_it(app, owner_client, sandbox, monkeypatch):
    _connected(app, owner_client, sandbox)
    owner_client.post("/settings/rules/presets", data={"preset": ["card_invoice"]})
    cls = registry.get("superfaktura")
    original = cls.create_document

    def refuse(self, draft, key):
        raise ConnectorError(
            VALIDATION,
            detail="bad",
            fields={"client_name": ["Fill in the customer's name."], "note": ["<script>alert(1)</script> too long"]},
        )

    monkeypatch.setattr(cls, "create_document", refuse)
    with app.app_context():
        order = make_order(owner_client.user.shop_id)
        event(order, "paid")
        [document] = documents_of(order)
        document_id = document.id
    html = owner_client.get("/documents/?state=failed").get_data(as_text=True)
    assert "Failed (1)" in html and "The accounting system rejected some data" in html
    assert "Fill in the customer&#39;s name." in html and "Try again" in html
    # The vendor's words are text, never markup.
    assert "&lt;script&gt;alert(1)&lt;/script&gt; too long" in html and "<script>alert" not in html
    monkeypatch.setattr(cls, "create_document", original)
    response = owner_client.post(f"/documents/{document_id}/retry", data={"next": "/documents/?state=failed"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/documents/?state=failed")
    html = owner_client.get("/documents/?state=created").get_data(as_text=True)
    assert "Issued (1)" in html and "View PDF" in html


def test_waiting_document_says_when_it_is_tried_again(app, owner_client, sandbox):
    _connected(app, owner_client, sandbox)
    owner_client.post("/settings/rules/presets", data={"preset": ["card_invoice"]})
    sandbox("superfaktura").fault("error_500", probability=1.0)
    with app.app_context():
        order = make_order(owner_client.user.shop_id)
        event(order, "paid")
    html = owner_client.get("/documents/?state=waiting").get_data(as_text=True)
    assert "Waiting (1)" in html and "We try again by ourselves at" in html
    assert "Try again</button>" not in html  # a waiting document needs no button


def test_one_shop_cannot_retry_or_see_another_shops_documents(app, owner_client, sandbox, make_user):
    _connected(app, owner_client, sandbox)
    with app.app_context():
        order = make_order(owner_client.user.shop_id)
        integration = db.session.scalar(db.select(Integration))
        document = Document(
            shop_id=order.shop_id,
            integration_id=integration.id,
            order_id=order.id,
            kind="invoice",
            state="failed",
            idempotency_key="x",
            last_error_code=VALIDATION,
            order_number=order.number,
        )
        db.session.add(document)
        db.session.commit()
        document_id, number = document.id, order.number
    other = app.test_client()
    make_user("other@shop.test", shop_name="Other")
    other.post("/login", data={"email": "other@shop.test", "password": "secret-pass"})
    assert other.post(f"/documents/{document_id}/retry").status_code == 404
    assert number not in other.get("/documents/").get_data(as_text=True)


def test_a_failed_document_without_an_error_code_goes_back_to_the_queue(app, owner_client, sandbox):
    """A failure recorded without a code (an older row, a hand-made fix) once made the retry
    write NULL into needs_lookup: "False OR NULL" is NULL in SQL."""
    _connected(app, owner_client, sandbox)
    with app.app_context():
        order = make_order(owner_client.user.shop_id)
        integration = db.session.scalar(db.select(Integration))
        document = Document(
            shop_id=order.shop_id,
            integration_id=integration.id,
            order_id=order.id,
            kind="invoice",
            state="failed",
            idempotency_key="no-code",
            order_number=order.number,
        )
        db.session.add(document)
        db.session.commit()
        document_id = document.id
    response = owner_client.post(f"/documents/{document_id}/retry")
    assert response.status_code == 302
    with app.app_context():
        retried = db.session.get(Document, document_id)
        assert retried.state != "failed" and retried.needs_lookup is False
