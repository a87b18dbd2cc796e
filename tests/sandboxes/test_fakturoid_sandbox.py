"""The Fakturoid sandbox, held to the Fakturoid API v3 docs with hand-made requests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import urllib3

UA = "FynodeTests (tests@fynode.example)"
APP = ("fynode-sandbox-oauth-client", "fynode-sandbox-oauth-secret")
REDIRECT = "http://127.0.0.1:8123/callback"


@pytest.fixture
def sb(sandbox):
    return sandbox("fakturoid")


def token_for(sb, state="valid"):
    credentials = sb.account(state)["credentials"]
    answer = requests.post(
        f"{sb.url}/api/v3/oauth/token",
        auth=(credentials["client_id"], credentials["client_secret"]),
        headers={"User-Agent": UA, "Accept": "application/json"},
        json={"grant_type": "client_credentials"},
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def api(sb, state="valid"):
    """A session authorised as the seeded account in `state`; returns (session, account base URL)."""
    session = requests.Session()
    session.headers.update({"User-Agent": UA, "Authorization": f"Bearer {token_for(sb, state)}"})
    slug = sb.account(state)["credentials"]["slug"]
    return session, f"{sb.url}/api/v3/accounts/{slug}"


def subject_id(session, base):
    return session.get(f"{base}/subjects.json", timeout=5).json()[0]["id"]


def create(session, base, **fields):
    body = {
        "subject_id": subject_id(session, base),
        "lines": [{"name": "Hard work", "quantity": "1.0", "unit_name": "h", "unit_price": "40000", "vat_rate": "21"}],
        **fields,
    }
    return session.post(f"{base}/invoices.json", json=body, timeout=5)


def authorize(sb, decision="allow", email=None, password=None, redirect_uri=REDIRECT, state="abc"):
    login = sb.account("valid")["oauth_login"]
    return requests.post(
        f"{sb.url}/api/v3/oauth",
        allow_redirects=False,
        timeout=5,
        data={
            "client_id": APP[0],
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "state": state,
            "email": email or login["email"],
            "password": password or login["password"],
            "decision": decision,
        },
    )


def query_of(response):
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}


def auth_code_tokens(sb):
    code = query_of(authorize(sb))["code"]
    answer = requests.post(
        f"{sb.url}/api/v3/oauth/token",
        auth=APP,
        headers={"User-Agent": UA},
        timeout=5,
        json={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


# -- request rules ---------------------------------------------------------------------------
def test_missing_user_agent_is_the_documented_400(sb):
    answer = requests.post(
        f"{sb.url}/api/v3/oauth/token",
        auth=("fa-valid-client-id", "fa-valid-client-secret"),
        headers={"User-Agent": urllib3.util.SKIP_HEADER},
        json={"grant_type": "client_credentials"},
        timeout=5,
    )
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_request", "error_description": 'Required header "User-Agent" is missing'}


def test_non_json_response_type_is_415(sb):
    session, base = api(sb)
    assert session.get(f"{base}/invoices.json", headers={"Accept": "text/html"}, timeout=5).status_code == 415


def test_request_body_that_is_not_json_is_refused(sb):
    session, base = api(sb)
    answer = session.post(
        f"{base}/invoices.json",
        data="subject_id=1",
        timeout=5,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 415


def test_every_api_answer_carries_the_rate_limit_headers(sb):
    session, _base = api(sb)
    answer = session.get(f"{sb.url}/api/v3/user.json", timeout=5)
    assert answer.headers["X-RateLimit-Policy"] == "default;q=400;w=60"
    assert answer.headers["X-RateLimit"].startswith("default;r=399;t=")


def test_over_the_quota_answers_429_with_zero_remaining(sb):
    session, _base = api(sb)
    sb.quota(2, 60)
    statuses = [session.get(f"{sb.url}/api/v3/user.json", timeout=5) for _ in range(3)]
    assert [s.status_code for s in statuses] == [200, 200, 429]
    assert statuses[-1].headers["X-RateLimit"].startswith("default;r=0;t=")
    assert statuses[-1].headers["X-RateLimit-Policy"] == "default;q=2;w=60"


# -- client credentials ------------------------------------------------------------------------
def test_client_credentials_token_is_a_bearer_token_for_two_hours(sb):
    answer = requests.post(
        f"{sb.url}/api/v3/oauth/token",
        auth=("fa-valid-client-id", "fa-valid-client-secret"),
        headers={"User-Agent": UA},
        data={"grant_type": "client_credentials"},
        timeout=5,
    )
    body = answer.json()
    assert answer.status_code == 200 and set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 7200


def test_credentials_in_the_body_are_the_documented_400(sb):
    answer = requests.post(
        f"{sb.url}/api/v3/oauth/token",
        headers={"User-Agent": UA},
        timeout=5,
        json={
            "grant_type": "client_credentials",
            "client_id": "fa-valid-client-id",
            "client_secret": "fa-valid-client-secret",
        },
    )
    assert answer.status_code == 400
    assert (
        answer.json()["error_description"] == "Client ID and Client Secret have to be sent via HTTP Basic Authorization"
    )


def test_wrong_client_secret_is_401(sb):
    credentials = sb.account("wrong_key")["credentials"]
    answer = requests.post(
        f"{sb.url}/api/v3/oauth/token",
        auth=(credentials["client_id"], credentials["client_secret"]),
        headers={"User-Agent": UA},
        json={"grant_type": "client_credentials"},
        timeout=5,
    )
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


def test_a_new_token_invalidates_the_previous_one(sb):
    first = token_for(sb)
    second = token_for(sb)
    user = f"{sb.url}/api/v3/user.json"
    assert (
        requests.get(user, headers={"User-Agent": UA, "Authorization": f"Bearer {first}"}, timeout=5).status_code == 401
    )
    assert (
        requests.get(user, headers={"User-Agent": UA, "Authorization": f"Bearer {second}"}, timeout=5).status_code
        == 200
    )


def test_missing_token_is_401(sb):
    assert requests.get(f"{sb.url}/api/v3/user.json", headers={"User-Agent": UA}, timeout=5).status_code == 401


# -- authorization code ------------------------------------------------------------------------
def test_authorization_page_shows_sign_in_and_consent(sb):
    page = requests.get(
        f"{sb.url}/api/v3/oauth",
        timeout=5,
        params={"client_id": APP[0], "redirect_uri": REDIRECT, "response_type": "code", "state": "abc"},
    )
    assert page.status_code == 200 and 'name="password"' in page.text and 'value="deny"' in page.text


@pytest.mark.parametrize("redirect_uri", ["http://localhost:8123/callback", "https://evil.example/callback"])
def test_authorization_page_refuses_unregistered_redirect_uris_without_redirecting(sb, redirect_uri):
    page = requests.get(
        f"{sb.url}/api/v3/oauth",
        timeout=5,
        allow_redirects=False,
        params={"client_id": APP[0], "redirect_uri": redirect_uri, "response_type": "code"},
    )
    assert page.status_code == 400 and "Location" not in page.headers


def test_allow_redirects_with_code_and_state(sb):
    answer = authorize(sb)
    assert answer.status_code == 302 and answer.headers["Location"].startswith(REDIRECT)
    query = query_of(answer)
    assert query["state"] == "abc" and len(query["code"]) == 80


def test_deny_redirects_with_access_denied(sb):
    answer = authorize(sb, decision="deny")
    assert query_of(answer) == {"error": "access_denied", "state": "abc"}


def test_wrong_password_stays_on_the_sign_in_page(sb):
    answer = authorize(sb, password="nope")
    assert answer.status_code == 401 and "Location" not in answer.headers


def test_code_exchange_returns_access_and_refresh_token(sb):
    tokens = auth_code_tokens(sb)
    assert set(tokens) == {"access_token", "token_type", "expires_in", "refresh_token"}
    me = requests.get(
        f"{sb.url}/api/v3/user.json",
        timeout=5,
        headers={"User-Agent": UA, "Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert me.json()["email"] == sb.account("valid")["oauth_login"]["email"]


def test_a_code_is_single_use_and_bound_to_its_redirect_uri(sb):
    code = query_of(authorize(sb))["code"]
    url = f"{sb.url}/api/v3/oauth/token"
    wrong = requests.post(
        url,
        auth=APP,
        headers={"User-Agent": UA},
        timeout=5,
        json={"grant_type": "authorization_code", "code": code, "redirect_uri": "http://127.0.0.1:1/other"},
    )
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    again = requests.post(
        url,
        auth=APP,
        headers={"User-Agent": UA},
        timeout=5,
        json={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
    )
    assert again.status_code == 400


def test_refresh_gives_a_new_access_token_without_rotating_the_refresh_token(sb):
    tokens = auth_code_tokens(sb)
    answer = requests.post(
        f"{sb.url}/api/v3/oauth/token",
        auth=APP,
        headers={"User-Agent": UA},
        timeout=5,
        json={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert answer.status_code == 200 and "refresh_token" not in answer.json()
    assert answer.json()["access_token"] != tokens["access_token"]


def test_revoke_deletes_refresh_and_access_tokens(sb):
    tokens = auth_code_tokens(sb)
    revoked = requests.post(
        f"{sb.url}/api/v3/oauth/revoke",
        auth=APP,
        headers={"User-Agent": UA},
        timeout=5,
        json={"token": tokens["refresh_token"]},
    )
    assert revoked.status_code == 200
    refresh = requests.post(
        f"{sb.url}/api/v3/oauth/token",
        auth=APP,
        headers={"User-Agent": UA},
        timeout=5,
        json={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert refresh.status_code == 400
    me = requests.get(
        f"{sb.url}/api/v3/user.json",
        timeout=5,
        headers={"User-Agent": UA, "Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert me.status_code == 401


def test_the_app_cannot_use_client_credentials(sb):
    answer = requests.post(
        f"{sb.url}/api/v3/oauth/token",
        auth=APP,
        headers={"User-Agent": UA},
        timeout=5,
        json={"grant_type": "client_credentials"},
    )
    assert answer.status_code == 400 and answer.json()["error"] == "unauthorized_client"


# -- user, account, states -----------------------------------------------------------------------
def test_user_json_lists_accounts_with_permission_and_scope(sb):
    session, _base = api(sb)
    me = session.get(f"{sb.url}/api/v3/user.json", timeout=5).json()
    assert me["default_account"] == "demo-sro"
    assert me["accounts"] == [
        {
            "slug": "demo-sro",
            "logo": None,
            "name": "Demo s.r.o.",
            "registration_no": "12345678",
            "permission": "owner",
            "allowed_scope": ["invoices", "expenses", "reports"],
        }
    ]


def test_account_json_gives_plan_and_name(sb):
    session, base = api(sb)
    account = session.get(f"{base}/account.json", timeout=5).json()
    assert (account["subdomain"], account["plan"], account["name"]) == ("demo-sro", "Komplet", "Demo s.r.o.")


def test_blocked_account_answers_402_but_the_user_still_answers(sb):
    session, base = api(sb, "blocked")
    assert session.get(f"{sb.url}/api/v3/user.json", timeout=5).status_code == 200
    answer = session.get(f"{base}/account.json", timeout=5)
    assert answer.status_code == 402 and answer.json()["status"] == "Account blocked"


def test_read_only_user_reads_but_cannot_write(sb):
    session, base = api(sb, "no_permission")
    assert session.get(f"{base}/invoices.json", timeout=5).status_code == 200
    assert create(session, base).status_code == 403


def test_account_of_another_user_is_404(sb):
    session, _base = api(sb)
    answer = session.get(f"{sb.url}/api/v3/accounts/zablokovana-firma/invoices.json", timeout=5)
    assert answer.status_code == 404 and answer.json() == {"error": "resource_not_found"}


# -- invoices ------------------------------------------------------------------------------------
def test_create_invoice_is_201_with_location_and_computed_totals(sb):
    session, base = api(sb)
    answer = create(session, base, custom_id="1234", due=21, issued_on="2026-11-19")
    invoice = answer.json()
    assert answer.status_code == 201 and answer.headers["Location"] == invoice["url"]
    assert (invoice["subtotal"], invoice["total"]) == ("40000.0", "48400.0")
    assert invoice["vat_rates_summary"][0] == {
        "vat_rate": 21,
        "base": "40000.0",
        "vat": "8400.0",
        "currency": "CZK",
        "native_base": "40000.0",
        "native_vat": "8400.0",
        "native_currency": "CZK",
    }
    assert invoice["due_on"] == "2026-12-10" and invoice["custom_id"] == "1234"
    assert invoice["lines"][0]["total_vat"] == "8400.0"


def test_prices_with_vat_are_split_into_base_and_vat(sb):
    session, base = api(sb)
    invoice = create(
        session,
        base,
        vat_price_mode="from_total_with_vat",
        lines=[
            {"name": "Koš", "quantity": "2", "unit_price": "605", "vat_rate": 21},
            {"name": "Kniha", "quantity": "1", "unit_price": "112", "vat_rate": 12},
        ],
    ).json()
    summary = {v["vat_rate"]: (v["base"], v["vat"]) for v in invoice["vat_rates_summary"]}
    assert summary == {21: ("1000.0", "210.0"), 12: ("100.0", "12.0")}
    assert invoice["total"] == "1322.0"


def test_numbers_follow_the_default_format_and_count_up(sb):
    session, base = api(sb)
    preview = session.get(f"{base}/number_formats/invoices.json", timeout=5).json()[0]["preview"]
    first = create(session, base).json()["number"]
    second = create(session, base).json()["number"]
    year = date.today().year
    assert first == preview and first.startswith(f"{year}-")
    assert int(second.split("-")[1]) == int(first.split("-")[1]) + 1


def test_number_format_id_selects_another_series(sb):
    session, base = api(sb)
    assert create(session, base, number_format_id=12).json()["number"] == f"OD{date.today().year}-002"


def test_explicit_number_must_match_the_format_and_be_unused(sb):
    session, base = api(sb)
    taken = create(session, base).json()["number"]
    assert create(session, base, number=taken).json() == {"errors": {"number": ["has already been taken"]}}
    mismatch = create(session, base, number="X-1").json()
    assert mismatch["errors"]["number"] == ["The number does not match the number format in the settings"]


def test_missing_subject_and_line_fields_are_422_format_a(sb):
    session, base = api(sb)
    answer = session.post(f"{base}/invoices.json", json={"lines": [{"quantity": "1"}]}, timeout=5)
    assert answer.status_code == 422
    assert answer.json() == {
        "errors": {
            "subject_id": ["can't be blank"],
            "lines.name": ["can't be blank"],
            "lines.unit_price": ["can't be blank"],
        }
    }


def test_foreign_currency_needs_an_exchange_rate(sb):
    session, base = api(sb)
    assert "exchange_rate" in create(session, base, currency="EUR").json()["errors"]
    assert create(session, base, currency="EUR", exchange_rate="25.1").status_code == 201


def test_invoice_without_bank_account_is_the_documented_403(sb):
    session, base = api(sb, "no_bank_account")
    answer = create(session, base)
    assert answer.status_code == 403 and "bank_account" in answer.json()["errors"]


def test_correction_points_back_from_the_invoice_and_blocks_its_deletion(sb):
    session, base = api(sb)
    invoice = create(session, base).json()
    correction = create(
        session,
        base,
        document_type="correction",
        correction_id=invoice["id"],
        lines=[{"name": "Sleva", "unit_price": "-1000", "vat_rate": 21}],
    ).json()
    assert correction["document_type"] == "correction" and correction["total"] == "-1210.0"
    assert session.get(f"{base}/invoices/{invoice['id']}.json", timeout=5).json()["correction_id"] == correction["id"]
    refused = session.delete(f"{base}/invoices/{invoice['id']}.json", timeout=5)
    assert refused.status_code == 422 and refused.json() == {"errors": {"document": ["Document cannot be deleted"]}}


def test_proforma_has_its_own_numbering(sb):
    session, base = api(sb)
    proforma = create(session, base, document_type="proforma").json()
    assert proforma["number"].startswith(f"ZF{date.today().year}-")
    assert proforma["proforma_followup_document"] == "final_invoice_paid"


def test_list_pages_by_40_newest_first_until_an_empty_array(sb):
    session, base = api(sb)
    first = session.get(f"{base}/invoices.json", timeout=5).json()
    second = session.get(f"{base}/invoices.json", params={"page": 2}, timeout=5).json()
    third = session.get(f"{base}/invoices.json", params={"page": 3}, timeout=5).json()
    assert len(first) == 40 and 0 < len(second) < 40 and third == []
    ids = [i["id"] for i in first + second]
    assert ids == sorted(ids, reverse=True)
    assert "Link" not in session.get(f"{base}/invoices.json", timeout=5).headers


def test_list_filters_by_custom_id_and_document_type(sb):
    session, base = api(sb)
    create(session, base, custom_id="order-77")
    found = session.get(f"{base}/invoices.json", params={"custom_id": "order-77"}, timeout=5).json()
    assert [i["custom_id"] for i in found] == ["order-77"]
    proformas = session.get(f"{base}/invoices.json", params={"document_type": "proforma"}, timeout=5).json()
    regular = session.get(f"{base}/invoices.json", params={"document_type": "regular"}, timeout=5).json()
    assert {i["document_type"] for i in proformas} == {"proforma"}
    assert "proforma" not in {i["document_type"] for i in regular}


def test_invalid_since_is_400(sb):
    session, base = api(sb)
    assert session.get(f"{base}/invoices.json", params={"since": "yesterday"}, timeout=5).status_code == 400


def test_search_finds_by_number(sb):
    session, base = api(sb)
    number = create(session, base).json()["number"]
    found = session.get(f"{base}/invoices/search.json", params={"query": number}, timeout=5).json()
    assert [i["number"] for i in found] == [number]


def test_unknown_invoice_is_404_resource_not_found(sb):
    session, base = api(sb)
    answer = session.get(f"{base}/invoices/99999.json", timeout=5)
    assert answer.status_code == 404 and answer.json() == {"error": "resource_not_found"}


def test_pdf_answers_204_until_ready_then_a_pdf(sb):
    session, base = api(sb)
    invoice = create(session, base).json()
    pending = session.get(invoice["pdf_url"], timeout=5)
    assert pending.status_code == 204 and pending.content == b""
    ready = session.get(invoice["pdf_url"], timeout=5)
    assert ready.status_code == 200 and ready.headers["Content-Type"] == "application/pdf"
    assert ready.content.startswith(b"%PDF")


def test_message_is_204_and_marks_the_invoice_sent(sb):
    session, base = api(sb)
    invoice = create(session, base).json()
    answer = session.post(f"{base}/invoices/{invoice['id']}/message.json", json={"email": "a@b.cz"}, timeout=5)
    assert answer.status_code == 204
    again = session.get(f"{base}/invoices/{invoice['id']}.json", timeout=5).json()
    assert again["status"] == "sent" and again["sent_at"]


def test_message_on_the_free_plan_is_upgrade_required(sb):
    session, base = api(sb, "no_bank_account")
    invoice_id = session.get(f"{base}/invoices.json", timeout=5).json()[0]["id"]
    answer = session.post(f"{base}/invoices/{invoice_id}/message.json", json={}, timeout=5)
    assert answer.status_code == 403
    assert answer.json() == {
        "error": "upgrade_required",
        "error_description": "Email delivery is only available for paid plans",
    }


def test_payment_is_201_marks_paid_and_a_second_one_is_403(sb):
    session, base = api(sb)
    invoice = create(session, base).json()
    url = f"{base}/invoices/{invoice['id']}/payments.json"
    payment = session.post(url, json={"paid_on": "2026-11-20"}, timeout=5)
    assert payment.status_code == 201 and payment.json()["amount"] == invoice["total"]
    paid = session.get(f"{base}/invoices/{invoice['id']}.json", timeout=5).json()
    assert (paid["status"], paid["paid_on"], paid["remaining_amount"]) == ("paid", "2026-11-20", "0.0")
    second = session.post(url, json={}, timeout=5)
    assert second.status_code == 403 and second.json()["error"] == "forbidden"


def test_partial_payment_leaves_the_rest_open(sb):
    session, base = api(sb)
    invoice = create(session, base).json()
    session.post(f"{base}/invoices/{invoice['id']}/payments.json", json={"amount": "400"}, timeout=5)
    after = session.get(f"{base}/invoices/{invoice['id']}.json", timeout=5).json()
    assert after["status"] == "open"
    assert Decimal(after["remaining_amount"]) == Decimal(invoice["total"]) - 400


def test_delete_is_204(sb):
    session, base = api(sb)
    invoice = create(session, base).json()
    assert session.delete(f"{base}/invoices/{invoice['id']}.json", timeout=5).status_code == 204
    assert session.get(f"{base}/invoices/{invoice['id']}.json", timeout=5).status_code == 404


def test_subject_custom_id_is_unique(sb):
    session, base = api(sb)
    first = session.post(f"{base}/subjects.json", json={"name": "Nový klient", "custom_id": "c-1"}, timeout=5)
    assert first.status_code == 201 and first.headers["Location"].endswith(f"/subjects/{first.json()['id']}.json")
    again = session.post(f"{base}/subjects.json", json={"name": "Nový klient", "custom_id": "c-1"}, timeout=5)
    assert again.status_code == 422 and "custom_id" in again.json()["errors"]
    assert session.post(f"{base}/subjects.json", json={}, timeout=5).json() == {"errors": {"name": ["can't be blank"]}}


def test_bank_accounts_and_number_formats_are_listed(sb):
    session, base = api(sb)
    assert session.get(f"{base}/bank_accounts.json", timeout=5).json()[0]["number"] == "2600123456/2010"
    formats = session.get(f"{base}/number_formats/invoices.json", timeout=5).json()
    assert [(f["id"], f["format"], f["default"]) for f in formats] == [
        (11, "#yyyy#-#dddd#", True),
        (12, "OD#yyyy#-#ddd#", False),
    ]


# -- control API -----------------------------------------------------------------------------------
def test_control_accounts_cover_each_state_with_credentials_and_oauth_login(sb):
    accounts = sb.accounts()
    assert [a["id"] for a in accounts] == ["fa-valid", "fa-wrong-key", "fa-blocked", "fa-no-permission", "fa-no-bank"]
    assert {a["state"] for a in accounts} >= {"valid", "wrong_key", "blocked", "no_permission"}
    for account in accounts:
        assert set(account["credentials"]) == {"auth_method", "slug", "client_id", "client_secret"}
        assert set(account["oauth_login"]) == {"email", "password"}


def test_valid_account_holds_45_or_more_seeded_documents_with_order_numbers(sb):
    seeded = [d for d in sb.documents() if d["account"] == "demo-sro"]
    assert len(seeded) >= 45
    assert all(d["number"] for d in seeded)
    assert sum(1 for d in seeded if d["order_no"]) >= 45


def test_reset_forgets_created_documents_and_tokens(sb):
    session, base = api(sb)
    create(session, base)
    before = len(sb.documents())
    sb.reset()
    assert len(sb.documents()) == before - 1
    assert session.get(f"{sb.url}/api/v3/user.json", timeout=5).status_code == 401


def test_faults_apply_to_the_named_operation(sb):
    session, base = api(sb)
    sb.fault("error_500", operations=["list_invoices"])
    assert session.get(f"{base}/invoices.json", timeout=5).status_code == 500
    assert session.get(f"{sb.url}/api/v3/user.json", timeout=5).status_code == 200
    sb.fault("none")
    sb.fault("rate_limit", operations=["create_invoice"], seconds=30)
    limited = create(session, base)
    assert limited.status_code == 429 and limited.headers["X-RateLimit"].startswith("default;r=0;t=")


def test_drop_after_create_keeps_the_document(sb):
    session, base = api(sb)
    sb.fault("drop_after_create", operations=["create_invoice"])
    with pytest.raises(requests.ConnectionError):
        create(session, base, custom_id="dropped")
    assert [d["reference"] for d in sb.documents()].count("dropped") == 1


def test_requests_log_shows_what_arrived(sb):
    session, _base = api(sb)
    session.get(f"{sb.url}/api/v3/user.json", timeout=5)
    last = sb.requests()[-1]
    assert (last["method"], last["path"], last["status"]) == ("GET", "/api/v3/user.json", 200)
    assert last["headers"]["User-Agent"] == UA


def test_paying_a_proforma_issues_the_paid_final_invoice(sb):
    session, base = api(sb)
    proforma = create(session, base, document_type="proforma").json()
    session.post(f"{base}/invoices/{proforma['id']}/payments.json", json={}, timeout=5)
    paid = session.get(f"{base}/invoices/{proforma['id']}.json", timeout=5).json()
    final = session.get(f"{base}/invoices/{paid['related_id']}.json", timeout=5).json()
    assert paid["status"] == "paid"
    assert (final["document_type"], final["status"], final["related_id"]) == ("invoice", "paid", proforma["id"])
    assert final["total"] == proforma["total"]


def test_fire_lock_blocks_deletion_and_a_repeated_lock_is_422(sb):
    session, base = api(sb)
    invoice = create(session, base).json()
    fire = f"{base}/invoices/{invoice['id']}/fire.json"
    assert session.post(fire, params={"event": "lock"}, timeout=5).status_code == 204
    again = session.post(fire, params={"event": "lock"}, timeout=5)
    assert again.status_code == 422 and again.json() == {"errors": {"event": ["lock cannot be fired"]}}
    assert session.delete(f"{base}/invoices/{invoice['id']}.json", timeout=5).status_code == 422
    assert session.post(fire, params={"event": "cancel"}, timeout=5).status_code == 204
    assert session.get(f"{base}/invoices/{invoice['id']}.json", timeout=5).json()["status"] == "cancelled"


def test_variable_symbol_is_digits_and_defaults_to_the_number(sb):
    session, base = api(sb)
    assert create(session, base, variable_symbol="OBJ-1").json() == {"errors": {"variable_symbol": ["is invalid"]}}
    invoice = create(session, base).json()
    assert invoice["variable_symbol"] == invoice["number"].replace("-", "")
