"""Cards and results never contradict the status (issue 8, point 10): a disabled system is not
"Connected as", finished next steps are ticked, and the catalogue shows what differs."""

from html import unescape

from webapp.extensions import db
from webapp.models import Document, Integration, Order

HTMX = {"HX-Request": "true"}
BASE = "/settings/accounting"


def _activate_and_deactivate(owner_client, sandbox):
    owner_client.post(
        f"{BASE}/superfaktura/activate", data=sandbox("superfaktura").account("valid")["credentials"], headers=HTMX
    )
    owner_client.post(f"{BASE}/superfaktura/deactivate", data={"confirm": "yes"})


def test_a_disabled_card_does_not_say_connected_as(owner_client, sandbox):
    _activate_and_deactivate(owner_client, sandbox)
    card = unescape(owner_client.get(f"{BASE}/").get_data(as_text=True))
    assert "Disabled" in card and "Connected as" not in card


def test_verify_again_on_a_disabled_system_does_not_say_connected(owner_client, sandbox):
    _activate_and_deactivate(owner_client, sandbox)
    html = unescape(owner_client.post(f"{BASE}/superfaktura/verify", headers=HTMX).get_data(as_text=True))
    assert "Connected as" not in html
    assert "The stored credentials still work for" in html and "SuperFaktura is not active" in html


def test_next_steps_tick_the_test_invoice_once_issued(app, owner_client, sandbox):
    owner_client.post(
        f"{BASE}/superfaktura/activate", data=sandbox("superfaktura").account("valid")["credentials"], headers=HTMX
    )
    assert "step-done" not in owner_client.get(f"{BASE}/superfaktura").get_data(as_text=True)
    with app.app_context():
        integration = db.session.scalar(db.select(Integration))
        order = Order(shop_id=integration.shop_id, number="T-1", currency="EUR", is_test=True)
        db.session.add(order)
        db.session.flush()
        db.session.add(
            Document(
                shop_id=integration.shop_id,
                integration_id=integration.id,
                order_id=order.id,
                kind="proforma",
                state="created",
                is_test=True,
                idempotency_key="t1",
            )
        )
        db.session.commit()
    html = owner_client.get(f"{BASE}/superfaktura").get_data(as_text=True)
    assert html.count('class="step-done"') == 1 and "Done:" in html


def test_catalogue_chips_show_what_differs_between_systems(owner_client):
    html = unescape(owner_client.get(f"{BASE}/").get_data(as_text=True))
    assert "Every system here supports:" in html
    assert html.count("Connect with one click") == 1  # only Fakturoid
    assert "Connects with pasted API keys" in html
    assert "Markets: SK, CZ, AT" in html and "Markets: PL" in html
