"""Customers' personal data never reaches the integration log, its CSV export or the support
diagnostics bundle, for any system: each connector creates, lists, reads and e-mails a document
for a customer with distinctive data against its sandbox, through the same `connector_session`
the worker uses, and every stored row, export and bundle is searched for each value."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from connectors import registry
from connectors.base import CAN_EMAIL
from connectors.documents import Address, DocumentDraft, Line, Party
from connectors.errors import ConnectorError
from webapp.extensions import db
from webapp.models import ApiCall, Integration
from webapp.services.connections import calls
from webapp.services.observability import redaction

from .conftest import login
from .test_import import connect

SYSTEMS = [cls.key for cls in registry.all_connectors()]
RATE = {"SK": Decimal("23"), "CZ": Decimal("21"), "PL": Decimal("23")}
PERSON = "Bożydar Wąsowicz-Ćwierć"
COMPANY = "Zielony Kot Trading Sp. z o.o."
EMAIL = "bozydar.kot@zielonykot.example"
STREET = "Kocia Aleja 77"
CITY = "Kotowice Wielkie"
PHONE = "600700811"
PERSONAL = (PERSON, COMPANY, EMAIL, STREET, CITY, PHONE)
# The Fakturownia sandbox's seeded client, shown on every listed invoice it bought.
SEEDED = {"fakturownia": ("Hurtownia Kowalski", "zakupy@kowalski.example", "ul. Hurtowa 5", "123456789")}


def _draft(system: str, identity) -> DocumentDraft:
    country = identity.country if identity.country in RATE else registry.get(system).markets[0]
    customer = Party(
        name=PERSON,
        company_name=COMPANY,
        tax_id="5261040828",
        email=EMAIL,
        phone=PHONE,
        billing_address=Address(street=STREET, city=CITY, zip="30-777", country=country),
        delivery_address=Address(street=STREET, city=CITY, zip="30-777", country=country),
    )
    return DocumentDraft(
        kind="invoice",
        customer=customer,
        lines=[Line(name="Green tea", quantity=Decimal("2"), unit_price=Decimal("10.00"), vat_rate=RATE[country])],
        currency=identity.currency or "EUR",
        issue_date=date.today(),
        taxable_date=date.today(),
        due_date=date.today() + timedelta(days=14),
        order_number="7001",
        variable_symbol="7001",
        language=country.lower(),
    )


def _drive(app, integration_id: int, system: str) -> None:
    """Create, read, list and e-mail, as the worker and the pages do (each call logged)."""
    with app.app_context():
        integration = db.session.get(Integration, integration_id)
        with calls.connector_session(integration) as call:
            identity = call.connector.verify()
        with calls.connector_session(integration) as call:
            document = call.connector.create_document(_draft(system, identity), "fy-personal-7001")
        with calls.connector_session(integration) as call:
            call.connector.get_document(document.remote_id, "invoice")
        with calls.connector_session(integration) as call:
            call.connector.list_documents(1)
        if CAN_EMAIL in registry.get(system).capabilities:
            try:
                with calls.connector_session(integration) as call:
                    call.connector.send_email(document.remote_id, EMAIL)
            except ConnectorError:
                pass  # a refusal (Fakturownia before KSeF) is logged all the same


@pytest.mark.parametrize("system", SYSTEMS)
def test_no_customer_data_in_any_log_row_csv_page_or_diagnostics_bundle(app, client, sandbox, make_user, system):
    owner = make_user("owner@shop.test", shop_name="Tea Shop")
    integration_id = connect(app, sandbox, owner.shop_id, system)
    _drive(app, integration_id, system)
    with app.app_context():
        rows = db.session.scalars(db.select(ApiCall).where(ApiCall.shop_id == owner.shop_id)).all()
        operations = {r.operation for r in rows}
        stored = [
            json.dumps(
                [r.url, r.request_headers, r.request_body, r.response_headers, r.response_body], ensure_ascii=False
            )
            + r.url
            + r.request_body
            + r.response_body
            for r in rows
        ]
        ids = [r.id for r in rows]
    # The customer went out in the create and came back in the reads: it was there to leak.
    assert any(op.startswith("create") for op in operations), operations
    assert any(op.startswith("list") for op in operations), operations
    login(client, owner.email)
    texts = {f"row {i}": text for i, text in zip(ids, stored, strict=True)}
    texts["csv"] = client.get("/settings/accounting/log/export.csv").get_data(as_text=True)
    texts["log"] = client.get("/settings/accounting/log/").get_data(as_text=True)
    texts |= {f"page {i}": client.get(f"/settings/accounting/log/{i}").get_data(as_text=True) for i in ids}
    client.post("/logout")
    make_user("agent@fynode.test", role="support", shop_name=None)
    login(client, "agent@fynode.test")
    bundle = client.get(f"/support/shops/{owner.shop_id}/diagnostics.json")
    assert bundle.status_code == 200 and json.loads(bundle.get_data(as_text=True))["api_calls"]
    texts["bundle"] = bundle.get_data(as_text=True)
    texts["bundle (decoded)"] = json.dumps(json.loads(texts["bundle"]), ensure_ascii=False)
    values = PERSONAL + SEEDED.get(system, ())
    leaks = {(where, value) for where, text in texts.items() for value in values if value in text}
    assert not leaks, sorted(leaks)[:10]


def test_an_email_address_is_masked_under_any_field_name_in_any_system():
    body = {"recipient": "jan@example.pl", "note": "copy to Jan.Nowak+shop@firma.example.com please", "qty": 2}
    for system in (*SYSTEMS, "unknown", None):
        text = redaction.redact_text(json.dumps(body), system)
        assert "jan@example.pl" not in text and "Jan.Nowak+shop@firma.example.com" not in text, system
        assert json.loads(text)["qty"] == 2 and "copy to" in text
    cut = '{"invoice": {"whatever": "zakupy@kowalski.example", "oth'  # cut at the size limit
    assert "kowalski.example" not in redaction.redact_text(cut, "fakturownia")
    url = "https://x.test/invoices/1/send_by_email.json?email_to=jan%40example.pl&email_pdf=true&api_token=•••"
    assert "jan" not in redaction.redact_url(url, "fakturownia")
    assert "email_pdf=true" in redaction.redact_url(url, "fakturownia")
