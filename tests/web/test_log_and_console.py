"""The integration log in merchants' words, its filters, CSV export, retention and health; the
support console's search and diagnostics bundle; and no secret or personal data in any of them,
checked by searching every response and row for the values the test used."""

import csv
import io
import json
from datetime import datetime, timedelta

import pytest

from webapp.extensions import db
from webapp.models import ApiCall, Document, Integration, Order, Shop
from webapp.services.observability import health, operations, redaction

from .conftest import login
from .test_import import connect

CUSTOMER_EMAIL = "jana.customer@example.sk"
CUSTOMER_NAME = "Jana Zákazníková"
CUSTOMER_PHONE = "+421900123456"


def _rows(html: str) -> str:
    """The log table only (the filter's options name every operation)."""
    return html.split("<table", 1)[1] if "<table" in html else ""


def _shop_with_log(app, sandbox, make_user, email="owner@shop.test", name="Tea Shop", system="superfaktura"):
    owner = make_user(email, shop_name=name)
    integration_id = connect(app, sandbox, owner.shop_id, system)
    with app.app_context():
        order = Order(shop_id=owner.shop_id, number=f"{name[:3].upper()}-1001", currency="EUR", customer={})
        db.session.add(order)
        db.session.flush()
        document = Document(
            shop_id=owner.shop_id,
            integration_id=integration_id,
            order_id=order.id,
            kind="invoice",
            state="failed",
            idempotency_key=f"k-{order.id}",
            number="2026-0042",
            last_error_code="validation",
        )
        db.session.add(document)
        db.session.flush()
        body = json.dumps(
            {
                "Client": {"name": CUSTOMER_NAME, "email": CUSTOMER_EMAIL, "phone": CUSTOMER_PHONE},
                "Invoice": {"name": "Invoice 1001"},
            }
        )
        db.session.add(
            ApiCall(
                shop_id=owner.shop_id,
                integration_id=integration_id,
                system=system,
                operation="create_invoice",
                method="POST",
                url="https://x.test/invoices/create",
                status=400,
                duration_ms=12,
                request_body=redaction.redact_text(body, system),
                response_body='{"error": 1}',
                error_code=None,
                order_id=order.id,
                document_id=document.id,
            )
        )
        db.session.commit()
        return owner, integration_id, order.id, document.id


def test_fakturoid_verification_requests_are_labelled_by_what_they_did(app, owner_client, sandbox):
    connect(app, sandbox, owner_client.user.shop_id, "fakturoid")
    with app.app_context():
        rows = db.session.scalars(db.select(ApiCall).where(ApiCall.url.like("%bank_accounts%"))).all()
        assert rows and {r.operation for r in rows} == {"list_bank_accounts"}
    html = owner_client.get("/settings/accounting/log/").get_data(as_text=True)
    assert "Read the bank accounts" in html and "Read the signed-in user" in html
    assert "GET verify" not in html


def test_unknown_operation_names_read_as_words_not_codes():
    assert (
        operations.operation_key("superfaktura", "verify", "GET", "https://x/users/getUserCompaniesData")
        == "read_company"
    )
    assert operations.operation_key("nosuch", "verify", "GET", "https://x/") == "verify"


def test_personal_data_is_redacted_on_structure_and_in_cut_bodies():
    body = {
        "Client": {"name": CUSTOMER_NAME, "email": CUSTOMER_EMAIL, "phone": CUSTOMER_PHONE, "address": "Hlavná 1"},
        "InvoiceItem": [{"name": "Green tea", "unit_price": 3.5}],
    }
    text = redaction.redact_text(json.dumps(body, ensure_ascii=False), "superfaktura")
    assert CUSTOMER_NAME not in text and CUSTOMER_EMAIL not in text and CUSTOMER_PHONE not in text
    assert "Hlavná" not in text and "Green tea" in text  # a product's name is not personal
    cut = json.dumps(body, ensure_ascii=False)[:70]  # the log keeps 4,000 characters at most
    assert CUSTOMER_EMAIL[:8] not in redaction.redact_text(cut, "superfaktura").replace("•••", "")
    form = "data=" + json.dumps(body, ensure_ascii=False)
    assert CUSTOMER_EMAIL not in redaction.redact_text(form, "superfaktura")


def test_log_filters_by_status_operation_order_document_and_time(app, client, sandbox, make_user):
    owner, _iid, order_id, document_id = _shop_with_log(app, sandbox, make_user)
    login(client, owner.email)
    base = "/settings/accounting/log/"
    failed = _rows(client.get(base + "?status=error").get_data(as_text=True))
    assert "Create an invoice" in failed and "Read the company details" not in failed
    ok = _rows(client.get(base + "?status=ok").get_data(as_text=True))
    assert "Create an invoice" not in ok and "Read the company details" in ok
    assert "Create an invoice" in _rows(client.get(base + "?operation=create_invoice").get_data(as_text=True))
    assert "Create an invoice" not in _rows(client.get(base + "?operation=list_series").get_data(as_text=True))
    by_order = _rows(client.get(base + "?order=TEA-1001").get_data(as_text=True))
    assert "Create an invoice" in by_order and "Read the company details" not in by_order
    assert "Order TEA-1001" in by_order
    assert "Create an invoice" in _rows(client.get(base + "?document=2026-0042").get_data(as_text=True))
    tomorrow = (datetime.utcnow() + timedelta(days=2)).date().isoformat()
    assert "No entries match these filters." in client.get(base + f"?since={tomorrow}").get_data(as_text=True)
    for junk in ("?since=yesterday&until=2026-99-99", "?order=" + "9" * 40, "?operation=<script>", "?page=" + "9" * 30):
        assert client.get(base + junk).status_code == 200


def test_log_entry_shows_the_hint_and_links_to_its_order(app, client, sandbox, make_user):
    owner, _iid, order_id, _doc = _shop_with_log(app, sandbox, make_user)
    login(client, owner.email)
    with app.app_context():
        call_id = db.session.scalar(db.select(ApiCall.id).where(ApiCall.operation == "create_invoice"))
    html = client.get(f"/settings/accounting/log/{call_id}").get_data(as_text=True)
    assert "The accounting system rejected some data" in html
    assert f"/orders/{order_id}" in html and "2026-0042" in html
    assert CUSTOMER_EMAIL not in html and CUSTOMER_NAME not in html


def test_csv_export_has_the_filtered_rows_of_this_shop_only(app, client, sandbox, make_user):
    a, *_ = _shop_with_log(app, sandbox, make_user, "a@shop.test", "Alpha")
    b, *_ = _shop_with_log(app, sandbox, make_user, "b@shop.test", "Beta")
    login(client, a.email)
    response = client.get("/settings/accounting/log/export.csv?status=error")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows and {r["operation"] for r in rows} == {"Create an invoice"}
    assert {r["order"] for r in rows} == {"ALP-1001"}
    everything = client.get("/settings/accounting/log/export.csv").get_data(as_text=True)
    assert "BET-1001" not in everything and CUSTOMER_EMAIL not in everything
    assert client.get("/settings/accounting/log/export.csv?order=BET-1001").get_data(as_text=True).count("\n") == 1


def test_retention_is_the_owners_setting_and_the_periodic_task_enforces_it(app, client, sandbox, make_user):
    owner, *_ = _shop_with_log(app, sandbox, make_user)
    login(client, owner.email)
    assert "kept for 90 days" in client.get("/settings/accounting/log/").get_data(as_text=True)
    assert client.post("/settings/accounting/log/retention", data={"days": "7"}).status_code == 400
    assert client.post("/settings/accounting/log/retention", data={"days": "30"}).status_code == 302
    with app.app_context():
        assert db.session.get(Shop, owner.shop_id).log_retention_days == 30
        old = db.session.scalars(db.select(ApiCall).where(ApiCall.shop_id == owner.shop_id)).all()
        old[0].created_at = datetime.utcnow() - timedelta(days=31)
        old[1].created_at = datetime.utcnow() - timedelta(days=29)
        db.session.commit()
        before = len(old)
        from webapp.tasks import purge_integration_log

        purge_integration_log.call_local()
        assert db.session.scalar(db.select(db.func.count(ApiCall.id))) == before - 1


def test_health_reports_last_success_error_rate_quota_and_waiting(app, client, sandbox, make_user):
    owner, integration_id, *_ = _shop_with_log(app, sandbox, make_user)
    with app.app_context():
        result = health.for_integration(db.session.get(Integration, integration_id))
        assert result.last_success is not None and result.errors_24h == 1 and result.calls_24h >= 3
        assert 0 < result.error_percent < 100
        assert {q.label for q in result.vendor_quota} >= {"daily", "monthly"}
        daily = next(q for q in result.vendor_quota if q.label == "daily")
        assert daily.limit == 1000 and 0 < daily.remaining < 1000
        assert result.our_quota is not None and result.our_quota.remaining <= result.our_quota.limit
    login(client, owner.email)
    for page in ("/", "/settings/accounting/superfaktura"):
        html = client.get(page).get_data(as_text=True)
        assert "Last successful call" in html and "Errors in the last 24 hours" in html and "Documents waiting" in html


def test_support_finds_shops_by_name_email_order_and_document_number(app, client, sandbox, make_user):
    _shop_with_log(app, sandbox, make_user, "a@shop.test", "Alpha")
    _shop_with_log(app, sandbox, make_user, "b@shop.test", "Beta")
    make_user("agent@fynode.test", role="support", shop_name=None)
    login(client, "agent@fynode.test")
    for query, found, missing in (
        ("alp", "Alpha", "Beta"),
        ("b@shop", "Beta", "Alpha"),
        ("ALP-1001", "Alpha", "Beta"),
        ("2026-0042", "Alpha", "Gamma"),
    ):
        html = client.get(f"/support/?q={query}").get_data(as_text=True)
        assert found in html, query
        if missing != "Gamma":
            assert f">{missing}<" not in html, query
    assert "Shops with problems" in client.get("/support/").get_data(as_text=True)


def test_support_shop_page_and_bundle_show_no_secret_or_personal_data(app, client, sandbox, make_user):
    owner, integration_id, *_ = _shop_with_log(app, sandbox, make_user)
    secret = sandbox("superfaktura").account("valid")["credentials"]["api_key"]
    make_user("agent@fynode.test", role="support", shop_name=None)
    login(client, "agent@fynode.test")
    page = client.get(f"/support/shops/{owner.shop_id}").get_data(as_text=True)
    assert "Integration health" in page and "Create an invoice" in page
    response = client.get(f"/support/shops/{owner.shop_id}/diagnostics.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    bundle = json.loads(text)
    assert bundle["integrations"][0]["secrets"] == "•••" and bundle["api_calls"]
    for value in (secret, CUSTOMER_EMAIL, CUSTOMER_NAME, CUSTOMER_PHONE):
        assert value not in text and value not in page
    assert owner.email not in text  # the page names the owner for the agent; the bundle names nobody
    assert client.get("/support/shops/999999").status_code == 404
    assert client.get("/support/shops/999999/diagnostics.json").status_code == 404


@pytest.mark.parametrize("system", ["superfaktura", "fakturoid", "idoklad"])
def test_no_secret_in_any_page_log_row_csv_or_bundle(app, client, sandbox, make_user, system):
    owner = make_user("owner@shop.test", shop_name="Tea Shop")
    credentials = sandbox(system).account("valid")["credentials"]
    connect(app, sandbox, owner.shop_id, system)
    from connectors.http import is_secret_name

    secrets = [str(v) for k, v in credentials.items() if is_secret_name(k) and len(str(v)) >= 6]
    with app.app_context():
        integration = db.session.scalar(db.select(Integration).where(Integration.shop_id == owner.shop_id))
        from webapp.services.accounts.encryption import box

        token = (box().decrypt(integration.token_encrypted) or {}).get("access_token")
        if token:
            secrets.append(token)
        rows = db.session.scalars(db.select(ApiCall)).all()
        dumped = " ".join(
            json.dumps(
                [r.url, r.request_headers, r.request_body, r.response_headers, r.response_body], ensure_ascii=False
            )
            for r in rows
        )
    assert secrets
    login(client, owner.email)
    texts = [
        dumped,
        client.get("/settings/accounting/log/").get_data(as_text=True),
        client.get("/settings/accounting/log/export.csv").get_data(as_text=True),
        client.get(f"/settings/accounting/{system}").get_data(as_text=True),
        client.get("/").get_data(as_text=True),
    ]
    texts += [client.get(f"/settings/accounting/log/{r.id}").get_data(as_text=True) for r in rows]
    client.post("/logout")
    make_user("agent@fynode.test", role="support", shop_name=None)
    login(client, "agent@fynode.test")
    texts += [
        client.get(f"/support/shops/{owner.shop_id}").get_data(as_text=True),
        client.get(f"/support/shops/{owner.shop_id}/diagnostics.json").get_data(as_text=True),
    ]
    client.post(f"/support/shops/{owner.shop_id}/impersonate", data={"reason": "T-9"})
    texts += [client.get(f"/settings/accounting/{system}").get_data(as_text=True)]
    for secret in secrets:
        for text in texts:
            assert secret not in text


def test_log_ids_of_another_shop_are_not_found(app, client, sandbox, make_user):
    _shop_with_log(app, sandbox, make_user, "a@shop.test", "Alpha")
    b, *_ = _shop_with_log(app, sandbox, make_user, "b@shop.test", "Beta")
    login(client, "a@shop.test")
    with app.app_context():
        theirs = db.session.scalars(db.select(ApiCall.id).where(ApiCall.shop_id == b.shop_id)).all()
    for call_id in theirs:
        assert client.get(f"/settings/accounting/log/{call_id}").status_code == 404
    listing = client.get("/settings/accounting/log/?order=BET-1001").get_data(as_text=True)
    assert "No entries match these filters." in listing
