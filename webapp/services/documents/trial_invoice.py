"""The test invoice: issue one document for a test order (or a chosen order) through the
connector, compare it with what the order says, show the PDF, and tidy up afterwards.

The comparison is ours, in Decimal: each line is rounded half-up to cents, VAT is summed per
rate, and every value the system reports differently is a mismatch the merchant sees.
A test must not damage the bookkeeping, so the default is a document that takes no number from
the invoice series (a draft where the system has drafts, else a proforma), and the tidy-up
deletes only where the system allows it and otherwise cancels an invoice with a credit note.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from connectors import base, registry
from connectors import errors as codes
from connectors.documents import CREDIT_NOTE, INVOICE, PROFORMA, DocumentDraft, Line, RemoteDocument, round2
from connectors.errors import ConnectorError

from ...extensions import db
from ...models import Document, DocumentState, Integration, Order, OrderLine, Shop, utcnow
from ..connections import activation, calls
from ..connections.activation import Outcome
from ..observability import audit
from . import archiving, drafts, importing, issuing

DRAFT = "draft"  # an invoice kept as a draft: no number taken (systems with CAN_DRAFT)
HUNDRED = Decimal("100")
ZERO = Decimal("0")
# Definite answers to a delete: nothing was deleted, so cancelling with a credit note is safe.
REFUSALS = frozenset(
    {codes.VALIDATION, codes.CONFLICT, codes.NOT_SUPPORTED, codes.PERMISSION_DENIED, codes.REMOTE_ERROR}
)

KIND_LABELS = {
    DRAFT: _l("Draft invoice"),
    PROFORMA: _l("Proforma invoice"),
    INVOICE: _l("Invoice"),
    CREDIT_NOTE: _l("Credit note"),
}

# VAT rates valid per market (standard, reduced) and a price scale per currency, so the test
# order looks like a real one. Net prices are whole amounts: every rounding mode agrees on them.
MARKET_RATES = {
    "SK": ("23", "5"),
    "CZ": ("21", "12"),
    "AT": ("20", "10"),
    "PL": ("23", "8"),
    "DE": ("19", "7"),
    "HU": ("27", "5"),
}
MARKET_LANGUAGE = {"SK": "sk", "CZ": "cs", "AT": "de", "PL": "pl", "DE": "de", "HU": "hu"}
CURRENCY_SCALE = {"EUR": 1, "CZK": 25, "PLN": 4, "HUF": 400}
# Markets a test order can be made for: (country, currency).
MARKETS = (("SK", "EUR"), ("CZ", "CZK"), ("AT", "EUR"), ("PL", "PLN"), ("DE", "EUR"), ("HU", "HUF"))


def default_market(shop: Shop, integration: Integration) -> str:
    """The connected account's books (where a test must succeed), else the shop's own market."""
    books = (integration.verified_as or {}).get("country", "")
    return books if books in dict(MARKETS) else (shop.country or "SK").upper()


# -- kinds ------------------------------------------------------------------------------------
def kind_choices(system: str) -> list[str]:
    """Kinds the merchant may test with, the safe one first (it is the default)."""
    caps = registry.require(system).capabilities
    kinds = []
    if base.CAN_DRAFT in caps:
        kinds.append(DRAFT)
    if base.CAN_PROFORMA in caps:
        kinds.append(PROFORMA)
    if base.CAN_INVOICE in caps:
        kinds.append(INVOICE)
    return kinds


def takes_real_number(kind: str) -> bool:
    return kind == INVOICE


# -- the test order ---------------------------------------------------------------------------
TEST_BUYER_NIP = "9520000005"


def create_test_order(shop: Shop, market: str | None = None) -> Order:
    """A realistic order marked as a test: two products with different VAT rates, shipping,
    quantities above one and a discount on one line; in the shop's market unless another is asked."""
    markets = dict(MARKETS)
    country = (market or shop.country or "SK").upper()
    standard, reduced = (Decimal(r) for r in MARKET_RATES.get(country, MARKET_RATES["SK"]))
    currency = markets[country] if market in markets else (shop.currency or "EUR").upper()
    scale = Decimal(CURRENCY_SCALE.get(currency, 1))

    def gross(net: str, rate: Decimal) -> Decimal:
        return round2(Decimal(net) * scale * (1 + rate / HUNDRED))

    stamp = utcnow().strftime("%Y%m%d%H%M%S%f")[:17]
    order = Order(
        shop_id=shop.id,
        number=f"TEST-{stamp}",
        status="new",
        currency=currency,
        language=MARKET_LANGUAGE.get(country, "en"),
        prices_include_vat=True,
        is_test=True,
        customer={
            "type": "company",
            "name": "Test Customer",
            "company_name": "Test Customer s.r.o.",
            "email": "test.customer@example.com",
            "billing_address": {"street": "Test Street 1", "city": "Test City", "zip": "10000", "country": country},
            "delivery_address": {"street": "Test Street 1", "city": "Test City", "zip": "10000", "country": country},
        },
        shipping={
            "method": "courier",
            "name": _("Shipping (test)"),
            "price": str(gross("3", standard)),
            "vat_rate": str(standard),
        },
        payment={"method": "bank_transfer", "fee": "0.00", "vat_rate": str(standard)},
    )
    if country == "PL":
        # A Polish company buyer has a NIP (a made-up one with a valid checksum): Polish systems
        # refuse a company invoice without it under KSeF, and with it the invoice goes through KSeF.
        order.customer = {**order.customer, "tax_id": TEST_BUYER_NIP}
    order.lines = [
        OrderLine(
            shop_id=shop.id,
            position=1,
            sku="TEST-A",
            name=_("Test product A"),
            quantity=Decimal("2"),
            unit="ks",
            unit_price=gross("10", standard),
            vat_rate=standard,
            discount_percent=Decimal("10"),
        ),
        OrderLine(
            shop_id=shop.id,
            position=2,
            sku="TEST-B",
            name=_("Test product B"),
            quantity=Decimal("3"),
            unit="ks",
            unit_price=gross("20", reduced),
            vat_rate=reduced,
            discount_percent=ZERO,
        ),
    ]
    db.session.add(order)
    db.session.commit()
    return order


def order_lines(order: Order) -> list[Line]:
    """The order as document lines, the same way automatic documents see it."""
    return [
        Line(
            name=l["name"],
            quantity=Decimal(l["quantity"]),
            unit_price=Decimal(l["unit_price"]),
            vat_rate=Decimal(l["vat_rate"]),
            unit=l.get("unit", ""),
            sku=l.get("sku", ""),
            discount_percent=Decimal(l.get("discount_percent") or "0"),
        )
        for l in drafts.order_line_dicts(order)
    ]


def spec_for_test(order: Order, kind: str, today: date) -> dict[str, Any]:
    """What the test asks for: the whole order, dated today; a draft invoice where asked."""
    return drafts.spec_for(
        order,
        INVOICE if kind == DRAFT else kind,
        taxable_date=today,
        options={"draft": True} if kind == DRAFT else {},
        note=_("Test document issued by Fynode Accounting Connect."),
    )


def draft_for_order(order: Order, kind: str, issue_date: date) -> DocumentDraft:
    return drafts.draft_from_spec(spec_for_test(order, kind, issue_date), issue_date)


# -- expected totals --------------------------------------------------------------------------
@dataclass
class ExpectedLine:
    name: str
    quantity: Decimal
    unit_price: Decimal  # net, before the discount
    unit_price_discounted: Decimal  # net, after the discount
    vat_rate: Decimal
    discount_percent: Decimal
    net: Decimal
    vat: Decimal
    gross: Decimal


@dataclass
class Expected:
    lines: list[ExpectedLine]
    base_by_rate: dict[Decimal, Decimal]
    vat_by_rate: dict[Decimal, Decimal]
    total: Decimal
    currency: str


def expected_line(line: Line, prices_include_vat: bool) -> ExpectedLine:
    factor = 1 + line.vat_rate / HUNDRED
    keep = 1 - (line.discount_percent or ZERO) / HUNDRED
    amount = round2(line.unit_price * line.quantity * keep)
    if prices_include_vat:
        gross = amount
        net = round2(gross / factor)
        unit_net = round2(line.unit_price / factor)
    else:
        net = amount
        gross = net + round2(net * line.vat_rate / HUNDRED)
        unit_net = line.unit_price
    return ExpectedLine(
        name=line.name,
        quantity=line.quantity,
        unit_price=round2(unit_net),
        unit_price_discounted=round2(unit_net * keep),
        vat_rate=line.vat_rate,
        discount_percent=line.discount_percent or ZERO,
        net=net,
        vat=gross - net,
        gross=gross,
    )


def expected_totals(order: Order) -> Expected:
    """What a correct document for this order shows, computed from the order alone."""
    lines = [expected_line(l, order.prices_include_vat) for l in order_lines(order)]
    base_by_rate: dict[Decimal, Decimal] = {}
    vat_by_rate: dict[Decimal, Decimal] = {}
    for line in lines:
        rate = line.vat_rate.normalize()
        base_by_rate[rate] = base_by_rate.get(rate, ZERO) + line.net
        vat_by_rate[rate] = vat_by_rate.get(rate, ZERO) + line.vat
    return Expected(
        lines=lines,
        base_by_rate=base_by_rate,
        vat_by_rate=vat_by_rate,
        total=sum((l.gross for l in lines), ZERO),
        currency=order.currency,
    )


# -- comparison -------------------------------------------------------------------------------
@dataclass
class Row:
    """One compared value: what the order says, what the document says, whether they agree."""

    label: str
    expected: Any
    actual: Any
    kind: str = "text"  # text, money, number, percent, date
    checked: bool = True  # False: shown for reference only (e.g. the number)

    @property
    def ok(self) -> bool:
        if not self.checked:
            return True
        if isinstance(self.expected, Decimal) and isinstance(self.actual, Decimal):
            return self.expected.compare(self.actual) == 0
        return self.expected == self.actual


@dataclass
class LineComparison:
    position: int
    rows: list[Row]
    discount_percent: Decimal = ZERO

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)


@dataclass
class Comparison:
    header: list[Row]
    lines: list[LineComparison]
    vat: list[Row]
    totals: list[Row]
    currency: str

    @property
    def mismatches(self) -> int:
        rows = self.header + self.vat + self.totals + [r for l in self.lines for r in l.rows]
        return sum(not r.ok for r in rows)

    @property
    def ok(self) -> bool:
        return self.mismatches == 0


def _norm(value: Decimal | None) -> Decimal | None:
    return None if value is None else round2(value)


def compare(order: Order, remote: RemoteDocument, requested: dict[str, Any] | None = None) -> Comparison:
    """Order against the document the system issued, value by value."""
    expected = expected_totals(order)
    requested = requested or {}
    day = lambda key: date.fromisoformat(requested[key]) if requested.get(key) else None  # noqa: E731
    header = [
        Row(str(_l("Number")), None, remote.number or None, checked=False),
        Row(str(_l("Currency")), order.currency.upper(), (remote.currency or "").upper()),
        Row(str(_l("Issue date")), day("issue_date"), remote.issue_date, "date", checked="issue_date" in requested),
        Row(
            str(_l("Taxable supply date")),
            day("taxable_date"),
            remote.taxable_date,
            "date",
            checked="taxable_date" in requested,
        ),
        Row(str(_l("Due date")), day("due_date"), remote.due_date, "date", checked="due_date" in requested),
    ]
    lines = []
    for index in range(max(len(expected.lines), len(remote.lines))):
        want = expected.lines[index] if index < len(expected.lines) else None
        got = remote.lines[index] if index < len(remote.lines) else None
        unit = got.unit_price if got else None
        if want is not None and unit is not None and round2(unit) == want.unit_price_discounted:
            unit = want.unit_price  # the system shows the discounted price: the same line, said differently
        rows = [
            Row(str(_l("Name")), want.name.strip() if want else None, got.name.strip() if got else None),
            Row(str(_l("Quantity")), want.quantity if want else None, got.quantity if got else None, "number"),
            Row(str(_l("Unit price without VAT")), want.unit_price if want else None, _norm(unit), "money"),
            Row(str(_l("VAT rate")), want.vat_rate if want else None, got.vat_rate if got else None, "percent"),
        ]
        if got is None or got.total is not None:
            rows.append(
                Row(
                    str(_l("Line total with VAT")),
                    want.gross if want else None,
                    _norm(got.total) if got else None,
                    "money",
                )
            )
        lines.append(
            LineComparison(position=index + 1, rows=rows, discount_percent=want.discount_percent if want else ZERO)
        )
    remote_base = {v.rate.normalize(): v.base for v in remote.vat}
    remote_vat = {v.rate.normalize(): v.vat for v in remote.vat}
    vat_rows = []
    for rate in sorted(set(expected.base_by_rate) | set(remote_base), reverse=True):
        vat_rows.append(
            Row(
                str(_l("Base at %(rate)s %%", rate=rate)),
                expected.base_by_rate.get(rate),
                _norm(remote_base.get(rate)),
                "money",
            )
        )
        vat_rows.append(
            Row(
                str(_l("VAT at %(rate)s %%", rate=rate)),
                expected.vat_by_rate.get(rate),
                _norm(remote_vat.get(rate)),
                "money",
            )
        )
    totals = [Row(str(_l("Grand total")), expected.total, _norm(remote.total), "money")]
    return Comparison(header=header, lines=lines, vat=vat_rows, totals=totals, currency=order.currency)


def comparison_for(document: Document) -> Comparison | None:
    if not document.snapshot or document.order is None or not document.remote_id:
        return None
    comparison = compare(
        document.order, importing.remote_from_snapshot(document.snapshot), (document.snapshot or {}).get("requested")
    )
    comparison.header.extend(ksef_rows(document))
    return comparison


def ksef_rows(document: Document) -> list[Row]:
    """KSeF for reference, as the worker last read it: the state in the documents list's words, and
    the KSeF number once accepted. Nothing for a document KSeF does not concern."""
    if not document.ksef_status:
        return []
    from ...documents.wording import KSEF_NAMES  # here, not at the top: wording imports the services

    rows = [Row(str(_l("KSeF")), None, str(KSEF_NAMES.get(document.ksef_status, document.ksef_status)), checked=False)]
    if document.ksef_number:
        rows.append(Row(str(_l("KSeF number")), None, document.ksef_number, checked=False))
    return rows


# -- issuing ----------------------------------------------------------------------------------
def _key(order: Order, kind: str) -> str:
    """Stable per test order and kind; a new generation once the previous one was removed."""
    base_key = f"test-{order.id}-{kind}"
    removed = (
        db.session.scalar(
            db.select(db.func.count(Document.id)).where(
                Document.shop_id == order.shop_id,
                Document.idempotency_key.like(f"{base_key}%"),
                Document.state == DocumentState.CANCELLED,
            )
        )
        or 0
    )
    return base_key if not removed else f"{base_key}-{removed + 1}"


def issue(integration: Integration, order: Order, kind: str) -> tuple[Document, Outcome]:
    """Issue the test document for `order`, or show the one issued before with the same key."""
    key = _key(order, kind)
    document = db.session.scalar(
        db.select(Document).where(Document.shop_id == order.shop_id, Document.idempotency_key == key)
    )
    today = date.today()
    if document is None:
        spec = spec_for_test(order, kind, today)
        document = Document(
            shop_id=order.shop_id,
            integration_id=integration.id,
            order_id=order.id,
            kind=INVOICE if kind == DRAFT else kind,
            state=DocumentState.PENDING,
            idempotency_key=key,
            is_test=True,
            order_number=order.number,
            spec=spec,
        )
        db.session.add(document)
        db.session.commit()
    if document.state == DocumentState.CREATED:
        return document, Outcome(ok=True, message="test_issued_already")
    requested = {
        "issue_date": today.isoformat(),
        "taxable_date": today.isoformat(),
        "due_date": (today + timedelta(days=drafts.DUE_DAYS)).isoformat(),
        "test_kind": kind,
    }
    document.snapshot = {"requested": requested}
    result = issuing.issue(document, seconds=activation.INTERACTIVE_SECONDS, interactive=True, today=today)
    if result.code == issuing.BUSY:
        return document, Outcome(ok=False, code="busy", message="test_busy")
    if result.error is not None:
        return document, activation.outcome_from_error(integration.system, result.error, result.log_id)
    audit.record(
        "test_document.issued",
        order.shop_id,
        system=integration.system,
        kind=kind,
        number=document.number or document.remote_id,
    )
    db.session.commit()
    pdf_pending = False
    if base.CAN_PDF in registry.require(integration.system).capabilities:
        try:
            archiving.pdf_of(document)
        except ConnectorError:
            pdf_pending = True
    return document, Outcome(
        ok=True,
        message="test_issued",
        params={
            "kind": kind,
            "number": document.number or "",
            "pdf_pending": pdf_pending,
            "system_key": integration.system,
        },
        log_id=result.log_id,
    )


# -- tidying up -------------------------------------------------------------------------------
def removal_plan(document: Document) -> str:
    """What "Remove the test document" will do: delete, credit_note or none."""
    caps = registry.require(document.integration.system).capabilities
    if document.state != DocumentState.CREATED or not document.is_test or document.kind == CREDIT_NOTE:
        return "none"  # a credit note is itself the tidy-up: removing it would revive the invoice
    if base.CAN_DELETE in caps:
        return "delete"
    if document.kind == INVOICE and base.CAN_CREDIT_NOTE in caps:
        return "credit_note"
    return "none"


def remove(document: Document) -> Outcome:
    """Tidy up after the test the way accounting rules allow, and say exactly what was done."""
    integration = document.integration
    system = registry.require(integration.system)
    name = document.number or document.remote_id
    plan = removal_plan(document)
    if plan == "none":
        return Outcome(ok=False, message="nothing_to_remove", params={"system_key": integration.system})
    delete_error = None
    if plan == "delete":
        try:
            # Refusing one delete says nothing about the credentials: no "needs attention" for
            # a permission refusal here.
            with calls.connector_session(
                integration, document_id=document.id, order_id=document.order_id, auth_failure_pauses=False
            ) as call:
                assert document.remote_id is not None  # "delete" is only planned for a created document
                call.connector.delete_document(document.remote_id, kind=document.kind)
                document.state = DocumentState.DELETED
                audit.record("test_document.deleted", document.shop_id, system=integration.system, number=name)
        except ConnectorError as error:
            delete_error = error
            if error.code != codes.PERMISSION_DENIED:
                calls.note_auth_failure(integration, error)
                db.session.commit()
            log_id = call.log_id
        else:
            return Outcome(
                ok=True,
                message="test_deleted",
                params={"kind": document.kind, "number": name, "system_key": integration.system},
                log_id=call.log_id,
            )
    if delete_error is not None:
        refused = delete_error.code in REFUSALS and not delete_error.ambiguous
        if not (refused and document.kind == INVOICE and base.CAN_CREDIT_NOTE in system.capabilities):
            outcome = activation.outcome_from_error(integration.system, delete_error, log_id)
            outcome.message = "test_not_deleted"
            outcome.params["number"] = name
            outcome.fields = {}
            return outcome
    return _credit(document, delete_error)


def _credit(document: Document, delete_error: ConnectorError | None) -> Outcome:
    """Cancel a test invoice with a credit note for all of it, linked to it."""
    integration = document.integration
    order = document.order
    key = f"{document.idempotency_key}-cn"[:64]
    credit = db.session.scalar(
        db.select(Document).where(Document.shop_id == document.shop_id, Document.idempotency_key == key)
    )
    if credit is None:
        spec = drafts.spec_for(
            order,
            CREDIT_NOTE,
            lines=(document.spec or {}).get("lines"),
            taxable_date=date.today(),
            note=_("Cancels the test invoice %(number)s.", number=document.number or document.remote_id),
        )
        credit = Document(
            shop_id=document.shop_id,
            integration_id=integration.id,
            order_id=order.id,
            kind=CREDIT_NOTE,
            state=DocumentState.PENDING,
            idempotency_key=key,
            is_test=True,
            order_number=order.number,
            related_document_id=document.id,
            spec=spec,
        )
        db.session.add(credit)
        db.session.commit()
    result = issuing.issue(credit, seconds=activation.INTERACTIVE_SECONDS, interactive=True)
    if result.error is not None:
        return activation.outcome_from_error(integration.system, result.error, result.log_id)
    if result.code == issuing.BUSY:
        return Outcome(ok=False, code="busy", message="test_busy")
    document.state = DocumentState.CANCELLED
    audit.record(
        "test_document.credited",
        document.shop_id,
        system=integration.system,
        number=document.number,
        credit_note=credit.number,
    )
    db.session.commit()
    return Outcome(
        ok=True,
        message="test_credited",
        params={
            "credit": credit.number or credit.remote_id,
            "number": document.number or "",
            "system_key": integration.system,
            "delete_code": delete_error.code if delete_error else None,
            "delete_hint_key": delete_error.hint_key if delete_error else None,
        },
        code=delete_error.code if delete_error else None,
        detail=delete_error.detail if delete_error else "",
        log_id=result.log_id,
    )
