"""The test-invoice comparison shows KSeF for reference: the state the worker last read and, once
KSeF accepted the invoice, its KSeF number; nothing for a document KSeF does not concern."""

import re

import requests

from webapp.extensions import db
from webapp.models import Document
from webapp.services.documents.trial_invoice import TEST_BUYER_NIP

HTMX = {"HX-Request": "true"}


def _connect_fakturownia(owner_client, sandbox, ksef_delay: float = 0):
    sb = sandbox("fakturownia")
    requests.post(sb.url + "/_sandbox/ksef", json={"delay_seconds": ksef_delay}, timeout=5).raise_for_status()
    html = owner_client.post(
        "/settings/accounting/fakturownia/activate", data=sb.account("valid")["credentials"], headers=HTMX
    ).get_data(as_text=True)
    assert "Connected as" in html
    return sb


def _issue(owner_client, kind):
    return owner_client.post(
        "/settings/accounting/test-invoice",
        data={"order": "new", "market": "PL", "kind": kind, "confirm_real_number": "y"},
        follow_redirects=True,
    ).get_data(as_text=True)


def _row(html: str, label: str) -> str:
    found = re.search(rf"<strong>{label}</strong>.*?</tr>", html, re.S)
    return found.group(0) if found else ""


def test_a_polish_company_test_invoice_goes_through_ksef_and_the_comparison_shows_its_ksef_number(
    app, owner_client, sandbox
):
    sb = _connect_fakturownia(owner_client, sandbox)
    html = _issue(owner_client, "invoice")
    # The test order's company buyer has a NIP, so KSeF applies to its invoice.
    held = next(d for d in sb.documents() if d["type"] == "vat" and d["buyer_tax_no"] == TEST_BUYER_NIP)
    assert held["gov_id"]
    assert "The document matches the order in every value." in html  # KSeF rows are for reference
    assert "accepted" in _row(html, "KSeF")
    assert held["gov_id"] in _row(html, "KSeF number")
    with app.app_context():
        document = db.session.scalar(db.select(Document).where(Document.is_test.is_(True)))
        assert (document.ksef_status, document.ksef_number) == ("accepted", held["gov_id"])
        document_id = document.id
    again = owner_client.get(f"/settings/accounting/test-invoice/{document_id}").get_data(as_text=True)
    assert held["gov_id"] in _row(again, "KSeF number")


def test_a_test_invoice_still_with_ksef_shows_the_state_and_no_number_yet(owner_client, sandbox):
    _connect_fakturownia(owner_client, sandbox, ksef_delay=600)
    html = _issue(owner_client, "invoice")
    assert "sent, waiting for the number" in _row(html, "KSeF") or "waiting to be sent" in _row(html, "KSeF")
    assert not _row(html, "KSeF number")


def test_a_test_document_outside_ksef_has_no_ksef_rows(owner_client, sandbox):
    owner_client.post(
        "/settings/accounting/superfaktura/activate",
        data=sandbox("superfaktura").account("valid")["credentials"],
        headers=HTMX,
    )
    html = owner_client.post("/settings/accounting/test-invoice", data={"order": "new"}).get_data(as_text=True)
    assert "matches the order in every value" in html and "<strong>KSeF" not in html
