"""The iDoklad sandbox, driven by hand-made requests as the iDoklad v3 docs (and the official SDK)
show them: token form, ApiResult envelope, paging and query syntax, Default → POST numbering,
prices per PriceType / VatRateType, base64 PDF, e-mail, payments, 429s and plan states."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from datetime import date

import pytest
import requests

TOKEN_PATH = "/server/v2/connect/token"
APP_ID = "fynode-sandbox-app"


def this_year() -> int:
    """Read when a test runs, not at collection: a run can cross New Year's midnight."""
    return date.today().year


@pytest.fixture
def sb(sandbox):
    return sandbox("idoklad")


def token_form(account: dict, **overrides) -> dict:
    return {
        "grant_type": "client_credentials",
        "application_id": APP_ID,
        "scope": "idoklad_api",
        **account["credentials"],
        **overrides,
    }


def get_token(sb, state: str = "valid", account_id: str | None = None) -> str:
    account = next(a for a in sb.accounts() if a["id"] == account_id) if account_id else sb.account(state)
    reply = requests.post(sb.url + TOKEN_PATH, data=token_form(account), timeout=5)
    assert reply.status_code == 200, reply.text
    return reply.json()["access_token"]


@pytest.fixture
def api(sb):
    token = get_token(sb)

    def call(method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        return requests.request(method, f"{sb.url}/v3{path}", headers=headers, timeout=5, **kwargs)

    return call


def jwt_claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def new_invoice(api, **changes) -> dict:
    model = api("GET", "/IssuedInvoices/Default").json()["Data"]
    model.update({"PartnerId": 1, "Description": "Objednávka 9001"})
    model["Items"][0].update({"Name": "Káva", "Amount": 2, "UnitPrice": 100, "PriceType": 1, "VatRateType": 1})
    model.update(changes)
    return model


# -- identity server -------------------------------------------------------------------------
def test_token_request_as_form_returns_bearer_token_with_lifetime_and_claims(sb):
    reply = requests.post(sb.url + TOKEN_PATH, data=token_form(sb.account("valid")), timeout=5)
    assert reply.status_code == 200
    body = reply.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 600
    claims = jwt_claims(body["access_token"])
    assert claims["license_status"] == 1 and claims["user_rights"] == 0


def test_token_request_as_json_is_refused(sb):
    reply = requests.post(sb.url + TOKEN_PATH, json=token_form(sb.account("valid")), timeout=5)
    assert reply.status_code == 400 and reply.json()["error"] == "invalid_request"


def test_token_request_without_or_with_unknown_application_id_is_refused(sb):
    form = token_form(sb.account("valid"))
    del form["application_id"]
    missing = requests.post(sb.url + TOKEN_PATH, data=form, timeout=5)
    unknown = requests.post(
        sb.url + TOKEN_PATH, data=token_form(sb.account("valid"), application_id="other-app"), timeout=5
    )
    assert missing.status_code == unknown.status_code == 400
    assert "application_id" in missing.json()["error_description"]
    assert "application_id" in unknown.json()["error_description"]


def test_token_request_with_wrong_secret_is_invalid_client(sb):
    reply = requests.post(sb.url + TOKEN_PATH, data=token_form(sb.account("wrong_key")), timeout=5)
    assert reply.status_code == 400 and reply.json()["error"] == "invalid_client"


def test_client_credentials_do_not_get_offline_access(sb):
    reply = requests.post(
        sb.url + TOKEN_PATH, data=token_form(sb.account("valid"), scope="idoklad_api offline_access"), timeout=5
    )
    assert reply.status_code == 400 and reply.json()["error"] == "invalid_scope"


def test_other_grant_types_are_not_served(sb):
    reply = requests.post(sb.url + TOKEN_PATH, data=token_form(sb.account("valid"), grant_type="password"), timeout=5)
    assert reply.status_code == 400 and reply.json()["error"] == "unsupported_grant_type"


@pytest.mark.parametrize("state, code", [("no_api_plan", "AuthErrorCode(0)"), ("expired", "AuthErrorCode(2)")])
def test_plan_states_are_refused_at_the_token_with_auth_error_codes(sb, state, code):
    reply = requests.post(sb.url + TOKEN_PATH, data=token_form(sb.account(state)), timeout=5)
    assert reply.status_code == 400
    assert reply.json()["error_description"].startswith(code)


# -- API auth and envelope -------------------------------------------------------------------
def test_api_without_or_with_unknown_token_is_401(sb):
    bare = requests.get(sb.url + "/v3/Account/CurrentAgenda", timeout=5)
    forged = requests.get(sb.url + "/v3/Account/CurrentAgenda", headers={"Authorization": "Bearer forged"}, timeout=5)
    assert bare.status_code == forged.status_code == 401


def test_user_without_rights_gets_403_with_user_rights_error_code(sb):
    token = get_token(sb, "no_permission")
    assert jwt_claims(token)["user_rights"] == 2
    reply = requests.get(sb.url + "/v3/Account/CurrentAgenda", headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert reply.status_code == 403
    assert reply.json()["ErrorCode"] == 420 and reply.json()["IsSuccess"] is False


def test_current_agenda_in_the_api_result_envelope(api):
    reply = api("GET", "/Account/CurrentAgenda")
    body = reply.json()
    assert set(body) == {"Data", "ErrorCode", "IsSuccess", "Message", "StatusCode"}
    assert body["IsSuccess"] is True and body["StatusCode"] == 200 and body["ErrorCode"] == 0
    assert body["Data"]["Name"] == "Demo s.r.o." and body["Data"]["Subscription"]["Type"] == 2


def test_select_keeps_only_the_named_properties(api):
    data = api("GET", "/Account/CurrentAgenda", params={"select": "Id,Name"}).json()["Data"]
    assert set(data) == {"Id", "Name"}


def test_unknown_path_is_a_bare_404_message(api):
    reply = api("GET", "/NoSuchThing")
    assert reply.status_code == 404 and set(reply.json()) == {"Message"}


def test_unknown_id_is_404_in_the_envelope(api):
    body = api("GET", "/IssuedInvoices/999999").json()
    assert body["StatusCode"] == 404 and body["IsSuccess"] is False and body["Data"] is None


def test_code_lists_give_iso_codes(api):
    currencies = api("GET", "/Currencies").json()["Data"]["Items"]
    countries = api("GET", "/Countries").json()["Data"]["Items"]
    assert {"CZK", "EUR"} <= {c["Code"] for c in currencies}
    assert {"CZE", "SVK"} <= {c["Code"] for c in countries}
    rates = api("GET", "/VatRates").json()["Data"]["Items"]
    assert {"Rate", "RateType", "CountryId", "DateValidityFrom", "DateValidityTo"} <= set(rates[0])


# -- lists and queries -----------------------------------------------------------------------
def test_list_pages_by_twenty_by_default(api):
    first = api("GET", "/IssuedInvoices").json()["Data"]
    third = api("GET", "/IssuedInvoices", params={"page": 3}).json()["Data"]
    assert (first["TotalItems"], first["TotalPages"], len(first["Items"])) == (45, 3, 20)
    assert len(third["Items"]) == 5
    assert len(api("GET", "/IssuedInvoices", params={"pageSize": 50}).json()["Data"]["Items"]) == 45


def test_seeded_invoices_carry_order_numbers_and_variable_symbols(api):
    items = api("GET", "/IssuedInvoices", params={"pageSize": 100}).json()["Data"]["Items"]
    assert all(i["OrderNumber"] and i["VariableSymbol"].isdigit() for i in items)
    assert any(i["PaymentStatus"] == 1 for i in items) and any(i["PaymentStatus"] == 0 for i in items)


def test_sort_by_id_descending(api):
    items = api("GET", "/IssuedInvoices", params={"sort": "Id~Desc", "pageSize": 5}).json()["Data"]["Items"]
    ids = [i["Id"] for i in items]
    assert ids == sorted(ids, reverse=True) and ids[0] == 1045


def test_filter_combines_date_and_payment_status(api):
    query = "((DateOfIssue~gte~2000-01-01 00:00:00.000)~and~(PaymentStatus~eq~1))"
    data = api("GET", "/IssuedInvoices", params={"filter": query, "pageSize": 100}).json()["Data"]
    assert data["TotalItems"] == 15 and all(i["PaymentStatus"] == 1 for i in data["Items"])


def test_filter_accepts_base64_marked_strings_and_or(api):
    encoded = base64.b64encode("Objednávka 1001".encode()).decode()
    query = f"((Description~eq:base64~{encoded})~or~(Id~eq~1002))"
    items = api("GET", "/IssuedInvoices", params={"filter": query}).json()["Data"]["Items"]
    assert sorted(i["Id"] for i in items) == [1001, 1002]


def test_filter_by_variable_symbol_is_not_offered(api):
    reply = api("GET", "/IssuedInvoices", params={"filter": "(VariableSymbol~eq~1001)"})
    assert reply.status_code == 400 and reply.json()["IsSuccess"] is False


def test_malformed_filter_is_400(api):
    assert api("GET", "/IssuedInvoices", params={"filter": "Id~eq~1"}).status_code == 400


def test_contacts_filter_by_e_mail(api):
    encoded = base64.b64encode(b"beta@example.cz").decode()
    items = api("GET", "/Contacts", params={"filter": f"(Email~eq:base64~{encoded})"}).json()["Data"]["Items"]
    assert [c["CompanyName"] for c in items] == ["Beta Trade a.s."]


def test_contact_needs_company_name_and_country(api):
    reply = api("POST", "/Contacts", json={"Email": "x@example.cz"})
    assert reply.status_code == 400
    assert "CompanyName:" in reply.json()["Message"] and "CountryId:" in reply.json()["Message"]
    created = api("POST", "/Contacts", json={"CompanyName": "Nový s.r.o.", "CountryId": 1}).json()["Data"]
    assert created["Id"] == 5


# -- creating invoices -----------------------------------------------------------------------
def test_default_then_post_numbers_the_invoice_in_the_default_sequence(api):
    model = new_invoice(api)
    assert model["DocumentSerialNumber"] == 46 and model["NumericSequenceId"] == 1
    data = api("POST", "/IssuedInvoices", json=model).json()["Data"]
    assert data["DocumentNumber"] == f"{this_year()}0046"
    assert data["VariableSymbol"] == f"{this_year()}0046"
    sequences = api("GET", "/NumericSequences", params={"filter": "(DocumentType~eq~0)"}).json()["Data"]["Items"]
    assert [s["LastNumber"] for s in sequences] == [46, 0]


def test_reusing_a_serial_number_is_409_numeric_sequence_uniqueness(api):
    model = new_invoice(api)
    assert api("POST", "/IssuedInvoices", json=model).status_code == 200
    again = api("POST", "/IssuedInvoices", json=model)
    assert again.status_code == 409 and again.json()["ErrorCode"] == 123


def test_prices_without_vat_add_vat_per_item(api):
    model = new_invoice(api)
    model["Items"] = [
        {**model["Items"][0], "Name": "Káva", "Amount": 3, "UnitPrice": 436.61, "VatRateType": 0},
        {**model["Items"][0], "Name": "Mlýnek", "Amount": 1, "UnitPrice": 1066.12, "VatRateType": 1},
    ]
    prices = api("POST", "/IssuedInvoices", json=model).json()["Data"]["Prices"]
    summary = {s["VatRateType"]: (s["TotalWithoutVat"], s["TotalVat"]) for s in prices["VatRateSummary"]}
    assert summary == {0: (1309.83, 157.18), 1: (1066.12, 223.89)}
    assert prices["TotalWithVat"] == 2757.02


def test_prices_with_vat_take_vat_out_of_the_gross_price(api):
    model = new_invoice(api)
    model["Items"][0].update({"Amount": 2, "UnitPrice": 149.90, "PriceType": 0, "VatRateType": 1})
    data = api("POST", "/IssuedInvoices", json=model).json()["Data"]
    assert (data["Prices"]["TotalWithoutVat"], data["Prices"]["TotalVat"], data["Prices"]["TotalWithVat"]) == (
        247.77,
        52.03,
        299.8,
    )
    assert data["Items"][0]["VatRate"] == 21


def test_item_discount_lowers_the_base(api):
    model = new_invoice(api)
    model["Items"][0].update({"Amount": 1, "UnitPrice": 1000, "DiscountPercentage": 10})
    prices = api("POST", "/IssuedInvoices", json=model).json()["Data"]["Prices"]
    assert (prices["TotalWithoutVat"], prices["TotalVat"], prices["TotalDiscountAmount"]) == (900, 189, 121)


def test_enums_may_be_sent_by_name(api):
    model = new_invoice(api)
    model["Items"][0].update({"PriceType": "WithoutVat", "VatRateType": "Basic"})
    assert api("POST", "/IssuedInvoices", json=model).json()["Data"]["Prices"]["TotalWithVat"] == 242


def test_missing_required_properties_are_listed_in_the_message(api):
    model = new_invoice(api, PartnerId=0, Description="", Items=[])
    reply = api("POST", "/IssuedInvoices", json=model)
    body = reply.json()
    assert reply.status_code == 400 and body["ErrorCode"] == 400
    lines = body["Message"].splitlines()
    assert {line.split(":")[0] for line in lines[1:]} == {"PartnerId", "Description", "Items"}


def test_item_properties_are_validated(api):
    model = new_invoice(api)
    model["Items"][0].update({"Name": "", "DiscountPercentage": 100})
    message = api("POST", "/IssuedInvoices", json=model).json()["Message"]
    assert "Items[0].Name:" in message and "Items[0].DiscountPercentage:" in message


def test_order_number_and_variable_symbol_lengths_are_enforced(api):
    reply = api("POST", "/IssuedInvoices", json=new_invoice(api, OrderNumber="x" * 26, VariableSymbol="12345678901"))
    assert "OrderNumber:" in reply.json()["Message"] and "VariableSymbol:" in reply.json()["Message"]


def test_vat_rate_type_that_does_not_exist_is_error_127(api):
    model = new_invoice(api)
    model["Items"][0]["VatRateType"] = 3  # Reduced2: none in the Czech Republic since 2024
    reply = api("POST", "/IssuedInvoices", json=model)
    assert reply.status_code == 400 and reply.json()["ErrorCode"] == 127


def test_post_that_is_not_json_is_415(api):
    reply = api(
        "POST", "/IssuedInvoices", data="PartnerId=1", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert reply.status_code == 415 and reply.json()["IsSuccess"] is False


def test_recount_computes_without_storing(api, sb):
    before = len(sb.documents())
    model = new_invoice(api)
    data = api("POST", "/IssuedInvoices/Recount", json=model).json()["Data"]
    assert data["Prices"]["TotalWithVat"] == 242 and len(sb.documents()) == before


def test_slovak_agenda_uses_slovak_rates(sb):
    token = get_token(sb, account_id="id-valid-sk")
    headers = {"Authorization": f"Bearer {token}"}
    model = requests.get(sb.url + "/v3/IssuedInvoices/Default", headers=headers, timeout=5).json()["Data"]
    model.update({"PartnerId": 1, "Description": "Objednávka"})
    model["Items"][0].update({"Name": "Tričko", "UnitPrice": 10, "VatRateType": 1})
    data = requests.post(sb.url + "/v3/IssuedInvoices", json=model, headers=headers, timeout=5).json()["Data"]
    assert data["Items"][0]["VatRate"] == 23 and data["Prices"]["TotalWithVat"] == 12.3


# -- proformas and credit notes --------------------------------------------------------------
def test_proforma_numbers_in_its_own_sequence(api):
    model = api("GET", "/ProformaInvoices/Default").json()["Data"]
    model.update({"PartnerId": 2, "Description": "Záloha"})
    model["Items"][0].update({"Name": "Záloha", "UnitPrice": 1000})
    data = api("POST", "/ProformaInvoices", json=model).json()["Data"]
    assert data["DocumentNumber"] == f"ZF{this_year()}001" and data["IsAccounted"] is False


def test_credit_note_default_is_prefilled_from_the_invoice_with_negative_prices(api):
    model = api("GET", "/CreditNotes/Default/1001").json()["Data"]
    assert model["CreditedInvoiceId"] == 1001 and model["PartnerId"] == 1
    assert all(i["UnitPrice"] < 0 for i in model["Items"])
    missing_reason = api("POST", "/CreditNotes", json=model)
    assert missing_reason.status_code == 400 and "CreditNoteReason:" in missing_reason.json()["Message"]
    model["CreditNoteReason"] = "Vrácené zboží"
    data = api("POST", "/CreditNotes", json=model).json()["Data"]
    assert data["DocumentNumber"] == f"OD{this_year()}001" and data["CreditedInvoiceId"] == 1001
    assert data["Prices"]["TotalWithVat"] < 0


def test_credit_note_for_a_missing_invoice_is_404(api):
    assert api("GET", "/CreditNotes/Default/999999").status_code == 404


# -- PDF, e-mail, payments, delete -----------------------------------------------------------
def test_pdf_is_base64_in_the_envelope(api):
    body = api("GET", "/Reports/IssuedInvoice/1001/Pdf", params={"language": "Cz", "compressed": "false"}).json()
    assert isinstance(body["Data"], str)
    assert base64.b64decode(body["Data"]).startswith(b"%PDF")


def test_compressed_pdf_is_a_base64_zip(api):
    data = api("GET", "/Reports/IssuedInvoice/1001/Pdf", params={"compressed": "true"}).json()["Data"]
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(data))) as archive:
        assert archive.read(archive.namelist()[0]).startswith(b"%PDF")


def test_pdf_with_unknown_language_is_400(api):
    assert api("GET", "/Reports/IssuedInvoice/1001/Pdf", params={"language": "Xx"}).status_code == 400


def test_send_mail_reports_sent_recipients(api):
    body = {
        "DocumentId": 1001,
        "SendToPartner": True,
        "SendToSelf": False,
        "SendToAccountant": False,
        "OtherRecipients": ["kopie@example.cz"],
    }
    data = api("POST", "/Mails/IssuedInvoice/Send", json=body).json()["Data"]
    assert data == {"Sent": ["kopie@example.cz", "alfa@example.cz"], "NotSent": []}


def test_send_mail_requires_the_recipient_flags(api):
    reply = api("POST", "/Mails/IssuedInvoice/Send", json={"DocumentId": 1001})
    assert reply.status_code == 400 and "SendToPartner:" in reply.json()["Message"]


def test_fully_pay_then_again_is_already_paid_and_unpay_reverts(api):
    assert (
        api(
            "PUT",
            "/IssuedDocumentPayments/FullyPay/1002",
            params={"dateOfPayment": f"{this_year()}-01-31 00:00:00.000"},
        ).json()["Data"]
        is True
    )
    paid = api("GET", "/IssuedInvoices/1002").json()["Data"]
    assert paid["PaymentStatus"] == 1 and paid["Prices"]["TotalPaid"] == paid["Prices"]["TotalWithVat"]
    again = api("PUT", "/IssuedDocumentPayments/FullyPay/1002")
    assert again.status_code == 400 and again.json()["ErrorCode"] == 110
    assert api("PUT", "/IssuedDocumentPayments/FullyUnpay/1002").json()["Data"] is True
    assert api("GET", "/IssuedInvoices/1002").json()["Data"]["PaymentStatus"] == 0


def test_partial_payment_from_the_default_model_makes_the_invoice_partially_paid(api):
    default = api("GET", "/IssuedDocumentPayments/Default/1002").json()["Data"]
    total = api("GET", "/IssuedInvoices/1002").json()["Data"]["Prices"]["TotalWithVat"]
    assert default["InvoiceId"] == 1002 and default["PaymentAmount"] == total
    default.update({"PaymentAmount": 100, "DateOfPayment": f"{this_year()}-02-01"})
    payment = api("POST", "/IssuedDocumentPayments", json=default).json()["Data"]
    assert payment["PaymentAmount"] == 100 and payment["Id"] > 0
    invoice = api("GET", "/IssuedInvoices/1002").json()["Data"]
    assert invoice["PaymentStatus"] == 2 and invoice["Prices"]["TotalPaid"] == 100
    assert api("PUT", "/IssuedDocumentPayments/FullyPay/1002").json()["Data"] is True
    assert api("GET", "/IssuedInvoices/1002").json()["Data"]["Prices"]["TotalPaid"] == total


def test_payment_ids_start_over_after_a_reset(sb):
    def pay_once() -> int:
        token = get_token(sb)  # a reset forgets the tokens too
        headers = {"Authorization": f"Bearer {token}"}
        model = requests.get(f"{sb.url}/v3/IssuedDocumentPayments/Default/1002", headers=headers, timeout=5)
        body = {**model.json()["Data"], "PaymentAmount": 100, "DateOfPayment": f"{this_year()}-02-01"}
        reply = requests.post(f"{sb.url}/v3/IssuedDocumentPayments", json=body, headers=headers, timeout=5)
        return reply.json()["Data"]["Id"]

    first = pay_once()
    assert pay_once() == first + 1
    sb.reset()
    assert pay_once() == first  # not the count of every payment earlier tests made


def test_payment_needs_amount_option_and_date(api):
    reply = api("POST", "/IssuedDocumentPayments", json={"InvoiceId": 1002})
    message = reply.json()["Message"]
    assert reply.status_code == 400
    assert all(f"{name}:" in message for name in ("PaymentAmount", "PaymentOptionId", "DateOfPayment"))


def test_paid_proforma_is_accounted_by_an_invoice_with_deduction_items(api):
    model = api("GET", "/ProformaInvoices/Default").json()["Data"]
    model.update({"PartnerId": 2, "Description": "Záloha"})
    model["Items"][0].update({"Name": "Záloha", "UnitPrice": 1000, "PriceType": 1, "VatRateType": 1})
    proforma = api("POST", "/ProformaInvoices", json=model).json()["Data"]
    unpaid = api("GET", f"/ProformaInvoices/{proforma['Id']}/Account")
    assert unpaid.status_code == 400 and unpaid.json()["ErrorCode"] == 113
    api("PUT", f"/IssuedDocumentPayments/FullyPay/{proforma['Id']}")
    invoice_model = api("GET", f"/ProformaInvoices/{proforma['Id']}/Account").json()["Data"]
    assert invoice_model["ProformaInvoices"] == [proforma["Id"]]
    assert [i["ItemType"] for i in invoice_model["Items"]] == [0, 2]
    invoice = api("POST", "/IssuedInvoices", json=invoice_model).json()["Data"]
    assert invoice["Prices"]["TotalWithVat"] == 0 and invoice["PaymentStatus"] == 1
    accounted = api("GET", f"/ProformaInvoices/{proforma['Id']}").json()["Data"]
    assert accounted["IsAccounted"] is True and accounted["AccountedByInvoiceId"] == invoice["Id"]
    again = api("GET", f"/ProformaInvoices/{proforma['Id']}/Account")
    assert again.status_code == 400 and again.json()["ErrorCode"] == 112


def test_deduction_items_need_an_accounted_proforma(api):
    model = new_invoice(api)
    model["Items"][0]["ItemType"] = 2
    assert "Items[0].ItemType:" in api("POST", "/IssuedInvoices", json=model).json()["Message"]


def test_delete_answers_true_and_the_invoice_is_gone(api):
    assert api("DELETE", "/IssuedInvoices/1003").json()["Data"] is True
    assert api("GET", "/IssuedInvoices/1003").status_code == 404


def test_invoice_with_credit_note_cannot_be_deleted(api):
    model = api("GET", "/CreditNotes/Default/1004").json()["Data"]
    model["CreditNoteReason"] = "Sleva"
    api("POST", "/CreditNotes", json=model)
    assert api("DELETE", "/IssuedInvoices/1004").status_code == 400


# -- limits and faults -----------------------------------------------------------------------
def test_quota_answers_429_with_retry_after_and_spares_the_token_endpoint(sb, api):
    sb.quota(2, window_seconds=60)
    assert api("GET", "/Account/CurrentAgenda").status_code == 200
    assert api("GET", "/Account/CurrentAgenda").status_code == 200
    limited = api("GET", "/Account/CurrentAgenda")
    assert limited.status_code == 429 and limited.json()["StatusCode"] == 429
    assert 50 <= int(limited.headers["Retry-After"]) <= 60
    assert requests.post(sb.url + TOKEN_PATH, data=token_form(sb.account("valid")), timeout=5).status_code == 200


def test_default_quota_is_sixty_a_minute(sb, api):
    statuses = [api("GET", "/Account/CurrentUser").status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429


def test_faults_give_500_and_429_envelopes(sb, api):
    sb.fault("error_500", operations=["verify"])
    assert api("GET", "/Account/CurrentAgenda").json()["StatusCode"] == 500
    sb.fault("none")
    sb.fault("rate_limit", operations=["list_invoices"], seconds=30)
    reply = api("GET", "/IssuedInvoices")
    assert reply.status_code == 429 and 25 <= int(reply.headers["Retry-After"]) <= 30


def test_drop_after_create_stores_the_invoice_but_sends_no_answer(sb, api):
    model = new_invoice(api)
    sb.fault("drop_after_create", operations=["create_invoice"])
    with pytest.raises(requests.exceptions.ConnectionError):
        api("POST", "/IssuedInvoices", json=model)
    assert any(d["number"] == f"{this_year()}0046" for d in sb.documents())


def test_timeout_fault_holds_the_answer(sb, api):
    sb.fault("timeout", operations=["get_invoice"], seconds=0.5)
    with pytest.raises(requests.exceptions.RequestException):
        requests.get(
            sb.url + "/v3/IssuedInvoices/1001",
            timeout=0.2,
            headers={"Authorization": api("GET", "/Account/CurrentUser").request.headers["Authorization"]},
        )


# -- control API -----------------------------------------------------------------------------
def test_accounts_list_every_state_with_connector_credential_keys(sb):
    accounts = sb.accounts()
    assert {a["state"] for a in accounts} == {"valid", "wrong_key", "no_api_plan", "expired", "no_permission"}
    assert all(set(a["credentials"]) == {"client_id", "client_secret"} for a in accounts)
    assert sb.account("valid")["id"] == "id-valid" and sb.account("valid")["label"] == "Demo s.r.o."


def test_documents_in_neutral_shape_and_reset_restores_the_seed(sb, api):
    api("POST", "/IssuedInvoices", json=new_invoice(api))
    docs = [d for d in sb.documents() if d["account"] == "id-valid"]
    assert len(docs) == 46
    assert {"id", "type", "number", "order_no", "total", "currency", "created", "account"} <= set(docs[0])
    sb.reset()
    assert len([d for d in sb.documents() if d["account"] == "id-valid"]) == 45


def test_request_log_shows_the_bearer_header_as_received(sb, api):
    api("GET", "/Account/CurrentAgenda")
    logged = [r for r in sb.requests() if r["path"] == "/v3/Account/CurrentAgenda"][0]
    assert logged["headers"]["Authorization"].startswith("Bearer ey") and logged["status"] == 200
