"""Fakturownia connector against the Fakturownia sandbox over HTTP: every operation and every
documented failure; then the mapping and error rules on replies the sandbox has no state for."""

from __future__ import annotations

import ast
import pathlib
import re
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import requests
from babel.messages.pofile import read_po

from connectors import errors, registry
from connectors.base import AppIdentity, ConnectionSettings, MemoryTokenCache, resolve_endpoints
from connectors.documents import (
    KSEF_ACCEPTED,
    KSEF_NOT_APPLICABLE,
    KSEF_REJECTED,
    KSEF_SENT,
    KSEF_WAITING,
    Address,
    DocumentDraft,
    Line,
    Party,
    Payment,
)
from connectors.errors import ConnectorError
from connectors.fakturownia import WARN_KSEF_NOT_CONNECTED, FakturowniaConnector
from connectors.fakturownia.errors import error_for, is_oid_refusal
from connectors.fakturownia.mapping import correction_positions, draft_to_payload, invoice_to_remote, ksef_state
from connectors.fakturownia.schema import subdomain_of
from connectors.fields import validate_values
from connectors.http import REDACTED, Transport

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "connectors" / "fakturownia"
SELLER_NIP = "5252445767"


@pytest.fixture
def sb(sandbox):
    return sandbox("fakturownia")


@pytest.fixture
def fast_ksef(sb):
    requests.post(sb.url + "/_sandbox/ksef", json={"delay_seconds": 0.2}, timeout=5).raise_for_status()


@pytest.fixture
def records():
    return []


@pytest.fixture
def connect(sb, records):
    def build(state: str = "valid", *, read_timeout: float = 5.0, url: str | None = None, **overrides):
        credentials = {**sb.account(state)["credentials"], **overrides}
        config = {k: v for k, v in credentials.items() if k != "api_token"}
        transport = Transport(
            user_agent=AppIdentity().user_agent,
            on_exchange=records.append,
            read_timeout=read_timeout,
            connect_timeout=1.0,
            retries=0,
            backoff=0.01,
        )
        endpoints = resolve_endpoints(FakturowniaConnector, config, {"FAKTUROWNIA_API_URL": url or sb.url})
        return FakturowniaConnector(
            ConnectionSettings(
                config, {"api_token": credentials["api_token"]}, endpoints, transport, MemoryTokenCache(), AppIdentity()
            )
        )

    return build


def company(**extra) -> Party:
    return Party(
        name="Anna Zielińska",
        company_name="Hurtownia ABC Sp. z o.o.",
        tax_id="9876543210",
        email="faktury@abc.example",
        billing_address=Address(street="ul. Testowa 5", city="Kraków", zip="30-002", country="PL"),
        **extra,
    )


def consumer() -> Party:
    return Party(
        name="Jan Nowak",
        email="jan.nowak@example.pl",
        billing_address=Address(street="ul. Polna 7", city="Poznań", zip="60-101", country="PL"),
    )


def make_draft(
    kind: str = "invoice", *, customer: Party | None = None, lines=None, order: str = "5001", **extra
) -> DocumentDraft:
    lines = lines or [
        Line(name="Koszulka", quantity=Decimal("2"), unit_price=Decimal("49.99"), vat_rate=Decimal("23"), unit="szt"),
        Line(name="Książka", quantity=Decimal("1"), unit_price=Decimal("31.50"), vat_rate=Decimal("5")),
        Line(name="Wysyłka", quantity=Decimal("1"), unit_price=Decimal("12.30"), vat_rate=Decimal("23")),
    ]
    extra.setdefault("prices_include_vat", True)
    return DocumentDraft(
        kind=kind,
        customer=customer or company(),
        lines=lines,
        currency="PLN",
        issue_date=date.today(),
        due_date=date.today() + timedelta(days=7),
        order_number=order,
        language="pl",
        **extra,
    )


def held(sb, remote_id: str) -> dict:
    return next(d for d in sb.documents() if d["id"] == remote_id)


def wait_for_ksef(conn, remote_id: str, seconds: float = 5.0):
    deadline = time.monotonic() + seconds
    while True:
        document = conn.get_document(remote_id)
        if document.ksef_status not in (KSEF_SENT, KSEF_WAITING) or time.monotonic() > deadline:
            return document
        time.sleep(0.1)


# -- verify: every seeded account state -------------------------------------------------------
def test_verify_valid_account_says_company_account_and_that_ksef_is_on(connect):
    identity = connect("valid").verify()
    assert identity.company_name == "Demo Sklep Sp. z o.o."
    assert identity.account_id == "demo-sklep"
    assert (identity.country, identity.currency) == ("PL", "PLN")
    assert "ksef" in identity.allows and "credit_note" in identity.allows
    assert identity.extra["ksef"] is True and identity.extra["tax_no"] == SELLER_NIP
    assert identity.warnings == ()


def test_verify_sends_the_vendor_host_and_the_token_as_query_parameter(connect, sb):
    connect("valid").verify()
    seen = sb.requests()[-2]
    assert seen["path"] == "/account.json"
    assert seen["headers"]["Host"] == "demo-sklep.fakturownia.pl"
    assert "api_token=" + sb.account("valid")["credentials"]["api_token"] in seen["query"]


def test_verify_with_wrong_token_is_invalid_credentials_with_no_token_in_the_detail(connect, sb):
    with pytest.raises(ConnectorError) as caught:
        connect("wrong_key").verify()
    assert caught.value.code == errors.INVALID_CREDENTIALS
    assert caught.value.hint_key == "fakturownia.invalid_credentials"
    assert caught.value.is_auth
    assert "Musisz być zalogowany" in caught.value.detail
    assert sb.account("wrong_key")["credentials"]["api_token"] not in caught.value.detail


def test_verify_of_an_account_the_user_does_not_belong_to_is_permission_denied(connect):
    with pytest.raises(ConnectorError) as caught:
        connect("no_permission").verify()
    assert caught.value.code == errors.PERMISSION_DENIED
    assert caught.value.hint_key == "fakturownia.permission_denied"


def test_verify_of_an_unknown_subdomain_is_account_not_found_on_the_subdomain_field(connect):
    with pytest.raises(ConnectorError) as caught:
        connect("valid", subdomain="nie-ma-takiego").verify()
    assert caught.value.code == errors.ACCOUNT_NOT_FOUND
    assert caught.value.hint_key == "fakturownia.account_not_found"
    assert "Brak konta" in caught.value.detail
    assert list(caught.value.fields) == ["subdomain"]


def test_verify_accepts_the_whole_address_pasted_as_subdomain(connect, sb):
    identity = connect("valid", subdomain="https://demo-sklep.fakturownia.pl/").verify()
    assert identity.account_id == "demo-sklep"
    assert sb.requests()[-1]["headers"]["Host"] == "demo-sklep.fakturownia.pl"


def test_verify_without_a_ksef_flag_reads_not_connected_from_the_latest_invoices(connect, monkeypatch):
    conn = connect("valid")
    original = conn.client.get

    def without_flag(path, operation, params=None):
        body = original(path, operation, params)
        if path == "/account.json":
            return {k: v for k, v in body.items() if k != "ksef"}
        if path == "/invoices.json":
            return [{**row, "gov_status": "not_connected", "gov_id": None} for row in body]
        return body

    monkeypatch.setattr(conn.client, "get", without_flag)
    identity = conn.verify()
    assert identity.warnings == (WARN_KSEF_NOT_CONNECTED,)
    assert "ksef" not in identity.allows


# -- reading and import -------------------------------------------------------------------------
def test_list_documents_asks_for_every_period_and_finds_last_years_invoice(connect, sb):
    page = connect().list_documents()
    query = sb.requests()[-1]["query"]
    assert "period=all" in query and "kind=vat" in query
    seeded = [d for d in sb.documents() if d["account"] == "fa-valid" and d["type"] == "vat"]
    assert {d.remote_id for d in page.documents} == {d["id"] for d in seeded}
    assert any(d.issue_date.year == date.today().year - 1 for d in page.documents)
    assert not page.has_more


def test_list_documents_pages_with_the_page_size(connect):
    conn = connect()
    conn.page_size = 4
    pages = [conn.list_documents(n) for n in (1, 2, 3)]
    assert [len(p.documents) for p in pages] == [4, 4, 3]
    assert [p.has_more for p in pages] == [True, True, False]
    assert len({d.remote_id for p in pages for d in p.documents}) == 11


def test_list_documents_of_proformas_and_corrections(connect):
    conn = connect()
    proformas = conn.list_documents(kind="proforma").documents
    corrections = conn.list_documents(kind="credit_note").documents
    assert len(proformas) == 2 and {d.kind for d in proformas} == {"proforma"}
    assert {d.ksef_status for d in proformas} == {KSEF_NOT_APPLICABLE}
    assert [d.kind for d in corrections] == ["credit_note"] and corrections[0].total < 0


def test_imported_documents_carry_order_number_totals_and_ksef_state(connect, sb):
    page = connect().list_documents()
    by_id = {d.remote_id: d for d in page.documents}
    for seeded in (d for d in sb.documents() if d["account"] == "fa-valid" and d["type"] == "vat"):
        document = by_id[seeded["id"]]
        assert document.number == seeded["number"]
        assert str(document.total) == seeded["total"]
        assert document.order_number == seeded["order_no"]
        if seeded["gov_status"] == "ok":
            assert (document.ksef_status, document.ksef_number) == (KSEF_ACCEPTED, seeded["gov_id"])
    rejected = next(d for d in page.documents if d.ksef_status == KSEF_REJECTED)
    assert rejected.ksef_errors and not rejected.ksef_number


def test_get_document_reads_lines_vat_and_status(connect, sb):
    seeded = next(d for d in sb.documents() if d["account"] == "fa-valid" and d["status"] == "paid")
    document = connect().get_document(seeded["id"])
    assert document.status == "paid"
    assert document.lines and sum(v.base for v in document.vat) == Decimal(seeded["net"])
    assert sum(v.vat for v in document.vat) == Decimal(seeded["vat"])
    assert document.pdf_url.endswith(".pdf")


# -- creating ---------------------------------------------------------------------------------
def test_create_invoice_keeps_the_shops_gross_and_returns_fakturownias_totals(connect, sb):
    doc = connect().create_document(make_draft(), "order-5001-invoice")
    stored = held(sb, doc.remote_id)
    assert stored["type"] == "vat" and doc.kind == "invoice"
    assert doc.number == stored["number"]
    assert doc.total == Decimal("143.78") and str(doc.total) == stored["total"]  # 2 x 49.99 + 31.50 + 12.30
    assert doc.reference == stored["order_no"] == "order-5001-invoice"
    assert doc.order_number == "5001"
    assert {v.rate for v in doc.vat} == {Decimal("23"), Decimal("5")}
    assert doc.raw_id_fields["client_id"]


def test_create_invoice_for_a_consumer_with_net_prices(connect, sb):
    lines = [Line(name="Kubek", quantity=Decimal("3"), unit_price=Decimal("10.00"), vat_rate=Decimal("23"))]
    doc = connect().create_document(
        make_draft(customer=consumer(), lines=lines, prices_include_vat=False), "order-5002-invoice"
    )
    assert doc.total == Decimal("36.90")
    assert doc.customer_name == "Jan Nowak"
    assert doc.ksef_status == KSEF_NOT_APPLICABLE  # B2C, not asked to send


def test_create_invoice_reuses_the_client_card_by_its_id(connect, sb):
    conn = connect()
    first = conn.create_document(make_draft(), "order-5003-invoice")
    client_id = str(first.raw_id_fields[FakturowniaConnector.customer_id_field])
    second = conn.create_document(make_draft(customer=company(remote_id=client_id), order="5004"), "order-5004-invoice")
    assert str(second.raw_id_fields["client_id"]) == client_id
    sent = [r for r in sb.requests() if r["method"] == "POST" and r["path"] == "/invoices.json"][-1]
    assert f'"client_id": {client_id}' in sent["body"]


def test_create_proforma_is_not_applicable_to_ksef(connect, sb):
    doc = connect().create_document(make_draft("proforma", send_to_ksef=True), "order-5001-proforma")
    assert doc.kind == "proforma" and held(sb, doc.remote_id)["type"] == "proforma"
    assert doc.ksef_status == KSEF_NOT_APPLICABLE


def test_create_in_a_chosen_department_uses_its_numbering(connect):
    conn = connect(department_id="102")
    doc = conn.create_document(make_draft(), "order-5005-invoice")
    assert doc.number.startswith("OUT/") and str(doc.raw_id_fields["department_id"]) == "102"


def test_create_correction_links_the_invoice_and_carries_the_refunded_difference(connect, sb):
    conn = connect()
    invoice = conn.create_document(make_draft(), "order-5006-invoice")
    refund = make_draft(
        "credit_note",
        related_remote_id=invoice.remote_id,
        lines=[Line(name="Koszulka", quantity=Decimal("1"), unit_price=Decimal("49.99"), vat_rate=Decimal("23"))],
    )
    credit = conn.create_document(refund, "order-5006-credit-refund-1")
    stored = held(sb, credit.remote_id)
    assert credit.kind == "credit_note" and stored["type"] == "correction"
    assert stored["corrects"] == invoice.remote_id
    assert credit.total == Decimal("-49.99") and str(credit.total) == stored["total"]
    sent = [r for r in sb.requests() if r["method"] == "POST" and r["path"] == "/invoices.json"][-1]["body"]
    assert '"correction_before_attributes"' in sent and '"correction_after_attributes"' in sent


def test_correction_of_the_whole_invoice_brings_it_to_zero(connect):
    conn = connect()
    draft = make_draft()
    invoice = conn.create_document(draft, "order-5007-invoice")
    credit = conn.create_document(
        make_draft("credit_note", related_remote_id=invoice.remote_id), "order-5007-credit-cancel"
    )
    assert credit.total == -invoice.total


def test_correction_pointing_at_no_invoice_is_validation_on_the_related_invoice(connect, sb):
    with pytest.raises(ConnectorError) as caught:
        connect().create_document(make_draft("credit_note", related_remote_id="999999"), "refund-x")
    assert caught.value.code == errors.VALIDATION
    assert list(caught.value.fields) == ["related_remote_id"]
    assert not [r for r in sb.requests() if r["method"] == "POST"]


def test_correction_without_its_invoice_is_refused_before_sending(connect, records):
    with pytest.raises(ConnectorError) as caught:
        connect().create_document(make_draft("credit_note"), "refund-y")
    assert caught.value.code == errors.VALIDATION and "related_remote_id" in caught.value.fields
    assert records == []


def test_correction_of_a_proforma_is_refused_with_a_field_message(connect):
    conn = connect()
    proforma = conn.create_document(make_draft("proforma"), "order-5008-proforma")
    with pytest.raises(ConnectorError) as caught:
        conn.create_document(make_draft("credit_note", related_remote_id=proforma.remote_id), "refund-z")
    assert caught.value.code == errors.VALIDATION and "related_remote_id" in caught.value.fields


def test_vendor_validation_is_shown_field_by_field(connect):
    lines = [Line(name="", quantity=Decimal("1"), unit_price=Decimal("10"), vat_rate=Decimal("23"))]
    with pytest.raises(ConnectorError) as caught:
        connect().create_document(make_draft(lines=lines), "bad-1")
    assert caught.value.code == errors.VALIDATION and caught.value.http_status == 422
    assert "positions.name" in caught.value.fields
    assert not caught.value.fields["positions.name"][0].startswith("-")
    assert not caught.value.ambiguous


def test_unknown_department_is_validation_on_the_department_field(connect):
    with pytest.raises(ConnectorError) as caught:
        connect(department_id="999").create_document(make_draft(), "bad-2")
    assert caught.value.code == errors.VALIDATION and "department_id" in caught.value.fields


# -- the duplicate guard ------------------------------------------------------------------------
def test_second_create_with_the_same_key_is_refused_by_oid_unique_and_returns_the_first(connect, sb):
    conn = connect()
    first = conn.create_document(make_draft(), "order-6001-invoice")
    second = conn.create_document(make_draft(), "order-6001-invoice")
    assert second.remote_id == first.remote_id and second.reference == "order-6001-invoice"
    assert [d["id"] for d in sb.documents() if d["order_no"] == "order-6001-invoice"] == [first.remote_id]
    sent = [r for r in sb.requests() if r["method"] == "POST" and r["path"] == "/invoices.json"][-1]["body"]
    assert '"oid_unique": "yes"' in sent and '"oid": "order-6001-invoice"' in sent


def test_connection_dropped_after_create_is_ambiguous_and_found_by_reference_without_duplicate(connect, sb):
    conn = connect()
    sb.fault("drop_after_create", operations=["create_invoice"])
    with pytest.raises(ConnectorError) as caught:
        conn.create_document(make_draft(), "order-7001-invoice")
    assert caught.value.ambiguous
    sb.fault("none")
    found = conn.find_by_reference("order-7001-invoice")
    assert found is not None and found.reference == "order-7001-invoice" and found.order_number == "5001"
    assert "oid=order-7001-invoice" in sb.requests()[-1]["query"]
    document = conn.find_by_reference("order-7001-invoice") or conn.create_document(make_draft(), "order-7001-invoice")
    assert document.remote_id == found.remote_id
    # Even a blind retry creates nothing: oid_unique refuses, the refusal resolves to the first.
    assert conn.create_document(make_draft(), "order-7001-invoice").remote_id == found.remote_id
    assert [d["id"] for d in sb.documents() if d["order_no"] == "order-7001-invoice"] == [found.remote_id]


# -- KSeF ---------------------------------------------------------------------------------------
def test_b2b_invoice_sent_to_ksef_moves_from_sent_to_accepted_with_a_ksef_number(connect, sb, fast_ksef):
    conn = connect()
    doc = conn.create_document(make_draft(send_to_ksef=True), "order-8001-invoice")
    sent = [r for r in sb.requests() if r["method"] == "POST" and r["path"] == "/invoices.json"][-1]["body"]
    assert '"gov_save_and_send": true' in sent and '"buyer_company": true' in sent
    assert doc.ksef_status == KSEF_SENT and not doc.ksef_number
    accepted = wait_for_ksef(conn, doc.remote_id)
    assert accepted.ksef_status == KSEF_ACCEPTED
    # A KSeF number carries the Polish date of acceptance, not the UTC one (they differ after 23:00 UTC).
    warsaw_today = datetime.now(ZoneInfo("Europe/Warsaw"))
    assert re.fullmatch(rf"{SELLER_NIP}-{warsaw_today:%Y%m%d}-\S+", accepted.ksef_number)
    assert accepted.ksef_number == held(sb, doc.remote_id)["gov_id"]


def test_ksef_rejection_is_rejected_with_the_vendors_reasons(connect, fast_ksef):
    conn = connect()
    wrong_nip = company()
    wrong_nip.tax_id = "5252445768"  # fails the NIP checksum: KSeF rejects it
    doc = conn.create_document(make_draft(customer=wrong_nip, send_to_ksef=True), "order-8002-invoice")
    rejected = wait_for_ksef(conn, doc.remote_id)
    assert rejected.ksef_status == KSEF_REJECTED
    assert rejected.ksef_errors and not rejected.ksef_number


def test_ksef_server_error_waits_to_be_sent_again(connect, sb):
    requests.post(
        sb.url + "/_sandbox/ksef", json={"delay_seconds": 0.1, "outcome": "server_error"}, timeout=5
    ).raise_for_status()
    conn = connect()
    doc = conn.create_document(make_draft(send_to_ksef=True), "order-8003-invoice")
    time.sleep(0.3)
    assert conn.get_document(doc.remote_id).ksef_status == KSEF_WAITING


def test_email_before_the_ksef_number_is_not_ready_although_http_200(connect, sb, records):
    conn = connect()
    doc = conn.create_document(make_draft(send_to_ksef=True), "order-8004-invoice")
    with pytest.raises(ConnectorError) as caught:
        conn.send_email(doc.remote_id, "faktury@abc.example")
    assert caught.value.code == errors.NOT_READY
    assert caught.value.http_status == 200 and caught.value.hint_key == "fakturownia.not_ready"
    assert held(sb, doc.remote_id)["emails"] == []


def test_email_after_the_ksef_number_reaches_the_buyer(connect, sb, fast_ksef):
    conn = connect()
    doc = conn.create_document(make_draft(send_to_ksef=True), "order-8005-invoice")
    wait_for_ksef(conn, doc.remote_id)
    conn.send_email(doc.remote_id, "ksiegowosc@abc.example")
    assert [mail["to"] for mail in held(sb, doc.remote_id)["emails"]] == [["ksiegowosc@abc.example"]]


def test_delete_of_an_invoice_with_a_ksef_number_is_a_conflict_with_the_correction_hint(connect, sb, fast_ksef):
    conn = connect()
    doc = conn.create_document(make_draft(send_to_ksef=True), "order-8006-invoice")
    wait_for_ksef(conn, doc.remote_id)
    with pytest.raises(ConnectorError) as caught:
        conn.delete_document(doc.remote_id)
    assert caught.value.code == errors.CONFLICT
    assert caught.value.hint_key == "fakturownia.conflict"
    assert caught.value.hint_key in FakturowniaConnector.hints
    assert doc.remote_id in [d["id"] for d in sb.documents()]


def test_delete_of_a_document_outside_ksef_removes_it(connect, sb):
    conn = connect()
    doc = conn.create_document(make_draft("proforma"), "order-8007-proforma")
    conn.delete_document(doc.remote_id, kind="proforma")
    assert doc.remote_id not in [d["id"] for d in sb.documents()]
    with pytest.raises(ConnectorError) as caught:
        conn.delete_document(doc.remote_id, kind="proforma")
    assert caught.value.code == errors.NOT_FOUND


# -- after creation ------------------------------------------------------------------------------
def test_get_pdf_returns_pdf_bytes(connect):
    conn = connect()
    doc = conn.create_document(make_draft("proforma"), "pdf-1")
    pdf = conn.get_pdf(doc.remote_id)
    assert pdf.content.startswith(b"%PDF") and pdf.filename.endswith(".pdf")


def test_email_of_a_consumer_invoice_goes_out_at_once(connect, sb):
    conn = connect()
    doc = conn.create_document(make_draft(customer=consumer()), "mail-1")
    conn.send_email(doc.remote_id, "jan.nowak@example.pl")
    mails = held(sb, doc.remote_id)["emails"]
    assert [(mail["to"], mail["pdf"]) for mail in mails] == [(["jan.nowak@example.pl"], True)]


def test_email_to_more_than_five_addresses_is_validation_although_http_200(connect):
    conn = connect()
    doc = conn.create_document(make_draft(customer=consumer()), "mail-2")
    with pytest.raises(ConnectorError) as caught:
        conn.send_email(doc.remote_id, ",".join(f"a{n}@example.pl" for n in range(6)))
    assert caught.value.code == errors.VALIDATION and caught.value.http_status == 200


def test_mark_paid_records_the_payment_on_the_invoice(connect, sb):
    conn = connect()
    doc = conn.create_document(make_draft(customer=consumer()), "pay-1")
    conn.mark_paid(doc.remote_id, Payment(amount=doc.total, paid_on=date.today(), currency="PLN"))
    assert held(sb, doc.remote_id)["paid"] == str(doc.total)
    assert conn.get_document(doc.remote_id).status == "paid"


def test_partial_payment_leaves_the_invoice_partially_paid(connect):
    conn = connect()
    doc = conn.create_document(make_draft(customer=consumer()), "pay-2")
    conn.mark_paid(doc.remote_id, Payment(amount=Decimal("10.00"), paid_on=date.today()))
    assert conn.get_document(doc.remote_id).status == "partially_paid"


def test_mark_paid_on_a_correction_settles_it(connect, sb):
    conn = connect()
    invoice = conn.create_document(make_draft(customer=consumer()), "pay-3")
    credit = conn.create_document(
        make_draft("credit_note", customer=consumer(), related_remote_id=invoice.remote_id), "pay-3-credit"
    )
    conn.mark_paid(credit.remote_id, Payment(amount=invoice.total, paid_on=date.today()), kind="credit_note")
    assert held(sb, credit.remote_id)["status"] == "paid"


def test_number_series_are_the_departments_for_every_kind(connect):
    conn = connect()
    series = conn.list_number_series("invoice")
    assert [(s.id, s.default) for s in series] == [("101", True), ("102", False)]
    assert [s.id for s in conn.list_number_series("credit_note")] == ["101", "102"]
    assert [value for value, _label in conn.list_choices("number_series:invoice")] == ["101", "102"]


def test_activation_reads_departments_once_for_verify_and_choices(connect, records):
    conn = connect()
    conn.verify()
    conn.list_choices("number_series:invoice")
    paths = [e.url.split("?")[0].rsplit("/", 1)[-1] for e in records]
    assert paths == ["account.json", "departments.json"]


# -- rate limits -----------------------------------------------------------------------------------
def test_429_is_rate_limited_with_retry_at_from_retry_after(connect, sb):
    sb.fault("rate_limit", operations=["list_invoices"], seconds=120)
    with pytest.raises(ConnectorError) as caught:
        connect().list_documents()
    assert caught.value.code == errors.RATE_LIMITED
    assert caught.value.hint_key == "fakturownia.rate_limited"
    wait = caught.value.retry_at - datetime.now(timezone.utc)
    assert timedelta(seconds=100) < wait <= timedelta(seconds=121)


def test_exhausted_quota_is_rate_limited_until_the_window_ends(connect, sb):
    sb.quota(2, window_seconds=600)
    conn = connect()
    conn.verify()
    with pytest.raises(ConnectorError) as caught:
        conn.list_documents()
    assert caught.value.code == errors.RATE_LIMITED
    assert timedelta(seconds=500) < caught.value.retry_at - datetime.now(timezone.utc) <= timedelta(seconds=601)


# -- secrets, endpoints, schema, texts ---------------------------------------------------------------
def test_no_token_appears_in_any_recorded_exchange(connect, sb, records):
    conn = connect()
    conn.verify()
    doc = conn.create_document(make_draft(), "secret-1")
    conn.get_document(doc.remote_id)
    conn.get_pdf(doc.remote_id)
    with pytest.raises(ConnectorError):
        connect("wrong_key").verify()
    tokens = [a["credentials"]["api_token"] for a in sb.accounts()]
    assert len(records) >= 6
    for exchange in records:
        text = " ".join(
            [
                exchange.url,
                exchange.request_body,
                exchange.response_body,
                *exchange.request_headers.values(),
                *exchange.response_headers.values(),
            ]
        )
        assert not any(token in text for token in tokens)
        assert f"api_token={REDACTED}" in exchange.url
    assert "Musisz być zalogowany" in records[-1].response_body


def test_transport_redacts_a_token_parameter_it_was_not_told_about():
    transport = Transport(user_agent="test")
    text = transport.redact('{"message": "Musisz być zalogowany ... /account.json?api_token=abc123/x&page=1"}')
    assert "abc123" not in text and "page=1" in text


def test_endpoints_are_the_accounts_subdomain_and_the_sandbox_keeps_the_path():
    assert FakturowniaConnector.endpoints({"subdomain": "mojafirma"}) == {"api": "https://mojafirma.fakturownia.pl"}
    assert FakturowniaConnector.endpoints({"subdomain": "https://MojaFirma.fakturownia.pl/"}) == {
        "api": "https://mojafirma.fakturownia.pl"
    }
    assert resolve_endpoints(FakturowniaConnector, {"subdomain": "mojafirma"}, {"ACCOUNTING_SANDBOX": "1"}) == {
        "api": "http://127.0.0.1:5104"
    }


def test_registered_in_the_catalogue_for_poland():
    cls = registry.get("fakturownia")
    assert cls is FakturowniaConnector and cls.markets == ("PL",)
    assert cls.sandbox_port == 5104 and cls.customer_id_field == "client_id"
    assert cls.rate_limit == (1000, 3600.0)


def test_schema_keys_match_the_sandbox_credentials_and_the_token_is_secret(sb):
    fields = {f.key: f for f in FakturowniaConnector.schema}
    for account in sb.accounts():
        assert set(account["credentials"]) <= set(fields)
    assert fields["api_token"].secret and not fields["subdomain"].secret
    assert "Kod autoryzacyjny API" in fields["api_token"].help


@pytest.mark.parametrize(
    "typed, ok",
    [
        ("mojafirma", True),
        ("moja-firma-2", True),
        ("https://mojafirma.fakturownia.pl", True),
        ("mojafirma.fakturownia.pl/", True),
        ("moja firma", False),
        ("https://evil.example/x", False),
    ],
)
def test_subdomain_field_accepts_the_prefix_or_the_whole_address(typed, ok):
    _config, _secrets, problems = validate_values(
        FakturowniaConnector.schema, {"subdomain": typed, "api_token": "abcd1234"}
    )
    assert (not problems) is ok


def test_subdomain_is_normalised_from_a_pasted_address():
    assert subdomain_of(" https://MojaFirma.fakturownia.pl/ ") == "mojafirma"
    assert subdomain_of("mojafirma") == "mojafirma"


def test_hint_overrides_point_to_fakturownia_hints():
    for code, key in FakturowniaConnector.hint_overrides.items():
        assert code in errors.ALL_CODES
        assert key == f"fakturownia.{code}" and key in FakturowniaConnector.hints


@pytest.mark.parametrize("lang", ["pl", "cs", "sk"])
def test_every_marked_text_is_translated(lang):
    marked = set()
    for source in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "N_":
                marked.add(node.args[0].value)
    with open(PACKAGE / f"translations/{lang}/LC_MESSAGES/messages.po", "rb") as handle:
        catalogue = read_po(handle)
    translated = {m.id: m.string for m in catalogue if m.id}
    assert marked and marked <= set(translated)
    assert all(translated[msgid] for msgid in marked)


# -- documented replies the sandbox has no state for: error rules -----------------------------------
def test_401_echoing_the_token_is_redacted_in_the_detail():
    transport = Transport(user_agent="test", secrets=["tok3nVALUE"])
    body = {
        "code": "error",
        "message": "Musisz być zalogowany, aby mieć dostęp do strony "
        "https://x.fakturownia.pl/invoices.json?api_token=tok3nVALUE",
    }
    failure = error_for(401, {}, body, redact=transport.redact)
    assert failure.code == errors.INVALID_CREDENTIALS and "tok3nVALUE" not in failure.detail


def test_brak_konta_is_account_not_found_on_the_subdomain():
    failure = error_for(422, {}, {"code": "error", "message": "Brak konta: źle wpisane Twoje konto"})
    assert failure.code == errors.ACCOUNT_NOT_FOUND and "subdomain" in failure.fields


def test_validation_fields_are_cleaned_and_mapped_to_our_keys():
    body = {
        "code": "error",
        "message": {
            "buyer_tax_no": ["- nie może być puste"],
            "invoice_id": ["- nie istnieje"],
            "department_id": ["- jest nieprawidłowe"],
        },
    }
    failure = error_for(422, {}, body, creating=True)
    assert failure.code == errors.VALIDATION and not failure.ambiguous
    assert failure.fields == {
        "buyer_tax_no": ["nie może być puste"],
        "related_remote_id": ["nie istnieje"],
        "department_id": ["jest nieprawidłowe"],
    }


@pytest.mark.parametrize(
    "body",
    [
        {"code": "error", "message": {"oid": ["jest już zajęte"]}},
        {"code": "error", "message": "Faktura o takim OID już istnieje"},
    ],
)
def test_oid_unique_refusal_is_recognised_in_either_shape(body):
    assert is_oid_refusal(error_for(422, {}, body, creating=True))


def test_other_validation_is_not_an_oid_refusal():
    assert not is_oid_refusal(error_for(422, {}, {"code": "error", "message": {"buyer_name": ["- puste"]}}))


def test_http_200_with_error_status_is_a_failure_and_no_ksef_number_is_not_ready():
    body = {"message": "Faktura nie może zostać wysłana - brak numeru KSeF", "status": "error"}
    assert error_for(200, {}, body).code == errors.NOT_READY
    assert error_for(200, {}, {"code": "error", "message": "Coś poszło nie tak"}).code == errors.VALIDATION
    assert error_for(200, {}, {"status": "ok"}) is None


def test_retry_after_as_http_date_and_missing():
    later = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
    failure = error_for(429, {"Retry-After": "Tue, 01 Dec 2026 10:00:00 GMT"}, None)
    assert failure.retry_at == later
    assert error_for(429, {}, None).retry_at > datetime.now(timezone.utc)


def test_success_without_json_is_ambiguous_for_creates():
    failure = error_for(201, {}, None, creating=True)
    assert failure.code == errors.REMOTE_ERROR and failure.ambiguous


# -- mapping -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "invoice, expected",
    [
        ({"gov_status": "ok", "gov_id": "5252445767-20261130-AB"}, (KSEF_ACCEPTED, "5252445767-20261130-AB", [])),
        ({"gov_status": "demo_ok", "gov_id": "X-1"}, (KSEF_ACCEPTED, "X-1", [])),
        ({"gov_status": "processing"}, (KSEF_SENT, "", [])),
        (
            {"gov_status": "send_error", "gov_error_messages": ["NIP nabywcy - nieprawidłowy"]},
            (KSEF_REJECTED, "", ["NIP nabywcy - nieprawidłowy"]),
        ),
        ({"gov_status": "server_error"}, (KSEF_WAITING, "", [])),
        ({"gov_status": "not_applicable", "kind": "proforma"}, (KSEF_NOT_APPLICABLE, "", [])),
        ({"gov_status": None, "kind": "vat", "buyer_company": True}, (KSEF_WAITING, "", [])),
        ({"gov_status": None, "kind": "vat", "buyer_company": False}, (KSEF_NOT_APPLICABLE, "", [])),
        ({"gov_status": None, "kind": "proforma", "buyer_company": True}, (KSEF_NOT_APPLICABLE, "", [])),
        (
            {"gov_status": None, "kind": "vat", "gov_error_messages": ["Telefon - za długi"]},
            (KSEF_REJECTED, "", ["Telefon - za długi"]),
        ),
    ],
)
def test_ksef_state_mapping(invoice, expected):
    assert ksef_state(invoice) == expected


def test_not_connected_is_rejected_with_a_reason():
    status, number, reasons = ksef_state({"gov_status": "not_connected", "kind": "vat"})
    assert status == KSEF_REJECTED and not number and reasons


def test_payload_for_a_company_sends_buyer_company_tax_number_and_keep_gross():
    payload = draft_to_payload(make_draft(send_to_ksef=True), {}, "order-1-invoice")
    invoice = payload["invoice"]
    assert payload["gov_save_and_send"] is True
    assert invoice["kind"] == "vat" and invoice["oid"] == "order-1-invoice" and invoice["oid_unique"] == "yes"
    assert invoice["buyer_company"] is True and invoice["buyer_tax_no"] == "9876543210"
    assert invoice["calculating_strategy"]["position"] == "keep_gross"
    assert invoice["positions"][0] == {
        "name": "Koszulka",
        "quantity": "2",
        "tax": "23",
        "total_price_gross": "99.98",
        "quantity_unit": "szt",
    }
    assert invoice["description"].startswith("Zamówienie nr 5001")


def test_payload_for_a_consumer_splits_first_and_last_name_and_sends_net_prices():
    draft = make_draft(
        customer=consumer(),
        prices_include_vat=False,
        lines=[
            Line(
                name="Kubek",
                quantity=Decimal("3"),
                unit_price=Decimal("10.00"),
                vat_rate=Decimal("8"),
                discount_percent=Decimal("10"),
            )
        ],
    )
    invoice = draft_to_payload(draft, {"department_id": "102"}, "k")["invoice"]
    assert invoice["buyer_company"] is False
    assert (invoice["buyer_first_name"], invoice["buyer_last_name"]) == ("Jan", "Nowak")
    assert invoice["positions"][0]["price_net"] == "9.00" and invoice["positions"][0]["tax"] == "8"
    assert invoice["department_id"] == 102 and "calculating_strategy" not in invoice
    assert "gov_save_and_send" not in draft_to_payload(draft, {}, "k")


def test_correction_positions_carry_before_after_and_the_negative_difference():
    corrected = {
        "id": 7,
        "positions": [
            {"name": "Koszulka", "quantity": "2", "total_price_gross": "99.98", "tax": "23"},
            {"name": "Wysyłka", "quantity": "1", "total_price_gross": "12.30", "tax": "23"},
        ],
    }
    draft = make_draft(
        "credit_note",
        related_remote_id="7",
        lines=[
            Line(name="Koszulka", quantity=Decimal("1"), unit_price=Decimal("49.99"), vat_rate=Decimal("23")),
            Line(name="Zwrot opakowania", quantity=Decimal("1"), unit_price=Decimal("5.00"), vat_rate=Decimal("23")),
        ],
    )
    first, second = correction_positions(draft, corrected)
    assert (first["quantity"], first["total_price_gross"], first["kind"]) == ("-1", "-49.99", "correction")
    assert first["correction_before_attributes"] == {
        "name": "Koszulka",
        "quantity": "2",
        "total_price_gross": "99.98",
        "tax": "23",
        "kind": "correction_before",
    }
    assert first["correction_after_attributes"] == {
        "name": "Koszulka",
        "quantity": "1",
        "total_price_gross": "49.99",
        "tax": "23",
        "kind": "correction_after",
    }
    assert second["correction_before_attributes"]["total_price_gross"] == "5.00"
    assert second["correction_after_attributes"]["quantity"] == "0"


def test_correction_keeps_the_corrected_invoices_buyer_and_department():
    corrected = {
        "id": 7,
        "client_id": 55,
        "buyer_company": True,
        "buyer_tax_no": "9876543210",
        "department_id": 102,
        "currency": "PLN",
        "positions": [],
    }
    invoice = draft_to_payload(
        make_draft("credit_note", related_remote_id="7", note="Zwrot 1 szt."), {}, "k", corrected
    )["invoice"]
    assert (invoice["invoice_id"], invoice["from_invoice_id"]) == ("7", "7")
    assert invoice["client_id"] == 55 and invoice["department_id"] == 102
    assert invoice["correction_reason"] == "Zwrot 1 szt."


def test_remote_document_reads_order_number_from_description_or_a_foreign_oid():
    ours = invoice_to_remote(
        {
            "id": 1,
            "kind": "vat",
            "price_gross": "10.00",
            "oid": "order-3-invoice",
            "description": "Zamówienie nr 1234\nDziękujemy",
        },
        "https://x.fakturownia.pl",
    )
    theirs = invoice_to_remote({"id": 2, "kind": "vat", "price_gross": "10.00", "oid": "1011"}, "")
    assert (ours.order_number, ours.reference) == ("1234", "order-3-invoice")
    assert theirs.order_number == "1011"
    assert isinstance(ours.total, Decimal)


def test_a_single_word_consumer_name_is_not_doubled_into_a_last_name():
    party = consumer()
    party.name = "Madonna"
    invoice = draft_to_payload(make_draft(customer=party), {}, "k")["invoice"]
    assert invoice["buyer_first_name"] == "Madonna" and "buyer_last_name" not in invoice
