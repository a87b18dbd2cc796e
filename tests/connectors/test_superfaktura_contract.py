"""SuperFaktura connector against the SuperFaktura sandbox: every operation and every error kind."""

from __future__ import annotations

import ast
import pathlib
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from babel.messages.pofile import read_po

from connectors import errors
from connectors.base import AppIdentity, ConnectionSettings, MemoryTokenCache, resolve_endpoints
from connectors.documents import Address, DocumentDraft, Line, Party, Payment
from connectors.errors import ConnectorError
from connectors.http import Transport
from connectors.superfaktura import SuperFakturaConnector
from connectors.superfaktura.errors import error_for
from connectors.superfaktura.hints import HINTS
from connectors.superfaktura.mapping import checksum_for

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "connectors" / "superfaktura"


@pytest.fixture
def sb(sandbox):
    return sandbox("superfaktura")


@pytest.fixture
def records():
    return []


@pytest.fixture
def connect(sb, records):
    def build(state: str = "valid", *, read_timeout: float = 5.0, url: str | None = None, **overrides):
        credentials = {**sb.account(state)["credentials"], **overrides}
        config = {k: v for k, v in credentials.items() if k != "api_key"}
        transport = Transport(
            user_agent=AppIdentity().user_agent,
            on_exchange=records.append,
            read_timeout=read_timeout,
            connect_timeout=1.0,
            retries=0,
            backoff=0.01,
        )
        endpoints = resolve_endpoints(SuperFakturaConnector, config, {"SUPERFAKTURA_API_URL": url or sb.url})
        return SuperFakturaConnector(
            ConnectionSettings(
                config,
                {"api_key": credentials["api_key"]},
                endpoints,
                transport,
                MemoryTokenCache(),
                AppIdentity(registrations={}),
            )
        )

    return build


def make_draft(kind: str = "invoice", *, lines=None, order: str = "5001", **extra) -> DocumentDraft:
    customer = Party(
        name="Mária Horváthová",
        email="maria@example.sk",
        billing_address=Address(street="Dlhá 7", city="Nitra", zip="949 01", country="SK"),
    )
    lines = lines or [
        Line(name="Tričko", quantity=Decimal("3"), unit_price=Decimal("10.56"), vat_rate=Decimal("23"), unit="ks"),
        Line(name="Kniha", quantity=Decimal("1"), unit_price=Decimal("18.90"), vat_rate=Decimal("5")),
        Line(name="Poštovné", quantity=Decimal("1"), unit_price=Decimal("3.25"), vat_rate=Decimal("23")),
    ]
    return DocumentDraft(
        kind=kind,
        customer=customer,
        lines=lines,
        currency="EUR",
        issue_date=date.today(),
        due_date=date.today() + timedelta(days=14),
        order_number=order,
        **extra,
    )


def held(sb, remote_id: str) -> dict:
    return next(d for d in sb.documents() if d["id"] == remote_id)


def vat_rows(document) -> list[dict]:
    return sorted(
        ({"rate": format(v.rate.normalize(), "f"), "base": str(v.base), "vat": str(v.vat)} for v in document.vat),
        key=lambda r: r["rate"],
    )


# -- verify -------------------------------------------------------------------------------
def test_verify_valid_account_says_company_plan_and_series(connect):
    identity = connect("valid").verify()
    assert identity.company_name == "Demo s.r.o."
    assert identity.account_id == "3101"
    assert identity.plan == "Premium"
    assert "api" in identity.allows and "credit_note" in identity.allows
    assert identity.extra["number_series"] == {"invoice": 2, "proforma": 1, "credit_note": 1}
    assert identity.warnings == ()


def test_verify_sends_url_encoded_email_and_our_module_name(connect, sb):
    connect("valid").verify()
    header = sb.requests()[-1]["headers"]["Authorization"]
    assert header.startswith("SFAPI email=demo%2Bsk%40fynode.example&apikey=")
    assert "company_id=3101" in header
    assert "module=Fynode+Accounting+Connect+0.1" in header


def test_verify_with_wrong_api_key_is_invalid_credentials_with_superfaktura_hint(connect):
    with pytest.raises(ConnectorError) as caught:
        connect("wrong_key").verify()
    assert caught.value.code == errors.INVALID_CREDENTIALS
    assert caught.value.hint_key == "superfaktura.invalid_credentials"
    assert caught.value.is_auth


def test_verify_without_premium_package_is_plan_lacks_api(connect):
    with pytest.raises(ConnectorError) as caught:
        connect("no_api_plan").verify()
    assert caught.value.code == errors.PLAN_LACKS_API
    assert caught.value.hint_key == "superfaktura.plan_lacks_api"
    assert "prémiové" in caught.value.detail


def test_verify_after_premium_trial_ended_is_plan_lacks_api_as_superfaktura_does_not_tell_apart(connect):
    with pytest.raises(ConnectorError) as caught:
        connect("expired").verify()
    assert caught.value.code == errors.PLAN_LACKS_API


def test_verify_with_company_id_outside_the_login_is_account_not_found(connect):
    with pytest.raises(ConnectorError) as caught:
        connect("valid", company_id="31019").verify()
    assert caught.value.code == errors.ACCOUNT_NOT_FOUND
    assert caught.value.hint_key == "superfaktura.account_not_found"


def test_verify_with_second_company_of_the_login_connects_to_that_company(connect):
    identity = connect("valid", company_id="3102").verify()
    assert identity.company_name == "Demo Druhá s.r.o."
    assert identity.account_id == "3102"


def test_verify_without_company_id_warns_and_uses_first_company(connect):
    identity = connect("valid", company_id="").verify()
    assert identity.account_id == "3101"
    assert any("company ID" in w for w in identity.warnings)


def test_verify_on_reader_account_works_and_warns_about_missing_credit_note_series(connect):
    identity = connect("no_permission").verify()
    assert identity.company_name == "Účtovník s.r.o."
    assert identity.extra["vat_payer"] is False
    assert any("credit notes" in w for w in identity.warnings)


# -- the right to issue (issue 8, point 4) --------------------------------------------------------
def _creates(sb) -> list[dict]:
    return [r for r in sb.requests() if r["method"] == "POST" and r["path"] == "/invoices/create"]


def test_verify_of_a_user_without_the_right_to_issue_reports_a_blocker_with_the_administrator_hint(connect, sb):
    before = len(sb.documents())
    identity = connect("no_permission").verify()
    assert identity.blockers == (HINTS["superfaktura.permission_denied"],)
    assert "Administrator role" in identity.blockers[0]
    assert len(sb.documents()) == before
    [probe] = _creates(sb)
    assert probe["status"] == 403


def test_the_right_to_issue_check_of_an_administrator_creates_nothing_and_blocks_nothing(connect, sb, records):
    before = sb.documents()
    identity = connect("valid").verify()
    assert identity.blockers == ()
    assert sb.documents() == before  # not one document more, none changed
    [probe] = _creates(sb)
    # An empty document in the documented form field: SuperFaktura refuses it for the missing
    # client (HTTP 200, error 4), which is an answered call in the log, not a failed one.
    assert probe["body"] == "data=%7B%7D" and probe["status"] == 200
    [logged] = [e for e in records if e.operation == "check_issue_right"]
    assert logged.method == "POST" and logged.status == 200 and logged.error_code is None
    assert '"error": 4' in logged.response_body or '"error":4' in logged.response_body


@pytest.mark.parametrize("fault", ["error_500", "rate_limit"])
def test_an_unexpected_answer_to_the_right_to_issue_check_is_no_blocker_and_no_error(connect, sb, fault):
    before = len(sb.documents())
    sb.fault(fault, operations=["create_invoice"], seconds=60)
    identity = connect("valid").verify()
    assert identity.blockers == () and identity.company_name == "Demo s.r.o."
    assert [r["status"] for r in _creates(sb)] == [500 if fault == "error_500" else 429]
    assert len(sb.documents()) == before


def test_verify_with_few_requests_left_today_warns(connect, sb):
    sb.quota(50)
    identity = connect("valid").verify()
    assert any("API requests" in w for w in identity.warnings)


# -- create -------------------------------------------------------------------------------
def test_create_invoice_returns_number_and_vat_totals_as_the_sandbox_holds_them(connect, sb):
    doc = connect().create_document(make_draft(), "order-5001-invoice")
    stored = held(sb, doc.remote_id)
    assert doc.kind == "invoice" and stored["type"] == "regular"
    assert doc.number == stored["number"] == f"{date.today().year}049"
    assert str(doc.total) == stored["total"]
    assert vat_rows(doc) == sorted(stored["vat_breakdown"], key=lambda r: r["rate"])
    assert doc.reference == stored["checksum"] == "order-5001-invoice"
    assert doc.order_number == "5001"
    assert doc.lines[0].unit_price == Decimal("10.56")


def test_create_invoice_uses_retail_rounding_per_item(connect):
    lines = [Line(name="Žuvačka", quantity=Decimal("7"), unit_price=Decimal("0.99"), vat_rate=Decimal("20"))]
    doc = connect().create_document(make_draft(lines=lines), "rounding-1")
    # item_ext: 0.99 * 1.2 = 1.188 -> 1.19 per piece, * 7 = 8.33 (per-line rounding would give 8.32)
    assert doc.total == Decimal("8.33")
    assert doc.vat[0].base == Decimal("6.93") and doc.vat[0].vat == Decimal("1.40")


def test_create_invoice_with_prices_including_vat_keeps_the_shop_gross_total(connect):
    lines = [
        Line(name="Káva", quantity=Decimal("2"), unit_price=Decimal("12.99"), vat_rate=Decimal("23")),
        Line(name="Čaj", quantity=Decimal("1"), unit_price=Decimal("4.50"), vat_rate=Decimal("19")),
    ]
    doc = connect().create_document(make_draft(lines=lines, prices_include_vat=True), "gross-1")
    assert doc.total == Decimal("30.48")


def test_create_proforma_numbers_in_the_proforma_series(connect, sb):
    doc = connect().create_document(make_draft("proforma"), "order-5001-proforma")
    assert doc.kind == "proforma"
    assert doc.number == f"ZF{date.today().year}004"
    assert held(sb, doc.remote_id)["type"] == "proforma"


def test_create_credit_note_links_the_invoice_and_carries_negative_totals(connect, sb):
    conn = connect()
    invoice = conn.create_document(make_draft(), "order-5001-invoice")
    credit = conn.create_document(make_draft("credit_note", related_remote_id=invoice.remote_id), "order-5001-refund")
    stored = held(sb, credit.remote_id)
    assert stored["type"] == "cancel" and stored["parent_id"] == invoice.remote_id
    assert credit.number == f"DB{date.today().year}001"
    assert credit.total == -invoice.total
    assert str(credit.total) == stored["total"]
    assert vat_rows(credit) == sorted(stored["vat_breakdown"], key=lambda r: r["rate"])


def test_create_credit_note_without_its_invoice_is_rejected_before_sending(connect, records):
    with pytest.raises(ConnectorError) as caught:
        connect().create_document(make_draft("credit_note"), "refund-x")
    assert caught.value.code == errors.VALIDATION
    assert "related_remote_id" in caught.value.fields
    assert records == []


def test_create_uses_the_series_chosen_in_settings(connect):
    conn = connect(invoice_series="102")
    doc = conn.create_document(make_draft(), "series-1")
    assert doc.number == f"E{date.today().year}0001"


def test_create_with_unknown_series_is_validation_with_field_message(connect):
    with pytest.raises(ConnectorError) as caught:
        connect().create_document(make_draft(series_id="999"), "series-bad")
    assert caught.value.code == errors.VALIDATION
    assert caught.value.fields["sequence_id"]
    assert not caught.value.ambiguous


def test_create_with_impossible_vat_rate_names_the_item_field(connect):
    lines = [Line(name="X", quantity=Decimal("1"), unit_price=Decimal("1"), vat_rate=Decimal("150"))]
    with pytest.raises(ConnectorError) as caught:
        connect().create_document(make_draft(lines=lines), "vat-bad")
    assert caught.value.code == errors.VALIDATION
    assert list(caught.value.fields) == ["InvoiceItem.0.tax"]


def test_create_with_unknown_currency_is_validation_on_currency(connect):
    draft = make_draft()
    draft.currency = "XYZ"
    with pytest.raises(ConnectorError) as caught:
        connect().create_document(draft, "currency-bad")
    assert caught.value.code == errors.VALIDATION
    assert "invoice_currency" in caught.value.fields


def test_create_on_reader_account_is_permission_denied_with_administrator_hint(connect):
    with pytest.raises(ConnectorError) as caught:
        connect("no_permission").create_document(make_draft(), "perm-1")
    assert caught.value.code == errors.PERMISSION_DENIED
    assert caught.value.hint_key == "superfaktura.permission_denied"


# -- the duplicate guard --------------------------------------------------------------------
def test_find_by_reference_for_deleted_document_is_none(connect):
    conn = connect()
    doc = conn.create_document(make_draft(), "to-delete")
    conn.delete_document(doc.remote_id)
    assert conn.find_by_reference("to-delete") is None


def test_long_idempotency_key_becomes_a_32_character_checksum(connect, sb):
    key = "shop-12/order-2026-000123/invoice/attempt-group-7"
    conn = connect()
    doc = conn.create_document(make_draft(), key)
    assert len(checksum_for(key)) == 32
    assert held(sb, doc.remote_id)["checksum"] == checksum_for(key)
    assert conn.find_by_reference(key).remote_id == doc.remote_id


def test_timeout_on_read_is_a_plain_timeout(connect, sb):
    sb.fault("timeout", operations=["get_invoice"], seconds=1.0)
    with pytest.raises(ConnectorError) as caught:
        connect(read_timeout=0.3).get_document("1271")
    assert caught.value.code == errors.TIMEOUT
    assert not caught.value.ambiguous


# -- rate limits ----------------------------------------------------------------------------
def test_rate_limited_reply_carries_retry_at_from_daily_reset(connect, sb):
    sb.fault("rate_limit", operations=["list_invoices"], seconds=120)
    with pytest.raises(ConnectorError) as caught:
        connect().list_documents()
    assert caught.value.code == errors.RATE_LIMITED
    assert caught.value.hint_key == "superfaktura.rate_limited"
    wait = caught.value.retry_at - datetime.now(timezone.utc)
    assert timedelta(seconds=100) < wait <= timedelta(seconds=121)


def test_exhausted_daily_quota_blocks_reads_until_the_reset(connect, sb):
    sb.quota(2, window_seconds=600)
    conn = connect()
    conn.verify()  # two requests: company data and series
    with pytest.raises(ConnectorError) as caught:
        conn.list_documents()
    assert caught.value.code == errors.RATE_LIMITED
    assert timedelta(seconds=500) < caught.value.retry_at - datetime.now(timezone.utc) <= timedelta(seconds=601)


# -- reading ----------------------------------------------------------------------------------
def test_list_documents_pages_through_this_years_invoices(connect):
    conn = connect()
    conn.page_size = 20
    pages = [conn.list_documents(page) for page in (1, 2, 3)]
    assert [len(p.documents) for p in pages] == [20, 20, 8]
    assert [p.has_more for p in pages] == [True, True, False]
    assert pages[0].total_count == 48
    ids = [d.remote_id for p in pages for d in p.documents]
    assert len(set(ids)) == 48
    assert all(d.issue_date.year == date.today().year for p in pages for d in p.documents)


def test_list_documents_of_proformas(connect):
    page = connect().list_documents(1, kind="proforma")
    assert len(page.documents) == 3 and {d.kind for d in page.documents} == {"proforma"}


def test_get_document_reads_totals_status_and_lines(connect, sb):
    seeded = next(
        d for d in sb.documents() if d["type"] == "regular" and d["created"].startswith(str(date.today().year))
    )
    doc = connect().get_document(seeded["id"])
    assert doc.number == seeded["number"]
    assert str(doc.total) == seeded["total"]
    assert vat_rows(doc) == sorted(seeded["vat_breakdown"], key=lambda r: r["rate"])
    assert doc.status in ("open", "paid", "overdue")
    assert doc.lines and doc.pdf_url.startswith(sb.url)


def test_get_pdf_returns_pdf_bytes(connect):
    conn = connect()
    doc = conn.create_document(make_draft(), "pdf-1")
    pdf = conn.get_pdf(doc.remote_id)
    assert pdf.content.startswith(b"%PDF")
    assert pdf.filename == f"{doc.number}.pdf"


def test_list_number_series_per_kind_and_as_choices(connect):
    conn = connect()
    invoice_series = conn.list_number_series("invoice")
    assert [(s.id, s.default) for s in invoice_series] == [("101", True), ("102", False)]
    assert invoice_series[0].next_number == f"{date.today().year}049"
    assert [s.id for s in conn.list_number_series("credit_note")] == ["301"]
    assert conn.list_choices("number_series:proforma") == [("201", f"Zálohové faktúry (ZF{date.today().year}004)")]
    assert [value for value, _label in conn.list_choices("bank_accounts")] == ["264", "265"]


# -- writing after creation ------------------------------------------------------------------
def test_send_email_reaches_the_document(connect, sb):
    conn = connect()
    doc = conn.create_document(make_draft(), "mail-1")
    conn.send_email(doc.remote_id, "maria@example.sk")
    assert held(sb, doc.remote_id)["emails"] == ["maria@example.sk"]


def test_send_email_to_bad_address_is_validation_on_recipient(connect):
    conn = connect()
    doc = conn.create_document(make_draft(), "mail-2")
    with pytest.raises(ConnectorError) as caught:
        conn.send_email(doc.remote_id, "not-an-address")
    assert caught.value.code == errors.VALIDATION
    assert "to" in caught.value.fields


def test_send_email_for_unknown_document_is_not_found(connect):
    with pytest.raises(ConnectorError) as caught:
        connect().send_email("999999", "maria@example.sk")
    assert caught.value.code == errors.NOT_FOUND


def test_mark_paid_pays_the_invoice_and_a_second_payment_is_a_conflict(connect, sb):
    conn = connect()
    doc = conn.create_document(make_draft(), "pay-1")
    conn.mark_paid(doc.remote_id, Payment(amount=doc.total, paid_on=date.today(), currency="EUR", method="card"))
    assert held(sb, doc.remote_id)["status"] == 3
    assert conn.get_document(doc.remote_id).status == "paid"
    with pytest.raises(ConnectorError) as caught:
        conn.mark_paid(doc.remote_id, Payment(amount=Decimal("1"), paid_on=date.today()))
    assert caught.value.code == errors.CONFLICT
    assert caught.value.hint_key == "superfaktura.conflict"


def test_create_as_paid_issues_a_paid_invoice(connect, sb):
    doc = connect().create_document(make_draft(paid=True), "paid-1")
    assert doc.status == "paid" and held(sb, doc.remote_id)["paid"] == str(doc.total)


def test_mark_paid_on_reader_account_is_permission_denied(connect, sb):
    with pytest.raises(ConnectorError) as caught:
        connect("no_permission").mark_paid("1271", Payment(amount=Decimal("1"), paid_on=date.today()))
    assert caught.value.code == errors.PERMISSION_DENIED


def test_delete_document_removes_it_and_deleting_again_is_not_found(connect, sb):
    conn = connect()
    doc = conn.create_document(make_draft(), "del-1")
    conn.delete_document(doc.remote_id)
    assert doc.remote_id not in [d["id"] for d in sb.documents()]
    with pytest.raises(ConnectorError) as caught:
        conn.delete_document(doc.remote_id)
    assert caught.value.code == errors.NOT_FOUND


# -- secrets, endpoints, texts ------------------------------------------------------------------
def test_no_secret_value_appears_in_any_recorded_exchange(connect, sb, records):
    conn = connect()
    conn.verify()
    doc = conn.create_document(make_draft(), "secret-1")
    conn.get_document(doc.remote_id)
    conn.get_pdf(doc.remote_id)
    conn.list_choices("bank_accounts")
    with pytest.raises(ConnectorError):
        connect("wrong_key").verify()
    secrets = [a["credentials"]["api_key"] for a in sb.accounts()]
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
        assert not any(secret in text for secret in secrets)
        assert exchange.request_headers["Authorization"] == "SFAPI •••"


def test_endpoints_follow_the_market():
    assert SuperFakturaConnector.endpoints({"market": "SK"}) == {"api": "https://moja.superfaktura.sk"}
    assert SuperFakturaConnector.endpoints({"market": "CZ"}) == {"api": "https://moje.superfaktura.cz"}
    assert SuperFakturaConnector.endpoints({"market": "AT"}) == {"api": "https://meine.superfaktura.at"}
    assert resolve_endpoints(SuperFakturaConnector, {"market": "CZ"}, {"ACCOUNTING_SANDBOX": "1"}) == {
        "api": "http://127.0.0.1:5101"
    }


def test_a_seeded_login_email_carries_a_plus_so_the_email_is_url_encoded(sb):
    assert any("+" in a["credentials"]["email"] for a in sb.accounts())


def test_hint_overrides_point_to_superfaktura_hints():
    for code, key in SuperFakturaConnector.hint_overrides.items():
        assert code in errors.ALL_CODES
        assert key == f"superfaktura.{code}" and key in SuperFakturaConnector.hints


def test_every_marked_text_has_a_polish_translation():
    marked = set()
    for source in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "N_":
                marked.add(node.args[0].value)
    with open(PACKAGE / "translations/pl/LC_MESSAGES/messages.po", "rb") as handle:
        catalogue = read_po(handle)
    assert catalogue.charset.lower() == "utf-8"
    translated = {m.id: m.string for m in catalogue if m.id}
    assert marked and marked <= set(translated)
    assert all(translated[msgid] for msgid in marked)


def test_more_than_100_emails_an_hour_is_rate_limited_for_an_hour(connect):
    conn = connect()
    doc = conn.create_document(make_draft(), "mail-many")
    for _ in range(100):
        conn.send_email(doc.remote_id, "maria@example.sk")
    with pytest.raises(ConnectorError) as caught:
        conn.send_email(doc.remote_id, "maria@example.sk")
    assert caught.value.code == errors.RATE_LIMITED
    assert timedelta(minutes=59) < caught.value.retry_at - datetime.now(timezone.utc) <= timedelta(hours=1)


# -- documented replies the sandbox has no state for ----------------------------------------------
def test_login_without_any_company_is_account_not_found():
    failure = error_for(200, {}, {"error": 1, "error_message": "You have no company in your account"})
    assert failure.code == errors.ACCOUNT_NOT_FOUND


def test_exhausted_monthly_quota_retries_at_the_monthly_reset():
    headers = {
        "X-RateLimit-DailyRemaining": "400",
        "X-RateLimit-DailyReset": "25.11.2026 00:00:00",
        "X-RateLimit-MonthlyRemaining": "0",
        "X-RateLimit-MonthlyReset": "01.12.2026 00:00:00",
        "X-RateLimit-Message": "You have exceeded a monthly limit of 30000 API requests.",
    }
    failure = error_for(429, headers, None)
    assert failure.code == errors.RATE_LIMITED
    assert failure.retry_at == datetime(2026, 11, 30, 23, 0, tzinfo=timezone.utc)  # midnight in Bratislava


def test_success_status_without_json_body_is_remote_error_and_ambiguous_for_creates():
    failure = error_for(200, {}, None, writing=True, creating=True)
    assert failure.code == errors.REMOTE_ERROR and failure.ambiguous


def test_edit_of_unknown_invoice_with_http_200_is_not_found():
    assert error_for(200, {}, {"error": 1, "message": "Invoice ID not found."}).code == errors.NOT_FOUND


def test_missing_client_data_names_the_vendor_field():
    failure = error_for(
        200, {}, {"error": 4, "error_message": {"data_bad_format": "Missing required client data."}}, writing=True
    )
    assert failure.code == errors.VALIDATION
    assert failure.fields == {"data_bad_format": ["Missing required client data."]}


def test_activation_reads_series_and_bank_accounts_without_spending_more_requests(connect, records):
    conn = connect()
    conn.verify()
    for source in ("number_series:invoice", "number_series:proforma", "number_series:credit_note", "bank_accounts"):
        assert conn.list_choices(source)
    assert [e.url.split("/", 3)[3] for e in records] == [
        "users/getUserCompaniesData",
        "sequences/index.json",
        "invoices/create",  # the check of the right to issue, which creates nothing
    ]


def test_mark_paid_on_a_credit_note_settles_its_negative_total(connect, sb):
    conn = connect()
    invoice = conn.create_document(make_draft(), "order-8001-invoice")
    credit = conn.create_document(make_draft("credit_note", related_remote_id=invoice.remote_id), "order-8001-refund")
    conn.mark_paid(credit.remote_id, Payment(amount=invoice.total, paid_on=date.today()), kind="credit_note")
    stored = held(sb, credit.remote_id)
    assert stored["status"] == 3 and stored["paid"] == stored["total"] == str(credit.total)
