"""Destructive actions ask first: one tap on Deactivate or on removing a test document only opens
a confirmation page that says what will happen (a page that works without JavaScript); the
action runs on its second step, a form post with confirm=yes."""

from __future__ import annotations

import re

from connectors.documents import INVOICE, PROFORMA
from webapp.extensions import db
from webapp.models import Document, Integration

from .test_import import connect

HTMX = {"HX-Request": "true"}
SF = "/settings/accounting/superfaktura"


def _status(app, shop_id: int) -> str:
    with app.app_context():
        return db.session.scalar(db.select(Integration.status).where(Integration.shop_id == shop_id))


def _confirm_form(html: str, action: str) -> str:
    match = re.search(r'<form method="post" action="' + re.escape(action) + r'".*?</form>', html, re.S)
    assert match, f"no confirmation form posting to {action}"
    form = match.group(0)
    assert '<input type="hidden" name="confirm" value="yes">' in form and 'name="csrf_token"' in form
    return form


def test_settings_page_deactivate_is_a_link_to_the_confirmation_not_a_one_tap_form(app, owner_client, sandbox):
    connect(app, sandbox, owner_client.user.shop_id, "superfaktura")
    html = owner_client.get(SF).get_data(as_text=True)
    assert f'href="{SF}/deactivate">Deactivate</a>' in html
    assert f'action="{SF}/deactivate"' not in html


def test_deactivate_without_confirmation_changes_nothing_and_shows_what_will_happen(app, owner_client, sandbox):
    shop_id = owner_client.user.shop_id
    connect(app, sandbox, shop_id, "superfaktura")
    response = owner_client.post(f"{SF}/deactivate")
    assert response.status_code == 303 and response.headers["Location"] == f"{SF}/deactivate"
    assert _status(app, shop_id) == "active"
    page = owner_client.get(f"{SF}/deactivate")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<h1 id="confirm-heading">Deactivate SuperFaktura?</h1>' in html
    assert "Fynode stops creating invoices and other documents in SuperFaktura" in html
    assert "Documents waiting to be created stay waiting" in html
    form = _confirm_form(html, f"{SF}/deactivate")
    assert "Yes, deactivate SuperFaktura" in form and f'href="{SF}">No, keep it connected</a>' in form
    assert _status(app, shop_id) == "active"


def test_deactivate_runs_on_the_confirmed_second_step(app, owner_client, sandbox):
    shop_id = owner_client.user.shop_id
    connect(app, sandbox, shop_id, "superfaktura")
    response = owner_client.post(f"{SF}/deactivate", data={"confirm": "yes"})
    assert response.status_code == 303 and response.headers["Location"] == SF
    assert _status(app, shop_id) == "disabled"
    assert "The connection is deactivated" in owner_client.get(SF).get_data(as_text=True)
    # Nothing left to deactivate: the confirmation address leads back to the settings.
    assert owner_client.get(f"{SF}/deactivate").headers["Location"] == SF


def test_htmx_deactivate_without_confirmation_sends_the_browser_to_the_confirmation(app, owner_client, sandbox):
    connect(app, sandbox, owner_client.user.shop_id, "superfaktura")
    response = owner_client.post(f"{SF}/deactivate", headers=HTMX)
    assert response.headers["HX-Redirect"] == f"{SF}/deactivate"
    assert _status(app, owner_client.user.shop_id) == "active"


def test_deactivating_an_oauth_connection_says_the_access_is_revoked(app, owner_client, sandbox):
    connect(app, sandbox, owner_client.user.shop_id, "superfaktura")
    with app.app_context():
        row = db.session.scalar(db.select(Integration))
        row.config = {**row.config, "auth_method": "oauth"}  # stand-in: made with the vendor's sign-in
        db.session.commit()
    html = owner_client.get(f"{SF}/deactivate").get_data(as_text=True)
    assert "access to your SuperFaktura account is revoked" in html
    assert "The keys you pasted" not in html


def _issued(app, owner_client, kind: str) -> Document:
    data = {"order": "new", "kind": kind, **({"confirm_real_number": "y"} if kind == INVOICE else {})}
    owner_client.post("/settings/accounting/test-invoice", data=data)
    with app.app_context():
        row = db.session.scalar(db.select(Document).where(Document.is_test.is_(True)))
        db.session.expunge(row)
        return row


def test_removing_a_test_document_asks_first(app, owner_client, sandbox):
    connect(app, sandbox, owner_client.user.shop_id, "superfaktura")
    document = _issued(app, owner_client, PROFORMA)
    base = f"/settings/accounting/test-invoice/{document.id}"
    page = owner_client.get(base).get_data(as_text=True)
    assert f'href="{base}/remove">Remove the test document</a>' in page
    response = owner_client.post(f"{base}/remove")
    assert response.status_code == 303 and response.headers["Location"] == f"{base}/remove"
    html = owner_client.get(f"{base}/remove").get_data(as_text=True)
    assert f"Remove the test document {document.number}?" in html and f"Proforma invoice {document.number}," in html
    assert "We delete it in SuperFaktura" in html and "The test order stays here" in html
    _confirm_form(html, f"{base}/remove")
    with app.app_context():
        assert db.session.get(Document, document.id).state == "created"


def test_removing_a_real_invoice_says_it_carries_a_real_number(app, owner_client, sandbox):
    connect(app, sandbox, owner_client.user.shop_id, "superfaktura")
    document = _issued(app, owner_client, INVOICE)
    html = owner_client.get(f"/settings/accounting/test-invoice/{document.id}/remove").get_data(as_text=True)
    assert "This is an invoice with a real number from your invoice series in SuperFaktura." in html
    assert "we cancel it with a credit note instead" in html


def test_confirmed_removal_redirects_to_the_document_page_with_its_result_once(app, owner_client, sandbox):
    connect(app, sandbox, owner_client.user.shop_id, "superfaktura")
    document = _issued(app, owner_client, PROFORMA)
    base = f"/settings/accounting/test-invoice/{document.id}"
    response = owner_client.post(f"{base}/remove", data={"confirm": "yes"})
    assert response.status_code == 303 and response.headers["Location"] == base
    html = owner_client.get(base).get_data(as_text=True)
    assert "was deleted in SuperFaktura" in html and "Remove the test document" not in html
    assert "was deleted in SuperFaktura" not in owner_client.get(base).get_data(as_text=True)  # shown once
    with app.app_context():
        assert db.session.get(Document, document.id).state == "deleted"
    # Removed already: the confirmation address goes back to the document.
    assert owner_client.get(f"{base}/remove").headers["Location"] == base
