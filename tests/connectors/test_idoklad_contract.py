"""iDoklad connector against the iDoklad sandbox: every operation and every error kind."""

from __future__ import annotations

import ast
import pathlib
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from babel.messages.pofile import read_po

from connectors import errors
from connectors.base import AppIdentity, ConnectionSettings, MemoryTokenCache, resolve_endpoints
from connectors.documents import Address, DocumentDraft, Line, Party, Payment
from connectors.errors import ConnectorError
from connectors.http import Transport
from connectors.idoklad import IDokladConnector

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "connectors" / "idoklad"
APP_ID = "fynode-sandbox-app"


@pytest.fixture
def sb(sandbox):
    return sandbox("idoklad")


@pytest.fixture
def records():
    return []


@pytest.fixture
def connect(sb, records):
    def build(
        state: str = "valid",
        *,
        read_timeout: float = 5.0,
        url: str | None = None,
        account: str | None = None,
        cache: MemoryTokenCache | None = None,
        app_id: str = APP_ID,
        config: dict | None = None,
    ):
        chosen = next(a for a in sb.accounts() if a["id"] == account) if account else sb.account(state)
        credentials = chosen["credentials"]
        settings_config = {"client_id": credentials["client_id"], **(config or {})}
        transport = Transport(
            user_agent=AppIdentity().user_agent,
            on_exchange=records.append,
            read_timeout=read_timeout,
            connect_timeout=1.0,
            retries=0,
            backoff=0.01,
        )
        endpoints = resolve_endpoints(IDokladConnector, settings_config, {"IDOKLAD_API_URL": url or sb.url})
        registrations = {"IDOKLAD_APPLICATION_ID": app_id} if app_id else {}
        return IDokladConnector(
            ConnectionSettings(
                settings_config,
                {"client_secret": credentials["client_secret"]},
                endpoints,
                transport,
                cache if cache is not None else MemoryTokenCache(),
                AppIdentity(registrations=registrations),
            )
        )

    return build


def make_draft(
    kind: str = "invoice", *, lines=None, order: str = "7001", customer: Party | None = None, **extra
) -> DocumentDraft:
    customer = customer or Party(
        name="Petr Svoboda",
        email="petr.svoboda@example.cz",
        billing_address=Address(street="Dlouhá 7", city="Praha", zip="110 00", country="CZ"),
    )
    lines = lines or [
        Line(
            name="Káva zrnková", quantity=Decimal("3"), unit_price=Decimal("436.61"), vat_rate=Decimal("12"), unit="ks"
        ),
        Line(name="Mlýnek", quantity=Decimal("1"), unit_price=Decimal("1066.12"), vat_rate=Decimal("21")),
        Line(name="Doprava", quantity=Decimal("1"), unit_price=Decimal("81.82"), vat_rate=Decimal("21")),
    ]
    return DocumentDraft(
        kind=kind,
        customer=customer,
        lines=lines,
        currency="CZK",
        issue_date=date.today(),
        due_date=date.today() + timedelta(days=14),
        order_number=order,
        variable_symbol=order,
        **extra,
    )


def held(sb, remote_id: str) -> dict:
    return next(d for d in sb.documents() if d["id"] == remote_id)


def vat_rows(document) -> list[dict]:
    return sorted(
        ({"rate": format(v.rate.normalize(), "f"), "base": str(v.base), "vat": str(v.vat)} for v in document.vat),
        key=lambda r: r["rate"],
    )


def sandbox_vat_rows(doc: dict) -> list[dict]:
    return sorted(
        ({"rate": r["rate"], "base": str(Decimal(r["base"])), "vat": str(Decimal(r["vat"]))} for r in doc["vat"]),
        key=lambda r: r["rate"],
    )


def normalized(rows: list[dict]) -> list[dict]:
    return [{k: str(Decimal(v).normalize()) if k != "rate" else v for k, v in r.items()} for r in rows]


def api_requests(sb, method: str, path_end: str) -> list[dict]:
    return [r for r in sb.requests() if r["method"] == method and r["path"].endswith(path_end)]


# -- verify and auth --------------------------------------------------------------------------
def test_verify_valid_account_says_agenda_name_id_and_plan(connect):
    identity = connect("valid").verify()
    assert identity.company_name == "Demo s.r.o."
    assert identity.account_id.isdigit()
    assert identity.plan == "Standard"
    assert {"invoices", "proforma", "credit_note", "api"} <= set(identity.allows)
    assert identity.warnings == ()


def test_verify_asks_for_a_token_with_application_id_client_credentials_and_scope(connect, sb):
    connect().verify()
    token_call = api_requests(sb, "POST", "/server/v2/connect/token")[0]
    assert token_call["headers"]["Content-Type"].startswith("application/x-www-form-urlencoded")
    form = {k: v[0] for k, v in parse_qs(token_call["body"]).items()}
    assert form["grant_type"] == "client_credentials"
    assert form["application_id"] == APP_ID
    assert form["scope"] == "idoklad_api"
    assert form["client_id"] == sb.account("valid")["credentials"]["client_id"]
    agenda_call = api_requests(sb, "GET", "/v3/Account/CurrentAgenda")[0]
    assert agenda_call["headers"]["Authorization"].startswith("Bearer ")


def test_verify_with_wrong_secret_is_invalid_credentials_with_idoklad_hint(connect):
    with pytest.raises(ConnectorError) as caught:
        connect("wrong_key").verify()
    assert caught.value.code == errors.INVALID_CREDENTIALS
    assert caught.value.hint_key == "idoklad.invalid_credentials"
    assert set(caught.value.fields) == {"client_id", "client_secret"}
    assert caught.value.is_auth


def test_verify_on_free_agenda_is_plan_lacks_api_with_idoklad_hint(connect):
    with pytest.raises(ConnectorError) as caught:
        connect("no_api_plan").verify()
    assert caught.value.code == errors.PLAN_LACKS_API
    assert caught.value.hint_key == "idoklad.plan_lacks_api"
    assert "AuthErrorCode(0)" in caught.value.detail


def test_verify_on_expired_subscription_is_subscription_inactive(connect):
    with pytest.raises(ConnectorError) as caught:
        connect("expired").verify()
    assert caught.value.code == errors.SUBSCRIPTION_INACTIVE
    assert caught.value.hint_key == "idoklad.subscription_inactive"


def test_verify_for_user_without_rights_is_permission_denied(connect):
    with pytest.raises(ConnectorError) as caught:
        connect("no_permission").verify()
    assert caught.value.code == errors.PERMISSION_DENIED
    assert caught.value.hint_key == "idoklad.permission_denied"
    assert caught.value.http_status == 403


def test_unknown_application_id_is_a_remote_error_not_the_merchants_credentials(connect):
    with pytest.raises(ConnectorError) as caught:
        connect(app_id="someone-elses-app").verify()
    assert caught.value.code == errors.REMOTE_ERROR
    assert "application id" in caught.value.detail


def test_missing_application_id_fails_before_any_request(connect, sb):
    with pytest.raises(ConnectorError) as caught:
        connect(app_id="").verify()
    assert caught.value.code == errors.REMOTE_ERROR
    assert "IDOKLAD_APPLICATION_ID" in caught.value.detail
    assert sb.requests() == []


def test_token_is_cached_and_shared_by_connectors_of_one_integration(connect, sb):
    cache = MemoryTokenCache()
    connect(cache=cache).verify()
    connect(cache=cache).list_documents()
    assert len(api_requests(sb, "POST", "/connect/token")) == 1
    assert cache.load()["access_token"]


def test_a_refused_token_is_renewed_once_and_the_call_repeated(connect, sb):
    cache = MemoryTokenCache()
    conn = connect(cache=cache)
    conn.verify()
    fingerprint = cache.load()["fingerprint"]
    cache.save({"access_token": "revoked-token-value", "expires_at": 4102444800, "fingerprint": fingerprint})
    assert conn.list_documents().total_count == 45
    statuses = [r["status"] for r in sb.requests() if r["path"] == "/v3/IssuedInvoices"]
    assert statuses == [401, 200]
    assert cache.load()["access_token"] != "revoked-token-value"


def test_token_cached_for_other_credentials_is_not_reused(connect, sb):
    cache = MemoryTokenCache()
    connect(cache=cache).verify()
    connect(cache=cache, account="id-valid-sk").verify()
    assert len(api_requests(sb, "POST", "/connect/token")) == 2


def test_token_about_to_expire_is_renewed_before_use(connect, sb):
    cache = MemoryTokenCache()
    conn = connect(cache=cache)
    conn.verify()
    data = cache.load()
    cache.save({**data, "expires_at": datetime.now().timestamp() + 30})
    conn.list_documents()
    assert len(api_requests(sb, "POST", "/connect/token")) == 2
    assert [r["status"] for r in sb.requests() if r["path"] == "/v3/IssuedInvoices"] == [200]


# -- creating documents -------------------------------------------------------------------------
def test_create_invoice_returns_number_and_vat_totals_as_the_sandbox_holds_them(connect, sb):
    doc = connect().create_document(make_draft(), "order-7001-invoice")
    stored = held(sb, doc.remote_id)
    assert doc.number == stored["number"] == f"{date.today().year}0046"
    assert normalized(vat_rows(doc)) == normalized(sandbox_vat_rows(stored))
    assert doc.total == Decimal(stored["total"]) == Decimal("2856.02")
    assert vat_rows(doc) and {r["rate"] for r in vat_rows(doc)} == {"12", "21"}
    assert doc.order_number == stored["order_no"] == "7001"
    assert doc.variable_symbol == "7001"
    assert doc.reference == "order-7001-invoice"
    assert [line.name for line in doc.lines] == ["Káva zrnková", "Mlýnek", "Doprava"]


def test_create_follows_default_then_post_with_prices_without_vat(connect, sb):
    connect().create_document(make_draft(), "pattern-1")
    paths = [(r["method"], r["path"]) for r in sb.requests() if r["path"].startswith("/v3/IssuedInvoices")]
    assert paths == [("GET", "/v3/IssuedInvoices/Default"), ("POST", "/v3/IssuedInvoices")]
    import json

    posted = json.loads(api_requests(sb, "POST", "/v3/IssuedInvoices")[0]["body"])
    assert {item["PriceType"] for item in posted["Items"]} == {1}
    assert [item["VatRateType"] for item in posted["Items"]] == [0, 1, 1]
    assert posted["Note"] == "Fynode: pattern-1"


def test_create_with_prices_including_vat_keeps_the_shop_gross_total(connect):
    lines = [Line(name="Hrnek", quantity=Decimal("2"), unit_price=Decimal("149.90"), vat_rate=Decimal("21"))]
    doc = connect().create_document(make_draft(lines=lines, prices_include_vat=True), "gross-1")
    assert doc.total == Decimal("299.80")
    assert vat_rows(doc) == [{"rate": "21", "base": "247.77", "vat": "52.03"}]


def test_create_reuses_an_existing_contact_found_by_company_id(connect, sb):
    customer = Party(
        name="Alfa Obchod s.r.o.",
        company_name="Alfa Obchod s.r.o.",
        company_id="25596641",
        billing_address=Address(country="CZ"),
    )
    doc = connect().create_document(make_draft(customer=customer), "known-contact-1")
    assert doc.customer_name == "Alfa Obchod s.r.o."
    assert api_requests(sb, "POST", "/v3/Contacts") == []


def test_create_adds_a_new_customer_once_and_reuses_it(connect, sb):
    conn = connect()
    first = conn.create_document(make_draft(order="7002"), "new-contact-1")
    second = conn.create_document(make_draft(order="7003"), "new-contact-2")
    assert first.raw_id_fields["PartnerId"] == second.raw_id_fields["PartnerId"]
    assert len(api_requests(sb, "POST", "/v3/Contacts")) == 1
    assert first.customer_name == "Petr Svoboda"


def test_create_proforma_numbers_in_the_proforma_series(connect, sb):
    doc = connect().create_document(make_draft("proforma"), "order-7001-proforma")
    assert doc.kind == "proforma"
    assert doc.number == f"ZF{date.today().year}001" == held(sb, doc.remote_id)["number"]
    assert held(sb, doc.remote_id)["type"] == "proforma"


def test_create_credit_note_links_the_invoice_and_carries_negative_totals(connect, sb):
    conn = connect()
    invoice = conn.create_document(make_draft(), "cn-base")
    note = conn.create_document(
        make_draft("credit_note", related_remote_id=invoice.remote_id, lines=[make_draft().lines[1]]), "cn-1"
    )
    stored = held(sb, note.remote_id)
    assert stored["type"] == "credit_note" and stored["related_id"] == invoice.remote_id
    assert note.number == stored["number"] == f"OD{date.today().year}001"
    assert note.total == Decimal(stored["total"]) == Decimal("-1290.01")
    assert vat_rows(note) == [{"rate": "21", "base": "-1066.12", "vat": "-223.89"}]
    assert api_requests(sb, "GET", f"/v3/CreditNotes/Default/{invoice.remote_id}")


def test_create_credit_note_without_its_invoice_is_rejected_before_sending(connect, sb):
    with pytest.raises(ConnectorError) as caught:
        connect().create_document(make_draft("credit_note"), "cn-orphan")
    assert caught.value.code == errors.VALIDATION
    assert "related_remote_id" in caught.value.fields
    assert sb.requests() == []


def test_create_credit_note_for_unknown_invoice_is_not_found(connect):
    with pytest.raises(ConnectorError) as caught:
        connect().create_document(make_draft("credit_note", related_remote_id="999999"), "cn-ghost")
    assert caught.value.code == errors.NOT_FOUND


def test_create_uses_the_series_chosen_in_settings(connect, sb):
    doc = connect(config={"invoice_series": "2"}).create_document(make_draft(), "series-1")
    assert doc.number == f"E{date.today().year % 100}00001" == held(sb, doc.remote_id)["number"]


def test_create_uses_the_series_of_the_draft_before_settings(connect):
    doc = connect(config={"invoice_series": "1"}).create_document(make_draft(series_id="2"), "series-2")
    assert doc.number.startswith("E")


def test_series_of_another_document_type_is_validation_naming_the_vendor_field(connect):
    with pytest.raises(ConnectorError) as caught:
        connect(config={"invoice_series": "3"}).create_document(make_draft(), "series-wrong")
    assert caught.value.code == errors.VALIDATION
    assert "NumericSequenceId" in caught.value.fields
    assert caught.value.hint_key == "idoklad.validation"


def test_slovak_agenda_maps_23_19_and_5_percent_to_its_rate_types(connect):
    lines = [
        Line(name="Tričko", quantity=Decimal("1"), unit_price=Decimal("10.00"), vat_rate=Decimal("23")),
        Line(name="Potraviny", quantity=Decimal("1"), unit_price=Decimal("10.00"), vat_rate=Decimal("19")),
        Line(name="Kniha", quantity=Decimal("1"), unit_price=Decimal("10.00"), vat_rate=Decimal("5")),
    ]
    draft = make_draft(lines=lines)
    draft.currency = "EUR"
    doc = connect(account="id-valid-sk").create_document(draft, "sk-1")
    assert vat_rows(doc) == [
        {"rate": "19", "base": "10.00", "vat": "1.90"},
        {"rate": "23", "base": "10.00", "vat": "2.30"},
        {"rate": "5", "base": "10.00", "vat": "0.50"},
    ]
    assert doc.currency == "EUR" and doc.total == Decimal("34.70")


def test_vat_rate_the_agenda_country_does_not_have_names_the_line(connect, sb):
    lines = [Line(name="Kniha", quantity=Decimal("1"), unit_price=Decimal("100"), vat_rate=Decimal("10"))]
    with pytest.raises(ConnectorError) as caught:
        connect().create_document(make_draft(lines=lines), "vat-wrong")
    assert caught.value.code == errors.VALIDATION
    assert list(caught.value.fields) == ["lines[0].vat_rate"]
    assert api_requests(sb, "POST", "/v3/IssuedInvoices") == []


def test_unknown_currency_is_validation_on_currency(connect):
    draft = make_draft()
    draft.currency = "XYZ"
    with pytest.raises(ConnectorError) as caught:
        connect().create_document(draft, "cur-1")
    assert caught.value.code == errors.VALIDATION
    assert "currency" in caught.value.fields


def test_vendor_validation_message_becomes_field_messages(connect):
    customer = Party(name="Bad Mail", email="not-an-email", billing_address=Address(country="CZ"))
    with pytest.raises(ConnectorError) as caught:
        connect().create_document(make_draft(customer=customer), "bad-mail")
    assert caught.value.code == errors.VALIDATION
    assert caught.value.fields["Email"] == ["The Email field is not a valid e-mail address."]
    assert caught.value.http_status == 400


def test_serial_number_taken_meanwhile_is_retried_with_the_next_number(connect, sb):
    conn, rival = connect(), connect()
    plain_call = conn.client.call

    def racing_call(method, path, **kwargs):
        data = plain_call(method, path, **kwargs)
        if path == "/IssuedInvoices/Default" and not rival_docs:
            # Another worker takes the serial number between our Default and our POST.
            rival_docs.append(rival.create_document(make_draft(order="7999"), "rival-1"))
        return data

    rival_docs: list = []
    conn.client.call = racing_call
    doc = conn.create_document(make_draft(), "race-1")
    assert rival_docs[0].number == f"{date.today().year}0046"
    assert doc.number == f"{date.today().year}0047"
    assert [r["status"] for r in api_requests(sb, "POST", "/v3/IssuedInvoices")] == [200, 409, 200]


def test_a_serial_number_taken_twice_meanwhile_is_read_again_not_guessed(connect, sb):
    conn, rival = connect(), connect()
    plain_call = conn.client.call

    def racing_call(method, path, **kwargs):
        data = plain_call(method, path, **kwargs)
        if path == "/IssuedInvoices/Default" and not rival_docs:
            # A faster worker creates two documents between our Default and our POST.
            rival_docs.append(rival.create_document(make_draft(order="7997"), "rival-a"))
            rival_docs.append(rival.create_document(make_draft(order="7998"), "rival-b"))
        return data

    rival_docs: list = []
    conn.client.call = racing_call
    doc = conn.create_document(make_draft(), "race-2")
    assert doc.number == f"{date.today().year}0048"
    # One refusal, then the number iDoklad gives next (guessing 47 would have been refused too).
    assert [r["status"] for r in api_requests(sb, "POST", "/v3/IssuedInvoices")] == [200, 200, 409, 200]


def test_a_number_series_that_stays_busy_leaves_the_document_to_be_tried_again(connect, sb):
    conn, rival = connect(), connect()
    plain_call = conn.client.call

    def racing_call(method, path, **kwargs):
        if method == "POST" and path == "/IssuedInvoices":
            rival.create_document(make_draft(order=f"79{len(rivals)}"), f"rival-{len(rivals)}")
            rivals.append(True)
        return plain_call(method, path, **kwargs)

    rivals: list = []
    conn.client.call = racing_call
    with pytest.raises(ConnectorError) as caught:
        conn.create_document(make_draft(), "race-busy")
    assert caught.value.is_retryable and not caught.value.ambiguous  # nothing was created: try later
    assert caught.value.retry_at is not None
    assert [d for d in sb.documents() if d["order_no"] == "7001"] == []
    posts = [r["status"] for r in api_requests(sb, "POST", "/v3/IssuedInvoices")]
    assert posts == [200, 409] * 5  # each rival first, then ours refused; five times


def test_create_for_user_without_rights_is_permission_denied(connect):
    with pytest.raises(ConnectorError) as caught:
        connect("no_permission").create_document(make_draft(), "perm-1")
    assert caught.value.code == errors.PERMISSION_DENIED


# -- the duplicate guard ------------------------------------------------------------------------
def test_find_by_reference_without_draft_searches_recent_documents_of_every_kind(connect):
    conn = connect()
    proforma = conn.create_document(make_draft("proforma"), "pf-key")
    found = conn.find_by_reference("pf-key")
    assert found is not None and found.remote_id == proforma.remote_id and found.kind == "proforma"


def test_find_by_reference_filters_by_issue_date_and_matches_the_note(connect, sb):
    conn = connect()
    draft = make_draft()
    conn.create_document(draft, "guard-1")
    assert conn.find_by_reference("guard-1", draft).reference == "guard-1"
    query = parse_qs(api_requests(sb, "GET", "/v3/IssuedInvoices")[-1]["query"])
    assert query["filter"][0].startswith("((DateOfIssue~gte~")
    assert "VariableSymbol" not in query["filter"][0] and "OrderNumber" not in query["filter"][0]


def test_find_by_reference_for_deleted_document_is_none(connect):
    conn = connect()
    doc = conn.create_document(make_draft(), "to-delete")
    conn.delete_document(doc.remote_id)
    assert conn.find_by_reference("to-delete") is None


def test_timeout_on_read_is_a_plain_timeout(connect, sb):
    sb.fault("timeout", operations=["get_invoice"], seconds=1.0)
    with pytest.raises(ConnectorError) as caught:
        connect(read_timeout=0.3).get_document("1001")
    assert caught.value.code == errors.TIMEOUT
    assert not caught.value.ambiguous


def test_server_error_on_token_is_a_retryable_remote_error(connect, sb):
    sb.fault("error_500", operations=["token"])
    with pytest.raises(ConnectorError) as caught:
        connect().verify()
    assert caught.value.code == errors.REMOTE_ERROR and caught.value.is_retryable


# -- rate limits --------------------------------------------------------------------------------
def test_rate_limited_reply_carries_retry_at_from_retry_after(connect, sb):
    sb.fault("rate_limit", operations=["list_invoices"], seconds=120)
    with pytest.raises(ConnectorError) as caught:
        connect().list_documents()
    assert caught.value.code == errors.RATE_LIMITED
    assert caught.value.hint_key == "idoklad.rate_limited"
    wait = caught.value.retry_at - datetime.now(timezone.utc)
    assert timedelta(seconds=100) < wait <= timedelta(seconds=121)


def test_exhausted_per_minute_quota_is_rate_limited_until_the_window_ends(connect, sb):
    sb.quota(3, window_seconds=60)
    conn = connect()
    conn.verify()  # one request: the agenda
    conn.list_documents()  # two: the page and the currency list
    with pytest.raises(ConnectorError) as caught:
        conn.list_documents(2)
    assert caught.value.code == errors.RATE_LIMITED
    assert timedelta(seconds=50) < caught.value.retry_at - datetime.now(timezone.utc) <= timedelta(seconds=61)


# -- reading ------------------------------------------------------------------------------------
def test_list_documents_pages_through_the_seeded_invoices(connect):
    conn = connect()
    pages = [conn.list_documents(page) for page in (1, 2, 3)]
    assert [len(p.documents) for p in pages] == [20, 20, 5]
    assert [p.has_more for p in pages] == [True, True, False]
    assert pages[0].total_count == 45 and pages[0].total_pages == 3
    ids = [int(d.remote_id) for p in pages for d in p.documents]
    assert len(set(ids)) == 45 and ids == sorted(ids, reverse=True)


def test_list_documents_of_proformas_and_credit_notes(connect):
    conn = connect()
    assert conn.list_documents(1, kind="proforma").documents == []
    conn.create_document(make_draft("proforma"), "pf-list")
    page = conn.list_documents(1, kind="proforma")
    assert [d.kind for d in page.documents] == ["proforma"] and not page.has_more
    assert conn.list_documents(1, kind="credit_note").total_count == 0


def test_get_document_reads_totals_status_and_lines(connect, sb):
    seeded = next(d for d in sb.documents() if d["account"] == "id-valid" and d["paid"])
    doc = connect().get_document(seeded["id"])
    assert doc.number == seeded["number"] and doc.total == Decimal(seeded["total"])
    assert doc.status == "paid"
    assert doc.order_number == seeded["order_no"] and doc.variable_symbol == seeded["variable_symbol"]
    assert normalized(vat_rows(doc)) == normalized(sandbox_vat_rows(seeded))
    assert doc.lines and all(line.vat_rate in (Decimal("12"), Decimal("21")) for line in doc.lines)
    assert doc.currency == "CZK" and doc.customer_name


def test_get_pdf_returns_decoded_pdf_bytes(connect):
    pdf = connect().get_pdf("1001")
    assert pdf.content.startswith(b"%PDF")
    assert pdf.content_type == "application/pdf" and pdf.filename.endswith(".pdf")


def test_list_number_series_per_kind_and_as_choices(connect):
    conn = connect()
    series = conn.list_number_series("invoice")
    year = date.today().year
    assert [(s.id, s.name, s.default, s.next_number) for s in series] == [
        ("1", "Faktury", True, f"{year}0046"),
        ("2", "E-shop", False, f"E{year % 100}00001"),
    ]
    assert [s.kind for s in conn.list_number_series("credit_note")] == ["credit_note"]
    assert conn.list_choices("number_series:proforma") == [("3", f"Zálohové faktury (ZF{year}001)")]


def test_send_email_posts_the_document_to_the_recipient(connect, sb):
    connect().send_email("1001", "zakaznik@example.cz")
    import json

    sent = api_requests(sb, "POST", "/v3/Mails/IssuedInvoice/Send")
    assert sent[0]["status"] == 200
    body = json.loads(sent[0]["body"])
    assert body["DocumentId"] == 1001 and body["OtherRecipients"] == ["zakaznik@example.cz"]


def test_send_email_to_bad_address_is_validation_on_recipients(connect):
    with pytest.raises(ConnectorError) as caught:
        connect().send_email("1001", "not-an-address")
    assert caught.value.code == errors.VALIDATION
    assert "OtherRecipients" in caught.value.fields


def test_send_email_for_unknown_document_is_not_found(connect):
    with pytest.raises(ConnectorError) as caught:
        connect().send_email("424242", "a@example.cz")
    assert caught.value.code == errors.NOT_FOUND


def test_mark_paid_pays_the_whole_invoice_and_repeating_it_changes_nothing(connect, sb):
    conn = connect()
    doc = conn.create_document(make_draft(), "pay-1")
    conn.mark_paid(doc.remote_id, Payment(amount=doc.total, paid_on=date.today()))
    assert held(sb, doc.remote_id)["paid"]
    assert conn.get_document(doc.remote_id).status == "paid"
    conn.mark_paid(doc.remote_id, Payment(amount=doc.total, paid_on=date.today()))
    assert len(api_requests(sb, "PUT", f"/FullyPay/{doc.remote_id}")) == 1


def test_mark_paid_of_a_proforma(connect, sb):
    conn = connect()
    doc = conn.create_document(make_draft("proforma"), "pay-pf")
    conn.mark_paid(doc.remote_id, Payment(amount=doc.total, paid_on=date.today()), kind="proforma")
    assert held(sb, doc.remote_id)["paid"]


def test_mark_paid_with_a_partial_amount_records_a_payment_and_the_rest_settles_it(connect, sb):
    conn = connect()
    doc = conn.create_document(make_draft(), "pay-part")
    conn.mark_paid(doc.remote_id, Payment(amount=Decimal("1000.00"), paid_on=date.today(), method="card"))
    assert conn.get_document(doc.remote_id).status == "partially_paid"
    assert not held(sb, doc.remote_id)["paid"]
    import json

    posted = json.loads(api_requests(sb, "POST", "/v3/IssuedDocumentPayments")[0]["body"])
    assert posted["PaymentAmount"] == 1000 and posted["PaymentOptionId"] == 4
    conn.mark_paid(doc.remote_id, Payment(amount=doc.total - Decimal("1000.00"), paid_on=date.today()))
    assert held(sb, doc.remote_id)["paid"]
    assert len(api_requests(sb, "PUT", f"/FullyPay/{doc.remote_id}")) == 1


def test_invoice_for_a_paid_proforma_accounts_it_and_deducts_the_advance(connect, sb):
    conn = connect()
    proforma = conn.create_document(make_draft("proforma"), "adv-pf")
    conn.mark_paid(proforma.remote_id, Payment(amount=proforma.total, paid_on=date.today()), kind="proforma")
    invoice = conn.create_document(make_draft(related_remote_id=proforma.remote_id), "adv-inv")
    assert api_requests(sb, "GET", f"/v3/ProformaInvoices/{proforma.remote_id}/Account")
    assert invoice.total == Decimal("0.00") and invoice.status == "paid"
    assert [line.name for line in invoice.lines] == ["Káva zrnková", "Mlýnek", "Doprava"]
    assert held(sb, invoice.remote_id)["number"] == invoice.number


def test_invoice_for_an_unpaid_proforma_stands_on_its_own(connect):
    """iDoklad accounts only a fully paid proforma (ErrorCode 113): an invoice for an order that is
    not paid yet is issued without the proforma's deduction instead of failing."""
    conn = connect()
    proforma = conn.create_document(make_draft("proforma"), "adv-unpaid")
    invoice = conn.create_document(make_draft(related_remote_id=proforma.remote_id), "adv-unpaid-inv")
    assert invoice.kind == "invoice" and invoice.remote_id and invoice.remote_id != proforma.remote_id


def test_a_conflicting_payment_reply_is_a_conflict(connect, sb):
    from connectors.idoklad.client import IDokladClient

    conn = connect()
    assert isinstance(conn.client, IDokladClient)
    with pytest.raises(ConnectorError) as caught:
        conn.client.call("PUT", "/IssuedDocumentPayments/FullyUnpay/1002", operation="mark_paid")
    assert caught.value.code == errors.CONFLICT and "ErrorCode 113" in caught.value.detail


def test_delete_document_removes_it_and_deleting_again_is_not_found(connect, sb):
    conn = connect()
    doc = conn.create_document(make_draft(), "del-1")
    conn.delete_document(doc.remote_id)
    assert all(d["id"] != doc.remote_id for d in sb.documents())
    with pytest.raises(ConnectorError) as caught:
        conn.delete_document(doc.remote_id)
    assert caught.value.code == errors.NOT_FOUND


# -- reference data kept between documents -----------------------------------------------------
REFERENCE_PATHS = ("/v3/Account/CurrentAgenda", "/v3/Currencies", "/v3/VatRates", "/v3/PaymentOptions")


def reference_reads(sb) -> dict[str, int]:
    return {p: sum(1 for r in sb.requests() if r["method"] == "GET" and r["path"] == p) for p in REFERENCE_PATHS}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_reference_data_is_read_once_for_the_documents_of_one_connector(connect, sb):
    conn = connect()
    for n in range(3):
        conn.create_document(make_draft(order=f"81{n}"), f"ref-{n}")
    assert reference_reads(sb) == dict.fromkeys(REFERENCE_PATHS, 1)
    # The Default model carries the next number of the series: read for every document.
    assert len(api_requests(sb, "GET", "/v3/IssuedInvoices/Default")) == 3


def test_reference_data_is_read_again_once_its_time_to_live_is_over(connect, sb):
    from connectors.idoklad.reference import TTL_SECONDS

    conn = connect()
    conn.reference.clock = clock = Clock()
    conn.create_document(make_draft(order="8201"), "ttl-1")
    clock.now += TTL_SECONDS - 1
    conn.create_document(make_draft(order="8202"), "ttl-2")
    assert reference_reads(sb) == dict.fromkeys(REFERENCE_PATHS, 1)
    clock.now += 2
    conn.create_document(make_draft(order="8203"), "ttl-3")
    assert reference_reads(sb) == dict.fromkeys(REFERENCE_PATHS, 2)


def test_each_connector_keeps_the_reference_data_of_its_own_agenda(connect, sb):
    czech, slovak = connect(), connect(account="id-valid-sk")
    czech.create_document(make_draft(order="8301"), "iso-cz")
    lines = [Line(name="Tričko", quantity=Decimal("1"), unit_price=Decimal("10.00"), vat_rate=Decimal("23"))]
    draft = make_draft(order="8302", lines=lines)
    draft.currency = "EUR"
    doc = slovak.create_document(draft, "iso-sk")
    assert doc.currency == "EUR" and [v.rate for v in doc.vat] == [Decimal("23")]
    assert reference_reads(sb) == dict.fromkeys(REFERENCE_PATHS, 2)  # each agenda read its own


def test_a_refused_create_built_from_a_kept_payment_option_reads_the_reference_data_again(connect, sb):
    conn = connect()
    conn.create_document(make_draft(order="8401"), "stale-0")
    # The merchant removed the option we keep (and added another) in iDoklad meanwhile.
    conn.reference.put("/PaymentOptions", [{"Id": 99, "Code": "B", "Name": "Zrušená", "IsDefault": True}])
    doc = conn.create_document(make_draft(order="8402"), "stale-1")
    posts = [r["status"] for r in api_requests(sb, "POST", "/v3/IssuedInvoices")]
    assert posts == [200, 400, 200]  # refused once with the stale option, then created once
    assert [d["order_no"] for d in sb.documents()].count("8402") == 1
    assert held(sb, doc.remote_id)
    assert reference_reads(sb)["/v3/PaymentOptions"] == 2


def test_a_currency_missing_from_the_kept_list_is_looked_up_again_before_refusing(connect, sb):
    conn = connect()
    conn.create_document(make_draft(order="8501"), "cur-0")
    conn.reference.put("/Currencies", [c for c in conn.reference.get("/Currencies", list) if c["Code"] != "CZK"])
    doc = conn.create_document(make_draft(order="8502"), "cur-1")
    assert doc.currency == "CZK"
    assert reference_reads(sb)["/v3/Currencies"] == 2


def test_a_refusal_with_freshly_read_reference_data_is_not_repeated(connect, sb):
    customer = Party(name="Bad Mail", email="not-an-email", billing_address=Address(country="CZ"))
    with pytest.raises(ConnectorError) as caught:
        connect().create_document(make_draft(customer=customer), "bad-mail-fresh")
    assert caught.value.code == errors.VALIDATION
    assert len(api_requests(sb, "POST", "/v3/Contacts")) == 1
    assert reference_reads(sb)["/v3/Currencies"] == 1


def test_a_refusal_with_kept_reference_data_is_repeated_at_most_once(connect, sb):
    conn = connect()
    conn.create_document(make_draft(order="8601"), "once-0")
    customer = Party(name="Bad Mail", email="not-an-email", billing_address=Address(country="CZ"))
    with pytest.raises(ConnectorError) as caught:
        conn.create_document(make_draft(customer=customer, order="8602"), "once-1")
    assert caught.value.code == errors.VALIDATION
    assert len(api_requests(sb, "POST", "/v3/Contacts")) == 3  # the first customer, then the refused one twice
    assert reference_reads(sb)["/v3/Currencies"] == 2


def test_checking_the_connection_reads_the_agenda_again(connect, sb):
    conn = connect()
    conn.create_document(make_draft(order="8701"), "verify-0")
    conn.verify()
    assert reference_reads(sb)["/v3/Account/CurrentAgenda"] == 2


def test_a_paid_draft_is_paid_in_full_right_after_the_create(connect, sb):
    doc = connect().create_document(make_draft(order="8801", paid=True), "paid-1")
    assert doc.status == "paid"
    assert held(sb, doc.remote_id)["paid"]
    assert len(api_requests(sb, "PUT", f"/FullyPay/{doc.remote_id}")) == 1
    assert api_requests(sb, "GET", f"/v3/IssuedInvoices/{doc.remote_id}") == []


def test_a_refused_payment_after_the_create_leaves_the_document_created_and_unpaid(connect, sb):
    sb.fault("rate_limit", operations=["mark_paid"], seconds=60)
    doc = connect().create_document(make_draft(order="8901", paid=True), "paid-2")
    assert doc.status == "open"
    assert not held(sb, doc.remote_id)["paid"]
    assert [d["order_no"] for d in sb.documents()].count("8901") == 1


# -- secrets, endpoints, texts --------------------------------------------------------------------
def test_no_secret_value_appears_in_any_recorded_exchange(connect, sb, records):
    cache = MemoryTokenCache()
    conn = connect(cache=cache)
    conn.verify()
    doc = conn.create_document(make_draft(), "secret-1")
    conn.get_document(doc.remote_id)
    conn.get_pdf(doc.remote_id)
    with pytest.raises(ConnectorError):
        connect("wrong_key").verify()
    secrets = [a["credentials"]["client_secret"] for a in sb.accounts()] + [cache.load()["access_token"]]
    assert len(records) >= 8
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
        if exchange.operation != "token":
            assert exchange.request_headers["Authorization"] == "Bearer •••"


def test_endpoints_are_the_identity_server_and_the_v3_api():
    assert IDokladConnector.endpoints({}) == {
        "identity": "https://identity.idoklad.cz",
        "api": "https://api.idoklad.cz/v3",
    }
    assert resolve_endpoints(IDokladConnector, {}, {"ACCOUNTING_SANDBOX": "1"}) == {
        "identity": "http://127.0.0.1:5103",
        "api": "http://127.0.0.1:5103/v3",
    }


def test_credentials_are_client_id_and_client_secret_and_only_the_secret_is_secret(sb):
    keys = {f.key for f in IDokladConnector.schema}
    secret = {f.key for f in IDokladConnector.schema if f.secret}
    for account in sb.accounts():
        assert set(account["credentials"]) == {"client_id", "client_secret"} <= keys
    assert secret == {"client_secret"}


def test_hint_overrides_point_to_idoklad_hints():
    assert {"invalid_credentials", "plan_lacks_api", "subscription_inactive", "permission_denied"} <= set(
        IDokladConnector.hint_overrides
    )
    for code, key in IDokladConnector.hint_overrides.items():
        assert code in errors.ALL_CODES
        assert key == f"idoklad.{code}" and key in IDokladConnector.hints


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


def test_the_slovak_agenda_also_has_existing_invoices_to_import(connect):
    conn = connect(account="id-valid-sk")
    assert (conn.verify().country, conn.verify().currency) == ("SK", "EUR")
    page = conn.list_documents(1)
    assert len(page.documents) == 12 and all(d.currency == "EUR" for d in page.documents)
