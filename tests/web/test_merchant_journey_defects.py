"""Defects of the merchant journey found by an exploratory test: the dashboard claimed invoicing
works with no rule confirmed; two connected systems wore the same badge; deactivation spoke of
orders that never went there and of signing in again for pasted keys; a rejected key was offered
for reuse and the rejection said three times; the health box lagged behind; raw feature keys; the
order history's stray space and the retry's message."""

from __future__ import annotations

import re
from html import unescape

import pytest

from webapp.extensions import db
from webapp.models import Document, Integration

from ._orders import add_document, order_body

HTMX = {"HX-Request": "true"}
BASE = "/settings/accounting"


def _text(html: str) -> str:
    """The page as a reader sees it: tags dropped, entities decoded, white space collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _activate(client, system: str, credentials: dict, **overrides) -> str:
    data = {k: str(v) for k, v in credentials.items()} | overrides
    return client.post(f"{BASE}/{system}/activate", data=data, headers=HTMX).get_data(as_text=True)


def _polish(client) -> None:
    client.post("/language", data={"lang": "pl", "next": "/"})


def _rows(app) -> dict[str, Integration]:
    with app.app_context():
        rows = db.session.scalars(db.select(Integration).order_by(Integration.id)).all()
        for row in rows:
            db.session.expunge(row)
        return {row.system: row for row in rows}


def _fakturownia_then_infakt_beside(client, sandbox) -> None:
    _activate(client, "fakturownia", sandbox("fakturownia").account("valid")["credentials"])
    _activate(client, "infakt", sandbox("infakt").account("valid")["credentials"])


# -- 1. "Invoicing works" only once a rule creates documents --------------------------------------
def test_dashboard_does_not_say_invoicing_works_before_the_rules_are_confirmed(owner_client, sandbox):
    _activate(owner_client, "fakturownia", sandbox("fakturownia").account("valid")["credentials"])
    html = _get(owner_client, "/")
    text = _text(html)
    assert "Invoicing works" not in text and "Nothing needs your attention" not in text
    attention = _text(html[html.index('id="attention"') :])
    assert "No documents are created until you confirm rules." in attention
    assert re.search(r'<a href="/settings/rules/">Confirm the rules</a>', html)
    # Confirmed, the rules create documents: now invoicing works.
    owner_client.post("/settings/rules/presets", data={"preset": ["card_invoice"]})
    text = _text(_get(owner_client, "/"))
    assert "Invoicing works: Fakturownia is connected as" in text
    assert "Nothing needs your attention" in text and "confirm rules" not in text


def test_in_polish_after_switching_to_a_system_without_rules_the_dashboard_asks_for_them(app, owner_client, sandbox):
    _fakturownia_then_infakt_beside(owner_client, sandbox)
    owner_client.post("/settings/rules/presets", data={"preset": ["card_invoice"]})
    owner_client.post(f"{BASE}/infakt/switch", data={"confirm": "yes"})
    assert _rows(app)["infakt"].current
    _polish(owner_client)
    text = _text(_get(owner_client, "/"))
    assert "Fakturowanie działa" not in text and "Nic nie wymaga Twojej uwagi" not in text
    assert "Żadne dokumenty nie są tworzone, dopóki nie potwierdzisz reguł." in text
    assert "Potwierdź reguły" in text


def test_every_rule_switched_off_is_not_invoicing_either(app, owner_client, sandbox):
    _activate(owner_client, "fakturownia", sandbox("fakturownia").account("valid")["credentials"])
    owner_client.post("/settings/rules/presets", data={"preset": ["card_invoice"]})
    with app.app_context():
        from webapp.models import DocumentRule

        for rule in db.session.scalars(db.select(DocumentRule)):
            rule.enabled = False
        db.session.commit()
    text = _text(_get(owner_client, "/"))
    assert "Invoicing works" not in text
    assert "Every document rule is switched off, so no documents are created." in text


def test_catalogue_and_system_page_say_no_documents_are_created_until_rules_are_confirmed(owner_client, sandbox):
    _activate(owner_client, "fakturownia", sandbox("fakturownia").account("valid")["credentials"])
    for url in (f"{BASE}/", f"{BASE}/fakturownia"):
        html = _get(owner_client, url)
        assert "No documents are created until you confirm rules." in _text(html), url
        assert 'href="/settings/rules/">Confirm the rules</a>' in html, url
    owner_client.post("/settings/rules/presets", data={"preset": ["card_invoice"]})
    for url in (f"{BASE}/", f"{BASE}/fakturownia"):
        assert "confirm rules" not in _text(_get(owner_client, url)), url


# -- 2. The system in use and the one tried beside it wear different badges ----------------------
def _badge(html: str, where: str) -> str:
    start = html.index(where)
    match = re.search(r'<span class="badge [^"]*">([^<]*)</span>', html[start:])
    assert match, where
    return " ".join(match.group(1).split())


def test_the_system_in_use_and_the_one_tried_beside_it_say_which_is_which(owner_client, sandbox):
    _fakturownia_then_infakt_beside(owner_client, sandbox)
    assert _badge(_get(owner_client, f"{BASE}/fakturownia"), 'class="page-head"') == "✓ In use"
    assert _badge(_get(owner_client, f"{BASE}/infakt"), 'class="page-head"') == "Connected, not in use"
    catalogue = _get(owner_client, f"{BASE}/")
    assert _badge(catalogue, ">Fakturownia</a>") == "✓ In use"
    assert _badge(catalogue, ">inFakt</a>") == "Connected, not in use"
    assert _badge(_get(owner_client, "/"), 'id="system-state"') == "✓ In use"


def test_the_badges_in_polish(owner_client, sandbox):
    _fakturownia_then_infakt_beside(owner_client, sandbox)
    _polish(owner_client)
    catalogue = _get(owner_client, f"{BASE}/")
    assert _badge(catalogue, ">Fakturownia</a>") == "✓ W użyciu"
    assert _badge(catalogue, ">inFakt</a>") == "Połączony, nieużywany"


# -- 3. Deactivation says what really happens ------------------------------------------------------
def test_deactivating_the_system_tried_beside_says_nothing_changes_for_the_orders(app, owner_client, sandbox):
    _fakturownia_then_infakt_beside(owner_client, sandbox)
    text = _text(_get(owner_client, f"{BASE}/infakt/deactivate"))
    assert "Fynode stops creating" not in text
    assert "Nothing changes for your orders: they keep going to Fakturownia" in text
    response = owner_client.post(f"{BASE}/infakt/deactivate", data={"confirm": "yes"})
    assert response.status_code == 303
    text = _text(_get(owner_client, f"{BASE}/infakt"))
    assert "Nothing changed for your orders: they keep going to Fakturownia" in text
    rows = _rows(app)
    assert rows["infakt"].status == "disabled" and rows["fakturownia"].current


def test_deactivating_the_system_tried_beside_in_polish(owner_client, sandbox):
    _fakturownia_then_infakt_beside(owner_client, sandbox)
    _polish(owner_client)
    text = _text(_get(owner_client, f"{BASE}/infakt/deactivate"))
    assert "Nic się nie zmienia dla Twoich zamówień: nadal trafiają do systemu Fakturownia" in text
    assert "Fynode przestanie" not in text


@pytest.mark.parametrize("system", ["fakturownia", "infakt", "superfaktura", "idoklad"])
def test_deactivating_a_connection_made_with_pasted_keys_does_not_speak_of_signing_in(owner_client, sandbox, system):
    _activate(owner_client, system, sandbox(system).account("valid")["credentials"])
    text = _text(_get(owner_client, f"{BASE}/{system}/deactivate"))
    assert "sign in" not in text and "revoked" not in text
    assert "The keys you pasted stay stored here, encrypted" in text
    assert "Fynode stops creating invoices" in text


def test_a_deactivated_connection_with_pasted_keys_activates_again_without_entering_them(app, owner_client, sandbox):
    """What the confirmation promises: the stored keys are enough to activate again."""
    account = sandbox("fakturownia").account("valid")
    _activate(owner_client, "fakturownia", account["credentials"])
    owner_client.post(f"{BASE}/fakturownia/deactivate", data={"confirm": "yes"})
    assert _rows(app)["fakturownia"].status == "disabled"
    html = _activate(owner_client, "fakturownia", account["credentials"], api_token="")
    assert "Connected as" in _text(html)
    assert _rows(app)["fakturownia"].status == "active"


# -- 4. A refused key is not offered again; the refusal is said once -------------------------------
def test_a_refused_token_is_not_offered_for_reuse_and_the_refusal_is_said_once(app, owner_client, sandbox):
    html = _activate(owner_client, "fakturownia", sandbox("fakturownia").account("wrong_key")["credentials"])
    text = _text(html)
    assert "reuse" not in text
    assert "Please correct" not in text
    assert text.count("did not accept") == 1  # next to the field, nowhere else
    assert re.search(r'class="field-error" id="api_token-error">Fakturownia did not accept the API token', html)
    box = _text(html[html.index('id="activation-result"') : html.index("<details")])
    assert "Not connected" in box and "did not accept" not in box
    with app.app_context():
        row = db.session.scalar(db.select(Integration))
        assert "_retry_secrets" not in (row.choices or {})


def test_a_refused_token_in_polish_is_said_once_and_not_offered_again(owner_client, sandbox):
    _polish(owner_client)
    html = _activate(owner_client, "fakturownia", sandbox("fakturownia").account("wrong_key")["credentials"])
    text = _text(html)
    assert "Fakturownia nie przyjęła tokenu API" in text and text.count("nie przyjęła") == 1
    assert "przed chwilą" not in text  # the offer to reuse what was typed a moment ago
    box = _text(html[html.index('id="activation-result"') : html.index("<details")])
    assert "Nie połączono" in box and "Nic nie zostało zapisane" in box


def test_a_wrong_subdomain_keeps_the_typed_token_for_the_retry(owner_client, sandbox):
    account = sandbox("fakturownia").account("valid")
    text = _text(_activate(owner_client, "fakturownia", account["credentials"], subdomain="nie-ma-takiego"))
    assert "Leave blank to reuse what you typed a moment ago" in text
    assert "Connected as" in _text(_activate(owner_client, "fakturownia", account["credentials"], api_token=""))


def test_a_refused_new_infakt_key_keeps_the_previous_one_without_offering_the_refused_one(app, owner_client, sandbox):
    infakt = sandbox("infakt")
    _activate(owner_client, "infakt", infakt.account("valid")["credentials"])
    html = _activate(owner_client, "infakt", infakt.account("wrong_key")["credentials"])
    text = _text(html)
    box = _text(html[html.index('id="activation-result"') : html.index("<details")])
    assert "Your connection still uses the previous credentials" in box and "did not accept" not in box
    assert "reuse" not in text and "Please correct" not in text
    assert "A value is stored and is never shown again. Leave blank to keep it." in text
    assert _rows(app)["infakt"].status == "active"


def test_the_health_box_is_refreshed_with_the_result_and_agrees_with_the_dashboard(owner_client, sandbox):
    infakt = sandbox("infakt")
    _activate(owner_client, "infakt", infakt.account("valid")["credentials"])
    html = _activate(owner_client, "infakt", infakt.account("wrong_key")["credentials"])
    assert '<div id="health-slot" hx-swap-oob="true">' in html
    oob = html[html.index('<div id="health-slot" hx-swap-oob="true">') :]
    figures = re.search(r'<dl class="details health" id="health">.*?</dl>', oob, re.S).group(0)
    dashboard = re.search(r'<dl class="details health" id="health">.*?</dl>', _get(owner_client, "/"), re.S).group(0)
    assert _text(figures) == _text(dashboard)
    assert "(1 / 2)" in _text(figures) or "(1 / " in _text(figures)


# -- 5. Every feature a plan reports has a label ---------------------------------------------------
@pytest.mark.parametrize("system", ["fakturownia", "infakt", "superfaktura", "idoklad", "fakturoid"])
def test_every_feature_a_connector_reports_has_a_translated_label(app, owner_client, sandbox, system):
    from webapp.integrations.routes import integration_context

    html = _activate(owner_client, system, sandbox(system).account("valid")["credentials"])
    allows = _rows(app)[system].verified_as["allows"]
    assert allows
    with app.test_request_context():
        labels = integration_context()["capability_labels"]
    missing = [key for key in allows if key not in labels]
    assert not missing, missing
    line = _text(re.search(r"<li>The plan allows: .*?</li>", html, re.S).group(0))
    for key in allows:
        assert not re.search(rf"(: |, ){re.escape(key)}(,|$)", line.strip()), (key, line)


def test_the_ksef_feature_reads_as_words_in_english_and_polish(owner_client, sandbox):
    html = _activate(owner_client, "fakturownia", sandbox("fakturownia").account("valid")["credentials"])
    assert "KSeF e-invoices" in _text(html) and ", ksef" not in html
    _polish(owner_client)
    html = _activate(owner_client, "infakt", sandbox("infakt").account("valid")["credentials"])
    assert "e-faktury KSeF" in _text(html) and ", ksef" not in html


# -- 6. The order's history and the retry ----------------------------------------------------------
def _order(app, shop_id: int, number: str) -> int:
    from webapp.services.orders import intake, validation

    with app.app_context():
        data, errors = validation.validate_order(order_body(number=number))
        assert not errors
        order, _created = intake.save_order(shop_id, data)
        return order.id


def test_the_history_says_status_changed_without_a_space_before_the_colon(app, owner_client):
    order_id = _order(app, owner_client.user.shop_id, "H-1")
    owner_client.post(f"/orders/{order_id}/status", data={"status": "shipped"})
    html = _get(owner_client, f"/orders/{order_id}")
    assert re.search(r"<strong>Status changed</strong>: Shipped\b", html), html[html.index('id="timeline"') :][:600]
    _polish(owner_client)
    html = _get(owner_client, f"/orders/{order_id}")
    assert re.search(r"<strong>Zmiana statusu</strong>: Wysłane\b", html)


def test_the_retry_names_the_document_in_a_sentence_and_the_old_refusal_goes(app, owner_client, monkeypatch):
    import webapp.tasks

    monkeypatch.setattr(webapp.tasks, "process_document", lambda document_id: None)  # the worker has not run yet
    shop_id = owner_client.user.shop_id
    order_id = _order(app, shop_id, "R-77")
    document_id = add_document(
        app,
        shop_id,
        "R-77",
        kind="invoice",
        state="failed",
        last_error_code="validation",
        last_error_detail="client name missing",
        last_error_fields={"client": ["Fill in the customer's name."]},
    )
    before = _text(_get(owner_client, f"/orders/{order_id}"))
    assert "Fill in the customer's name." in before
    response = owner_client.post(
        f"/documents/{document_id}/retry", data={"next": f"/orders/{order_id}"}, follow_redirects=True
    )
    text = _text(response.get_data(as_text=True))
    assert "We are issuing the invoice for order R-77 again." in text
    assert "Fill in the customer's name." not in text and "rejected some data" not in text
    with app.app_context():
        assert db.session.get(Document, document_id).state == "pending"
