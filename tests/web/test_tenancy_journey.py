"""Tenancy of the journey pages: another shop's user gets "not found" for every job, document,
PDF and test-document id of this shop, and never sees its rows."""

from __future__ import annotations

import pytest

from webapp.extensions import db
from webapp.models import Document, Job

from .conftest import login
from .test_import import connect


@pytest.fixture
def two_shops(app, client, make_user, sandbox):
    owner = make_user("owner@a.test", shop_name="Shop A")
    make_user("owner@b.test", shop_name="Shop B")
    login(client, "owner@a.test")
    connect(app, sandbox, owner.shop_id, "superfaktura")
    client.post("/settings/accounting/import")
    client.post("/settings/accounting/test-invoice", data={"order": "new", "kind": "proforma"})
    with app.app_context():
        job = db.session.scalar(db.select(Job).where(Job.shop_id == owner.shop_id))
        imported = db.session.scalar(
            db.select(Document).where(Document.shop_id == owner.shop_id, Document.state == "imported")
        )
        test_doc = db.session.scalar(
            db.select(Document).where(Document.shop_id == owner.shop_id, Document.is_test.is_(True))
        )
        ids = {"job": job.id, "imported": imported.id, "test": test_doc.id}
    assert client.get(f"/settings/accounting/jobs/{ids['job']}").status_code == 200  # the owner sees them
    client.post("/logout")
    login(client, "owner@b.test")
    return ids


@pytest.mark.parametrize(
    "url",
    [
        "/settings/accounting/jobs/{job}",
        "/settings/accounting/documents/{imported}/pdf",
        "/settings/accounting/documents/{imported}/pdf/download",
        "/settings/accounting/documents/{test}/pdf",
        "/settings/accounting/test-invoice/{test}",
    ],
)
def test_other_shops_user_gets_not_found(client, two_shops, url):
    assert client.get(url.format(**two_shops)).status_code == 404
    assert client.get(url.format(**two_shops), headers={"HX-Request": "true"}).status_code == 404


def test_other_shops_user_cannot_remove_the_test_document(app, client, two_shops):
    assert client.post(f"/settings/accounting/test-invoice/{two_shops['test']}/remove").status_code == 404
    with app.app_context():
        assert db.session.get(Document, two_shops["test"]).state == "created"


def test_other_shops_user_cannot_pick_the_order_of_another_shop(app, client, two_shops, sandbox):
    from webapp.models import Order, User

    with app.app_context():
        order_a = db.session.scalar(db.select(Order).where(Order.is_test.is_(True)))
        shop_b = db.session.scalar(db.select(User).where(User.email == "owner@b.test")).shop_id
    connect(app, sandbox, shop_b, "superfaktura")
    page = client.get("/settings/accounting/test-invoice").get_data(as_text=True)
    assert order_a.number not in page
    response = client.post("/settings/accounting/test-invoice", data={"order": str(order_a.id), "kind": "proforma"})
    assert response.status_code == 422  # not among the choices: nothing issued
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Document.id)).where(Document.shop_id == shop_b)) == 0


def test_other_shops_import_page_shows_none_of_this_shops_documents(client, two_shops):
    html = client.get("/settings/accounting/import").get_data(as_text=True)
    assert "Connect and activate your accounting system first" in html
    assert f"/jobs/{two_shops['job']}" not in html


def test_journey_pages_need_a_signed_in_user(app, make_user):
    anonymous = app.test_client()
    for url in ("/settings/accounting/import", "/settings/accounting/test-invoice", "/settings/accounting/jobs/1"):
        response = anonymous.get(url)
        assert response.status_code in (302, 401) and "login" in response.headers.get("Location", "login")
