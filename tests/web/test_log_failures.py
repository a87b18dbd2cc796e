"""What the integration log calls failed: a refusal the connector read in an HTTP 200 answer is
failed everywhere (the row, the Failed filter, health's error rate, the support console), the
right-to-issue probe's expected refusal is not; a failed call's page gives the system's own hint;
a page past the end shows the last one."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from html import unescape

import pytest

from connectors.documents import Address, DocumentDraft, Line, Party
from connectors.errors import ConnectorError
from connectors.fakturownia import FakturowniaConnector
from webapp.extensions import db
from webapp.models import ApiCall, Integration
from webapp.services.connections import calls
from webapp.services.observability import health, log_queries, support_console

from .conftest import login
from .test_import import connect

LOG = "/settings/accounting/log/"
HTMX = {"HX-Request": "true"}


def _rows(html: str) -> str:
    """The log table only (the filter's options name every operation)."""
    return unescape(html.split("<table", 1)[1]) if "<table" in html else ""


def _isk_invoice() -> DocumentDraft:
    return DocumentDraft(
        kind="invoice",
        customer=Party(
            name="Anna Nováková",
            email="anna@example.sk",
            billing_address=Address(street="Hlavná 1", city="Bratislava", zip="811 01", country="SK"),
        ),
        lines=[Line(name="Green tea", quantity=Decimal("1"), unit_price=Decimal("10.00"), vat_rate=Decimal("23"))],
        currency="ISK",
        issue_date=date.today(),
        due_date=date.today() + timedelta(days=14),
        order_number="5001",
        language="sk",
    )


def test_an_invoice_superfaktura_refuses_with_http_200_is_failed_in_the_log_filter_health_and_console(
    app, client, sandbox, make_user
):
    owner = make_user("owner@shop.test", shop_name="Tea Shop")
    integration_id = connect(app, sandbox, owner.shop_id, "superfaktura")
    with app.app_context():
        integration = db.session.get(Integration, integration_id)
        with pytest.raises(ConnectorError) as refused, calls.connector_session(integration) as call:
            call.connector.create_document(_isk_invoice(), "fy-isk-5001")
        row = db.session.scalar(db.select(ApiCall).where(ApiCall.operation == "create_invoice"))
        assert row.status == 200 and "Incorrect currency" in row.response_body
        assert row.error_code == refused.value.code and row.failed
        # The activation's probe of the right to issue (refused as an empty document) is no failure.
        probe = db.session.scalar(db.select(ApiCall).where(ApiCall.operation == "check_issue_right"))
        assert probe.status == 200 and probe.error_code is None and not probe.failed
        state = health.for_integration(db.session.get(Integration, integration_id))
        assert state.errors_24h == 1 and state.error_percent > 0
        failed_ids = db.session.scalars(
            db.select(ApiCall.id).where(ApiCall.shop_id == owner.shop_id, ApiCall.failed)
        ).all()
        assert failed_ids == [row.id]
        assert [c.id for c in support_console.shop_details(owner.shop_id)["errors"]] == [row.id]
        row_id = row.id
    login(client, owner.email)
    everything = _rows(client.get(LOG).get_data(as_text=True))
    line = next(tr for tr in everything.split("<tr")[1:] if f"/log/{row_id}" in tr)
    assert "Failed" in line and "✓" not in line and 'class="mismatch"' in line
    failed = _rows(client.get(LOG + "?status=error").get_data(as_text=True))
    assert f"/log/{row_id}" in failed and "Create an invoice" in failed
    assert "Check the right to issue" not in failed
    succeeded = _rows(client.get(LOG + "?status=ok").get_data(as_text=True))
    assert f"/log/{row_id}" not in succeeded and "Check the right to issue" in succeeded


@pytest.mark.parametrize(
    "state, overrides, code",
    [
        ("wrong_key", {}, "invalid_credentials"),
        ("valid", {"subdomain": "nie-ma-takiego"}, "account_not_found"),
    ],
)
def test_a_refused_activation_call_gives_the_systems_own_hint_in_the_log(
    app, owner_client, sandbox, state, overrides, code
):
    fa = sandbox("fakturownia")
    data = {k: str(v) for k, v in fa.account(state)["credentials"].items()} | overrides
    form = unescape(
        owner_client.post("/settings/accounting/fakturownia/activate", data=data, headers=HTMX).get_data(as_text=True)
    )
    hint = FakturowniaConnector.hints[f"fakturownia.{code}"]
    # The form says it next to the field (the system's hint, or the connector's own words for a
    # field the system named); the log detail gives the system's hint for the error.
    assert "Not connected" in form
    with app.app_context():
        row = db.session.scalar(db.select(ApiCall).order_by(ApiCall.id.desc()))
        assert row.status in (401, 422) and row.error_code == code
    detail = unescape(owner_client.get(f"{LOG}{row.id}").get_data(as_text=True))
    assert hint in detail
    assert "contact support" not in detail


def test_a_page_past_the_end_of_the_log_shows_the_last_page(app, owner_client, sandbox):
    connect(app, sandbox, owner_client.user.shop_id, "superfaktura")
    with app.app_context():
        total = db.session.scalar(db.select(db.func.count(ApiCall.id)))
    assert 0 < total <= 25
    html = unescape(owner_client.get(LOG + "?page=999").get_data(as_text=True))
    assert "Nothing recorded yet." not in html
    assert len(re.findall(r'href="/settings/accounting/log/\d+"', html)) == total
    filtered = unescape(owner_client.get(LOG + "?page=999&status=ok").get_data(as_text=True))
    assert "No entries match these filters." not in filtered and "Read the company details" in filtered


def test_the_last_page_of_a_longer_log_links_back_to_newer_entries(app, owner_client, sandbox):
    shop_id = owner_client.user.shop_id
    connect(app, sandbox, shop_id, "superfaktura")
    with app.app_context():
        for n in range(30):
            db.session.add(
                ApiCall(
                    shop_id=shop_id,
                    system="superfaktura",
                    operation="list_invoices",
                    method="GET",
                    url=f"https://x/{n}",
                    status=200,
                )
            )
        db.session.commit()
        total = db.session.scalar(db.select(db.func.count(ApiCall.id)))
        rows, has_more, number = log_queries.page(shop_id, log_queries.LogFilter(), 999, 25)
    assert number == -(-total // 25) and len(rows) == total - 25 * (number - 1) and not has_more
    html = unescape(owner_client.get(LOG + "?page=999").get_data(as_text=True))
    assert f"page={number - 1}" in html and "Newer" in html
