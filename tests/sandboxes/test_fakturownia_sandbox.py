"""The Fakturownia sandbox, checked against the vendor docs (github.com/fakturownia/API README.md and
KSeF.md) with hand-made requests shaped like the docs' curl examples. The account is chosen by
the Host header's subdomain, as on {prefix}.fakturownia.pl."""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests


def today() -> date:
    """The date now, read when a test runs (not at collection: a run can cross midnight)."""
    return date.today()


def this_year() -> int:
    return today().year


@pytest.fixture
def sb(sandbox):
    return sandbox("fakturownia")


def host(subdomain: str) -> dict:
    return {"Host": f"{subdomain}.fakturownia.pl"}


class Api:
    """Calls as the docs show them: token in the query (GET/DELETE) or in the JSON body (POST/PUT)."""

    def __init__(self, sb, credentials: dict) -> None:
        self.url = sb.url
        self.token = credentials["api_token"]
        self.headers = host(credentials["subdomain"])

    def get(self, path: str, **params) -> requests.Response:
        return requests.get(
            self.url + path, params={"api_token": self.token, **params}, headers=self.headers, timeout=10
        )

    def delete(self, path: str) -> requests.Response:
        return requests.delete(self.url + path, params={"api_token": self.token}, headers=self.headers, timeout=10)

    def post(self, path: str, body: dict | None = None, params: dict | None = None) -> requests.Response:
        return requests.post(
            self.url + path,
            json={"api_token": self.token, **(body or {})},
            params=params,
            headers=self.headers,
            timeout=10,
        )

    def put(self, path: str, body: dict) -> requests.Response:
        return requests.put(self.url + path, json={"api_token": self.token, **body}, headers=self.headers, timeout=10)

    def create(self, **invoice) -> requests.Response:
        extra = {k: invoice.pop(k) for k in ("gov_save_and_send",) if k in invoice}
        return self.post("/invoices.json", {"invoice": invoice, **extra})


@pytest.fixture
def api(sb):
    return Api(sb, sb.account("valid")["credentials"])


@pytest.fixture
def fast_ksef(sb):
    requests.post(sb.url + "/_sandbox/ksef", json={"delay_seconds": 0.2}, timeout=5).raise_for_status()


def company_invoice(**override) -> dict:
    """KSeF.md's quick-start invoice (B2B, Polish buyer with a valid NIP)."""
    invoice = {
        "kind": "vat",
        "buyer_name": "Klient ABC Sp. z o.o.",
        "buyer_tax_no": "9876543210",
        "buyer_company": True,
        "buyer_country": "PL",
        "buyer_email": "ksiegowosc@abc.example",
        "positions": [{"name": "Usługa", "quantity": 1, "total_price_gross": 1230.00, "tax": 23}],
    }
    invoice.update(override)
    return invoice


def consumer_invoice(**override) -> dict:
    invoice = {
        "kind": "vat",
        "buyer_company": False,
        "buyer_first_name": "Jan",
        "buyer_last_name": "Kowalski",
        "buyer_country": "PL",
        "buyer_email": "jan@example.pl",
        "positions": [{"name": "Koszulka", "quantity": 1, "total_price_gross": "49.99", "tax": 23}],
    }
    invoice.update(override)
    return invoice


def next_number(api: Api, pattern: str, year: int | None = None) -> str:
    """The next automatic number: one more than the highest seeded number of that shape and year
    (the seed is relative to today, so its numbers depend on the date)."""
    year = year or this_year()
    regex = re.compile("^" + re.escape(pattern).replace(r"\{n\}", r"(\d+)") + f"/{year}$")
    used = [
        int(m.group(1))
        for i in api.get("/invoices.json", period="all", per_page=100).json()
        if (m := regex.match(i["number"]))
    ]
    return f"{pattern.replace('{n}', str(max(used, default=0) + 1))}/{year}"


def wait_for_ksef(api: Api, invoice_id: int, timeout: float = 4.0) -> dict:
    deadline = time.time() + timeout
    while True:
        body = api.get(f"/invoices/{invoice_id}.json").json()
        if body["gov_status"] != "processing" or time.time() > deadline:
            return body
        time.sleep(0.1)


# -- account from the Host subdomain, token in three places -----------------------------------
def test_token_in_query_on_the_subdomain_reads_the_account(api):
    resp = api.get("/account.json")
    assert resp.status_code == 200
    assert resp.json()["prefix"] == "demo-sklep" and resp.json()["tax_no"] == "5252445767"


def test_token_at_the_top_of_the_json_body_is_accepted(sb, api):
    resp = requests.post(
        sb.url + "/invoices.json",
        json={"api_token": api.token, "invoice": consumer_invoice()},
        headers=api.headers,
        timeout=5,
    )
    assert resp.status_code == 201


def test_bearer_authorization_header_is_accepted(sb, api):
    resp = requests.get(
        sb.url + "/invoices.json", headers={**api.headers, "Authorization": f"Bearer {api.token}"}, timeout=5
    )
    assert resp.status_code == 200 and isinstance(resp.json(), list)


def test_host_header_with_a_port_selects_the_same_account(sb, api):
    resp = requests.get(
        sb.url + "/account.json",
        params={"api_token": api.token},
        headers={"Host": "demo-sklep.fakturownia.pl:5104"},
        timeout=5,
    )
    assert resp.json()["prefix"] == "demo-sklep"


def test_unknown_subdomain_is_422_brak_konta(sb, api):
    resp = requests.get(
        sb.url + "/account.json", params={"api_token": api.token}, headers=host("demo-skelp"), timeout=5
    )
    assert resp.status_code == 422
    assert resp.json() == {"code": "error", "message": "Brak konta: źle wpisane Twoje konto"}


@pytest.mark.parametrize("host_header", [None, "app.fakturownia.pl", "fakturownia.pl"])
def test_a_host_without_an_account_subdomain_is_refused(sb, api, host_header):
    headers = {"Host": host_header} if host_header else {}
    resp = requests.get(sb.url + "/invoices.json", params={"api_token": api.token}, headers=headers, timeout=5)
    assert resp.status_code == 422 and resp.json()["message"].startswith("Brak konta")


def test_wrong_token_is_401_naming_the_page_as_requested(api):
    api.token = "not-a-token"
    resp = api.get("/invoices.json", page=1)
    assert resp.status_code == 401
    message = resp.json()["message"]
    assert message.startswith("Musisz być zalogowany, aby mieć dostęp do strony http://demo-sklep.fakturownia.pl/")
    assert "api_token=not-a-token" in message  # the vendor echoes the address, token included


def test_missing_token_is_401(sb, api):
    resp = requests.get(sb.url + "/invoices.json", headers=api.headers, timeout=5)
    assert resp.status_code == 401 and resp.json()["code"] == "error"


def test_seeded_wrong_key_account_answers_401(sb):
    resp = Api(sb, sb.account("wrong_key")["credentials"]).get("/account.json")
    assert resp.status_code == 401


def test_user_who_is_not_a_member_of_the_account_gets_403(sb):
    resp = Api(sb, sb.account("no_permission")["credentials"]).get("/invoices.json")
    assert resp.status_code == 403
    assert resp.json() == {"code": "error", "message": "Nie masz uprawnień do tego konta!"}


def test_a_valid_token_does_not_open_someone_elses_subdomain(sb, api):
    resp = requests.get(
        sb.url + "/account.json", params={"api_token": api.token}, headers=host("biuro-rachunkowe"), timeout=5
    )
    assert resp.status_code == 403


def test_login_returns_the_prefix_url_and_token(sb, api):
    resp = requests.post(
        sb.url + "/login.json",
        json={"login": "demo", "password": "demo-haslo"},
        headers={"Host": "app.fakturownia.pl"},
        timeout=5,
    )
    body = resp.json()
    assert body["prefix"] == "demo-sklep" and body["url"] == "https://demo-sklep.fakturownia.pl"
    assert body["api_token"] == api.token
    bad = requests.post(sb.url + "/login.json", json={"login": "demo", "password": "x"}, timeout=5)
    assert bad.status_code == 401


# -- listing -----------------------------------------------------------------------------------
def test_list_defaults_to_this_month_and_hides_positions(api):
    before = today()
    invoices = api.get("/invoices.json").json()
    months = {(before.year, before.month), (today().year, today().month)}  # the call may cross midnight
    assert invoices and all(date.fromisoformat(i["issue_date"]).timetuple()[:2] in months for i in invoices)
    assert all("positions" not in i for i in invoices)
    assert len(api.get("/invoices.json", period="all").json()) == 14


def test_list_pages_with_per_page_capped_at_100(api):
    first = api.get("/invoices.json", period="all", per_page=5, page=1).json()
    third = api.get("/invoices.json", period="all", per_page=5, page=3).json()
    assert len(first) == 5 and len(third) == 4
    assert not set(i["id"] for i in first) & set(i["id"] for i in third)
    assert len(api.get("/invoices.json", period="all", per_page=1000).json()) == 14
    assert api.get("/invoices.json", period="all", page=4, per_page=5).json() == []


def test_list_is_newest_first_and_order_can_be_chosen(api):
    dates = [i["issue_date"] for i in api.get("/invoices.json", period="all", per_page=100).json()]
    assert dates == sorted(dates, reverse=True)
    by_number = [i["number"] for i in api.get("/invoices.json", period="all", order="number").json()]
    assert by_number == sorted(by_number)


def test_list_includes_positions_on_request(api):
    invoices = api.get("/invoices.json", period="all", include_positions="true").json()
    assert all(i["positions"] for i in invoices)


def test_list_filters_by_oid_kind_kinds_and_client(api):
    assert [i["kind"] for i in api.get("/invoices.json", period="all", oid="1004").json()] == ["vat", "proforma"]
    assert {i["kind"] for i in api.get("/invoices.json", period="all", kind="proforma").json()} == {"proforma"}
    both = api.get("/invoices.json", period="all", **{"kinds[]": ["proforma", "correction"]}).json()
    assert {i["kind"] for i in both} == {"proforma", "correction"}
    assert {i["client_id"] for i in api.get("/invoices.json", period="all", client_id=203).json()} == {203}


def test_period_more_takes_an_inclusive_date_range(api):
    start = (today() - timedelta(days=36)).isoformat()
    end = (today() - timedelta(days=19)).isoformat()
    found = api.get("/invoices.json", period="more", date_from=start, date_to=end).json()
    assert sorted(i["oid"] for i in found) == ["1006", "1007"]


def test_last_year_holds_the_december_invoice(api):
    found = api.get("/invoices.json", period="last_year").json()
    assert all(i["issue_date"].startswith(str(this_year() - 1)) for i in found)
    assert [i["number"].endswith(f"/{this_year() - 1}") for i in found if i["oid"] == "0999"] == [True]


# -- creating, totals --------------------------------------------------------------------------
DOCS_POSITIONS = [
    {"name": "Produkt A1", "tax": 23, "total_price_gross": 10.23, "quantity": 1},
    {"name": "Produkt A2", "tax": 0, "total_price_gross": 50, "quantity": 3},
]


def test_docs_example_with_keep_gross_keeps_the_gross_totals_sent(api):
    resp = api.create(**company_invoice(positions=DOCS_POSITIONS, calculating_strategy={"position": "keep_gross"}))
    body = resp.json()
    assert resp.status_code == 201
    assert (body["price_net"], body["price_tax"], body["price_gross"]) == ("58.32", "1.91", "60.23")
    assert [p["total_price_net"] for p in body["positions"]] == ["8.32", "50.00"]
    assert body["positions"][1]["price_gross"] == "16.67"


def test_docs_example_by_default_works_from_the_rounded_unit_net_price(api):
    body = api.create(**company_invoice(positions=DOCS_POSITIONS)).json()
    assert [p["price_net"] for p in body["positions"]] == ["8.32", "16.67"]
    assert [p["total_price_gross"] for p in body["positions"]] == ["10.23", "50.01"]
    assert body["price_gross"] == "60.24"


def test_net_unit_price_times_quantity_rounds_half_up(api):
    body = api.create(
        **company_invoice(
            positions=[
                {"name": "A", "tax": 23, "price_net": "0.125", "quantity": 1},
                {"name": "B", "tax": 8, "price_net": "10.05", "quantity": 3},
            ]
        )
    ).json()
    assert [p["total_price_net"] for p in body["positions"]] == ["0.13", "30.15"]
    assert [p["total_price_gross"] for p in body["positions"]] == ["0.16", "32.56"]
    assert body["price_gross"] == "32.72"


def test_default_strategy_may_move_the_gross_while_keep_gross_keeps_it(api):
    line = {"name": "Pakiet", "tax": 23, "total_price_gross": "100.00", "quantity": 7}
    default = api.create(**company_invoice(positions=[line])).json()
    kept = api.create(**company_invoice(positions=[line], calculating_strategy={"position": "keep_gross"})).json()
    assert default["positions"][0]["price_net"] == "11.61"
    assert default["price_net"] == "81.27" and default["price_gross"] == "99.96"
    assert kept["price_net"] == "81.30" and kept["price_gross"] == "100.00"


def test_sum_strategy_keep_net_computes_vat_once_per_rate(api):
    lines = [{"name": f"P{n}", "tax": 23, "price_net": "0.02", "quantity": 1} for n in range(3)]
    per_line = api.create(**company_invoice(positions=lines)).json()
    keep_net = api.create(**company_invoice(positions=lines, calculating_strategy={"sum": "keep_net"})).json()
    assert per_line["price_tax"] == "0.00" and keep_net["price_tax"] == "0.01"


def test_decimal_comma_in_amounts_is_accepted(api):
    body = api.create(
        **company_invoice(
            positions=[{"name": "Produkt A1", "quantity": "1", "tax": "23", "total_price_gross": "10,23"}]
        )
    ).json()
    assert body["price_gross"] == "10.23"


def test_exempt_and_not_subject_rates_count_zero_vat(api):
    body = api.create(
        **company_invoice(
            exempt_tax_kind="art. 43 ust 1 ustawy o VAT",
            np_tax_kind="export_service",
            positions=[
                {"name": "Szkolenie", "tax": "zw", "total_price_gross": 100},
                {"name": "Usługa", "tax": "nie podlega", "total_price_gross": 50},
            ],
        )
    ).json()
    assert [p["tax"] for p in body["positions"]] == ["zw", "np"] and body["price_tax"] == "0.00"


# -- numbering ---------------------------------------------------------------------------------
def test_numbers_continue_per_kind_and_year_after_the_seeded_ones(api):
    expected_vat, expected_proforma = next_number(api, "{n}"), next_number(api, "PRO {n}")
    first = api.create(**company_invoice()).json()["number"]
    second = api.create(**consumer_invoice()).json()["number"]
    proforma = api.create(**company_invoice(kind="proforma")).json()["number"]
    assert first == expected_vat and proforma == expected_proforma
    assert int(second.split("/")[0]) == int(first.split("/")[0]) + 1


def test_department_with_own_numbering_counts_separately(api):
    departments = api.get("/departments.json").json()
    outlet = next(d for d in departments if d["use_pattern"])
    expected_outlet, expected_main = next_number(api, "OUT/{n}"), next_number(api, "{n}")
    body = api.create(**company_invoice(department_id=outlet["id"])).json()
    assert body["number"] == expected_outlet and body["seller_name"] == outlet["name"]
    assert api.create(**company_invoice()).json()["number"] == expected_main


def test_explicit_number_is_kept_and_does_not_move_the_counter(api):
    expected = next_number(api, "{n}")
    assert api.create(**company_invoice(number="SKLEP/77")).json()["number"] == "SKLEP/77"
    assert api.create(**company_invoice(number=None)).json()["number"] == expected


def test_number_follows_the_year_of_the_issue_date(api):
    expected = next_number(api, "{n}", this_year() - 1)
    body = api.create(**consumer_invoice(issue_date=f"{this_year() - 1}-12-30")).json()
    assert body["number"] == expected


def test_unknown_department_is_422(api):
    resp = api.create(**company_invoice(department_id=999))
    assert resp.status_code == 422 and "department_id" in resp.json()["message"]


# -- duplicate guard ---------------------------------------------------------------------------
def test_oid_unique_refuses_a_second_invoice_and_the_list_finds_the_first(api):
    first = api.create(**company_invoice(oid="ZAM-5001", oid_unique="yes")).json()
    again = api.create(**company_invoice(oid="ZAM-5001", oid_unique="yes"))
    assert again.status_code == 422
    assert again.json() == {"code": "error", "message": {"oid": ["- jest już zajęte"]}}
    assert [i["id"] for i in api.get("/invoices.json", oid="ZAM-5001", period="all").json()] == [first["id"]]


def test_same_oid_without_oid_unique_creates_another_invoice(api):
    api.create(**consumer_invoice(oid="ZAM-5002"))
    assert api.create(**consumer_invoice(oid="ZAM-5002")).status_code == 201


def test_a_deleted_invoice_no_longer_blocks_its_oid(api):
    first = api.create(**consumer_invoice(oid="ZAM-5003", oid_unique="yes")).json()
    assert api.delete(f"/invoices/{first['id']}.json").status_code == 200
    assert api.create(**consumer_invoice(oid="ZAM-5003", oid_unique="yes")).status_code == 201


# -- corrections -------------------------------------------------------------------------------
def docs_correction(invoice_id, **override) -> dict:
    """README's correction example."""
    invoice = {
        "kind": "correction",
        "correction_reason": "Zła ilość",
        "invoice_id": str(invoice_id),
        "from_invoice_id": str(invoice_id),
        "positions": [
            {
                "name": "Usługa",
                "quantity": -1,
                "total_price_gross": "-615",
                "tax": "23",
                "kind": "correction",
                "correction_before_attributes": {
                    "name": "Usługa",
                    "quantity": "2",
                    "total_price_gross": "1230",
                    "tax": "23",
                    "kind": "correction_before",
                },
                "correction_after_attributes": {
                    "name": "Usługa",
                    "quantity": "1",
                    "total_price_gross": "615",
                    "tax": "23",
                    "kind": "correction_after",
                },
            }
        ],
    }
    invoice.update(override)
    return invoice


def test_correction_of_an_invoice_carries_the_difference_and_its_ksef_number(api, fast_ksef):
    original = api.create(
        **company_invoice(positions=[{"name": "Usługa", "quantity": 2, "total_price_gross": 1230, "tax": 23}])
    ).json()
    original = wait_for_ksef(api, original["id"])
    resp = api.create(**docs_correction(original["id"]))
    body = resp.json()
    assert resp.status_code == 201, body
    assert body["kind"] == "correction" and body["number"].startswith("KOR ")
    assert body["price_gross"] == "-615.00" and body["price_net"] == "-500.00"
    assert body["buyer_tax_no"] == "9876543210"  # taken over from the corrected invoice
    assert body["gov_corrected_invoice_number"] == original["gov_id"]
    full = api.get(f"/invoices/{body['id']}.json", correction_positions="full").json()
    assert full["positions"][0]["correction_after_attributes"]["quantity"] == "1"


def test_correction_positions_without_own_amounts_take_after_minus_before(api):
    positions = docs_correction(1)["positions"]
    del positions[0]["quantity"], positions[0]["total_price_gross"]
    original = api.get("/invoices.json", oid="1010", period="all").json()[0]
    body = api.create(**docs_correction(original["id"], positions=positions)).json()
    assert body["positions"][0]["quantity"] == "-1" and body["price_gross"] == "-615.00"


def test_correction_without_invoice_id_is_refused(api):
    invoice = docs_correction(1)
    del invoice["invoice_id"], invoice["from_invoice_id"]
    resp = api.create(**invoice)
    assert resp.status_code == 422 and resp.json()["message"]["invoice_id"] == ["- nie może być puste"]


def test_correction_pointing_at_no_invoice_is_refused(api):
    resp = api.create(**docs_correction(999999))
    assert resp.status_code == 422 and "invoice_id" in resp.json()["message"]


def test_correction_of_a_proforma_is_refused(api):
    proforma = api.get("/invoices.json", period="all", kind="proforma").json()[0]
    assert api.create(**docs_correction(proforma["id"])).status_code == 422


def test_ksef_correction_may_not_change_the_buyer_tax_number(api):
    original = api.get("/invoices.json", oid="1010", period="all").json()[0]
    resp = api.create(**docs_correction(original["id"], buyer_tax_no="9876543210"))
    assert resp.status_code == 422 and "buyer_tax_no" in resp.json()["message"]


def test_ksef_correction_needs_a_reason(api):
    original = api.get("/invoices.json", oid="1010", period="all").json()[0]
    resp = api.create(**docs_correction(original["id"], correction_reason=""))
    assert resp.json()["message"]["correction_reason"] == ["- nie może być puste"]


# -- validation --------------------------------------------------------------------------------
def test_ksef_validation_errors_come_as_422_with_field_lists(api):
    resp = api.create(
        **company_invoice(
            buyer_tax_no="",
            buyer_phone="+48 123 456 789 000",
            positions=[{"name": "Szkolenie", "tax": "zw", "total_price_gross": 100}],
        )
    )
    assert resp.status_code == 422
    body = resp.json()
    assert body["code"] == "error"
    assert body["message"]["buyer_tax_no"] == ["- nie może być puste"]
    assert body["message"]["buyer_phone"] == ["- pole jest za długie (maksymalna ilość znaków: 16)"]
    assert body["message"]["exempt_tax_kind"] == ["- nie może być puste"]


def test_position_without_name_is_positions_name_error(api):
    resp = api.create(**consumer_invoice(positions=[{"tax": 23, "total_price_gross": 10}]))
    assert resp.status_code == 422 and resp.json()["message"]["positions.name"] == ["- nie może być puste"]


def test_invoice_without_buyer_or_positions_is_refused(api):
    resp = api.create(kind="vat")
    assert set(resp.json()["message"]) >= {"buyer_name", "positions"}


def test_consumer_under_ksef_needs_first_and_last_name(api):
    resp = api.create(**consumer_invoice(buyer_first_name="", buyer_name="Jan K."))
    assert resp.json()["message"]["buyer_first_name"] == ["- nie może być puste"]


def test_buyer_company_is_assumed_when_not_sent(api):
    invoice = consumer_invoice()
    del invoice["buyer_company"]
    resp = api.create(**invoice)
    assert resp.status_code == 422 and "buyer_tax_no" in resp.json()["message"]


def test_unparsable_numbers_and_dates_are_422(api):
    resp = api.create(
        **consumer_invoice(
            issue_date="30.11.2026", positions=[{"name": "X", "tax": 23, "total_price_gross": "dziesięć"}]
        )
    )
    assert set(resp.json()["message"]) == {"issue_date", "positions.total_price_gross"}


def test_bad_json_body_is_400(sb, api):
    resp = requests.post(
        sb.url + "/invoices.json",
        data="{not json",
        params={"api_token": api.token},
        headers={**api.headers, "Content-Type": "application/json"},
        timeout=5,
    )
    assert resp.status_code == 400 and resp.json()["code"] == "error"


def test_create_without_invoice_root_is_400(api):
    assert api.post("/invoices.json", {"positions": []}).status_code == 400


# -- KSeF --------------------------------------------------------------------------------------
def test_company_invoice_is_processing_then_gets_a_ksef_number_after_two_seconds(api):
    body = api.create(**company_invoice()).json()
    assert body["gov_status"] == "processing" and body["gov_id"] is None
    time.sleep(2.2)
    done = api.get(f"/invoices/{body['id']}.json").json()
    assert done["gov_status"] == "ok"
    # A KSeF number carries the Polish date of acceptance, not the UTC one (they differ after 23:00 UTC).
    assert done["gov_id"].startswith(f"5252445767-{datetime.now(ZoneInfo('Europe/Warsaw')):%Y%m%d}-")
    assert done["gov_verification_link"].startswith(f"https://ksef.mf.gov.pl/web/verify/{done['gov_id']}/")


def test_fields_parameter_returns_only_the_named_fields(api):
    seeded = api.get("/invoices.json", oid="1010", period="all").json()[0]
    body = api.get(f"/invoices/{seeded['id']}.json", **{"fields[invoice]": "gov_status,gov_id"}).json()
    assert body == {"gov_status": "ok", "gov_id": seeded["gov_id"]}


def test_proforma_for_a_company_is_not_applicable(api):
    assert api.create(**company_invoice(kind="proforma")).json()["gov_status"] == "not_applicable"


def test_consumer_invoice_is_not_sent_unless_asked(api, fast_ksef):
    plain = api.create(**consumer_invoice()).json()
    assert plain["gov_status"] is None
    asked = api.create(**consumer_invoice(gov_save_and_send=True)).json()
    assert asked["gov_status"] == "processing"
    assert wait_for_ksef(api, asked["id"])["gov_status"] == "ok"


def test_foreign_company_needs_send_to_ksef(api, fast_ksef):
    body = api.create(
        **company_invoice(buyer_country="DE", buyer_tax_no="DE811907980", buyer_tax_no_kind="nip_ue")
    ).json()
    assert body["gov_status"] is None
    assert api.get(f"/invoices/{body['id']}.json", send_to_ksef="yes").json()["gov_status"] == "processing"


def test_wrong_nip_checksum_is_rejected_by_ksef_then_fixed_and_resent(api, fast_ksef):
    body = api.create(**company_invoice(buyer_tax_no="1234567890")).json()
    rejected = wait_for_ksef(api, body["id"])
    assert rejected["gov_status"] == "send_error" and rejected["gov_id"] is None
    assert "NIP" in rejected["gov_error_messages"][0]
    fixed = api.put(f"/invoices/{body['id']}.json", {"invoice": {"buyer_tax_no": "6272616681"}})
    assert fixed.status_code == 200
    api.get(f"/invoices/{body['id']}.json", send_to_ksef="yes")
    assert wait_for_ksef(api, body["id"])["gov_status"] == "ok"


def test_nip_of_the_wrong_length_is_refused_before_saving(api):
    resp = api.create(**company_invoice(buyer_tax_no="12345"))
    assert resp.status_code == 422 and "buyer_tax_no" in resp.json()["message"]


def test_future_issue_date_is_rejected_by_ksef(api, fast_ksef):
    body = api.create(**company_invoice(issue_date=(today() + timedelta(days=3)).isoformat())).json()
    assert wait_for_ksef(api, body["id"])["gov_status"] == "send_error"


def test_forced_server_error_outcome(sb, api):
    requests.post(sb.url + "/_sandbox/ksef", json={"delay_seconds": 0.1, "outcome": "server_error"}, timeout=5)
    body = api.create(**company_invoice()).json()
    assert wait_for_ksef(api, body["id"])["gov_status"] == "server_error"


def test_invoice_with_a_ksef_number_cannot_be_edited_deleted_or_cancelled(api):
    seeded = api.get("/invoices.json", oid="1010", period="all").json()[0]
    path = f"/invoices/{seeded['id']}.json"
    assert api.put(path, {"invoice": {"buyer_name": "Nowa nazwa"}}).status_code == 422
    deleted = api.delete(path)
    assert deleted.status_code == 422 and deleted.json()["code"] == "error"
    assert api.post("/invoices/cancel.json", {"cancel_invoice_id": seeded["id"]}).status_code == 422
    assert api.get(path).json()["buyer_name"] == seeded["buyer_name"]


def test_invoice_being_processed_is_locked_too(api):
    body = api.create(**company_invoice()).json()
    assert api.delete(f"/invoices/{body['id']}.json").status_code == 422


def test_invoice_outside_ksef_can_be_deleted_and_is_gone(api):
    body = api.create(**consumer_invoice()).json()
    resp = api.delete(f"/invoices/{body['id']}.json")
    assert resp.status_code == 200 and resp.json()["code"] == "success"
    assert api.get(f"/invoices/{body['id']}.json").status_code == 404


def test_ksef_xml_and_upo_are_attachments_once_accepted(api):
    seeded = api.get("/invoices.json", oid="1010", period="all").json()[0]
    xml = api.get(f"/invoices/{seeded['id']}/attachment", kind="gov")
    assert xml.status_code == 200 and xml.headers["Content-Type"].startswith("text/xml")
    assert seeded["number"] in xml.text
    upo = api.get(f"/invoices/{seeded['id']}/attachment", kind="gov_upo")
    assert seeded["gov_id"] in upo.text
    consumer = api.get("/invoices.json", oid="1011", period="all").json()[0]
    assert api.get(f"/invoices/{consumer['id']}/attachment", kind="gov").status_code == 404


# -- e-mail ------------------------------------------------------------------------------------
def test_email_before_the_ksef_number_is_http_200_with_an_error_body(api):
    body = api.create(**company_invoice()).json()
    resp = api.post(f"/invoices/{body['id']}/send_by_email.json")
    assert resp.status_code == 200
    assert resp.json() == {"message": "Faktura nie może zostać wysłana - brak numeru KSeF", "status": "error"}


def test_email_after_ksef_goes_to_the_buyer_and_marks_the_invoice_sent(api, fast_ksef, sb):
    body = api.create(**company_invoice()).json()
    wait_for_ksef(api, body["id"])
    resp = api.post(f"/invoices/{body['id']}/send_by_email.json", params={"email_pdf": "true"})
    assert resp.status_code == 200 and resp.json()["status"] == "ok"
    assert api.get(f"/invoices/{body['id']}.json").json()["status"] == "sent"
    doc = next(d for d in sb.documents() if d["id"] == str(body["id"]))
    assert doc["emails"][0]["to"] == ["ksiegowosc@abc.example"]


def test_email_to_more_than_five_addresses_is_an_error_body(api):
    body = api.create(**consumer_invoice()).json()
    resp = api.post(
        f"/invoices/{body['id']}/send_by_email.json",
        params={"email_to": ",".join(f"a{n}@example.pl" for n in range(6))},
    )
    assert resp.status_code == 200 and resp.json()["status"] == "error"


def test_email_to_with_update_buyer_email_changes_the_invoice(api):
    body = api.create(**consumer_invoice()).json()
    api.post(
        f"/invoices/{body['id']}/send_by_email.json",
        params={"email_to": "nowy@example.pl", "update_buyer_email": "true"},
    )
    assert api.get(f"/invoices/{body['id']}.json").json()["buyer_email"] == "nowy@example.pl"


# -- PDF ---------------------------------------------------------------------------------------
def test_pdf_is_a_real_pdf_for_the_invoice(api):
    seeded = api.get("/invoices.json", oid="1010", period="all").json()[0]
    resp = api.get(f"/invoices/{seeded['id']}.pdf", print_option="duplicate")
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/pdf"
    assert resp.content.startswith(b"%PDF-") and len(resp.content) > 800


def test_public_token_links_need_no_api_token(sb, api):
    seeded = api.get("/invoices.json", oid="1010", period="all").json()[0]
    pdf = requests.get(f"{sb.url}/invoice/{seeded['token']}.pdf", headers=api.headers, timeout=5)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert pdf.headers["Content-Disposition"].startswith("attachment")
    inline = requests.get(
        f"{sb.url}/invoice/{seeded['token']}.pdf", params={"inline": "yes"}, headers=api.headers, timeout=5
    )
    assert inline.headers["Content-Disposition"].startswith("inline")
    page = requests.get(f"{sb.url}/invoice/{seeded['token']}", headers=api.headers, timeout=5)
    assert page.status_code == 200 and seeded["number"] in page.text
    assert seeded["view_url"] == f"https://demo-sklep.fakturownia.pl/invoice/{seeded['token']}"
    assert requests.get(f"{sb.url}/invoice/nope.pdf", headers=api.headers, timeout=5).status_code == 404


# -- paid, update ------------------------------------------------------------------------------
def test_change_status_to_paid_sets_paid_amount_and_date(api):
    body = api.create(**consumer_invoice()).json()
    resp = api.post(f"/invoices/{body['id']}/change_status.json", params={"status": "paid"})
    assert resp.status_code == 200
    after = api.get(f"/invoices/{body['id']}.json").json()
    assert after["status"] == "paid" and after["paid"] == "49.99" and after["paid_date"] == today().isoformat()
    assert api.post(f"/invoices/{body['id']}/change_status.json", params={"status": "zaplacona"}).status_code == 422


def test_payment_with_invoice_ids_pays_them_in_the_order_given(api):
    first = api.create(**consumer_invoice(positions=[{"name": "A", "tax": 23, "total_price_gross": 100}])).json()
    second = api.create(**consumer_invoice(positions=[{"name": "B", "tax": 23, "total_price_gross": 200}])).json()
    resp = api.post(
        "/banking/payments.json",
        {
            "banking_payment": {
                "name": "Payment 003",
                "price": 200,
                "invoice_ids": [first["id"], second["id"]],
                "paid": True,
                "kind": "api",
            }
        },
    )
    assert resp.status_code == 201
    a, b = (api.get(f"/invoices/{i['id']}.json").json() for i in (first, second))
    assert (a["status"], a["paid"]) == ("paid", "100.00") and (b["status"], b["paid"]) == ("partial", "100.00")
    linked = api.get(f"/invoices/{second['id']}.json", **{"additional_fields[invoice]": "connected_payments"}).json()
    assert linked["connected_payments"][0]["price"] == "200.00"


def test_put_changes_fields_and_positions(api):
    body = api.create(
        **consumer_invoice(
            positions=[
                {"name": "A", "tax": 23, "total_price_gross": 100},
                {"name": "B", "tax": 23, "total_price_gross": 50},
            ]
        )
    ).json()
    first, second = body["positions"]
    resp = api.put(
        f"/invoices/{body['id']}.json",
        {
            "invoice": {
                "buyer_last_name": "Nowak",
                "buyer_name": "Jan Nowak",
                "positions": [
                    {"id": first["id"], "name": "A2"},
                    {"id": second["id"], "_destroy": 1},
                    {"name": "C", "tax": 8, "total_price_gross": "10.80", "quantity": 1},
                ],
            }
        },
    )
    after = resp.json()
    assert resp.status_code == 200 and after["buyer_name"] == "Jan Nowak"
    assert [p["name"] for p in after["positions"]] == ["A2", "C"] and after["price_gross"] == "110.80"
    assert after["number"] == body["number"] and after["token"] == body["token"]


def test_unknown_invoice_is_404(api):
    assert api.get("/invoices/1.json").status_code == 404


# -- departments, clients ----------------------------------------------------------------------
def test_departments_and_clients_are_listed(api):
    assert [d["id"] for d in api.get("/departments.json").json()] == [101, 102]
    found = api.get("/clients.json", tax_no="6272616681").json()
    assert [c["name"] for c in found] == ["Hurtownia Kowalski Sp. z o.o."]


def test_buyer_data_is_matched_to_a_client_or_creates_one(api):
    matched = api.create(
        **company_invoice(
            buyer_name="Hurtownia Kowalski Sp. z o.o.", buyer_tax_no="6272616681", buyer_email="zakupy@kowalski.example"
        )
    ).json()
    assert matched["client_id"] == 201
    new = api.create(**company_invoice()).json()
    assert api.get(f"/clients/{new['client_id']}.json").json()["tax_no"] == "9876543210"


def test_client_id_fills_the_buyer_from_the_card(api):
    body = api.create(kind="vat", client_id=201, positions=[{"name": "X", "tax": 23, "total_price_gross": 10}]).json()
    assert body["buyer_name"] == "Hurtownia Kowalski Sp. z o.o." and body["buyer_tax_no"] == "6272616681"
    assert api.create(kind="vat", client_id=9999, positions=[]).status_code == 422


# -- quota, faults, control API ----------------------------------------------------------------
def test_over_the_quota_answers_429_with_retry_after(sb, api):
    sb.quota(2, 60)
    assert api.get("/account.json").status_code == 200
    assert api.get("/account.json").status_code == 200
    resp = api.get("/account.json")
    assert resp.status_code == 429 and resp.json()["code"] == "error"
    assert 0 < int(resp.headers["Retry-After"]) <= 60


def test_error_500_fault_hits_only_the_named_operation(sb, api):
    sb.fault("error_500", operations=["create_invoice"])
    assert api.create(**consumer_invoice()).status_code == 500
    assert api.get("/invoices.json").status_code == 200


def test_rate_limit_fault_answers_429(sb, api):
    sb.fault("rate_limit", operations=["list_invoices"], seconds=30)
    assert api.get("/invoices.json").status_code == 429


def test_drop_after_create_keeps_the_invoice(sb, api):
    sb.fault("drop_after_create", operations=["create_invoice"])
    with pytest.raises(requests.ConnectionError):
        api.create(**consumer_invoice(oid="ZAM-DROP"))
    sb.fault("none")
    assert [i["oid"] for i in api.get("/invoices.json", oid="ZAM-DROP").json()] == ["ZAM-DROP"]


def test_timeout_fault_closes_the_connection_without_an_answer(sb, api):
    sb.fault("timeout", operations=["verify"], seconds=0.2)
    with pytest.raises(requests.ConnectionError):
        api.get("/account.json")


def test_seeded_accounts_use_the_connector_schema_keys(sb):
    accounts = sb.accounts()
    assert {a["state"] for a in accounts} == {"valid", "wrong_key", "no_permission"}
    assert all(set(a["credentials"]) == {"subdomain", "api_token"} for a in accounts)


def test_documents_are_neutral_and_reset_restores_the_seed(sb, api):
    api.create(**consumer_invoice(oid="ZAM-9"))
    docs = sb.documents()
    mine = next(d for d in docs if d["order_no"] == "ZAM-9")
    assert {"id", "type", "number", "order_no", "total", "currency", "created", "account"} <= set(mine)
    assert mine["total"] == "49.99" and mine["currency"] == "PLN" and mine["account"] == "fa-valid"
    sb.reset()
    assert not [d for d in sb.documents() if d["order_no"] == "ZAM-9"]
    assert len([d for d in sb.documents() if d["account"] == "fa-valid"]) == 14


def test_request_log_shows_host_and_token_as_received(sb, api):
    api.get("/account.json")
    entry = sb.requests()[-1]
    assert entry["path"] == "/account.json" and f"api_token={api.token}" in entry["query"]
    assert entry["headers"]["Host"] == "demo-sklep.fakturownia.pl" and entry["status"] == 200


def test_ksef_control_rejects_bad_settings(sb):
    assert requests.post(sb.url + "/_sandbox/ksef", json={"outcome": "maybe"}, timeout=5).status_code == 400
