"""The SuperFaktura sandbox, checked against the vendor docs (github.com/superfaktura/docs) with
hand-made requests shaped like the docs' curl examples."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from urllib.parse import quote

import pytest
import requests


def this_year() -> int:
    """Read when a test runs, not at collection: a run can cross New Year's midnight."""
    return date.today().year


RESET_FORMAT = re.compile(r"^\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}:\d{2}$")


@pytest.fixture
def sb(sandbox):
    return sandbox("superfaktura")


def sfapi(credentials: dict, **override) -> dict:
    """`Authorization: SFAPI email=api%40example.com&apikey=...&company_id=...` as intro.md shows it."""
    values = {
        "email": credentials["email"],
        "apikey": credentials["api_key"],
        "company_id": credentials["company_id"],
        "module": "Docs check 1.0",
        **override,
    }
    attrs = "&".join(f"{name}={quote(str(value), safe='')}" for name, value in values.items() if value is not None)
    return {"Authorization": f"SFAPI {attrs}"}


@pytest.fixture
def api(sb):
    """GET/POST on the sandbox as the sf-valid user."""
    creds = sb.account("valid")["credentials"]

    class Api:
        headers = sfapi(creds)

        def get(self, path, **kw):
            return requests.get(sb.url + path, headers={**self.headers, **kw.pop("headers", {})}, timeout=5, **kw)

        def post(self, path, body, **kw):
            """The documented form: field `data` holding JSON."""
            return requests.post(
                sb.url + path,
                data={"data": json.dumps(body)},
                headers={**self.headers, **kw.pop("headers", {})},
                timeout=5,
                **kw,
            )

    return Api()


def minimal_invoice(**invoice) -> dict:
    return {
        "Invoice": {"name": "Test API", **invoice},
        "InvoiceItem": [{"description": "description of item 1", "name": "item 1", "tax": 20, "unit_price": 10}],
        "Client": {"name": "Jozko Mrkvicka", "ico": "44981082"},
    }


# -- authentication ---------------------------------------------------------------------------
def test_request_without_authorization_header_is_401(sb):
    resp = requests.get(sb.url + "/sequences/index.json", timeout=5)
    assert resp.status_code == 401 and resp.json()["error"] == 1


def test_wrong_api_key_is_401_with_error_envelope(sb):
    resp = requests.get(
        sb.url + "/users/getUserCompaniesData", headers=sfapi(sb.account("wrong_key")["credentials"]), timeout=5
    )
    assert resp.status_code == 401
    assert resp.json()["error"] == 1 and resp.json()["error_message"]


def test_email_with_unencoded_plus_is_not_authenticated(sb):
    creds = sb.account("valid")["credentials"]
    header = sfapi(creds)["Authorization"].replace("%2B", "+")
    resp = requests.get(sb.url + "/sequences/index.json", headers={"Authorization": header}, timeout=5)
    assert resp.status_code == 401


def test_encoded_email_and_missing_module_are_accepted(sb):
    resp = requests.get(
        sb.url + "/sequences/index.json", headers=sfapi(sb.account("valid")["credentials"], module=None), timeout=5
    )
    assert resp.status_code == 200


@pytest.mark.parametrize("state", ["no_api_plan", "expired"])
def test_company_without_valid_premium_gets_401_premium_message(sb, state):
    resp = requests.get(sb.url + "/sequences/index.json", headers=sfapi(sb.account(state)["credentials"]), timeout=5)
    assert resp.status_code == 401
    assert resp.json() == {"error": 1, "message": "Musíte mať platné prémiové členstvo"}


def test_unknown_company_id_does_not_fail_loudly(sb):
    resp = requests.get(
        sb.url + "/users/getUserCompaniesData",
        headers=sfapi(sb.account("valid")["credentials"], company_id="99999"),
        timeout=5,
    )
    assert resp.status_code == 200 and resp.json()["error"] == 0
    assert list(resp.json()["data"]) == ["3101"]


# -- account data -----------------------------------------------------------------------------
def test_get_user_companies_data_is_the_current_company_with_bank_accounts(api):
    body = api.get("/users/getUserCompaniesData").json()
    assert body["error"] == 0 and body["error_message"] == ""
    company = body["data"]["3101"]
    assert company["UserProfile"]["company_name"] == "Demo s.r.o."
    assert [b["id"] for b in company["BankAccount"]] == ["264", "265"]


def test_get_user_companies_data_with_flag_lists_all_companies(api):
    body = api.get("/users/getUserCompaniesData/1").json()
    assert sorted(body["data"]) == ["3101", "3102"]


def test_company_switcher_lists_the_profiles(api):
    body = api.get("/users/company_switcher").json()
    assert [c["UserProfile"]["id"] for c in body["companies"]] == ["3101", "3102"]


def test_sequences_are_grouped_by_document_type_with_next_number(api):
    body = api.get("/sequences/index.json").json()
    assert {"regular", "proforma", "cancel", ""} <= set(body)
    regular = body["regular"][0]
    assert regular["mask"] == "YYYYNNN" and regular["default"] == "1" and regular["period_type"] == "yearly"
    assert regular["sequence"] == "49" and regular["sequence_formatted"] == f"{this_year()}049"


# -- creating -----------------------------------------------------------------------------------
def test_create_with_form_field_data_answers_invoice_created(api):
    resp = api.post("/invoices/create", minimal_invoice())
    body = resp.json()
    assert resp.status_code == 200
    assert body["error"] == 0 and body["error_message"] == "Invoice created"
    invoice = body["data"]["Invoice"]
    assert invoice["invoice_no_formatted"] == f"{this_year()}049" and invoice["type"] == "regular"
    assert invoice["variable"] == f"{this_year()}049"  # empty variable symbol -> the invoice number
    assert body["data"]["Summary"]["invoice_total"] == 12 and body["data"]["0"]["total"] == "12.00"


def test_create_accepts_raw_json_like_the_php_client(api, sb):
    resp = requests.post(sb.url + "/invoices/create", json=minimal_invoice(), headers=api.headers, timeout=5)
    assert resp.json()["error"] == 0


def test_create_with_other_content_type_is_bad_data_format(api, sb):
    resp = requests.post(
        sb.url + "/invoices/create",
        data=json.dumps(minimal_invoice()),
        headers={**api.headers, "Content-Type": "text/plain"},
        timeout=5,
    )
    assert resp.json()["error"] == 1 and resp.json()["error_message"] == "Bad data format."


def test_numbering_continues_per_series(api):
    first = api.post("/invoices/create", minimal_invoice()).json()["data"]["Invoice"]["invoice_no_formatted"]
    second = api.post("/invoices/create", minimal_invoice()).json()["data"]["Invoice"]["invoice_no_formatted"]
    eshop = api.post("/invoices/create", minimal_invoice(sequence_id=102)).json()["data"]["Invoice"]
    proforma = api.post("/invoices/create", minimal_invoice(type="proforma")).json()["data"]["Invoice"]
    assert (first, second) == (f"{this_year()}049", f"{this_year()}050")
    assert eshop["invoice_no_formatted"] == f"E{this_year()}0001"
    assert proforma["invoice_no_formatted"] == f"ZF{this_year()}004"


@pytest.mark.parametrize(
    "rounding, total, vat", [("item_ext", 8.33, 1.4), ("item", 8.32, 1.39), ("document", 8.32, 1.39)]
)
def test_totals_follow_the_rounding_mode(api, rounding, total, vat):
    body = minimal_invoice(rounding=rounding)
    body["InvoiceItem"] = [{"name": "gum", "unit_price": 0.99, "tax": 20, "quantity": 7}]
    summary = api.post("/invoices/create", body).json()["data"]["Summary"]
    assert summary["vat_base_separate"] == {"20": 6.93}
    assert (summary["invoice_total"], summary["vat_total"]) == (total, vat)


def test_default_rounding_is_retail_per_item(api):
    body = minimal_invoice()
    body["InvoiceItem"] = [
        {"name": "gum", "unit_price": 0.99, "tax": 20, "quantity": 7},
        {"name": "book", "unit_price": 18.9, "tax": 5},
    ]
    data = api.post("/invoices/create", body).json()["data"]
    assert data["Invoice"]["rounding"] == "item_ext"
    assert data["Summary"]["vat_separate"] == {"20": 1.4, "5": 0.95}
    assert data["Summary"]["invoice_total"] == 28.18
    assert data["InvoiceItem"][0]["unit_price_vat"] == 1.19


def test_missing_client_name_is_error_4_with_http_200(api):
    body = minimal_invoice()
    body["Client"] = {}
    resp = api.post("/invoices/create", body)
    assert resp.status_code == 200
    assert resp.json() == {"error": 4, "error_message": {"data_bad_format": "Missing required client data."}}


def test_no_items_is_error_5_on_type(api):
    body = minimal_invoice()
    body["InvoiceItem"] = []
    resp = api.post("/invoices/create", body).json()
    assert resp["error"] == 5
    assert resp["error_message"]["type"] == ["Dokument musí obsahovať aspoň jednu položku"]


def test_invalid_date_is_error_5_naming_the_field(api):
    resp = api.post("/invoices/create", minimal_invoice(created="2026-13-45")).json()
    assert resp["error"] == 5 and resp["error_message"] == {"created": ["Neplatný dátum."]}


def test_unknown_currency_is_incorrect_currency(api):
    resp = api.post("/invoices/create", minimal_invoice(invoice_currency="XYZ")).json()
    assert resp["error"] == 1 and resp["error_message"] == "Incorrect currency"


def test_credit_note_needs_an_existing_regular_invoice_as_parent(api):
    orphan = api.post("/invoices/create", minimal_invoice(type="cancel")).json()
    assert orphan["error"] == 5 and "parent_id" in orphan["error_message"]
    parent = api.post("/invoices/create", minimal_invoice()).json()["data"]["Invoice"]["id"]
    body = minimal_invoice(type="cancel", parent_id=parent)
    body["InvoiceItem"][0]["unit_price"] = -10
    credit = api.post("/invoices/create", body).json()["data"]
    assert credit["Invoice"]["type"] == "cancel" and credit["Invoice"]["parent_id"] == parent
    assert credit["Invoice"]["invoice_no_formatted"] == f"DB{this_year()}001"
    assert credit["Summary"]["invoice_total"] == -12


def test_reader_without_administrator_role_gets_403_on_create(sb):
    resp = requests.post(
        sb.url + "/invoices/create",
        data={"data": json.dumps(minimal_invoice())},
        headers=sfapi(sb.account("no_permission")["credentials"]),
        timeout=5,
    )
    assert resp.status_code == 403
    assert resp.json()["error"] == 1 and resp.json()["error_message"] == "You can't create invoice"


def test_checksum_answer_can_be_fetched_again(api):
    created = api.post("/invoices/create", {**minimal_invoice(), "checksum": "order-1-inv"}).json()
    again = api.get("/api_logs/getResponseByChecksum/order-1-inv")
    assert again.status_code == 200 and again.json() == created
    assert api.get("/api_logs/getResponseByChecksum/unknown").status_code == 404


def test_checksum_longer_than_32_characters_is_rejected(api):
    resp = api.post("/invoices/create", {**minimal_invoice(), "checksum": "x" * 33}).json()
    assert resp["error"] == 5 and "checksum" in resp["error_message"]


# -- reading ------------------------------------------------------------------------------------
def test_list_defaults_to_this_years_regular_invoices(api):
    items = api.get("/invoices/index.json").json()
    assert isinstance(items, list)
    listed = api.get("/invoices/index.json/listinfo:1/per_page:200").json()
    assert listed["itemCount"] == 48
    assert {i["Invoice"]["type"] for i in listed["items"]} == {"regular"}
    assert all(i["Invoice"]["created"].startswith(str(this_year())) for i in listed["items"])


def test_list_with_listinfo_pages_with_metadata(api):
    body = api.get("/invoices/index.json/listinfo:1/per_page:20/page:3").json()
    assert (body["itemCount"], body["pageCount"], body["page"], body["perPage"]) == (48, 3, 3, 20)
    assert len(body["items"]) == 8
    assert {"Invoice", "InvoiceItem", "Client", "Summary", "0"} <= set(body["items"][0])


def test_list_caps_per_page_at_200(api):
    assert api.get("/invoices/index.json/listinfo:1/per_page:500/created:0").json()["perPage"] == 200


def test_list_filters_by_created_type_and_order_number(api):
    everything = api.get("/invoices/index.json/listinfo:1/created:0").json()
    assert everything["itemCount"] == 50
    assert api.get("/invoices/index.json/listinfo:1/created:7").json()["itemCount"] == 2
    assert api.get("/invoices/index.json/listinfo:1/type:proforma").json()["itemCount"] == 3
    assert api.get("/invoices/index.json/listinfo:1/type:regular|proforma").json()["itemCount"] == 51
    one = api.get("/invoices/index.json/listinfo:1/order_no:1010").json()
    assert one["itemCount"] == 1 and one["items"][0]["Invoice"]["order_no"] == "1010"


def test_view_returns_the_object_without_data_wrapper(api):
    invoice_id = api.post("/invoices/create", minimal_invoice()).json()["data"]["Invoice"]["id"]
    body = api.get(f"/invoices/view/{invoice_id}.json").json()
    assert body["Invoice"]["id"] == invoice_id and "data" not in body
    assert body["Summary"]["vat_separate"] == {"20": 2}


def test_view_of_unknown_invoice_is_404(api):
    resp = api.get("/invoices/view/999999.json")
    assert resp.status_code == 404 and resp.json()["error"] == 1


def test_pdf_with_token_needs_no_auth_and_without_token_needs_auth(api, sb):
    invoice = api.post("/invoices/create", minimal_invoice()).json()["data"]["Invoice"]
    public = requests.get(f"{sb.url}/slo/invoices/pdf/{invoice['id']}/token:{invoice['token']}", timeout=5)
    assert public.status_code == 200 and public.content.startswith(b"%PDF")
    assert public.headers["Content-Type"] == "application/pdf"
    assert requests.get(f"{sb.url}/invoices/pdf/{invoice['id']}/token:bad", timeout=5).status_code == 404
    assert requests.get(f"{sb.url}/invoices/pdf/{invoice['id']}", timeout=5).status_code == 401
    assert api.get(f"/eng/invoices/pdf/{invoice['id']}").content.startswith(b"%PDF")


# -- e-mail, payments, deletion -------------------------------------------------------------------
def test_send_invoice_by_email(api):
    invoice_id = api.post("/invoices/create", minimal_invoice()).json()["data"]["Invoice"]["id"]
    sent = api.post("/invoices/send", {"Email": {"invoice_id": invoice_id, "to": "client@example.com"}}).json()
    assert sent["error"] == 0 and sent["data"]["Invoice"]["id"] == invoice_id
    bad = api.post("/invoices/send", {"Email": {"invoice_id": invoice_id, "to": "nobody"}}).json()
    assert bad == {
        "error": 13,
        "error_message": "Please insert valid recipient email address.",
        "message": "Please insert valid recipient email address.",
    }
    missing = api.post("/invoices/send", {"Email": {"invoice_id": 1, "to": "client@example.com"}}).json()
    assert missing["error"] == 4


def test_pay_invoice_answers_flat_and_refuses_a_second_full_payment(api):
    invoice_id = api.post("/invoices/create", minimal_invoice()).json()["data"]["Invoice"]["id"]
    paid = api.post(
        "/invoice_payments/add/ajax:1/api:1",
        {
            "InvoicePayment": {
                "invoice_id": int(invoice_id),
                "payment_type": "cash",
                "amount": 12,
                "created": date.today().isoformat(),
            }
        },
    ).json()
    assert paid["error"] == 0 and paid["status"] == 3 and paid["to_pay"] == 0 and paid["invoice_type"] == "regular"
    again = api.post("/invoice_payments/add/ajax:1/api:1", {"InvoicePayment": {"invoice_id": int(invoice_id)}}).json()
    assert again == {"message": "Faktúra je už plne uhradená", "error_messages": [], "error": 1}


def test_partial_payment_sets_status_partially_paid(api):
    invoice_id = api.post("/invoices/create", minimal_invoice()).json()["data"]["Invoice"]["id"]
    paid = api.post(
        "/invoice_payments/add/ajax:1/api:1", {"InvoicePayment": {"invoice_id": int(invoice_id), "amount": 5}}
    ).json()
    assert paid["status"] == 2 and paid["to_pay"] == 7


def test_only_invoices_proformas_and_credit_notes_can_be_paid(api):
    invoice_id = api.post("/invoices/create", minimal_invoice(type="delivery")).json()["data"]["Invoice"]["id"]
    resp = api.post("/invoice_payments/add/ajax:1/api:1", {"InvoicePayment": {"invoice_id": int(invoice_id)}}).json()
    assert resp == {"error": 1, "message": "Invalid document type"}


def test_delete_invoice_then_it_is_gone(api):
    invoice_id = api.post("/invoices/create", minimal_invoice()).json()["data"]["Invoice"]["id"]
    assert api.get(f"/invoices/delete/{invoice_id}").json() == {"error": 0, "message": "Invoice deleted"}
    gone = api.get(f"/invoices/delete/{invoice_id}")
    assert gone.status_code == 404 and gone.json()["error_message"] == "Invoice not found"
    assert api.get(f"/invoices/view/{invoice_id}.json").status_code == 404


# -- quota --------------------------------------------------------------------------------------------
def test_every_answer_carries_daily_and_monthly_quota_headers(api):
    first = api.get("/sequences/index.json").headers
    second = api.get("/sequences/index.json").headers
    assert first["X-RateLimit-DailyLimit"] == "1000" and first["X-RateLimit-MonthlyLimit"] == "30000"
    assert int(second["X-RateLimit-DailyRemaining"]) == int(first["X-RateLimit-DailyRemaining"]) - 1
    for name in ("X-RateLimit-DailyReset", "X-RateLimit-MonthlyReset"):
        assert RESET_FORMAT.match(first[name])
        datetime.strptime(first[name], "%d.%m.%Y %H:%M:%S")


def test_over_the_daily_limit_gets_are_blocked_with_429_and_posts_still_count(api, sb):
    sb.quota(2, window_seconds=3600)
    api.get("/sequences/index.json")
    api.get("/sequences/index.json")
    blocked = api.get("/sequences/index.json")
    assert blocked.status_code == 429
    assert "daily limit of 2" in blocked.headers["X-RateLimit-Message"]
    reset = datetime.strptime(blocked.headers["X-RateLimit-DailyReset"], "%d.%m.%Y %H:%M:%S")
    assert reset > datetime.now() - timedelta(days=1)
    posted = api.post("/invoices/create", minimal_invoice())
    assert posted.json()["error"] == 0
    assert int(posted.headers["X-RateLimit-DailyRemaining"]) < 0


def test_rate_limit_fault_answers_429_with_reset_header(api, sb):
    sb.fault("rate_limit", operations=["list_series"], seconds=60)
    resp = api.get("/sequences/index.json")
    assert resp.status_code == 429 and RESET_FORMAT.match(resp.headers["X-RateLimit-DailyReset"])


def test_a_fault_of_some_probability_strikes_the_same_requests_after_every_reset(api, sb):
    def statuses() -> list[int]:
        sb.fault("error_500", probability=0.5, operations=["list_series"])
        return [api.get("/sequences/index.json").status_code for _ in range(16)]

    first = statuses()
    assert set(first) == {200, 500}
    api.get("/invoices/index.json")  # other traffic in between: no dice thrown for it
    assert statuses() != first  # the dice go on rolling while nothing resets them
    sb.reset()
    assert statuses() == first  # a reset starts them over: a test never depends on the ones before it


# -- control API ---------------------------------------------------------------------------------------
def test_seeded_accounts_use_the_connector_schema_keys(sb):
    accounts = {a["state"]: a for a in sb.accounts()}
    assert {"valid", "wrong_key", "no_api_plan", "no_permission", "expired"} <= set(accounts)
    assert accounts["valid"]["id"] == "sf-valid" and accounts["valid"]["label"] == "Demo s.r.o."
    for account in accounts.values():
        assert set(account["credentials"]) == {"email", "api_key", "company_id", "market"}
    assert "+" in accounts["valid"]["credentials"]["email"]


def test_documents_show_neutral_shape_and_reset_restores_the_seed(api, sb):
    invoice_id = api.post("/invoices/create", minimal_invoice(order_no="A-1")).json()["data"]["Invoice"]["id"]
    doc = next(d for d in sb.documents() if d["id"] == invoice_id)
    assert {"id", "type", "number", "order_no", "total", "currency", "created", "account"} <= set(doc)
    assert (doc["order_no"], doc["total"], doc["account"]) == ("A-1", "12.00", "sf-valid")
    sb.reset()
    assert invoice_id not in [d["id"] for d in sb.documents()]
    assert len(sb.documents()) == 53


def test_request_log_shows_the_authorization_header_as_received(api, sb):
    api.get("/sequences/index.json")
    entry = sb.requests()[-1]
    assert entry["path"] == "/sequences/index.json" and entry["status"] == 200
    assert entry["headers"]["Authorization"].startswith("SFAPI email=demo%2Bsk%40fynode.example")


def test_drop_after_create_keeps_the_document_but_sends_no_answer(api, sb):
    sb.fault("drop_after_create", operations=["create_invoice"])
    with pytest.raises(requests.exceptions.ConnectionError):
        api.post("/invoices/create", {**minimal_invoice(), "checksum": "dropped-1"})
    sb.fault("none")
    assert [d["checksum"] for d in sb.documents()].count("dropped-1") == 1
    assert api.get("/api_logs/getResponseByChecksum/dropped-1").json()["error"] == 0


def test_error_500_fault_answers_html(api, sb):
    sb.fault("error_500", operations=["list_invoices"])
    resp = api.get("/invoices/index.json")
    assert resp.status_code == 500 and "text/html" in resp.headers["Content-Type"]


def test_sending_more_than_100_emails_an_hour_is_refused(api):
    invoice_id = api.post("/invoices/create", minimal_invoice()).json()["data"]["Invoice"]["id"]
    answers = [
        api.post("/invoices/send", {"Email": {"invoice_id": invoice_id, "to": "c@example.com"}}).json()["error"]
        for _ in range(101)
    ]
    assert answers[:100] == [0] * 100 and answers[100] == 1
