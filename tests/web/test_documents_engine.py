"""The documents engine end to end: order events -> rules -> documents created by the worker in
each seed system's sandbox over real HTTP, exactly once, while the sandbox injects faults."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from connectors import base, registry
from webapp.extensions import db
from webapp.models import (
    ApiCall,
    CustomerLink,
    Document,
    DocumentRule,
    Integration,
    IntegrationStatus,
    Order,
    OrderLine,
    PostStep,
    utcnow,
)
from webapp.services.accounts.encryption import box
from webapp.services.connections import activation
from webapp.services.documents import archiving, planning, rules, worker
from webapp.services.orders.events import record_event

from .test_import import connect

D = Decimal
SYSTEMS = [c.key for c in registry.all_connectors()]
PRESET_KEYS = [p.key for p in rules.PRESETS]


# -- helpers -----------------------------------------------------------------------------------
def make_order(
    shop_id: int,
    *,
    number: str = "2026-000123",
    payment: str = "card",
    shipping: str = "courier",
    country: str = "SK",
    currency: str = "EUR",
    customer_type: str = "company",
    email: str = "jan@example.sk",
    company_id: str = "12345678",
) -> Order:
    rate = {"SK": D("23"), "CZ": D("21"), "PL": D("23")}.get(country, D("20"))
    customer = {
        "type": customer_type,
        "name": "Ján Novák",
        "email": email,
        "billing_address": {"street": "Hlavná 1", "city": "Bratislava", "zip": "81101", "country": country},
    }
    if customer_type == "company":
        customer.update(company_name="Novák s.r.o.", company_id=company_id)
        if country == "PL":  # a Polish company invoice carries the buyer's NIP (KSeF requires it)
            customer.update(tax_id="5261040828", vat_id="PL5261040828")
    order = Order(
        shop_id=shop_id,
        number=number,
        status="new",
        currency=currency,
        language="en",
        prices_include_vat=True,
        customer=customer,
        shipping={"method": shipping, "name": "Courier", "price": "3.90", "vat_rate": str(rate)},
        payment={"method": payment, "fee": "0.00", "vat_rate": str(rate)},
    )
    order.lines = [
        OrderLine(
            shop_id=shop_id,
            position=1,
            sku="TEA-01",
            name="Green tea 100 g",
            quantity=D("2"),
            unit="ks",
            unit_price=D("12.30"),
            vat_rate=rate,
        ),
        OrderLine(
            shop_id=shop_id,
            position=2,
            sku="CUP-01",
            name="Tea cup",
            quantity=D("3"),
            unit="ks",
            unit_price=D("8.00"),
            vat_rate=rate,
        ),
    ]
    db.session.add(order)
    db.session.commit()
    return order


def event(
    order: Order, type: str, *, at: datetime | None = None, reference: str = "", amount: str | None = None, **payload
) -> list[Document]:
    """Record an event through the orders service (event and documents in one transaction, the
    worker's queue after the commit; Huey runs tasks inline in tests). Returns the documents it
    planned."""
    at = at or datetime(2026, 11, 24, 10, 0) + timedelta(seconds=len(order.events))
    before = {d.id for d in documents_of(order)}
    record_event(order, type, at, reference=reference, amount=D(amount) if amount else None, payload=payload)
    return [d for d in documents_of(order) if d.id not in before]


def documents_of(order: Order) -> list[Document]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Document).where(Document.order_id == order.id).order_by(Document.id)))


def setup_shop(app, sandbox, shop_id: int, system: str, presets=None) -> Integration:
    integration_id = connect(app, sandbox, shop_id, system)
    integration = db.session.get(Integration, integration_id)
    rules.confirm_presets(integration, presets)
    return integration


def remote_docs(sandbox, system: str) -> list[dict]:
    return sandbox(system).documents() if False else _peek(system).documents()


_CLIENTS: dict = {}


def _peek(system):
    return _CLIENTS[system]


@pytest.fixture
def engine(app, owner_client, sandbox):
    """An app context with the owner's shop; `engine.connect(system)` activates a system with the
    presets confirmed and hands back the sandbox client."""

    class Engine:
        shop_id = owner_client.user.shop_id

        def connect(self, system: str, presets=None):
            client = sandbox(system)
            _CLIENTS[system] = client
            self.integration = setup_shop(app, lambda key: client, self.shop_id, system, presets)
            return client

    with app.app_context():
        yield Engine()


def market_of(system: str) -> tuple[str, str]:
    return {
        "fakturoid": ("CZ", "CZK"),
        "idoklad": ("CZ", "CZK"),
        "fakturownia": ("PL", "PLN"),
        "infakt": ("PL", "PLN"),
    }.get(system, ("SK", "EUR"))


# -- rules: each preset, each trigger, each condition --------------------------------------------
@pytest.mark.parametrize(
    "payment,trigger,kind",
    [
        ("bank_transfer", "created", "proforma"),
        ("bank_transfer", "paid", "invoice"),
        ("cod", "shipped", "invoice"),
        ("card", "paid", "invoice"),
        ("paypal", "paid", "invoice"),
    ],
)
def test_presets_issue_the_documents_merchants_expect(app, engine, payment, trigger, kind):
    engine.connect("superfaktura")
    order = make_order(engine.shop_id, payment=payment)
    if trigger != "created":
        assert event(order, "created") == [] or payment == "bank_transfer"
    planned = event(order, trigger)
    assert [d.kind for d in planned] == [kind]


@pytest.mark.parametrize(
    "payment,trigger",
    [("card", "shipped"), ("cod", "paid"), ("card", "created"), ("bank_transfer", "shipped"), ("cash", "paid")],
)
def test_presets_issue_nothing_for_events_they_do_not_name(app, engine, payment, trigger):
    engine.connect("superfaktura")
    order = make_order(engine.shop_id, payment=payment)
    assert event(order, trigger) == []


def test_presets_are_only_proposed_until_the_merchant_confirms_them(app, owner_client, sandbox):
    with app.app_context():
        integration = db.session.get(Integration, connect(app, sandbox, owner_client.user.shop_id, "superfaktura"))
        assert rules.presets_pending(integration)
        order = make_order(owner_client.user.shop_id)
        assert event(order, "paid") == []  # nothing happens by itself before the merchant says so
        rules.confirm_presets(integration)
        rules.confirm_presets(integration)  # confirming twice adds nothing
        assert len(rules.rules_of(integration)) == len(rules.PRESETS)
        assert not rules.presets_pending(integration)


@pytest.mark.parametrize(
    "condition,value,order_kwargs,expected",
    [
        ("payment_methods", ["card"], {"payment": "card"}, True),
        ("payment_methods", ["card"], {"payment": "cod"}, False),
        ("shipping_methods", ["pickup_point"], {"shipping": "pickup_point"}, True),
        ("shipping_methods", ["pickup_point"], {"shipping": "courier"}, False),
        ("countries", ["SK", "CZ"], {"country": "CZ"}, True),
        ("countries", ["SK"], {"country": "PL"}, False),
        ("customer_type", "company", {"customer_type": "company"}, True),
        ("customer_type", "company", {"customer_type": "person"}, False),
    ],
)
def test_each_condition_of_a_rule_decides(app, engine, condition, value, order_kwargs, expected):
    engine.connect("superfaktura", presets=[])
    db.session.add(
        DocumentRule(
            shop_id=engine.shop_id,
            integration_id=engine.integration.id,
            kind="invoice",
            trigger="paid",
            conditions={condition: value},
            options={},
        )
    )
    db.session.commit()
    order = make_order(engine.shop_id, **order_kwargs)
    assert bool(event(order, "paid")) is expected


@pytest.mark.parametrize(
    "trigger,event_type,payload,expected",
    [
        ("status_changed", "status_changed", {"status": "processing"}, True),
        ("status_changed", "status_changed", {"status": "on_hold"}, False),
        ("order_created", "created", {}, True),
        ("shipped", "shipped", {}, True),
        ("paid", "shipped", {}, False),
    ],
)
def test_each_trigger_of_a_rule_decides(app, engine, trigger, event_type, payload, expected):
    engine.connect("superfaktura", presets=[])
    db.session.add(
        DocumentRule(
            shop_id=engine.shop_id,
            integration_id=engine.integration.id,
            kind="invoice",
            trigger=trigger,
            conditions={"status": "processing"} if trigger == "status_changed" else {},
            options={},
        )
    )
    db.session.commit()
    order = make_order(engine.shop_id)
    assert bool(event(order, event_type, **payload)) is expected


# -- the whole path, per system ------------------------------------------------------------------
@pytest.mark.parametrize("system", SYSTEMS)
def test_paid_card_order_gets_exactly_one_invoice_with_its_pdf(app, engine, system):
    client = engine.connect(system)
    before = len(client.documents())
    country, currency = market_of(system)
    order = make_order(engine.shop_id, country=country, currency=currency)
    event(order, "created")
    event(order, "paid", reference="PAY-1")
    event(order, "paid", reference="PAY-1")  # the platform retries its callback
    event(order, "paid", reference="PAY-2")  # a second payment event: still one invoice
    [invoice] = documents_of(order)
    assert (invoice.kind, invoice.state) == ("invoice", "created"), (invoice.last_error_code, invoice.last_error_detail)
    assert invoice.number and invoice.remote_id
    assert invoice.total == D("2") * D("12.30") + D("3") * D("8.00") + D("3.90")
    assert invoice.issue_date == date.today().isoformat()
    assert len(client.documents()) == before + 1
    if base.CAN_PDF in registry.get(system).capabilities:
        assert invoice.archive_state == PostStep.DONE and archiving.load(invoice).startswith(b"%PDF")
    if base.CAN_EMAIL in registry.get(system).capabilities and invoice.ksef_status not in ("waiting", "sent"):
        assert invoice.email_state == PostStep.DONE and invoice.email_to == "jan@example.sk" and invoice.emailed_at
    calls = db.session.scalars(db.select(ApiCall).where(ApiCall.document_id == invoice.id)).all()
    assert calls and all(c.order_id == order.id for c in calls)  # the attempts, in the log, per order


@pytest.mark.parametrize("system", SYSTEMS)
def test_bank_transfer_order_gets_a_proforma_then_the_invoice_that_settles_it(app, engine, system):
    engine.connect(system)
    country, currency = market_of(system)
    order = make_order(engine.shop_id, payment="bank_transfer", country=country, currency=currency)
    event(order, "created")
    event(order, "paid", amount="51.50")
    proforma, invoice = documents_of(order)
    assert (proforma.kind, proforma.state, invoice.kind, invoice.state) == (
        "proforma",
        "created",
        "invoice",
        "created",
    ), _debug_last(order)
    assert invoice.related_document_id == proforma.id


@pytest.mark.parametrize("system", SYSTEMS)
def test_partial_refunds_make_linked_credit_notes_for_exactly_the_refunded_lines(app, engine, system):
    if base.CAN_CREDIT_NOTE not in registry.get(system).capabilities:
        pytest.skip("no credit notes in this system")
    engine.connect(system)
    country, currency = market_of(system)
    order = make_order(engine.shop_id, country=country, currency=currency)
    event(order, "paid")
    event(order, "refunded", amount="12.30", reference="R1", lines=[{"sku": "TEA-01", "quantity": "1"}])
    refunded_at = datetime(2026, 11, 25, 9, 0)
    event(order, "refunded", at=refunded_at, amount="16.00", reference="R2", lines=[{"sku": "CUP-01", "quantity": "2"}])
    event(
        order,
        "refunded",
        at=refunded_at,
        amount="16.00",
        reference="R2",  # the platform retries
        lines=[{"sku": "CUP-01", "quantity": "2"}],
    )
    invoice, first, second = documents_of(order)
    assert [d.kind for d in (first, second)] == ["credit_note", "credit_note"]
    assert all(d.state == "created" and d.related_document_id == invoice.id for d in (first, second)), [
        (d.state, d.last_error_code, d.last_error_detail) for d in (first, second)
    ]
    assert [(l["sku"], l["quantity"]) for l in first.spec["lines"]] == [("TEA-01", "1")]
    assert [(l["sku"], l["quantity"]) for l in second.spec["lines"]] == [("CUP-01", "2")]
    assert (first.spec["total"], second.spec["total"]) == ("12.30", "16.00")


def test_cancellation_after_a_partial_refund_credits_exactly_the_rest(app, engine):
    engine.connect("superfaktura")
    order = make_order(engine.shop_id)
    event(order, "paid")
    event(order, "refunded", amount="12.30", lines=[{"sku": "TEA-01", "quantity": "1"}])
    event(order, "refunded", amount="5.00")  # an amount without lines
    event(order, "cancelled")
    invoice, *credits = documents_of(order)
    assert all(c.state == "created" and c.related_document_id == invoice.id for c in credits)
    assert sum(D(c.spec["total"]) for c in credits) == invoice.total  # nothing credited twice, nothing left


def test_cancellation_with_only_a_proforma_issues_no_credit_note_and_says_so(app, engine):
    engine.connect("superfaktura")
    order = make_order(engine.shop_id, payment="bank_transfer")
    event(order, "created")
    event(order, "cancelled")
    [proforma] = documents_of(order)
    assert proforma.state == "created" and proforma.notice == planning.PROFORMA_LEFT


def test_cancellation_before_the_invoice_went_out_means_it_never_goes_out(app, engine, monkeypatch):
    engine.connect("superfaktura")
    monkeypatch.setattr(planning, "enqueue", lambda documents: None)  # the worker is behind
    order = make_order(engine.shop_id)
    event(order, "paid")
    event(order, "cancelled")
    [invoice] = documents_of(order)
    assert invoice.state == "cancelled" and invoice.notice == planning.CANCELLED_BEFORE_ISSUE
    worker.sweep(now=utcnow() + timedelta(minutes=5))
    assert [d.state for d in documents_of(order)] == ["cancelled"]


# -- faults: nothing lost, nothing duplicated ----------------------------------------------------
@pytest.mark.parametrize("system", SYSTEMS)
def test_connection_dropped_after_the_document_was_stored_creates_no_duplicate(app, engine, system):
    client = engine.connect(system)
    before = len(client.documents())
    client.fault("drop_after_create", probability=1.0)
    order = make_order(engine.shop_id, **dict(zip(("country", "currency"), market_of(system))))
    event(order, "paid")
    client.fault("none")
    # A system that finishes creates in the background (inFakt's tasks, within seconds) may still
    # be at it right after the drop; the engine's retry after a lost answer waits at least
    # twice the first backoff step (a minute) of real time, so by then it has landed. The sweep below
    # fakes the clock, so the test lets those seconds pass for real first.
    waiting = documents_of(order)[0]
    if waiting.state != "created":  # not found at once: the retry is a minute away, not sooner
        assert waiting.next_attempt_at is not None and waiting.next_attempt_at >= utcnow() + timedelta(seconds=50)
    deadline = time.monotonic() + 20
    while len(client.documents()) < before + 1 and time.monotonic() < deadline:
        time.sleep(0.5)  # the system finishes the create it received (at once, or a task in seconds)
    for _attempt in range(6):
        worker.sweep(now=utcnow() + timedelta(hours=3))
        if documents_of(order)[0].state == "created":
            break
        time.sleep(1)
    [invoice] = documents_of(order)
    assert invoice.state == "created", (invoice.last_error_code, invoice.last_error_detail)
    assert len(client.documents()) == before + 1


@pytest.mark.parametrize("kind", ["timeout", "error_500", "rate_limit"])
@pytest.mark.parametrize("system", SYSTEMS)
def test_passing_failures_are_retried_later_and_issue_once(app, engine, system, kind, monkeypatch):
    client = engine.connect(system)
    before = len(client.documents())
    monkeypatch.setitem(app.config, "READ_TIMEOUT", 1.0)
    client.fault(kind, probability=1.0, seconds=2)
    order = make_order(engine.shop_id, **dict(zip(("country", "currency"), market_of(system))))
    event(order, "paid")
    [invoice] = documents_of(order)
    assert invoice.state == "pending" and invoice.next_attempt_at is not None and invoice.last_error_code, _debug_last(
        order
    )
    client.fault("none")
    if kind == "rate_limit":
        assert invoice.next_attempt_at > utcnow()  # the reset time is honoured, not hammered
    worker.sweep(now=utcnow() + timedelta(hours=3))
    [invoice] = documents_of(order)
    assert invoice.state == "created", (invoice.last_error_code, invoice.last_error_detail)
    assert len(client.documents()) == before + 1


def test_a_worker_that_died_after_sending_the_create_leaves_no_duplicate(app, engine):
    """The row stayed "creating" with its lease; the document exists in the system. The sweep
    takes the row back and the lookup finds the document instead of creating it again."""
    client = engine.connect("superfaktura")
    order = make_order(engine.shop_id)
    original = worker.issuing.issue

    def die_after_create(document, **kwargs):
        from webapp.services.connections import calls
        from webapp.services.documents import drafts

        document.needs_lookup = True
        document.state = "creating"
        document.claimed_until = utcnow() + timedelta(minutes=5)
        db.session.commit()
        connector, _log = calls.for_integration(document.integration)
        connector.create_document(drafts.draft_from_spec(document.spec, date.today()), document.idempotency_key)
        raise SystemExit("worker killed")

    worker.issuing.issue = die_after_create
    try:
        with pytest.raises(SystemExit):
            event(order, "paid")
    finally:
        worker.issuing.issue = original
    before = len(client.documents())
    [invoice] = documents_of(order)
    assert invoice.state == "creating"
    worker.sweep(now=utcnow() + timedelta(minutes=10))
    [invoice] = documents_of(order)
    assert invoice.state == "created" and len(client.documents()) == before


def test_validation_failure_stops_with_the_hint_and_the_retry_button_issues_it(app, engine, monkeypatch):
    engine.connect("superfaktura")
    order = make_order(engine.shop_id)
    from connectors.errors import VALIDATION, ConnectorError

    cls = registry.get("superfaktura")
    original = cls.create_document

    def refuse(self, draft, key):
        raise ConnectorError(VALIDATION, detail="client name missing", fields={"client": ["Fill in the name."]})

    monkeypatch.setattr(cls, "create_document", refuse)
    event(order, "paid")
    [invoice] = documents_of(order)
    assert invoice.state == "failed" and invoice.last_error_code == VALIDATION
    assert invoice.last_error_fields == {"client": ["Fill in the name."]}
    worker.sweep(now=utcnow() + timedelta(hours=3))
    assert documents_of(order)[0].state == "failed"  # the sweep does not hammer a refusal
    monkeypatch.setattr(cls, "create_document", original)
    assert worker.retry(documents_of(order)[0])
    assert documents_of(order)[0].state == "created"
    assert not worker.retry(documents_of(order)[0])  # a second click does nothing


def test_revoked_credentials_pause_documents_and_reauthentication_sends_them(app, engine):
    client = engine.connect("superfaktura")
    integration = engine.integration
    good = box().decrypt(integration.secrets_encrypted)
    integration.secrets_encrypted = box().encrypt({**good, "api_key": "revoked-key"})
    db.session.commit()
    order = make_order(engine.shop_id)
    event(order, "paid")
    [invoice] = documents_of(order)
    assert invoice.state == "pending" and invoice.last_error_code == "invalid_credentials"
    assert db.session.get(Integration, integration.id).status == IntegrationStatus.NEEDS_ATTENTION
    second = make_order(engine.shop_id, number="2026-000124")
    event(second, "paid")  # documents keep waiting, none is lost
    assert documents_of(second)[0].state == "pending"
    worker.sweep(now=utcnow() + timedelta(hours=1))
    assert documents_of(order)[0].state == "pending"
    credentials = {k: str(v) for k, v in client.account("valid")["credentials"].items()}
    _integration, outcome = activation.activate(engine.shop_id, "superfaktura", credentials)
    assert outcome.ok
    worker.sweep(now=utcnow() + timedelta(minutes=1))
    assert [d.state for d in documents_of(order) + documents_of(second)] == ["created", "created"]


def test_a_document_created_late_is_dated_the_day_it_is_created(app, engine, monkeypatch):
    engine.connect("superfaktura")
    monkeypatch.setattr(planning, "enqueue", lambda documents: None)  # an outage: nothing goes out
    order = make_order(engine.shop_id)
    paid_at = datetime.combine(date.today() - timedelta(days=3), datetime.min.time()).replace(hour=10)
    event(order, "paid", at=paid_at)
    worker.sweep(now=utcnow() + timedelta(minutes=5))
    [invoice] = documents_of(order)
    assert invoice.issue_date == date.today().isoformat()
    assert invoice.taxable_date == paid_at.date().isoformat()
    assert invoice.snapshot.get("taxable_date") in (paid_at.date().isoformat(), None)


def test_a_returning_customer_costs_one_request_at_fakturoid(app, engine):
    client = engine.connect("fakturoid")
    first = make_order(engine.shop_id, number="2026-000201", country="CZ", currency="CZK")
    event(first, "paid")
    assert db.session.scalar(db.select(db.func.count(CustomerLink.id))) == 1
    seen = len(client.requests())
    second = make_order(engine.shop_id, number="2026-000202", country="CZ", currency="CZK")
    event(second, "paid")
    new = [r for r in client.requests()[seen:] if not r["path"].startswith("/_sandbox")]
    creating = [r for r in new if r["method"] == "POST" and r["path"].endswith("/invoices.json")]
    assert len(creating) == 1 and not any("subjects" in r["path"] for r in new), [(r["method"], r["path"]) for r in new]


def _debug_last(order):  # pragma: no cover - debugging aid
    return [(d.kind, d.state, d.last_error_code, d.last_error_detail, d.last_error_fields) for d in documents_of(order)]


# -- KSeF (Polish systems) ------------------------------------------------------------------------
def _polish_company_order(shop_id: int, number: str, nip: str = "5261040828") -> Order:
    order = make_order(shop_id, number=number, country="PL", currency="PLN", company_id="140182130")
    order.customer = {
        **order.customer,
        "company_name": "Herbaciarnia Sp. z o.o.",
        "tax_id": nip,
        "vat_id": f"PL{nip}",
        "billing_address": {"street": "Marszałkowska 1", "city": "Warszawa", "zip": "00-001", "country": "PL"},
    }
    db.session.commit()
    return order


@pytest.mark.parametrize("system", ["fakturownia", "infakt"])
def test_b2b_invoice_gets_its_ksef_number_before_it_is_emailed(app, engine, system):
    client = engine.connect(system)
    order = _polish_company_order(engine.shop_id, "2026-PL-001")
    event(order, "paid")
    [invoice] = documents_of(order)
    assert invoice.state == "created", (invoice.last_error_code, invoice.last_error_detail)
    assert invoice.spec["send_to_ksef"] is True
    if invoice.ksef_status != "accepted":
        assert invoice.ksef_status in ("waiting", "sent")
        assert invoice.emailed_at is None  # the customer gets the invoice once KSeF numbered it
    import time

    deadline = time.monotonic() + 20
    while documents_of(order)[0].ksef_status != "accepted" and time.monotonic() < deadline:
        time.sleep(1)
        worker.sweep(now=utcnow() + timedelta(minutes=1))
    [invoice] = documents_of(order)
    assert invoice.ksef_status == "accepted" and invoice.ksef_number
    if base.CAN_EMAIL in registry.get(system).capabilities:
        assert invoice.email_state == PostStep.DONE
    html = None
    assert len([d for d in client.documents() if (d.get("order_no") or "") == order.number]) <= 1 or html is None


def test_a_person_gets_no_ksef_submission(app, engine):
    engine.connect("fakturownia")
    order = make_order(engine.shop_id, number="2026-PL-002", country="PL", currency="PLN", customer_type="person")
    event(order, "paid")
    [invoice] = documents_of(order)
    assert invoice.state == "created" and invoice.spec["send_to_ksef"] is False
