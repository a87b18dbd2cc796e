"""The Fakturoid connector against the Fakturoid sandbox: every operation and every error kind."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from connectors import errors
from connectors.base import AppIdentity, ConnectionSettings, MemoryTokenCache, resolve_endpoints
from connectors.documents import Address, DocumentDraft, Line, Party, Payment
from connectors.fakturoid import FakturoidConnector
from connectors.http import Transport

APP = AppIdentity(registrations=dict(FakturoidConnector.registrations))
REDIRECT_URI = "http://127.0.0.1:5000/integrations/fakturoid/oauth/callback"


@pytest.fixture
def sb(sandbox):
    return sandbox("fakturoid")


@pytest.fixture
def records():
    return []


def connect(sb, records, credentials=None, *, config=None, secrets=None, cache=None, read_timeout=5.0, url=None):
    config = dict(config or {})
    secrets = dict(secrets or {})
    if credentials:
        config.update({k: credentials[k] for k in ("auth_method", "slug", "client_id")})
        secrets["client_secret"] = credentials["client_secret"]
    transport = Transport(
        user_agent=AppIdentity().user_agent,
        on_exchange=records.append,
        read_timeout=read_timeout,
        retries=1,
        backoff=0.05,
    )
    endpoints = resolve_endpoints(FakturoidConnector, config, {"FAKTUROID_API_URL": url or sb.url})
    connector = FakturoidConnector(
        ConnectionSettings(config, secrets, endpoints, transport, cache or MemoryTokenCache(), APP)
    )
    connector.pdf_retry_delay = 0.1
    return connector


def valid(sb, records, **kwargs):
    return connect(sb, records, sb.account("valid")["credentials"], **kwargs)


def customer(name="Pekárna Novák s.r.o.", company_id="27074358"):
    return Party(
        name="Jan Novák",
        company_name=name,
        company_id=company_id,
        vat_id=f"CZ{company_id}",
        email="jan@pekarna.example",
        billing_address=Address("Dlouhá 1", "Praha", "11000", "CZ"),
    )


def draft(kind="invoice", *, related="", include_vat=False, order="FY-1001", series="", lines=None):
    return DocumentDraft(
        kind=kind,
        customer=customer(),
        currency="CZK",
        issue_date=date.today(),
        taxable_date=date.today(),
        due_date=date.today() + timedelta(days=14),
        prices_include_vat=include_vat,
        order_number=order,
        variable_symbol="1001",
        language="cs",
        series_id=series,
        related_remote_id=related,
        lines=lines
        or [
            Line("Káva 1 kg", Decimal("2"), Decimal("333.33"), Decimal("12"), unit="ks"),
            Line("Hrnek", Decimal("3"), Decimal("99.90"), Decimal("21"), unit="ks", discount_percent=Decimal("10")),
        ],
    )


def held(sb, remote_id):
    return next(d for d in sb.documents() if d["id"] == remote_id)


def sign_in(authorization_url, login, decision="allow"):
    """The merchant on Fakturoid's page: signs in and allows or denies; returns the callback query."""
    page = requests.get(authorization_url, timeout=5)
    assert page.status_code == 200 and "<form" in page.text
    params = {k: v[0] for k, v in parse_qs(urlsplit(authorization_url).query).items()}
    answer = requests.post(
        authorization_url.split("?")[0],
        allow_redirects=False,
        timeout=5,
        data={**params, "email": login["email"], "password": login["password"], "decision": decision},
    )
    assert answer.status_code == 302, answer.text
    assert answer.headers["Location"].startswith(REDIRECT_URI)
    return {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}


def oauth_connect(sb, records, state="valid", cache=None):
    """Full Authorization Code flow; returns (connector with the slug chosen, stored secrets)."""
    endpoints = resolve_endpoints(FakturoidConnector, {}, {"FAKTUROID_API_URL": sb.url})
    url = FakturoidConnector.authorization_url(endpoints, APP, REDIRECT_URI, "st-123")
    callback = sign_in(url, sb.account(state)["oauth_login"])
    assert callback["state"] == "st-123"
    cache = cache or MemoryTokenCache()
    starter = connect(sb, records, config={"auth_method": "oauth"}, cache=cache)
    secrets = starter.exchange_code(callback["code"], REDIRECT_URI)
    slug = starter.list_accounts()[0][0]
    return connect(sb, records, config={"auth_method": "oauth", "slug": slug}, secrets=secrets, cache=cache), secrets


def token_requests(sb):
    return [r for r in sb.requests() if r["path"] == "/api/v3/oauth/token"]


# -- verify ---------------------------------------------------------------------------------
def test_verify_with_client_credentials_names_the_account_plan_and_recommends_oauth(sb, records):
    identity = valid(sb, records).verify()
    assert identity.company_name == "Demo s.r.o."
    assert identity.account_id == "demo-sro"
    assert identity.plan == "Komplet"
    assert identity.user_email == "jana@demo-sro.example"
    assert "send_email" in identity.allows
    assert any("signing in" in w for w in identity.warnings)


@pytest.mark.parametrize(
    "state, code, hint",
    [
        ("wrong_key", errors.INVALID_CREDENTIALS, None),
        ("blocked", errors.SUBSCRIPTION_INACTIVE, "fakturoid.subscription_inactive"),
        ("no_permission", errors.PERMISSION_DENIED, "fakturoid.permission_denied"),
    ],
)
def test_verify_reports_each_seeded_account_state(sb, records, state, code, hint):
    with pytest.raises(errors.ConnectorError) as caught:
        connect(sb, records, sb.account(state)["credentials"]).verify()
    assert caught.value.code == code
    if hint:
        assert caught.value.hint_key == hint


def test_verify_reports_a_missing_bank_account_as_a_blocker_and_warns_about_the_free_plan(sb, records):
    identity = connect(sb, records, sb.account("no_bank_account")["credentials"]).verify()
    assert identity.plan == "Zdarma"
    assert len(identity.blockers) == 1 and "bank account" in identity.blockers[0]
    assert len(identity.warnings) == 2
    assert "send_email" not in identity.allows


def test_verify_with_a_slug_the_user_cannot_reach_is_account_not_found_on_the_slug_field(sb, records):
    credentials = {**sb.account("valid")["credentials"], "slug": "cizi-firma"}
    with pytest.raises(errors.ConnectorError) as caught:
        connect(sb, records, credentials).verify()
    assert caught.value.code == errors.ACCOUNT_NOT_FOUND
    assert "slug" in caught.value.fields


def test_verify_with_client_credentials_lists_every_missing_field_by_schema_key(sb, records):
    connector = connect(sb, records, config={"auth_method": "client_credentials"})
    with pytest.raises(errors.ConnectorError) as caught:
        connector.verify()
    assert caught.value.code == errors.VALIDATION
    assert set(caught.value.fields) == {"slug", "client_id", "client_secret"}
    assert sb.requests() == []


def test_connecting_by_signing_in_is_the_default_auth_method():
    assert next(f for f in FakturoidConnector.schema if f.key == "auth_method").default == "oauth"


# -- OAuth ----------------------------------------------------------------------------------
def test_oauth_flow_stores_refresh_token_lists_accounts_and_verifies(sb, records):
    connector, secrets = oauth_connect(sb, records)
    assert set(secrets) == {"refresh_token"}
    identity = connector.verify()
    assert identity.account_id == "demo-sro"
    assert not any("signing in" in w for w in identity.warnings)
    assert connector.settings.token_cache.load()["refresh_token"] == secrets["refresh_token"]


def test_authorization_url_carries_client_id_redirect_uri_code_and_state(sb):
    endpoints = resolve_endpoints(FakturoidConnector, {}, {"FAKTUROID_API_URL": sb.url})
    url = FakturoidConnector.authorization_url(endpoints, APP, REDIRECT_URI, "xyz")
    parts = urlsplit(url)
    assert parts.path == "/api/v3/oauth"
    assert parse_qs(parts.query) == {
        "client_id": ["fynode-sandbox-oauth-client"],
        "redirect_uri": [REDIRECT_URI],
        "response_type": ["code"],
        "state": ["xyz"],
    }


def test_authorization_url_needs_fynode_registered_app(sb):
    endpoints = resolve_endpoints(FakturoidConnector, {}, {"FAKTUROID_API_URL": sb.url})
    with pytest.raises(errors.ConnectorError) as caught:
        FakturoidConnector.authorization_url(endpoints, AppIdentity(), REDIRECT_URI, "xyz")
    assert caught.value.code == errors.NOT_SUPPORTED


def test_oauth_connector_without_cached_token_refreshes_with_the_stored_refresh_token(sb, records):
    _connector, secrets = oauth_connect(sb, records)
    fresh = connect(sb, records, config={"auth_method": "oauth", "slug": "demo-sro"}, secrets=secrets)
    assert fresh.verify().company_name == "Demo s.r.o."
    last = token_requests(sb)[-1]
    assert json.loads(last["body"])["grant_type"] == "refresh_token"


def test_deny_on_the_consent_page_maps_to_consent_denied(sb):
    endpoints = resolve_endpoints(FakturoidConnector, {}, {"FAKTUROID_API_URL": sb.url})
    url = FakturoidConnector.authorization_url(endpoints, APP, REDIRECT_URI, "st-9")
    callback = sign_in(url, sb.account("valid")["oauth_login"], decision="deny")
    assert callback == {"error": "access_denied", "state": "st-9"}
    error = FakturoidConnector.consent_error(callback["error"])
    assert error.code == errors.CONSENT_DENIED
    assert error.hint_key == "fakturoid.consent_denied"
    assert FakturoidConnector.consent_error("invalid_request").code == errors.REMOTE_ERROR


def test_an_authorization_code_works_only_once(sb, records):
    endpoints = resolve_endpoints(FakturoidConnector, {}, {"FAKTUROID_API_URL": sb.url})
    callback = sign_in(
        FakturoidConnector.authorization_url(endpoints, APP, REDIRECT_URI, "s"), sb.account("valid")["oauth_login"]
    )
    connect(sb, records, config={"auth_method": "oauth"}).exchange_code(callback["code"], REDIRECT_URI)
    with pytest.raises(errors.ConnectorError) as caught:
        connect(sb, records, config={"auth_method": "oauth"}).exchange_code(callback["code"], REDIRECT_URI)
    assert caught.value.code == errors.INVALID_CREDENTIALS


def test_disconnect_revokes_the_refresh_token(sb, records):
    connector, secrets = oauth_connect(sb, records)
    connector.disconnect()
    assert connector.settings.token_cache.load() is None
    with pytest.raises(errors.ConnectorError) as caught:
        connect(sb, records, config={"auth_method": "oauth", "slug": "demo-sro"}, secrets=secrets).verify()
    assert caught.value.code == errors.INVALID_CREDENTIALS
    assert caught.value.hint_key == "fakturoid.oauth_reconnect"


class RotatingRefreshTokens(requests.adapters.HTTPAdapter):
    """Fakturoid documents no rotation; this stands for a server that starts rotating refresh tokens."""

    def send(self, request, **kwargs):
        response = super().send(request, **kwargs)
        if (
            request.url.endswith("/oauth/token")
            and b"refresh_token" in (request.body or b"")
            and response.status_code == 200
        ):
            response._content = json.dumps({**response.json(), "refresh_token": "rotated-refresh-token"}).encode()
        return response


def test_a_rotated_refresh_token_is_kept_in_the_token_cache(sb, records):
    _connector, secrets = oauth_connect(sb, records)
    cache = MemoryTokenCache()
    connector = connect(sb, records, config={"auth_method": "oauth", "slug": "demo-sro"}, secrets=secrets, cache=cache)
    connector.http.session.mount("http://", RotatingRefreshTokens())
    connector.verify()
    assert cache.load()["refresh_token"] == "rotated-refresh-token"
    assert "rotated-refresh-token" not in json.dumps([e.__dict__ for e in records], default=str)


def test_oauth_without_refresh_token_asks_to_reconnect(sb, records):
    with pytest.raises(errors.ConnectorError) as caught:
        connect(sb, records, config={"auth_method": "oauth", "slug": "demo-sro"}).verify()
    assert caught.value.code == errors.INVALID_CREDENTIALS
    assert caught.value.hint_key == "fakturoid.oauth_reconnect"


# -- tokens ---------------------------------------------------------------------------------
def test_processes_sharing_the_token_cache_request_one_token(sb, records):
    cache = MemoryTokenCache()
    valid(sb, records, cache=cache).verify()
    valid(sb, records, cache=cache).list_number_series()
    assert len(token_requests(sb)) == 1
    assert all(r["headers"]["Authorization"].startswith("Basic ") for r in token_requests(sb))


def test_a_token_issued_elsewhere_invalidates_ours_and_the_connector_renews_once(sb, records):
    connector = valid(sb, records)
    connector.verify()
    credentials = sb.account("valid")["credentials"]
    requests.post(
        f"{sb.url}/api/v3/oauth/token",
        auth=(credentials["client_id"], credentials["client_secret"]),
        json={"grant_type": "client_credentials"},
        headers={"User-Agent": "Other (x@y.cz)"},
        timeout=5,
    )
    assert connector.list_number_series()
    statuses = [r["status"] for r in sb.requests() if r["path"].endswith("invoices.json")]
    assert statuses == [401, 200]
    assert len(token_requests(sb)) == 3


def test_a_token_close_to_expiry_is_renewed_before_use(sb, records):
    cache = MemoryTokenCache()
    connector = valid(sb, records, cache=cache)
    connector.verify()
    cache.save({**cache.load(), "expires_at": datetime.now(timezone.utc).timestamp() - 1})
    connector.list_number_series()
    assert len(token_requests(sb)) == 2
    assert not any(r["status"] == 401 for r in sb.requests())


def test_every_request_carries_the_app_user_agent(sb, records):
    valid(sb, records).verify()
    assert {r["headers"].get("User-Agent") for r in sb.requests()} == {AppIdentity().user_agent}


# -- documents ------------------------------------------------------------------------------
def test_create_invoice_returns_fakturoid_number_and_totals_per_vat_rate(sb, records):
    connector = valid(sb, records)
    document = connector.create_document(draft(), "fy-ord-1001-invoice")
    stored = held(sb, document.remote_id)
    assert document.number == stored["number"] and document.number.startswith(str(date.today().year))
    assert document.total == Decimal(stored["total"])
    assert {(v.rate, v.base, v.vat) for v in document.vat} == {
        (Decimal(v["rate"]), Decimal(v["base"]), Decimal(v["vat"])) for v in stored["vat"]
    }
    assert {v.rate: v.base for v in document.vat} == {
        Decimal("12"): Decimal("666.66"),
        Decimal("21"): Decimal("269.73"),
    }
    assert stored["reference"] == "fy-ord-1001-invoice" and stored["order_no"] == "FY-1001"
    assert document.kind == "invoice" and document.variable_symbol == "1001"


def test_prices_with_vat_are_sent_as_from_total_with_vat(sb, records):
    lines = [Line("Dárkový koš", Decimal("1"), Decimal("1210"), Decimal("21"))]
    document = valid(sb, records).create_document(draft(include_vat=True, lines=lines), "fy-gross")
    assert document.total == Decimal("1210")
    assert (document.vat[0].base, document.vat[0].vat) == (Decimal("1000"), Decimal("210"))


def test_a_variable_symbol_that_is_not_digits_is_left_to_fakturoid(sb, records):
    order = draft()
    order.variable_symbol = "FY-1001"
    document = valid(sb, records).create_document(order, "fy-vs")
    assert document.variable_symbol == document.number.replace("-", "")


def test_the_same_customer_is_one_subject(sb, records):
    connector = valid(sb, records)
    first = connector.create_document(draft(), "fy-a")
    second = connector.create_document(draft(order="FY-1002"), "fy-b")
    creates = [r for r in sb.requests() if r["method"] == "POST" and r["path"].endswith("/subjects.json")]
    # The second create is refused (the custom_id is taken) and the subject found by it instead.
    assert [r["status"] for r in creates] == [201, 422]
    assert first.raw_id_fields["subject_id"] == second.raw_id_fields["subject_id"]


def test_a_new_customer_costs_one_subject_request_and_no_lookup(sb, records):
    valid(sb, records).create_document(draft(), "fy-new")
    subjects = [(r["method"], r["status"]) for r in sb.requests() if r["path"].endswith("/subjects.json")]
    assert subjects == [("POST", 201)]


def test_a_refused_subject_that_is_not_a_duplicate_stays_refused(sb, records):
    order = draft()
    order.customer.email = "not an e-mail"
    with pytest.raises(errors.ConnectorError) as caught:
        valid(sb, records).create_document(order, "fy-bad-subject")
    assert caught.value.code == errors.VALIDATION
    subjects = [(r["method"], r["status"]) for r in sb.requests() if r["path"].endswith("/subjects.json")]
    assert subjects == [("POST", 422), ("GET", 200)]


def test_create_proforma_uses_the_proforma_numbering(sb, records):
    document = valid(sb, records).create_document(draft("proforma"), "fy-pro")
    assert document.kind == "proforma"
    assert held(sb, document.remote_id)["type"] == "proforma"
    assert document.number.startswith("ZF")


def test_credit_note_is_a_correction_linked_to_its_invoice(sb, records):
    connector = valid(sb, records)
    invoice = connector.create_document(draft(), "fy-inv")
    note = connector.create_document(draft("credit_note", related=invoice.remote_id, series="12"), "fy-cn")
    stored = held(sb, note.remote_id)
    assert stored["type"] == "credit_note" and note.kind == "credit_note"
    assert note.number == stored["number"] and note.number.startswith("OD")
    assert note.total == -invoice.total
    assert connector.get_document(invoice.remote_id).raw_id_fields["correction_id"] == int(note.remote_id)


def test_credit_note_without_its_invoice_is_a_validation_error(sb, records):
    with pytest.raises(errors.ConnectorError) as caught:
        valid(sb, records).create_document(draft("credit_note"), "fy-cn-x")
    assert caught.value.code == errors.VALIDATION and "correction_id" in caught.value.fields


def test_vendor_validation_errors_carry_field_messages(sb, records):
    with pytest.raises(errors.ConnectorError) as caught:
        valid(sb, records).create_document(draft(series="999"), "fy-bad")
    assert caught.value.code == errors.VALIDATION
    assert caught.value.fields["number_format_id"] == ["Number format does not exist."]


def test_invoice_on_account_without_bank_account_gets_the_bank_account_hint(sb, records):
    with pytest.raises(errors.ConnectorError) as caught:
        connect(sb, records, sb.account("no_bank_account")["credentials"]).create_document(draft(), "fy-nb")
    assert caught.value.code == errors.PERMISSION_DENIED
    assert caught.value.hint_key == "fakturoid.no_bank_account"


def test_read_only_user_cannot_create(sb, records):
    with pytest.raises(errors.ConnectorError) as caught:
        connect(sb, records, sb.account("no_permission")["credentials"]).create_document(draft(), "fy-ro")
    assert caught.value.code == errors.PERMISSION_DENIED


def test_dropped_create_is_ambiguous_and_found_by_reference_without_duplicate(sb, records):
    connector = valid(sb, records)
    sb.fault("drop_after_create", operations=["create_invoice"])
    with pytest.raises(errors.ConnectorError) as caught:
        connector.create_document(draft(), "fy-drop")
    assert caught.value.ambiguous and caught.value.code == errors.TIMEOUT
    sb.fault("none")
    found = connector.find_by_reference("fy-drop", draft())
    assert found is not None and found.number == held(sb, found.remote_id)["number"]
    # The worker's rule: after an ambiguous failure look up first, create only when nothing is found.
    if connector.find_by_reference("fy-drop") is None:
        connector.create_document(draft(), "fy-drop")
    assert [d["reference"] for d in sb.documents()].count("fy-drop") == 1


def test_find_by_reference_is_none_for_an_unknown_key(sb, records):
    assert valid(sb, records).find_by_reference("fy-never") is None


def test_timeout_on_a_read_is_not_ambiguous(sb, records):
    connector = valid(sb, records, read_timeout=0.4)
    connector.verify()
    sb.fault("timeout", operations=["get_invoice"], seconds=1)
    with pytest.raises(errors.ConnectorError) as caught:
        connector.get_document("1001")
    assert caught.value.code == errors.TIMEOUT and not caught.value.ambiguous


def test_rate_limit_is_rate_limited_with_retry_at_from_x_ratelimit(sb, records):
    connector = valid(sb, records)
    sb.quota(2, 60)
    with pytest.raises(errors.ConnectorError) as caught:
        for _ in range(3):
            connector.list_number_series()
    assert caught.value.code == errors.RATE_LIMITED
    now = datetime.now(timezone.utc)
    assert now < caught.value.retry_at <= now + timedelta(seconds=61)


def test_injected_rate_limit_fault_gives_retry_at(sb, records):
    connector = valid(sb, records)
    connector.verify()
    sb.fault("rate_limit", operations=["create_invoice"], seconds=30)
    with pytest.raises(errors.ConnectorError) as caught:
        connector.create_document(draft(), "fy-429")
    assert caught.value.code == errors.RATE_LIMITED
    assert caught.value.retry_at > datetime.now(timezone.utc) + timedelta(seconds=20)


def test_server_error_is_remote_error(sb, records):
    connector = valid(sb, records)
    connector.verify()
    sb.fault("error_500", operations=["list_invoices"])
    with pytest.raises(errors.ConnectorError) as caught:
        connector.list_documents()
    assert caught.value.code == errors.REMOTE_ERROR and caught.value.is_retryable


def test_list_documents_pages_by_40_until_an_empty_page(sb, records):
    connector = valid(sb, records)
    pages = []
    page = 1
    while True:
        result = connector.list_documents(page)
        pages.append(len(result.documents))
        if not result.has_more:
            break
        page += 1
    held_regular = [d for d in sb.documents() if d["account"] == "demo-sro" and d["type"] != "proforma"]
    assert pages == [40, len(held_regular) - 40]
    assert all(d.number for d in connector.list_documents(1).documents)


def test_list_documents_of_proformas_lists_only_proformas(sb, records):
    result = valid(sb, records).list_documents(1, "proforma")
    assert result.documents and {d.kind for d in result.documents} == {"proforma"}


def test_pdf_is_fetched_after_fakturoid_finishes_rendering(sb, records):
    connector = valid(sb, records)
    document = connector.create_document(draft(), "fy-pdf")
    pdf = connector.get_pdf(document.remote_id)
    assert pdf.content.startswith(b"%PDF") and pdf.content_type == "application/pdf"
    statuses = [r["status"] for r in sb.requests() if r["path"].endswith("download.pdf")]
    assert statuses == [204, 200]


def test_pdf_still_rendering_after_the_attempts_is_not_ready(sb, records):
    connector = valid(sb, records)
    document = connector.create_document(draft(), "fy-pdf2")
    connector.pdf_attempts = 1
    with pytest.raises(errors.ConnectorError) as caught:
        connector.get_pdf(document.remote_id)
    assert caught.value.code == errors.NOT_READY and caught.value.is_retryable


def test_send_email_delivers_to_the_given_address(sb, records):
    connector = valid(sb, records)
    document = connector.create_document(draft(), "fy-mail")
    connector.send_email(document.remote_id, "zakaznik@example.com")
    assert held(sb, document.remote_id)["emailed_to"] == ["zakaznik@example.com"]
    message = next(r for r in sb.requests() if r["path"].endswith("message.json"))
    assert json.loads(message["body"]) == {"deliver_now": True, "email": "zakaznik@example.com"}


def test_send_email_on_the_free_plan_is_not_supported_with_upgrade_hint(sb, records):
    connector = connect(sb, records, sb.account("no_bank_account")["credentials"])
    remote_id = connector.list_documents().documents[0].remote_id
    with pytest.raises(errors.ConnectorError) as caught:
        connector.send_email(remote_id, "zakaznik@example.com")
    assert caught.value.code == errors.NOT_SUPPORTED
    assert caught.value.hint_key == "fakturoid.email_needs_paid_plan"


def test_mark_paid_adds_a_payment_and_twice_is_a_conflict(sb, records):
    connector = valid(sb, records)
    document = connector.create_document(draft(), "fy-pay")
    connector.mark_paid(document.remote_id, Payment(amount=document.total, paid_on=date.today()))
    assert held(sb, document.remote_id)["status"] == "paid"
    assert connector.get_document(document.remote_id).status == "paid"
    with pytest.raises(errors.ConnectorError) as caught:
        connector.mark_paid(document.remote_id, Payment(amount=Decimal("1"), paid_on=date.today()))
    assert caught.value.code == errors.CONFLICT and caught.value.hint_key == "fakturoid.already_paid"


def test_partial_payment_leaves_the_invoice_partially_paid(sb, records):
    connector = valid(sb, records)
    document = connector.create_document(draft(), "fy-part")
    connector.mark_paid(document.remote_id, Payment(amount=Decimal("100"), paid_on=date.today()))
    assert connector.get_document(document.remote_id).status == "partially_paid"


def test_number_series_are_fakturoid_number_formats(sb, records):
    connector = valid(sb, records)
    series = connector.list_number_series("invoice")
    assert [(s.id, s.default) for s in series] == [("11", True), ("12", False)]
    assert series[0].next_number.startswith(str(date.today().year))
    assert connector.list_number_series("proforma") == []
    assert connector.list_choices("number_series:credit_note")[1][0] == "12"


def test_bank_accounts_are_offered_as_choices(sb, records):
    assert valid(sb, records).list_choices("bank_accounts") == [("101", "Hlavní účet 2600123456/2010")]


def test_delete_document_removes_it(sb, records):
    connector = valid(sb, records)
    document = connector.create_document(draft(), "fy-del")
    connector.delete_document(document.remote_id)
    assert all(d["id"] != document.remote_id for d in sb.documents())


def test_delete_of_a_corrected_invoice_is_a_conflict(sb, records):
    connector = valid(sb, records)
    invoice = connector.create_document(draft(), "fy-del2")
    connector.create_document(draft("credit_note", related=invoice.remote_id), "fy-del2-cn")
    with pytest.raises(errors.ConnectorError) as caught:
        connector.delete_document(invoice.remote_id)
    assert caught.value.code == errors.CONFLICT and caught.value.hint_key == "fakturoid.cannot_delete"


# -- secrets --------------------------------------------------------------------------------
def test_no_secret_reaches_the_integration_log(sb, records):
    connector, secrets = oauth_connect(sb, records)
    connector.verify()
    cc = valid(sb, records)
    cc.create_document(draft(), "fy-secret")
    tokens = [json.loads(r["body"] or "{}") for r in token_requests(sb)]
    issued = [e for e in records if e.operation == "token"]
    assert issued
    leaked = {
        secrets["refresh_token"],
        APP.registrations["FAKTUROID_CLIENT_SECRET"],
        sb.account("valid")["credentials"]["client_secret"],
    }
    leaked |= {t.get("code") for t in tokens if t.get("code")}
    leaked |= {(m.load() or {}).get("access_token") for m in (connector.settings.token_cache, cc.settings.token_cache)}
    text = json.dumps([e.__dict__ for e in records], default=str)
    assert None not in leaked and all(value not in text for value in leaked)


def test_token_endpoint_timeout_is_a_plain_timeout_not_an_ambiguous_create(sb, records):
    sb.fault("timeout", operations=["token"], seconds=1)
    with pytest.raises(errors.ConnectorError) as caught:
        valid(sb, records, read_timeout=0.3).create_document(draft(), "fy-token-slow")
    assert caught.value.code == errors.TIMEOUT and not caught.value.ambiguous
    assert not any(r["path"].endswith("/invoices.json") for r in sb.requests())


def test_document_in_a_foreign_currency_needs_an_exchange_rate_with_its_own_hint(sb, records):
    foreign = draft()
    foreign.currency = "EUR"  # the seeded account keeps its books in CZK
    with pytest.raises(errors.ConnectorError) as caught:
        valid(sb, records).create_document(foreign, "fx-1")
    assert caught.value.code == errors.VALIDATION
    assert caught.value.hint_key == "fakturoid.exchange_rate_needed" and "exchange_rate" in caught.value.fields
    foreign.options["exchange_rate"] = "25.125"
    created = valid(sb, records).create_document(foreign, "fx-2")
    assert created.currency == "EUR" and held(sb, created.remote_id)
