"""The inFakt sandbox, held to the inFakt API v3 docs (readme.md, ksef.md) with hand-made requests."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta

import pytest
import requests

VALID, NOKSEF = "infakt-valid", "infakt-valid-noksef"
BUYER = {
    "client_company_name": "Kawiarnia Test Sp. z o.o.",
    "client_tax_code": "9452121681",
    "client_country": "PL",
    "client_street": "Rynek",
    "client_street_number": "1",
    "client_city": "Kraków",
    "client_post_code": "30-001",
}


@pytest.fixture
def sb(sandbox):
    return sandbox("infakt")


def api(sb, account_id=VALID):
    account = next(a for a in sb.accounts() if a["id"] == account_id)
    session = requests.Session()
    session.headers["X-inFakt-ApiKey"] = account["credentials"]["api_key"]
    return session, f"{sb.url}/api/v3"


def line(**fields):
    return {"name": "Kawa ziarnista 1 kg", "unit_net_price": 7900, "quantity": 1, "tax_symbol": "23", **fields}


def start_create(session, base, services=None, **fields):
    body = {"invoice": {"payment_method": "transfer", **BUYER, "services": services or [line()], **fields}}
    answer = session.post(f"{base}/async/invoices.json", json=body, timeout=5)
    assert answer.status_code == 202, answer.text
    return answer.json()["invoice_task_reference_number"]


def outcome(session, base, ref, kind="invoices"):
    """Poll the task status until it is final (the sandbox needs at most two polls)."""
    for _ in range(4):
        body = session.get(f"{base}/async/{kind}/status/{ref}.json", timeout=5).json()
        if body["processing_code"] >= 200:
            return body
    raise AssertionError(f"task {ref} never finished: {body}")


def create(session, base, services=None, **fields):
    body = outcome(session, base, start_create(session, base, services, **fields))
    assert body["processing_code"] == 201, body
    return session.get(f"{base}/invoices/{body['invoice_uuid']}.json", timeout=5).json()


def correct(session, base, original, services=None, **fields):
    first = original["services"][0]
    pair = services or [
        {
            "group": 1,
            "correction": False,
            "name": first["name"],
            "quantity": first["quantity"],
            "unit_net_price": first["unit_net_price"],
            "tax_symbol": first["tax_symbol"],
        },
        {
            "group": 1,
            "correction": True,
            "name": first["name"],
            "quantity": 0,
            "unit_net_price": first["unit_net_price"],
            "tax_symbol": first["tax_symbol"],
        },
    ]
    body = {
        "corrective_invoice": {
            "corrected_invoice_uuid": original["uuid"],
            "correction_reason": "return_of_goods",
            "services": pair,
            **fields,
        }
    }
    answer = session.post(f"{base}/async/corrective_invoices.json", json=body, timeout=5)
    assert answer.status_code == 202, answer.text
    return outcome(session, base, answer.json()["invoice_task_reference_number"], "corrective_invoices")


def seeded(session, base, **params):
    return session.get(f"{base}/invoices.json", params={"limit": 100, **params}, timeout=5).json()["entities"]


# -- auth and routing --------------------------------------------------------------------------
def test_missing_api_key_is_401_with_an_error_body(sb):
    answer = requests.get(f"{sb.url}/api/v3/invoices.json", timeout=5)
    assert answer.status_code == 401
    assert answer.json() == {"error": "Musisz podac klucz API."}


def test_unknown_api_key_is_401(sb):
    session, base = api(sb, "infakt-wrong-key")
    answer = session.get(f"{base}/account/details.json", timeout=5)
    assert answer.status_code == 401 and set(answer.json()) == {"error"}


def test_a_path_without_the_json_extension_is_406(sb):
    session, base = api(sb)
    assert session.get(f"{base}/invoices", timeout=5).status_code == 406


def test_unknown_resource_is_the_documented_404(sb):
    session, base = api(sb)
    answer = session.get(f"{base}/invoices/0be870f9-aa52-4d0f-a9ff-994e374ecff0.json", timeout=5)
    assert answer.status_code == 404
    assert answer.json() == {"error": "Zasób którego szukasz nie został znaleziony."}


def test_account_details_name_the_company_and_its_ksef_extension(sb):
    session, base = api(sb)
    details = session.get(f"{base}/account/details.json", timeout=5).json()
    assert details["company_data"]["company_name"] == "Sklep Demo Sp. z o.o."
    assert details["company_data"]["tax_id"] == "5252344078"
    assert details["extentions"]["ksef"]["active"] is True
    other, base = api(sb, NOKSEF)
    assert other.get(f"{base}/account/details.json", timeout=5).json()["extentions"]["ksef"]["active"] is False


def test_synchronous_invoice_creation_is_not_served(sb):
    session, base = api(sb)
    answer = session.post(f"{base}/invoices.json", json={"invoice": {"services": [line()]}}, timeout=5)
    assert answer.status_code == 404


# -- amounts in grosze ------------------------------------------------------------------------
def test_amounts_are_integer_grosze_computed_per_line(sb):
    session, base = api(sb)
    invoice = create(session, base, [line(unit_net_price=12345, quantity=2)])
    assert (invoice["net_price"], invoice["tax_price"], invoice["gross_price"]) == (24690, 5679, 30369)
    assert invoice["services"][0]["unit_net_price"] == 12345 and invoice["left_to_pay"] == 30369


def test_gross_only_lines_are_invoiced_from_gross(sb):
    session, base = api(sb)
    invoice = create(session, base, [{"name": "Bon", "gross_price": 12300, "tax_symbol": "23"}])
    assert (invoice["net_price"], invoice["tax_price"], invoice["gross_price"]) == (10000, 2300, 12300)


def test_a_decimal_amount_is_read_as_grosze_not_zloty(sb):
    session, base = api(sb)
    invoice = create(session, base, [line(unit_net_price="123.45")])
    assert invoice["net_price"] == 123


def test_exempt_lines_carry_no_vat_and_need_an_exemption_reason(sb):
    session, base = api(sb)
    failed = outcome(session, base, start_create(session, base, [line(tax_symbol="zw")]))
    assert failed["processing_code"] == 422 and "vat_exemption_reason" in failed["invoice_errors"]
    invoice = create(session, base, [line(tax_symbol="zw")], vat_exemption_reason=1)
    assert invoice["tax_price"] == 0 and invoice["gross_price"] == 7900


# -- asynchronous creation --------------------------------------------------------------------
def test_create_is_accepted_then_processing_then_done_with_the_invoice_uuid(sb):
    session, base = api(sb)
    expected = session.get(f"{base}/invoices/next_number.json", params={"kind": "vat"}, timeout=5).json()
    answer = session.post(
        f"{base}/async/invoices.json",
        timeout=5,
        json={"invoice": {**BUYER, "notes": "Zamówienie 7001", "services": [line()]}},
    )
    accepted = answer.json()
    assert answer.status_code == 202
    assert accepted["processing_code"] == 100 and accepted["processing_description"] == "Zlecenie przyjęte"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}", accepted["timestamps"]["task_created_at"])
    assert seeded(session, base, **{"q[notes_eq]": "Zamówienie 7001"}) == []
    ref = accepted["invoice_task_reference_number"]
    processing = session.get(f"{base}/async/invoices/status/{ref}.json", timeout=5).json()
    assert processing["processing_code"] == 140 and "invoice_uuid" not in processing
    done = session.get(f"{base}/async/invoices/status/{ref}.json", timeout=5).json()
    assert done["processing_code"] == 201 and done["processing_description"] == "Faktura stworzona"
    invoice = session.get(f"{base}/invoices/{done['invoice_uuid']}.json", timeout=5).json()
    assert invoice["status"] == "draft" and invoice["kind"] == "vat"
    assert invoice["number"] == expected["next_number"]
    assert [i["uuid"] for i in seeded(session, base, **{"q[notes_eq]": "Zamówienie 7001"})] == [invoice["uuid"]]


def test_a_task_nobody_polls_completes_by_itself(sb):
    session, base = api(sb)
    start_create(session, base, notes="Zamówienie 7002")
    time.sleep(2.1)
    assert len(seeded(session, base, **{"q[notes_eq]": "Zamówienie 7002"})) == 1


def test_invalid_invoice_fails_in_the_task_with_field_errors(sb):
    session, base = api(sb)
    ref = start_create(
        session,
        base,
        [{"name": "", "unit_net_price": 100, "tax_symbol": "17"}],
        payment_method="bitcoin",
        invoice_date="2026-13-01",
    )
    failed = outcome(session, base, ref)
    assert failed["processing_code"] == 422
    assert failed["processing_description"] == "Nie udało się stworzyć faktury"
    assert {"services.name", "services.tax_symbol", "payment_method", "invoice_date"} <= set(failed["invoice_errors"])
    assert "invoice_uuid" not in failed


def test_an_invoice_without_services_or_buyer_fails(sb):
    session, base = api(sb)
    answer = session.post(f"{base}/async/invoices.json", json={"invoice": {"notes": "x"}}, timeout=5)
    failed = outcome(session, base, answer.json()["invoice_task_reference_number"])
    assert {"services", "client_company_name"} <= set(failed["invoice_errors"])


def test_a_payload_without_the_invoice_object_is_refused_at_once(sb):
    session, base = api(sb)
    answer = session.post(f"{base}/async/invoices.json", json={"services": [line()]}, timeout=5)
    assert answer.status_code == 422 and "invoice" in answer.json()["error"]


def test_a_bad_buyer_nip_fails_the_task(sb):
    session, base = api(sb)
    failed = outcome(session, base, start_create(session, base, client_tax_code="1234567890"))
    assert failed["invoice_errors"]["client_tax_code"]


def test_duplicate_number_is_refused_only_when_checked(sb):
    session, base = api(sb)
    taken = seeded(session, base, **{"q[kind_eq]": "vat"})[0]["number"]
    failed = outcome(session, base, start_create(session, base, number=taken, check_duplicate_number=True))
    assert failed["processing_code"] == 422 and "number" in failed["invoice_errors"]
    assert create(session, base, number=taken)["number"] == taken


def test_another_accounts_task_is_not_found(sb):
    session, base = api(sb)
    ref = start_create(session, base)
    other, _ = api(sb, NOKSEF)
    assert other.get(f"{base}/async/invoices/status/{ref}.json", timeout=5).status_code == 404


def test_proforma_is_created_with_kind_and_numbered_in_its_own_series(sb):
    session, base = api(sb)
    expected = session.get(f"{base}/invoices/next_number.json", params={"kind": "proforma"}, timeout=5).json()
    proforma = create(session, base, kind="proforma")
    assert proforma["kind"] == "proforma" and proforma["number"] == expected["next_number"]
    assert proforma["ksef_data"] is None
    assert proforma["uuid"] in {i["uuid"] for i in seeded(session, base, **{"q[kind_eq]": "proforma"})}


def test_next_number_follows_the_documented_shape(sb):
    session, base = api(sb)
    answer = session.get(
        f"{base}/invoices/next_number.json", params={"kind": "vat", "date": "2024-01-15"}, timeout=5
    ).json()
    assert answer == {"invoice_date": "2024-01-15", "invoice_kind": "vat", "next_number": "1/01/2024"}
    assert session.get(f"{base}/invoices/next_number.json", params={"kind": "receipt"}, timeout=5).status_code == 400


# -- listing ----------------------------------------------------------------------------------
def test_each_valid_account_has_a_dozen_invoices_to_import(sb):
    for account in (VALID, NOKSEF):
        session, base = api(sb, account)
        listing = session.get(f"{base}/invoices.json", timeout=5).json()
        assert listing["metainfo"]["total_count"] == 12 and listing["metainfo"]["count"] == 10
        assert {e["kind"] for e in seeded(session, base)} == {"vat", "proforma"}


def test_paging_uses_offset_and_limit_with_links(sb):
    session, base = api(sb)
    first = session.get(f"{base}/invoices.json", params={"limit": 5}, timeout=5).json()
    assert first["metainfo"]["previous"] is None and "offset=5" in first["metainfo"]["next"]
    second = requests.get(first["metainfo"]["next"], headers=session.headers, timeout=5).json()
    assert {e["uuid"] for e in first["entities"]}.isdisjoint({e["uuid"] for e in second["entities"]})
    assert "offset=0" in second["metainfo"]["previous"]
    assert session.get(f"{base}/invoices.json", params={"limit": 500}, timeout=5).json()["metainfo"]["count"] == 12
    assert session.get(f"{base}/invoices.json", params={"offset": "x"}, timeout=5).status_code == 400


def test_filters_find_by_order_reference_nip_and_date(sb):
    session, base = api(sb)
    found = seeded(session, base, **{"q[notes_eq]": "Zamówienie 1004"})
    assert len(found) == 1 and found[0]["transaction_terms"]["orders"][0]["number"] == "1004"
    assert len(seeded(session, base, **{"q[notes_cont]": "Zamówienie 100"})) == 9
    by_nip = seeded(session, base, **{"q[clean_client_nip_eq]": "9452121681"})
    assert by_nip and all(i["client_tax_code"] == "9452121681" for i in by_nip)
    since = (date.today() - timedelta(days=20)).isoformat()
    recent = seeded(session, base, **{"q[invoice_date_gteq]": since})
    assert recent and all(i["invoice_date"] >= since for i in recent)
    unpaid = seeded(session, base, **{"q[paid_date_null]": "true"})
    assert unpaid and all(i["paid_date"] is None for i in unpaid)


def test_a_filter_on_an_unknown_field_is_refused_not_ignored(sb):
    session, base = api(sb)
    answer = session.get(f"{base}/invoices.json", params={"q[order_number_eq]": "1004"}, timeout=5)
    assert answer.status_code == 400 and "error" in answer.json()


def test_order_and_fields_narrow_the_listing(sb):
    session, base = api(sb)
    rows = seeded(session, base, order="invoice_date asc", fields="number,invoice_date,services(name)")
    assert [r["invoice_date"] for r in rows] == sorted(r["invoice_date"] for r in rows)
    assert set(rows[0]) == {"number", "invoice_date", "services"} and set(rows[0]["services"][0]) == {"name"}
    assert session.get(f"{base}/invoices.json", params={"order": "price sideways"}, timeout=5).status_code == 400


# -- corrections ------------------------------------------------------------------------------
def test_correction_is_created_through_its_task_and_linked_to_the_invoice(sb):
    session, base = api(sb, NOKSEF)
    original = create(session, base, [line(quantity=2), line(name="Wysyłka kurierem", unit_net_price=1499)])
    done = correct(
        session,
        base,
        original,
        [
            {
                "group": 1,
                "correction": False,
                "name": "Kawa ziarnista 1 kg",
                "quantity": 2,
                "unit_net_price": 7900,
                "tax_symbol": "23",
            },
            {
                "group": 1,
                "correction": True,
                "name": "Kawa ziarnista 1 kg",
                "quantity": 1,
                "unit_net_price": 7900,
                "tax_symbol": "23",
            },
        ],
    )
    assert done["processing_code"] == 201
    correction = session.get(f"{base}/corrective_invoices/{done['invoice_uuid']}.json", timeout=5).json()
    assert correction["kind"] == "correction"
    assert (correction["net_price"], correction["tax_price"], correction["gross_price"]) == (-7900, -1817, -9717)
    assert correction["corrected_invoice_uuid"] == original["uuid"]
    assert correction["corrected_invoice_number"] == original["number"]
    assert correction["corrected_invoice_gross_price"] == original["gross_price"]
    assert correction["parent_id"] == original["id"]
    assert correction["number"].startswith("KOR/")
    refreshed = session.get(f"{base}/invoices/{original['uuid']}.json", timeout=5).json()
    assert correction["uuid"] in {r["uuid"] for r in refreshed["related_documents"]}
    listed = session.get(f"{base}/corrective_invoices.json", timeout=5).json()["entities"]
    assert correction["uuid"] in {c["uuid"] for c in listed}
    assert correction["uuid"] not in {i["uuid"] for i in seeded(session, base)}
    neutral = next(d for d in sb.documents() if d["id"] == correction["uuid"])
    assert neutral["type"] == "credit_note" and neutral["total"] == "-97.17" and neutral["corrects"] == original["uuid"]


def test_a_correction_can_be_found_by_the_corrected_invoice_number_and_date(sb):
    session, base = api(sb, NOKSEF)
    original = create(session, base)
    done = correct(
        session,
        base,
        original,
        corrected_invoice_uuid=None,
        corrected_invoice_number=original["number"],
        corrected_invoice_date=original["invoice_date"],
    )
    assert done["processing_code"] == 201


def test_correction_lines_must_come_in_before_and_after_pairs(sb):
    session, base = api(sb, NOKSEF)
    original = create(session, base)
    failed = correct(
        session,
        base,
        original,
        [
            {
                "group": 1,
                "correction": True,
                "name": "Kawa ziarnista 1 kg",
                "quantity": 0,
                "unit_net_price": 7900,
                "tax_symbol": "23",
            }
        ],
    )
    assert failed["processing_code"] == 422 and "services.group" in failed["invoice_errors"]


def test_correction_needs_a_reason_and_an_existing_invoice(sb):
    session, base = api(sb, NOKSEF)
    original = create(session, base)
    failed = correct(session, base, original, correction_reason="")
    assert "correction_reason" in failed["invoice_errors"]
    failed = correct(session, base, original, corrected_invoice_uuid="0be870f9-aa52-4d0f-a9ff-994e374ecff0")
    assert "corrected_invoice_uuid" in failed["invoice_errors"]


def test_dates_and_lines_cannot_be_corrected_together(sb):
    session, base = api(sb, NOKSEF)
    original = create(session, base)
    failed = correct(
        session, base, original, sale_date_before_correction=original["sale_date"], sale_date=original["sale_date"]
    )
    assert failed["invoice_errors"]["services"]


def test_a_proforma_cannot_be_corrected(sb):
    session, base = api(sb, NOKSEF)
    proforma = create(session, base, kind="proforma")
    failed = correct(session, base, proforma)
    assert failed["processing_code"] == 422 and "corrected_invoice_uuid" in failed["invoice_errors"]


def test_an_invoice_with_a_correction_cannot_be_deleted_but_a_plain_draft_can(sb):
    session, base = api(sb, NOKSEF)
    original = create(session, base)
    correct(session, base, original)
    assert session.delete(f"{base}/invoices/{original['uuid']}.json", timeout=5).status_code == 422
    draft = create(session, base)
    assert session.delete(f"{base}/invoices/{draft['uuid']}.json", timeout=5).status_code == 204
    assert session.get(f"{base}/invoices/{draft['uuid']}.json", timeout=5).status_code == 404


# -- PDF, e-mail, paid ------------------------------------------------------------------------
def test_pdf_is_a_real_pdf_and_marks_the_invoice_printed(sb):
    session, base = api(sb)
    invoice = create(session, base)
    answer = session.get(
        f"{base}/invoices/{invoice['uuid']}/pdf.json", params={"document_type": "original", "locale": "pl"}, timeout=5
    )
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF") and len(answer.content) > 800
    assert session.get(f"{base}/invoices/{invoice['uuid']}.json", timeout=5).json()["status"] == "printed"


def test_pdf_needs_a_known_document_type(sb):
    session, base = api(sb)
    invoice = seeded(session, base)[0]
    assert session.get(f"{base}/invoices/{invoice['uuid']}/pdf.json", timeout=5).status_code == 400
    assert (
        session.get(
            f"{base}/invoices/{invoice['uuid']}/pdf.json", params={"document_type": "scan"}, timeout=5
        ).status_code
        == 400
    )


def test_deliver_via_email_sends_and_marks_sent(sb):
    session, base = api(sb)
    invoice = create(session, base)
    answer = session.post(
        f"{base}/invoices/{invoice['uuid']}/deliver_via_email.json",
        timeout=5,
        json={"print_type": "original", "locale": "pl", "recipient": "klient@example.com", "send_copy": False},
    )
    assert answer.status_code == 200
    assert session.get(f"{base}/invoices/{invoice['uuid']}.json", timeout=5).json()["status"] == "sent"
    assert next(d for d in sb.documents() if d["id"] == invoice["uuid"])["emailed_to"] == ["klient@example.com"]


def test_deliver_via_email_defaults_to_the_clients_address(sb):
    session, base = api(sb)
    client = session.get(f"{base}/clients.json", timeout=5).json()["entities"][0]
    invoice = create(session, base, client_id=client["id"], client_company_name=None)
    session.post(f"{base}/invoices/{invoice['uuid']}/deliver_via_email.json", json={"print_type": "copy"}, timeout=5)
    assert next(d for d in sb.documents() if d["id"] == invoice["uuid"])["emailed_to"] == [client["email"]]


def test_deliver_via_email_refuses_missing_print_type_or_recipient(sb):
    session, base = api(sb)
    invoice = create(session, base)
    url = f"{base}/invoices/{invoice['uuid']}/deliver_via_email.json"
    assert session.post(url, json={"recipient": "a@example.com"}, timeout=5).status_code == 422
    no_address = session.post(url, json={"print_type": "original"}, timeout=5)
    assert no_address.status_code == 422 and "recipient" in no_address.json()["error"]
    assert session.post(url, json={"print_type": "original", "recipient": "nope"}, timeout=5).status_code == 422


def test_marking_paid_is_an_asynchronous_task(sb):
    session, base = api(sb)
    invoice = create(session, base)
    answer = session.post(
        f"{base}/async/invoices/{invoice['uuid']}/paid.json", json={"paid_date": invoice["invoice_date"]}, timeout=5
    )
    assert answer.status_code == 201 and answer.json()["processing_code"] == 100
    done = outcome(session, base, answer.json()["invoice_task_reference_number"])
    assert done["processing_code"] == 200 and done["invoice_uuid"] == invoice["uuid"]
    paid = session.get(f"{base}/invoices/{invoice['uuid']}.json", timeout=5).json()
    assert (paid["status"], paid["paid_date"], paid["left_to_pay"]) == ("paid", invoice["invoice_date"], 0)


def test_paid_date_before_the_issue_date_fails_the_task(sb):
    session, base = api(sb)
    invoice = create(session, base)
    early = (date.fromisoformat(invoice["invoice_date"]) - timedelta(days=1)).isoformat()
    answer = session.post(f"{base}/async/invoices/{invoice['uuid']}/paid.json", json={"paid_date": early}, timeout=5)
    failed = outcome(session, base, answer.json()["invoice_task_reference_number"])
    assert failed["processing_code"] == 422 and "paid_date" in failed["invoice_errors"]
    assert session.get(f"{base}/invoices/{invoice['uuid']}.json", timeout=5).json()["status"] == "draft"


def test_editing_a_draft_updates_its_totals(sb):
    session, base = api(sb, NOKSEF)
    invoice = create(session, base)
    answer = session.put(
        f"{base}/invoices/{invoice['uuid']}.json",
        timeout=5,
        json={"invoice": {"notes": "Zamówienie 9", "services": [line(unit_net_price=10000)]}},
    )
    assert answer.status_code == 200
    assert (answer.json()["notes"], answer.json()["gross_price"]) == ("Zamówienie 9", 12300)
    bad = session.put(
        f"{base}/invoices/{invoice['uuid']}.json", json={"invoice": {"payment_method": "gold"}}, timeout=5
    )
    assert bad.status_code == 422 and "payment_method" in bad.json()["error"]


# -- KSeF -------------------------------------------------------------------------------------
def test_ksef_integration_status_per_account(sb):
    session, base = api(sb)
    assert session.get(f"{base}/ksef2/integration.json", timeout=5).json()["active"] is True
    other, base = api(sb, NOKSEF)
    assert other.get(f"{base}/ksef/integration.json", timeout=5).json() == {
        "active": False,
        "incomes_last_fetched_at": None,
        "costs_last_fetched_at": None,
    }


def test_seeded_invoices_carry_ksef_states(sb):
    session, base = api(sb)
    invoices = seeded(session, base, **{"q[kind_eq]": "vat"})
    cleared = [i for i in invoices if i["ksef_number"]]
    assert cleared and all(i["ksef_data"]["status"] == "success" for i in cleared)
    assert all(re.fullmatch(r"5252344078-\d{8}-[0-9A-F]{12}-[0-9A-F]{2}", i["ksef_number"]) for i in cleared)
    assert any((i["ksef_data"] or {}).get("status") == "error" for i in invoices)
    other, base = api(sb, NOKSEF)
    assert all(i["ksef_data"] is None and i["ksef_number"] is None for i in seeded(other, base))


def test_sending_to_ksef_goes_from_sent_to_success_with_a_ksef_number(sb):
    session, base = api(sb)
    invoice = create(session, base)
    sent = session.post(f"{base}/invoices/{invoice['uuid']}/send_to_ksef.json", timeout=5)
    assert sent.status_code == 200
    body = sent.json()
    assert (body["status"], body["ksef_number"], body["invoice_kind"]) == ("sent", None, "vat")
    assert body["invoice_uuid"] == invoice["uuid"] and body["timestamps"]["request_finished_at"] is None
    status_url = f"{base}/ksef/documents/{invoice['uuid']}/status.json"
    assert session.get(status_url, timeout=5).json()["status"] == "sent"
    done = session.get(status_url, timeout=5).json()
    assert done["status"] == "success" and done["ksef_number"].startswith("5252344078-")
    assert done["request_uuid"] == body["request_uuid"]
    stored = session.get(f"{base}/invoices/{invoice['uuid']}.json", timeout=5).json()
    assert stored["ksef_number"] == done["ksef_number"] and stored["ksef_data"]["status"] == "success"
    assert "invoice_uuid" not in stored["ksef_data"]


def test_an_invoice_in_ksef_is_locked_against_edits_and_deletion(sb):
    session, base = api(sb)
    invoice = create(session, base)
    session.post(f"{base}/ksef2/documents/{invoice['uuid']}/send.json", timeout=5)
    assert (
        session.put(f"{base}/invoices/{invoice['uuid']}.json", json={"invoice": {"notes": "x"}}, timeout=5).status_code
        == 423
    )
    assert session.delete(f"{base}/invoices/{invoice['uuid']}.json", timeout=5).status_code == 423
    again = session.post(f"{base}/invoices/{invoice['uuid']}/send_to_ksef.json", timeout=5)
    assert again.status_code == 422


def test_ksef_rejects_an_invoice_with_an_overlong_line_name(sb):
    session, base = api(sb)
    invoice = create(session, base, [line(name="K" * 300)])
    session.post(f"{base}/ksef/documents/{invoice['uuid']}/send.json", timeout=5)
    status_url = f"{base}/ksef/documents/{invoice['uuid']}/status.json"
    session.get(status_url, timeout=5)
    failed = session.get(status_url, timeout=5).json()
    assert failed["status"] == "error" and "256" in failed["status_description"] and failed["ksef_number"] is None
    assert session.post(f"{base}/invoices/{invoice['uuid']}/send_to_ksef.json", timeout=5).status_code == 200


def test_an_account_not_integrated_with_ksef_gets_the_documented_422(sb):
    session, base = api(sb, NOKSEF)
    invoice = seeded(session, base, **{"q[kind_eq]": "vat"})[0]
    for url in (
        f"{base}/invoices/{invoice['uuid']}/send_to_ksef.json",
        f"{base}/ksef/documents/{invoice['uuid']}/send.json",
    ):
        answer = session.post(url, timeout=5)
        assert answer.status_code == 422
        assert answer.json() == {"error": "Użytkownik nie jest zintegrowany z KSeF."}


def test_proformas_are_not_sent_to_ksef(sb):
    session, base = api(sb)
    proforma = seeded(session, base, **{"q[kind_eq]": "proforma"})[0]
    assert session.post(f"{base}/ksef/documents/{proforma['uuid']}/send.json", timeout=5).status_code == 422


def test_send_to_ksef_can_inform_the_buyer_by_email(sb):
    session, base = api(sb)
    invoice = create(session, base)
    answer = session.post(
        f"{base}/invoices/{invoice['uuid']}/send_to_ksef.json",
        timeout=5,
        json={"inform_via_email": {"print_type": "copy", "recipient": "klient@example.com", "locale": "pl"}},
    )
    assert answer.status_code == 200
    assert next(d for d in sb.documents() if d["id"] == invoice["uuid"])["emailed_to"] == ["klient@example.com"]


def test_a_correction_is_sent_to_ksef_as_corrective_invoice(sb):
    session, base = api(sb)
    original = create(session, base)
    done = correct(session, base, original)
    answer = session.post(f"{base}/corrective_invoices/{done['invoice_uuid']}/send_to_ksef.json", timeout=5)
    assert answer.status_code == 200 and answer.json()["invoice_kind"] == "corrective_invoice"


def test_ksef_xml_is_downloadable(sb):
    session, base = api(sb)
    invoice = seeded(session, base, **{"q[ksef_number_null]": "false"})[0]
    answer = session.get(f"{base}/ksef/documents/{invoice['uuid']}/download_xml.json", timeout=5)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/xml")
    assert f"<P_2>{invoice['number']}</P_2>" in answer.text


# -- clients ----------------------------------------------------------------------------------
def test_clients_can_be_listed_found_by_nip_and_created(sb):
    session, base = api(sb)
    found = session.get(f"{base}/clients.json", params={"q[nip_eq]": "9452121681"}, timeout=5).json()["entities"]
    assert [c["nip"] for c in found] == ["9452121681"]
    created = session.post(
        f"{base}/clients.json",
        timeout=5,
        json={
            "client": {
                "company_name": "Nowa Firma Sp. z o.o.",
                "nip": "5210987653",
                "country": "PL",
                "postal_code": "30-001",
            }
        },
    )
    assert created.status_code == 201 and created.json()["id"]
    missing_country = session.post(f"{base}/clients.json", json={"client": {"company_name": "X"}}, timeout=5)
    assert missing_country.status_code == 422 and "country" in missing_country.json()["error"]


# -- rate limits and faults --------------------------------------------------------------------
def test_over_the_quota_answers_429_with_retry_after(sb):
    session, base = api(sb)
    sb.quota(2, 60)
    answers = [session.get(f"{base}/account/details.json", timeout=5) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60 and "error" in answers[-1].json()


def test_reads_and_writes_are_limited_separately(sb):
    session, base = api(sb)
    sb.quota(1, 60)
    assert session.get(f"{base}/account/details.json", timeout=5).status_code == 200
    assert (
        session.post(f"{base}/async/invoices.json", json={"invoice": {"services": [line()]}}, timeout=5).status_code
        == 202
    )
    assert session.get(f"{base}/account/details.json", timeout=5).status_code == 429
    assert session.post(f"{base}/async/invoices.json", json={"invoice": {}}, timeout=5).status_code == 429


def test_error_500_fault_hits_only_the_named_operation(sb):
    session, base = api(sb)
    sb.fault("error_500", operations=["create_invoice"])
    answer = session.post(f"{base}/async/invoices.json", json={"invoice": {"services": [line()]}}, timeout=5)
    assert answer.status_code == 500 and "error" in answer.json()
    assert session.get(f"{base}/invoices.json", timeout=5).status_code == 200


def test_rate_limit_fault_answers_429(sb):
    session, base = api(sb)
    sb.fault("rate_limit", seconds=30, operations=["verify"])
    answer = session.get(f"{base}/account/details.json", timeout=5)
    assert answer.status_code == 429 and 1 <= int(answer.headers["Retry-After"]) <= 30


def test_drop_after_create_loses_the_answer_but_the_invoice_is_still_made(sb):
    session, base = api(sb)
    sb.fault("drop_after_create", operations=["create_invoice"])
    with pytest.raises(requests.ConnectionError):
        session.post(
            f"{base}/async/invoices.json",
            timeout=5,
            json={"invoice": {**BUYER, "notes": "Zamówienie 8001", "services": [line()]}},
        )
    sb.fault("none")
    time.sleep(2.1)
    assert len(seeded(session, base, **{"q[notes_eq]": "Zamówienie 8001"})) == 1


def test_timeout_fault_never_answers(sb):
    session, base = api(sb)
    sb.fault("timeout", seconds=1.5, operations=["list_invoices"])
    with pytest.raises((requests.ConnectionError, requests.ReadTimeout)):
        session.get(f"{base}/invoices.json", timeout=1)


# -- control API ------------------------------------------------------------------------------
def test_control_accounts_list_two_valid_accounts_and_a_wrong_key(sb):
    accounts = sb.accounts()
    assert [(a["id"], a["state"]) for a in accounts] == [
        ("infakt-valid", "valid"),
        ("infakt-valid-noksef", "valid"),
        ("infakt-wrong-key", "wrong_key"),
    ]
    assert len({a["label"] for a in accounts}) == 3
    assert all(set(a["credentials"]) == {"api_key"} for a in accounts)
    assert sb.account("valid")["id"] == VALID


def test_documents_are_in_the_neutral_shape(sb):
    docs = sb.documents()
    assert {"id", "type", "number", "order_no", "total", "currency", "created", "account"} <= set(docs[0])
    for account in (VALID, NOKSEF):
        mine = [d for d in docs if d["account"] == account]
        assert len(mine) == 13 and {d["type"] for d in mine} == {"invoice", "proforma", "credit_note"}
    first = next(d for d in docs if d["order_no"] == "1001" and d["account"] == VALID)
    assert re.fullmatch(r"-?\d+\.\d{2}", first["total"]) and first["currency"] == "PLN"


def test_requests_are_logged_with_the_key_as_received_and_reset_clears_created_invoices(sb):
    session, base = api(sb)
    create(session, base, notes="Zamówienie 9901")
    logged = sb.requests()
    assert logged[0]["headers"]["X-Infakt-Apikey"] == session.headers["X-inFakt-ApiKey"]
    assert logged[0]["path"] == "/api/v3/async/invoices.json" and logged[0]["status"] == 202
    sb.reset()
    assert sb.requests() == []
    assert not [d for d in sb.documents() if d["reference"] == "Zamówienie 9901"]
