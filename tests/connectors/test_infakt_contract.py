"""The inFakt connector against the inFakt sandbox over HTTP: verify for each seeded account,
import, asynchronous creates (invoice, proforma, correction), the duplicate guard after lost
answers and worker restarts, KSeF, PDF, e-mail, payments, series, delete and every error kind."""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from connectors import errors
from connectors.base import AppIdentity, ConnectionSettings, MemoryTokenCache, resolve_endpoints
from connectors.documents import (
    KSEF_ACCEPTED,
    KSEF_NOT_APPLICABLE,
    KSEF_REJECTED,
    KSEF_SENT,
    Address,
    DocumentDraft,
    Line,
    Party,
    Payment,
)
from connectors.http import Transport
from connectors.infakt import InfaktConnector
from connectors.infakt.hints import HINTS

VALID, NO_KSEF, WRONG_KEY = "infakt-valid", "infakt-valid-noksef", "infakt-wrong-key"


@pytest.fixture
def sb(sandbox):
    return sandbox("infakt")


@pytest.fixture
def records():
    return []


def account(sb, account_id):
    return next(a for a in sb.accounts() if a["id"] == account_id)


def connect(sb, records, account_id=VALID, *, cache=None, read_timeout=5.0, url=None, api_key=None):
    key = api_key if api_key is not None else account(sb, account_id)["credentials"]["api_key"]
    transport = Transport(
        user_agent=AppIdentity().user_agent,
        on_exchange=records.append,
        read_timeout=read_timeout,
        retries=1,
        backoff=0.05,
    )
    endpoints = resolve_endpoints(InfaktConnector, {}, {"INFAKT_API_URL": url or sb.url})
    connector = InfaktConnector(
        ConnectionSettings({}, {"api_key": key}, endpoints, transport, cache or MemoryTokenCache(), AppIdentity())
    )
    connector.poll_interval = 0.1
    return connector


def customer(nip="9452121681"):
    return Party(
        name="Anna Nowak",
        company_name="Kawiarnia Pod Zegarem Sp. z o.o.",
        tax_id=nip,
        email="ksiegowosc@kawiarnia.example",
        billing_address=Address("Rynek 5", "Kraków", "30-001", "PL"),
    )


def draft(kind="invoice", *, related="", include_vat=False, order="FY-2001", lines=None, ksef=False, buyer=None):
    return DocumentDraft(
        kind=kind,
        customer=buyer or customer(),
        currency="PLN",
        issue_date=date.today(),
        taxable_date=date.today(),
        due_date=date.today() + timedelta(days=14),
        prices_include_vat=include_vat,
        order_number=order,
        language="pl",
        related_remote_id=related,
        send_to_ksef=ksef,
        lines=lines
        or [
            Line("Kawa ziarnista 1 kg", Decimal("2"), Decimal("79.00"), Decimal("23"), unit="szt."),
            Line(
                "Herbata 250 g",
                Decimal("3"),
                Decimal("25.90"),
                Decimal("8"),
                unit="szt.",
                discount_percent=Decimal("10"),
            ),
        ],
    )


def held(sb, remote_id):
    return next(d for d in sb.documents() if d["id"] == remote_id)


def posts(sb, suffix):
    return [r for r in sb.requests() if r["method"] == "POST" and r["path"].endswith(suffix)]


# -- verify ---------------------------------------------------------------------------------
def test_verify_names_the_company_plan_and_ksef_connection(sb, records):
    identity = connect(sb, records).verify()
    assert identity.company_name == "Sklep Demo Sp. z o.o."
    assert identity.plan == "inFakt Faktury"
    assert identity.user_email == "biuro@sklep-demo.example"
    assert (identity.country, identity.currency) == ("PL", "PLN")
    assert "ksef" in identity.allows and identity.extra["ksef_connected"] is True
    assert identity.warnings == ()


def test_verify_of_an_account_without_ksef_warns_with_the_fix_instead_of_failing(sb, records):
    identity = connect(sb, records, NO_KSEF).verify()
    assert identity.company_name
    assert "ksef" not in identity.allows
    assert len(identity.warnings) == 1 and "Ustawienia > KSeF" in identity.warnings[0]


def test_verify_with_a_wrong_key_is_invalid_credentials_with_the_infakt_hint(sb, records):
    with pytest.raises(errors.ConnectorError) as caught:
        connect(sb, records, WRONG_KEY).verify()
    assert caught.value.code == errors.INVALID_CREDENTIALS and caught.value.http_status == 401
    assert caught.value.hint_key == "infakt.invalid_credentials"
    assert "Ustawienia konta > API" in HINTS[caught.value.hint_key]


def test_verify_without_a_key_names_the_field_and_sends_nothing(sb, records):
    with pytest.raises(errors.ConnectorError) as caught:
        connect(sb, records, api_key="").verify()
    assert caught.value.code == errors.VALIDATION and set(caught.value.fields) == {"api_key"}
    assert sb.requests() == []


def test_schema_keys_match_the_sandbox_credentials_and_the_key_is_secret(sb):
    keys = {f.key: f for f in InfaktConnector.schema}
    for acc in sb.accounts():
        assert set(acc["credentials"]) <= set(keys)
    assert keys["api_key"].secret and keys["api_key"].required
    assert "Ustawienia konta > API" in keys["api_key"].help


def test_the_api_key_travels_in_its_header_and_never_reaches_the_log(sb, records):
    connector = connect(sb, records)
    connector.verify()
    connector.create_document(draft(), "fy-secret")
    key = account(sb, VALID)["credentials"]["api_key"]
    assert all(r["headers"].get("X-Infakt-Apikey") == key for r in sb.requests())
    assert {r["headers"].get("User-Agent") for r in sb.requests()} == {AppIdentity().user_agent}
    text = json.dumps([e.__dict__ for e in records], default=str, ensure_ascii=False)
    assert key not in text
    assert all(e.request_headers["X-inFakt-ApiKey"] == "•••" for e in records)


# -- import ---------------------------------------------------------------------------------
def test_list_documents_imports_the_seeded_invoices_and_proformas_with_their_totals_and_orders(sb, records):
    result = connect(sb, records).list_documents(1)
    seeded = {d["id"]: d for d in sb.documents() if d["account"] == VALID and d["type"] != "credit_note"}
    assert {d.remote_id for d in result.documents} == set(seeded)
    assert not result.has_more and result.total_count == len(seeded)
    for document in result.documents:
        assert document.kind == seeded[document.remote_id]["type"]
        assert document.number == seeded[document.remote_id]["number"]
        assert document.total == Decimal(seeded[document.remote_id]["total"])
        assert document.order_number == (seeded[document.remote_id]["order_no"] or "")
        assert document.base_total + document.vat_total == document.total


def test_list_documents_by_kind_gives_proformas_and_corrections(sb, records):
    connector = connect(sb, records)
    proformas = connector.list_documents(1, "proforma").documents
    notes = connector.list_documents(1, "credit_note").documents
    assert proformas and {d.kind for d in proformas} == {"proforma"}
    assert notes and {d.kind for d in notes} == {"credit_note"} and all(d.total < 0 for d in notes)


def test_list_documents_pages_by_the_page_size(sb, records, monkeypatch):
    import connectors.infakt as infakt

    monkeypatch.setattr(infakt, "PAGE_SIZE", 5)
    connector, pages, page = connect(sb, records), [], 1
    while True:
        result = connector.list_documents(page)
        pages.append(len(result.documents))
        if not result.has_more:
            break
        page += 1
    total = len([d for d in sb.documents() if d["account"] == VALID and d["type"] != "credit_note"])
    assert sum(pages) == total and len(pages) == -(-total // 5) and pages[0] == 5
    assert len({d.remote_id for p in range(1, page + 1) for d in connector.list_documents(p).documents}) == total


def test_imported_documents_carry_their_ksef_state(sb, records):
    connector = connect(sb, records)
    documents = connector.list_documents(1).documents + connector.list_documents(1, "credit_note").documents
    held_by_id = {d["id"]: d for d in sb.documents()}
    for document in documents:
        expected = {"success": KSEF_ACCEPTED, "sent": KSEF_SENT, "error": KSEF_REJECTED, None: KSEF_NOT_APPLICABLE}[
            held_by_id[document.remote_id]["ksef_status"]
        ]
        assert document.ksef_status == expected
        assert document.ksef_number == (held_by_id[document.remote_id]["ksef_number"] or "")
        assert bool(document.ksef_errors) == (expected == KSEF_REJECTED)
    assert {d.ksef_status for d in documents} >= {KSEF_ACCEPTED, KSEF_NOT_APPLICABLE}


def test_get_document_of_unknown_uuid_is_not_found(sb, records):
    with pytest.raises(errors.ConnectorError) as caught:
        connect(sb, records).get_document("00000000-0000-4000-8000-000000000000")
    assert caught.value.code == errors.NOT_FOUND


# -- create (asynchronous) --------------------------------------------------------------------
def test_create_invoice_sends_grosze_polls_the_task_and_returns_the_invoice(sb, records):
    document = connect(sb, records).create_document(draft(), "fy-2001-invoice")
    stored = held(sb, document.remote_id)
    assert document.number == stored["number"] and document.kind == "invoice"
    assert document.total == Decimal(stored["total"])
    assert {(v.rate, v.base) for v in document.vat} == {
        (Decimal("23"), Decimal("158.00")),
        (Decimal("8"), Decimal("69.93")),
    }
    assert document.reference == "fy-2001-invoice" and document.order_number == "FY-2001"
    sent = json.loads(posts(sb, "/async/invoices.json")[0]["body"])["invoice"]
    assert [s["unit_net_price"] for s in sent["services"]] == [7900, 2331]
    assert all(isinstance(s["unit_net_price"], int) for s in sent["services"])
    assert sent["currency"] == "PLN" and sent["client_tax_code"] == "9452121681"
    assert (sent["client_street"], sent["client_street_number"]) == ("Rynek", "5")
    statuses = [r for r in sb.requests() if "/async/invoices/status/" in r["path"]]
    assert statuses and all(r["method"] == "GET" for r in statuses)


def test_prices_with_vat_are_sent_as_gross_line_values_in_grosze(sb, records):
    lines = [Line("Zestaw prezentowy", Decimal("2"), Decimal("123.00"), Decimal("23"))]
    document = connect(sb, records).create_document(draft(include_vat=True, lines=lines), "fy-gross")
    sent = json.loads(posts(sb, "/async/invoices.json")[0]["body"])["invoice"]["services"][0]
    assert sent["gross_price"] == 24600 and "unit_net_price" not in sent
    assert document.total == Decimal("246.00")
    assert (document.vat[0].base, document.vat[0].vat) == (Decimal("200.00"), Decimal("46.00"))


def test_create_proforma_is_a_proforma_of_the_invoices_resource(sb, records):
    document = connect(sb, records).create_document(draft("proforma"), "fy-pro")
    assert document.kind == "proforma" and held(sb, document.remote_id)["type"] == "proforma"
    assert document.ksef_status == KSEF_NOT_APPLICABLE


def test_paid_draft_is_issued_paid_in_the_same_call(sb, records):
    paid = draft()
    paid.paid = True
    document = connect(sb, records).create_document(paid, "fy-paid")
    assert document.status == "paid" and held(sb, document.remote_id)["status"] == "paid"


def test_validation_failure_through_the_task_puts_messages_next_to_the_field(sb, records):
    with pytest.raises(errors.ConnectorError) as caught:
        connect(sb, records).create_document(draft(buyer=customer(nip="1234567890")), "fy-bad-nip")
    assert caught.value.code == errors.VALIDATION and not caught.value.ambiguous
    assert "client_tax_code" in caught.value.fields and caught.value.fields["client_tax_code"]
    assert [d for d in sb.documents() if d["reference"] and "fy-bad-nip" in d["reference"]] == []


def test_a_failed_task_is_not_found_by_reference_so_the_document_may_be_issued_again(sb, records):
    connector = connect(sb, records)
    with pytest.raises(errors.ConnectorError):
        connector.create_document(draft(buyer=customer(nip="1234567890")), "fy-bad-2")
    assert connector.find_by_reference("fy-bad-2", draft()) is None


def test_an_immediate_422_maps_to_validation(sb, records):
    connector = connect(sb, records)
    with pytest.raises(errors.ConnectorError) as caught:
        connector.client.post_json("/async/invoices.json", {}, operation="create_invoice")
    assert caught.value.code == errors.VALIDATION and caught.value.http_status in (400, 422)
    assert caught.value.detail


def still_processing(connector):
    """inFakt slower than our budget: every status poll answers "in progress" (code 140)."""
    asked = connector._status
    connector._status = lambda resource, ref: {**asked(resource, ref), "processing_code": 140}


def test_budget_running_out_while_inFakt_processes_is_ambiguous_with_the_task_reference(sb, records):
    cache = MemoryTokenCache()
    connector = connect(sb, records, cache=cache)
    connector.task_wait_seconds = 0.6
    still_processing(connector)
    with pytest.raises(errors.ConnectorError) as caught:
        connector.create_document(draft(), "fy-slow-task")
    error = caught.value
    assert error.code == errors.TIMEOUT and error.ambiguous and error.hint_key == "infakt.task_pending"
    ref = connector.pending_task("fy-slow-task")
    assert ref and ref in error.detail
    # A worker restarted after a crash: a new connector sharing only the token cache resumes the task.
    restarted = connect(sb, records, cache=cache)
    found = restarted.find_by_reference("fy-slow-task", draft())
    assert found is not None and found.reference == "fy-slow-task"
    assert restarted.pending_task("fy-slow-task") == ""
    assert len(posts(sb, "/async/invoices.json")) == 1
    assert [d["id"] for d in sb.documents()].count(found.remote_id) == 1


def test_find_by_reference_of_a_task_still_processing_is_ambiguous_never_not_found(sb, records):
    connector = connect(sb, records)
    connector.task_wait_seconds = 0.6
    still_processing(connector)
    with pytest.raises(errors.ConnectorError):
        connector.create_document(draft(), "fy-still")
    with pytest.raises(errors.ConnectorError) as caught:
        connector.find_by_reference("fy-still", draft())
    assert caught.value.code == errors.TIMEOUT and caught.value.ambiguous
    polls = [r for r in sb.requests() if "/async/invoices/status/" in r["path"]]
    assert len(polls) >= 2 and len(posts(sb, "/async/invoices.json")) == 1


def test_lost_create_answer_then_find_by_reference_finds_the_one_invoice(sb, records):
    connector = connect(sb, records)
    sb.fault("drop_after_create", operations=["create_invoice"])
    with pytest.raises(errors.ConnectorError) as caught:
        connector.create_document(draft(), "fy-drop")
    assert caught.value.ambiguous and caught.value.code == errors.TIMEOUT
    sb.fault("none")
    assert connector.pending_task("fy-drop") == ""  # the answer, and with it the reference, was lost
    found = None
    for _ in range(40):  # inFakt processes the task in about a second
        found = connector.find_by_reference("fy-drop", draft())
        if found:
            break
        time.sleep(0.1)
    assert found is not None and found.number == held(sb, found.remote_id)["number"]
    # The worker's rule: after an ambiguous failure look up first, create only when nothing is found.
    if connector.find_by_reference("fy-drop") is None:
        connector.create_document(draft(), "fy-drop")
    assert sum("[fynode:fy-drop]" in (d["reference"] or "") for d in sb.documents()) == 1


def test_find_by_reference_is_none_for_an_unknown_key_and_keys_do_not_match_by_prefix(sb, records):
    connector = connect(sb, records)
    connector.create_document(draft(), "fy-10")
    assert connector.find_by_reference("fy-1") is None
    assert connector.find_by_reference("fy-10").reference == "fy-10"


def test_timeout_on_a_read_is_not_ambiguous(sb, records):
    connector = connect(sb, records, read_timeout=0.4)
    sb.fault("timeout", operations=["list_invoices"], seconds=1)
    with pytest.raises(errors.ConnectorError) as caught:
        connector.list_documents()
    assert caught.value.code == errors.TIMEOUT and not caught.value.ambiguous


# -- corrections ------------------------------------------------------------------------------
def test_correction_is_linked_to_its_invoice_with_before_and_after_pairs(sb, records):
    connector = connect(sb, records)
    invoice = connector.create_document(draft(), "fy-inv")
    refund = [Line("Kawa ziarnista 1 kg", Decimal("1"), Decimal("79.00"), Decimal("23"), unit="szt.")]
    note = connector.create_document(draft("credit_note", related=invoice.remote_id, lines=refund), "fy-inv-cn")
    stored = held(sb, note.remote_id)
    assert note.kind == "credit_note" and stored["type"] == "credit_note" and stored["corrects"] == invoice.remote_id
    assert note.total == Decimal("-97.17") and note.number == stored["number"]
    assert note.raw_id_fields["corrected_invoice_uuid"] == invoice.remote_id
    sent = json.loads(posts(sb, "/async/corrective_invoices.json")[0]["body"])["corrective_invoice"]
    assert sent["corrected_invoice_uuid"] == invoice.remote_id and sent["corrected_invoice_number"] == invoice.number
    assert [(s["group"], s["correction"], s["quantity"]) for s in sent["services"]] == [(1, False, 2), (1, True, 1)]
    assert [(line.quantity, line.total) for line in note.lines] == [(Decimal("-1"), Decimal("-97.17"))]


def test_correction_of_the_whole_invoice_cancels_its_total(sb, records):
    connector = connect(sb, records)
    invoice = connector.create_document(draft(), "fy-whole")
    note = connector.create_document(draft("credit_note", related=invoice.remote_id), "fy-whole-cn")
    assert note.total == -invoice.total


def test_correction_without_its_invoice_is_a_validation_error_with_the_hint(sb, records):
    with pytest.raises(errors.ConnectorError) as caught:
        connect(sb, records).create_document(draft("credit_note"), "fy-cn-x")
    assert caught.value.code == errors.VALIDATION and caught.value.hint_key == "infakt.correction_needs_invoice"
    assert sb.requests() == []


# -- KSeF ---------------------------------------------------------------------------------------
def test_b2b_invoice_is_sent_to_ksef_on_creation_and_accepted_with_a_number(sb, records):
    connector = connect(sb, records)
    document = connector.create_document(draft(ksef=True), "fy-ksef")
    assert document.ksef_status == KSEF_SENT and len(posts(sb, "/send_to_ksef.json")) == 1
    for _ in range(100):
        state, number, reasons = connector.ksef_status(document.remote_id)
        if state != KSEF_SENT:
            break
        time.sleep(0.1)
    assert state == KSEF_ACCEPTED and number.startswith("5252344078-") and reasons == []
    again = connector.get_document(document.remote_id)
    assert (again.ksef_status, again.ksef_number) == (KSEF_ACCEPTED, number)


def test_an_invoice_is_never_sent_to_ksef_twice(sb, records):
    connector = connect(sb, records)
    document = connector.create_document(draft(ksef=True), "fy-ksef-2")
    assert connector.send_to_ksef(document.remote_id).ksef_status in (KSEF_SENT, KSEF_ACCEPTED)
    assert connector.find_by_reference("fy-ksef-2", draft(ksef=True)).remote_id == document.remote_id
    assert len(posts(sb, "/send_to_ksef.json")) == 1


def test_account_not_connected_to_ksef_creates_the_invoice_and_reports_the_refusal(sb, records):
    connector = connect(sb, records, NO_KSEF)
    document = connector.create_document(draft(ksef=True), "fy-noksef")
    assert held(sb, document.remote_id)["number"] == document.number
    assert document.ksef_status == KSEF_REJECTED and "zintegrowany" in document.ksef_errors[0]
    with pytest.raises(errors.ConnectorError) as caught:
        connector.send_to_ksef(document.remote_id)
    assert caught.value.code == errors.VALIDATION and caught.value.hint_key == "infakt.ksef_not_integrated"


def test_proforma_is_not_sent_to_ksef(sb, records):
    connector = connect(sb, records)
    document = connector.create_document(draft("proforma", ksef=True), "fy-pro-ksef")
    assert document.ksef_status == KSEF_NOT_APPLICABLE and posts(sb, "/send_to_ksef.json") == []


# -- PDF, e-mail, paid, series, delete -----------------------------------------------------------
def test_pdf_is_the_invoice_pdf(sb, records):
    connector = connect(sb, records)
    document = connector.create_document(draft(), "fy-pdf")
    pdf = connector.get_pdf(document.remote_id)
    assert pdf.content.startswith(b"%PDF") and pdf.content_type == "application/pdf"
    request = next(r for r in sb.requests() if r["path"].endswith("/pdf.json"))
    assert "document_type=original" in request["query"]


def test_send_email_delivers_to_the_given_address(sb, records):
    connector = connect(sb, records)
    document = connector.create_document(draft(), "fy-mail")
    connector.send_email(document.remote_id, "zakupy@kawiarnia.example")
    assert held(sb, document.remote_id)["emailed_to"] == ["zakupy@kawiarnia.example"]
    body = json.loads(posts(sb, "/deliver_via_email.json")[0]["body"])
    assert body["recipient"] == "zakupy@kawiarnia.example" and body["print_type"] == "original"


def test_mark_paid_is_accepted_and_the_invoice_becomes_paid(sb, records):
    connector = connect(sb, records)
    document = connector.create_document(draft(), "fy-pay")
    connector.mark_paid(document.remote_id, Payment(amount=document.total, paid_on=date.today()))
    assert json.loads(posts(sb, "/paid.json")[0]["body"]) == {"paid_date": date.today().isoformat()}
    for _ in range(30):
        if connector.get_document(document.remote_id).status == "paid":
            break
        time.sleep(0.1)
    assert connector.get_document(document.remote_id).status == "paid"


def test_number_series_tell_the_next_number_of_each_kind(sb, records):
    connector = connect(sb, records)
    series = connector.list_number_series("invoice")
    assert [(s.id, s.default) for s in series] == [("vat", True)] and series[0].next_number
    document = connector.create_document(draft(), "fy-series")
    assert document.number == series[0].next_number
    assert connector.list_number_series("proforma")[0].id == "proforma"
    assert connector.list_number_series("credit_note") == []


def test_bank_accounts_are_offered_as_choices(sb, records):
    choices = connect(sb, records).list_choices("bank_accounts")
    assert choices and all(number and number in label for number, label in choices)


def test_delete_removes_a_fresh_invoice(sb, records):
    connector = connect(sb, records)
    document = connector.create_document(draft(), "fy-del")
    connector.delete_document(document.remote_id)
    assert all(d["id"] != document.remote_id for d in sb.documents())


def test_delete_of_an_invoice_sent_to_ksef_is_a_conflict_with_the_locked_hint(sb, records):
    connector = connect(sb, records)
    document = connector.create_document(draft(ksef=True), "fy-del-ksef")
    with pytest.raises(errors.ConnectorError) as caught:
        connector.delete_document(document.remote_id)
    assert caught.value.code == errors.CONFLICT and caught.value.hint_key == "infakt.locked"


# -- limits and failures ---------------------------------------------------------------------------
def test_rate_limit_is_rate_limited_with_retry_at_from_retry_after(sb, records):
    connector = connect(sb, records)
    sb.quota(2, 60)
    with pytest.raises(errors.ConnectorError) as caught:
        for _ in range(3):
            connector.list_documents()
    assert caught.value.code == errors.RATE_LIMITED and caught.value.hint_key == "infakt.rate_limited"
    now = datetime.now(timezone.utc)
    assert now < caught.value.retry_at <= now + timedelta(seconds=61)


def test_injected_rate_limit_on_create_gives_retry_at(sb, records):
    connector = connect(sb, records)
    sb.fault("rate_limit", operations=["create_invoice"], seconds=30)
    with pytest.raises(errors.ConnectorError) as caught:
        connector.create_document(draft(), "fy-429")
    assert caught.value.code == errors.RATE_LIMITED and not caught.value.ambiguous
    assert caught.value.retry_at > datetime.now(timezone.utc) + timedelta(seconds=20)


def test_server_error_is_a_retryable_remote_error(sb, records):
    connector = connect(sb, records)
    sb.fault("error_500", operations=["create_invoice"])
    with pytest.raises(errors.ConnectorError) as caught:
        connector.create_document(draft(), "fy-500")
    assert caught.value.code == errors.REMOTE_ERROR and caught.value.is_retryable


def test_the_connector_declares_the_documented_quota_and_the_sandbox_port():
    assert InfaktConnector.rate_limit == (150, 60.0)
    assert InfaktConnector.sandbox_port == 5105
    assert resolve_endpoints(InfaktConnector, {}, {}) == {"api": "https://api.infakt.pl/api/v3"}
    assert resolve_endpoints(InfaktConnector, {}, {"ACCOUNTING_SANDBOX": "1"}) == {
        "api": "http://127.0.0.1:5105/api/v3"
    }
