"""Test documents left behind are listed with their tidy-up, and test orders are removed only
when their documents are tidied up, after a confirmation (issue 8, point 13)."""

from html import unescape

from webapp.extensions import db
from webapp.models import Document, Integration, Order

BASE = "/settings/accounting"


def _setup(app, shop_id):
    with app.app_context():
        integration = Integration(shop_id=shop_id, system="superfaktura", status="active", current=True)
        db.session.add(integration)
        db.session.flush()
        orders = {}
        for number, is_test, state in (
            ("T-present", True, "created"),
            ("T-tidied", True, "deleted"),
            ("R-real", False, "created"),
            ("T-none", True, None),
        ):
            order = Order(shop_id=shop_id, number=number, currency="EUR", is_test=is_test)
            db.session.add(order)
            db.session.flush()
            orders[number] = order.id
            if state:
                db.session.add(
                    Document(
                        shop_id=shop_id,
                        integration_id=integration.id,
                        order_id=order.id,
                        kind="proforma",
                        state=state,
                        is_test=is_test,
                        number=f"P-{number}",
                        remote_id=f"r-{number}",
                        idempotency_key=f"k-{number}",
                    )
                )
        db.session.commit()
        return orders


def _numbers(app, shop_id):
    with app.app_context():
        return sorted(db.session.scalars(db.select(Order.number).where(Order.shop_id == shop_id)))


def test_test_documents_still_present_are_listed_with_their_tidy_up(app, owner_client):
    _setup(app, owner_client.user.shop_id)
    html = unescape(owner_client.get(f"{BASE}/test-documents").get_data(as_text=True))
    assert "P-T-present" in html and "P-T-tidied" not in html and "P-R-real" not in html
    assert "Tidy up" in html and f"{BASE}/test-invoice/" in html and "/remove" in html


def test_removing_test_orders_asks_first_and_keeps_those_with_documents_in_the_system(app, owner_client):
    shop_id = owner_client.user.shop_id
    _setup(app, shop_id)
    one_tap = owner_client.post(f"{BASE}/test-orders/remove")
    assert one_tap.status_code == 303 and one_tap.headers["Location"].endswith(f"{BASE}/test-orders/remove")
    assert len(_numbers(app, shop_id)) == 4
    confirm = unescape(owner_client.get(f"{BASE}/test-orders/remove").get_data(as_text=True))
    assert "2 test orders are deleted here" in confirm and "1 test order stays" in confirm
    done = owner_client.post(f"{BASE}/test-orders/remove", data={"confirm": "yes"})
    assert done.status_code == 303
    assert _numbers(app, shop_id) == ["R-real", "T-present"]
    page = unescape(owner_client.get(f"{BASE}/test-documents").get_data(as_text=True))
    assert "2 test orders were removed." in page


def test_another_shops_test_orders_are_never_removed(app, owner_client, make_user):
    other = make_user("other@shop.test", shop_name="Other")
    _setup(app, other.shop_id)
    owner_client.post(f"{BASE}/test-orders/remove", data={"confirm": "yes"})
    assert len(_numbers(app, other.shop_id)) == 4
