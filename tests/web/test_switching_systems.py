"""Switching accounting systems is explicit (issue 8, point 1), and a verified account that
cannot issue is reported as a blocker, never as "Connected" (point 4)."""

from html import unescape

from webapp.extensions import db
from webapp.models import Document, Integration, Order

HTMX = {"HX-Request": "true"}
BASE = "/settings/accounting"


def _rows(app):
    with app.app_context():
        rows = db.session.scalars(db.select(Integration).order_by(Integration.id)).all()
        for row in rows:
            db.session.expunge(row)
        return {row.system: row for row in rows}


def _activate(client, system, credentials):
    return unescape(client.post(f"{BASE}/{system}/activate", data=credentials, headers=HTMX).get_data(as_text=True))


def _two_systems(owner_client, sandbox):
    _activate(owner_client, "superfaktura", sandbox("superfaktura").account("valid")["credentials"])
    return _activate(owner_client, "idoklad", sandbox("idoklad").account("valid")["credentials"])


def test_activating_a_second_system_leaves_the_current_one_in_use(app, owner_client, sandbox):
    html = _two_systems(owner_client, sandbox)
    rows = _rows(app)
    assert (rows["superfaktura"].status, rows["superfaktura"].current) == ("active", True)
    assert (rows["idoklad"].status, rows["idoklad"].current) == ("active", False)
    assert "SuperFaktura is still your shop's accounting system" in html
    assert f'href="{BASE}/idoklad/switch"' in html


def test_the_system_beside_the_current_one_can_be_tried_with_a_test_invoice(app, owner_client, sandbox):
    _two_systems(owner_client, sandbox)
    page = owner_client.get(f"{BASE}/test-invoice?system=idoklad").get_data(as_text=True)
    assert 'name="system" value="idoklad"' in page
    settings = owner_client.get(f"{BASE}/idoklad").get_data(as_text=True)
    assert f"{BASE}/test-invoice?system=idoklad" in settings


def test_the_switch_page_says_what_happens_to_the_current_system_and_its_waiting_documents(app, owner_client, sandbox):
    _two_systems(owner_client, sandbox)
    rows = _rows(app)
    with app.app_context():
        order = Order(shop_id=owner_client.user.shop_id, number="W-1", currency="EUR")
        db.session.add(order)
        db.session.flush()
        for n, state in enumerate(("pending", "creating", "created")):
            db.session.add(
                Document(
                    shop_id=order.shop_id,
                    integration_id=rows["superfaktura"].id,
                    order_id=order.id,
                    kind="invoice",
                    state=state,
                    idempotency_key=f"k{n}",
                )
            )
        db.session.commit()
    page = unescape(owner_client.get(f"{BASE}/idoklad/switch").get_data(as_text=True))
    assert "Switch to iDoklad?" in page
    assert "SuperFaktura is your shop's accounting system now" in page
    assert "2 documents are waiting to be created in SuperFaktura: they stay with SuperFaktura" in page
    assert "iDoklad has no document rules yet" in page
    assert 'name="confirm" value="yes"' in page


def test_switching_needs_the_confirmation_and_keeps_waiting_documents_with_the_old_system(app, owner_client, sandbox):
    _two_systems(owner_client, sandbox)
    one_tap = owner_client.post(f"{BASE}/idoklad/switch")
    assert one_tap.status_code == 303 and one_tap.headers["Location"].endswith(f"{BASE}/idoklad/switch")
    assert _rows(app)["superfaktura"].current
    done = owner_client.post(f"{BASE}/idoklad/switch", data={"confirm": "yes"})
    assert done.status_code == 303
    rows = _rows(app)
    assert rows["idoklad"].current and not rows["superfaktura"].current
    # The old one keeps working, so what waits for it goes out there, exactly once.
    assert rows["superfaktura"].status == "active"
    catalogue = owner_client.get(f"{BASE}/").get_data(as_text=True)
    assert "Your shop is connected to iDoklad" in catalogue


def test_a_fakturoid_account_without_a_bank_account_is_a_blocker_not_connected(app, owner_client, sandbox):
    account = sandbox("fakturoid").account("no_bank_account")
    html = _activate(owner_client, "fakturoid", account["credentials"])
    assert "Fakturoid cannot issue documents yet" in html
    assert "no bank account" in html
    assert "Connected as" not in html
    row = _rows(app)["fakturoid"]
    assert row.status == "draft" and not row.current and row.secrets_encrypted


def test_never_switches_to_a_connection_that_cannot_issue(app, owner_client, sandbox):
    _activate(owner_client, "superfaktura", sandbox("superfaktura").account("valid")["credentials"])
    _activate(owner_client, "fakturoid", sandbox("fakturoid").account("no_bank_account")["credentials"])
    page = unescape(owner_client.get(f"{BASE}/fakturoid/switch").get_data(as_text=True))
    assert "Fakturoid cannot become your shop's accounting system yet" in page
    assert 'name="confirm"' not in page
    owner_client.post(f"{BASE}/fakturoid/switch", data={"confirm": "yes"})
    rows = _rows(app)
    assert rows["superfaktura"].current and not rows["fakturoid"].current
