"""Settings -> Accounting system -> Test invoice: a test order, one document issued through the
connector against the sandbox over real HTTP, order and document compared value by value, the
PDF viewed and downloaded, and the tidy-up the accounting rules allow."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from decimal import Decimal

import pytest

from connectors import base, registry
from connectors.documents import INVOICE, PROFORMA, RemoteDocument, RemoteLine, VatBreakdown
from connectors.errors import VALIDATION, ConnectorError
from webapp.extensions import db
from webapp.models import Document, Order, Shop
from webapp.services.documents import trial_invoice

from .test_import import connect, systems_with

HTMX = {"HX-Request": "true"}
D = Decimal


def _test_order(app, shop_id: int) -> int:
    with app.app_context():
        return trial_invoice.create_test_order(db.session.get(Shop, shop_id)).id


def _correct_document(order: Order, requested_day: date) -> RemoteDocument:
    """What a system that gets everything right reports for the SK test order."""
    lines = [
        RemoteLine(name=l.name, quantity=l.quantity, unit_price=l.unit_price, vat_rate=l.vat_rate, total=l.gross)
        for l in trial_invoice.expected_totals(order).lines
    ]
    return RemoteDocument(
        remote_id="1",
        kind=PROFORMA,
        number="ZF2026001",
        currency="EUR",
        total=D("88.83"),
        issue_date=requested_day,
        taxable_date=requested_day,
        due_date=date(2026, 12, 8),
        vat=[VatBreakdown(D("23"), D("21.00"), D("4.83")), VatBreakdown(D("5"), D("60.00"), D("3.00"))],
        lines=lines,
    )


REQUESTED = {"issue_date": "2026-11-24", "taxable_date": "2026-11-24", "due_date": "2026-12-08"}


# -- the service ------------------------------------------------------------------------------
def test_test_order_is_realistic_for_the_market(app, make_user):
    user = make_user("o@shop.test")
    with app.app_context():
        order = trial_invoice.create_test_order(db.session.get(Shop, user.shop_id))
        assert order.is_test and order.currency == "EUR" and order.prices_include_vat
        assert len({l.vat_rate for l in order.lines}) == 2 and {l.vat_rate for l in order.lines} <= {D("23"), D("5")}
        assert all(l.quantity > 1 for l in order.lines) and any(l.discount_percent for l in order.lines)
        assert D(order.shipping["price"]) > 0


def test_expected_totals_round_each_line_half_up_and_sum_per_rate(app, make_user):
    user = make_user("o@shop.test")
    with app.app_context():
        order = trial_invoice.create_test_order(db.session.get(Shop, user.shop_id))
        expected = trial_invoice.expected_totals(order)
        assert [(l.gross, l.net, l.vat) for l in expected.lines] == [
            (D("22.14"), D("18.00"), D("4.14")),
            (D("63.00"), D("60.00"), D("3.00")),
            (D("3.69"), D("3.00"), D("0.69")),
        ]
        assert expected.base_by_rate == {D("23"): D("21.00"), D("5"): D("60.00")}
        assert expected.vat_by_rate == {D("23"): D("4.83"), D("5"): D("3.00")}
        assert expected.total == D("88.83")


def test_expected_line_with_net_prices_and_a_half_cent():
    line = trial_invoice.Line(name="x", quantity=D("3"), unit_price=D("0.335"), vat_rate=D("20"))
    got = trial_invoice.expected_line(line, prices_include_vat=False)
    assert got.net == D("1.01") and got.vat == D("0.20") and got.gross == D("1.21")  # 1.005 -> 1.01, 0.202 -> 0.20


def test_comparison_of_a_correct_document_shows_no_mismatch(app, make_user):
    user = make_user("o@shop.test")
    with app.test_request_context():
        order = trial_invoice.create_test_order(db.session.get(Shop, user.shop_id))
        comparison = trial_invoice.compare(order, _correct_document(order, date(2026, 11, 24)), REQUESTED)
        assert comparison.ok and comparison.mismatches == 0


def test_comparison_flags_each_value_the_document_has_differently(app, make_user):
    user = make_user("o@shop.test")
    with app.test_request_context():
        order = trial_invoice.create_test_order(db.session.get(Shop, user.shop_id))
        doctored = _correct_document(order, date(2026, 11, 24))
        doctored.total = D("88.84")
        doctored.lines[1] = dataclasses.replace(doctored.lines[1], vat_rate=D("19"))
        doctored.due_date = date(2026, 12, 1)
        comparison = trial_invoice.compare(order, doctored, REQUESTED)
        bad = [r.label for r in comparison.header + comparison.totals if not r.ok]
        assert bad == ["Due date", "Grand total"]
        assert [l.position for l in comparison.lines if not l.ok] == [2]
        assert comparison.mismatches == 3


def test_comparison_accepts_a_discount_shown_in_the_unit_price(app, make_user):
    user = make_user("o@shop.test")
    with app.test_request_context():
        order = trial_invoice.create_test_order(db.session.get(Shop, user.shop_id))
        document = _correct_document(order, date(2026, 11, 24))
        document.lines[0] = dataclasses.replace(document.lines[0], unit_price=D("9.00"))  # 10.00 less 10 %
        assert trial_invoice.compare(order, document, REQUESTED).ok


def test_comparison_flags_a_missing_line(app, make_user):
    user = make_user("o@shop.test")
    with app.test_request_context():
        order = trial_invoice.create_test_order(db.session.get(Shop, user.shop_id))
        document = _correct_document(order, date(2026, 11, 24))
        document.lines.pop()
        comparison = trial_invoice.compare(order, document, REQUESTED)
        assert not comparison.lines[2].ok and comparison.lines[2].rows[0].actual is None


# -- the pages, per system --------------------------------------------------------------------
def _issue(client, order_id="new", kind=None, headers=None, **extra):
    data = {"order": str(order_id), **({"kind": kind} if kind else {}), **extra}
    return client.post("/settings/accounting/test-invoice", data=data, headers=headers or {})


def _test_documents(app, shop_id):
    with app.app_context():
        rows = db.session.scalars(
            db.select(Document).where(Document.shop_id == shop_id, Document.is_test.is_(True)).order_by(Document.id)
        ).all()
        db.session.expunge_all()
        return rows


@pytest.mark.parametrize("system", systems_with(base.CAN_PROFORMA))
def test_default_test_document_is_the_safe_kind_and_matches_the_order(app, owner_client, sandbox, system):
    connect(app, sandbox, owner_client.user.shop_id, system)
    form = owner_client.get("/settings/accounting/test-invoice").get_data(as_text=True)
    safe = trial_invoice.kind_choices(system)[0]
    assert safe in (trial_invoice.DRAFT, PROFORMA)
    assert re.search(rf'value="{safe}" checked', form)
    assert "takes a real number from your invoice series" in form and 'name="csrf_token"' in form

    response = _issue(owner_client)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    [document] = _test_documents(app, owner_client.user.shop_id)
    assert document.state == "created" and document.kind in (PROFORMA, INVOICE) and document.remote_id
    assert "matches the order in every value" in html, re.findall(r'<tr class="mismatch">.*?</tr>', html, re.S)
    assert 'class="mismatch"' not in html and "Mismatch" not in html
    for label in (
        "Issue date",
        "Taxable supply date",
        "Due date",
        "Unit price without VAT",
        "VAT rate",
        "Grand total",
        "Line 3",
        document.number,
    ):
        assert label in html
    assert 'data-label="Document"' in html


@pytest.mark.parametrize("system", systems_with(base.CAN_PROFORMA, base.CAN_PDF))
def test_pdf_of_the_test_document_can_be_viewed_and_downloaded(app, owner_client, sandbox, system):
    connect(app, sandbox, owner_client.user.shop_id, system)
    html = _issue(owner_client).get_data(as_text=True)
    [document] = _test_documents(app, owner_client.user.shop_id)
    with app.app_context():
        from webapp.services.documents import archiving

        stored = db.session.get(Document, document.id)
        assert stored.archive_key and archiving.load(stored).startswith(b"%PDF")  # archived when issued
    assert f"/settings/accounting/documents/{document.id}/pdf" in html
    view = owner_client.get(f"/settings/accounting/documents/{document.id}/pdf")
    assert view.data.startswith(b"%PDF") and view.headers["Content-Disposition"].startswith("inline")
    download = owner_client.get(f"/settings/accounting/documents/{document.id}/pdf/download")
    assert download.data.startswith(b"%PDF") and download.headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("system", systems_with(base.CAN_PROFORMA, base.CAN_DELETE))
def test_removing_a_test_proforma_deletes_it_and_says_so(app, owner_client, sandbox, system):
    connect(app, sandbox, owner_client.user.shop_id, system)
    _issue(owner_client, kind=PROFORMA)
    [document] = _test_documents(app, owner_client.user.shop_id)
    response = owner_client.post(
        f"/settings/accounting/test-invoice/{document.id}/remove", data={"confirm": "yes"}, headers=HTMX
    )
    html = response.get_data(as_text=True)
    assert "was deleted in" in html and "<html" not in html and 'id="test-document"' in html
    [after] = _test_documents(app, owner_client.user.shop_id)
    assert after.state == "deleted"
    assert "Remove the test document" not in html


def test_real_invoice_needs_the_merchants_consent(app, owner_client, sandbox):
    connect(app, sandbox, owner_client.user.shop_id, "superfaktura")
    response = _issue(owner_client, kind=INVOICE)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Confirm that you want a real invoice" in html and "<html" in html
    assert not _test_documents(app, owner_client.user.shop_id)
    htmx = _issue(owner_client, kind=INVOICE, headers=HTMX)
    assert htmx.status_code == 422 and htmx.headers["HX-Retarget"] == "#test-form"
    assert '<form id="test-form"' in htmx.get_data(as_text=True)


def test_test_invoice_refused_deletion_is_cancelled_with_a_credit_note(app, owner_client, sandbox, monkeypatch):
    connect(app, sandbox, owner_client.user.shop_id, "superfaktura")
    html = _issue(owner_client, kind=INVOICE, confirm_real_number="y").get_data(as_text=True)
    assert "matches the order in every value" in html
    [invoice] = _test_documents(app, owner_client.user.shop_id)

    def refuse(self, remote_id, kind="invoice"):
        raise ConnectorError(VALIDATION, detail="only the last invoice of a series can be deleted")

    monkeypatch.setattr(registry.get("superfaktura"), "delete_document", refuse)
    html = owner_client.post(
        f"/settings/accounting/test-invoice/{invoice.id}/remove", data={"confirm": "yes"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Credit note" in html and "cancels the test invoice" in html and "did not allow deleting it" in html
    docs = _test_documents(app, owner_client.user.shop_id)
    assert [(d.kind, d.state) for d in docs] == [("invoice", "cancelled"), ("credit_note", "created")]
    assert docs[1].related_document_id == docs[0].id  # the credit note names the invoice it cancels
    assert any(d.get("type") == "cancel" for d in peek("superfaktura").documents())


def peek(system: str):
    """The running sandbox's control API, without resetting it."""
    import os

    from tests.conftest import SandboxClient

    return SandboxClient(system, os.environ[f"{system.upper()}_API_URL"])


def test_issuing_twice_for_the_same_order_and_kind_creates_one_document(app, owner_client, sandbox):
    connect(app, sandbox, owner_client.user.shop_id, "superfaktura")
    order_id = _test_order(app, owner_client.user.shop_id)
    _issue(owner_client, order_id, PROFORMA)
    html = _issue(owner_client, order_id, PROFORMA).get_data(as_text=True)
    assert "was issued already" in html
    assert len(_test_documents(app, owner_client.user.shop_id)) == 1


def test_a_lost_answer_is_looked_up_before_any_retry(app, owner_client, sandbox):
    connect(app, sandbox, owner_client.user.shop_id, "superfaktura")
    sf = peek("superfaktura")
    seen = len(sf.requests())  # verification's check of the right to issue posts an empty document
    sf.fault("drop_after_create", probability=1, operations=["create_invoice"])
    order_id = _test_order(app, owner_client.user.shop_id)
    html = _issue(owner_client, order_id, PROFORMA).get_data(as_text=True)
    sf.fault("none")
    [document] = _test_documents(app, owner_client.user.shop_id)
    if document.state == "failed":  # the lookup could not tell yet: a retry looks it up first
        html = _issue(owner_client, order_id, PROFORMA).get_data(as_text=True)
        [document] = _test_documents(app, owner_client.user.shop_id)
    assert document.state == "created", html
    creates = [r for r in sf.requests()[seen:] if r["path"].endswith("/invoices/create")]
    assert len(creates) == 1  # its answer was lost; it was looked up, never sent again
    assert len([d for d in sf.documents() if d["order_no"].startswith("TEST-")]) == 1


def test_an_order_of_the_shop_can_be_picked(app, owner_client, sandbox):
    connect(app, sandbox, owner_client.user.shop_id, "superfaktura")
    order_id = _test_order(app, owner_client.user.shop_id)
    form = owner_client.get("/settings/accounting/test-invoice").get_data(as_text=True)
    assert f'<option value="{order_id}"' in form
    response = owner_client.post(
        "/settings/accounting/test-invoice", data={"order": str(order_id), "kind": PROFORMA}, headers=HTMX
    )
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="test-document"' in html
    [document] = _test_documents(app, owner_client.user.shop_id)
    assert document.order_id == order_id
    page = owner_client.get(f"/settings/accounting/test-invoice/{document.id}").get_data(as_text=True)
    assert "<html" in page and "matches the order in every value" in page


def test_page_marks_a_differing_value_with_class_and_text(app, owner_client, sandbox):
    connect(app, sandbox, owner_client.user.shop_id, "superfaktura")
    _issue(owner_client, kind=PROFORMA)
    [document] = _test_documents(app, owner_client.user.shop_id)
    with app.app_context():
        row = db.session.get(Document, document.id)
        row.snapshot = {**row.snapshot, "total": "88.84"}  # as if the system had rounded differently
        db.session.commit()
    html = owner_client.get(f"/settings/accounting/test-invoice/{document.id}").get_data(as_text=True)
    assert "1 value differs from the order" in html
    [mismatch] = re.findall(r'<tr class="mismatch">.*?</tr>', html, re.S)
    assert (
        "Grand total" in mismatch
        and "✗" in mismatch
        and ">Mismatch<" in mismatch
        and "€88.84" in mismatch
        and "€88.83" in mismatch
    )
    assert "discount 10 %" in html


def test_every_result_region_is_replaced_so_no_stale_error_stays_above_a_success(app, owner_client, sandbox):
    connect(app, sandbox, owner_client.user.shop_id, "superfaktura")
    refused = _issue(owner_client, kind=INVOICE, headers=HTMX).get_data(as_text=True)
    assert "Confirm that you want a real invoice" in refused
    assert 'id="test-result"' in refused and 'hx-swap-oob="true"' in refused  # an old result is cleared
    issued = _issue(owner_client, kind=INVOICE, confirm_real_number="y", headers=HTMX).get_data(as_text=True)
    assert " was issued" in issued
    form = issued[issued.index('<form id="test-form"') :]
    assert 'hx-swap-oob="true"' in form.split(">", 1)[0]  # the form is replaced as well...
    assert "Confirm that you want a real invoice" not in issued  # ...without the earlier error
