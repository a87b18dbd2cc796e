"""Demo logins exist in local mode only."""

import pytest

from webapp.services import demo

from .conftest import login


def test_demo_logins_cannot_sign_in_outside_local_mode(app, client, make_user, monkeypatch):
    make_user("support@demo.test", password="demo-support", role="support", shop_name=None)
    monkeypatch.setitem(app.config, "LOCAL_MODE", False)
    assert login(client, "support@demo.test", "demo-support").status_code == 401


def test_a_demo_session_ends_when_the_app_leaves_local_mode(app, client, make_user, monkeypatch):
    make_user("owner@demo.test", password="demo-owner")
    login(client, "owner@demo.test", "demo-owner")
    assert client.get("/settings/accounting/").status_code == 200
    monkeypatch.setitem(app.config, "LOCAL_MODE", False)
    assert client.get("/settings/accounting/").status_code == 302


def test_demo_seed_refuses_outside_local_mode(app, clean_db, monkeypatch):
    monkeypatch.setitem(app.config, "LOCAL_MODE", False)
    with app.app_context(), pytest.raises(demo.NotLocalMode):
        demo.seed("http://127.0.0.1:9")
