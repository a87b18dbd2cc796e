"""Settings -> API tokens: the owner creates a token and sees it once, then only its prefix;
revoking stops it at once; staff and other shops cannot manage them."""

from __future__ import annotations

import re

from webapp.extensions import db
from webapp.models import ApiToken
from webapp.services.orders import tokens

from ._orders import ORDER, bearer
from .conftest import login


def test_a_new_token_is_shown_once_and_works(app, owner_client):
    response = owner_client.post("/settings/api-tokens/", data={"name": "Fynode shop"})
    assert response.status_code == 302 and response.location.endswith("/settings/api-tokens/#new-token")
    first = owner_client.get("/settings/api-tokens/").get_data(as_text=True)
    raw = re.search(r'id="new-token-value" value="([^"]+)"', first).group(1)
    assert raw.startswith("fyn_") and "Copy it now" in first
    again = owner_client.get("/settings/api-tokens/").get_data(as_text=True)
    assert raw not in again and raw[:12] in again and "Fynode shop" in again
    assert owner_client.post("/api/v1/orders", json=ORDER, headers=bearer(raw)).status_code == 201
    with app.app_context():
        assert db.session.scalar(db.select(ApiToken)).last_used_at is not None


def test_the_new_token_travels_encrypted_and_a_revoked_one_is_never_revealed(app, owner_client):
    owner_client.post("/settings/api-tokens/", data={"name": "Fynode shop"})
    cookie = owner_client.get_cookie("session").value
    # The session cookie is signed, not encrypted: whoever holds it can read it.
    readable = str(app.session_interface.get_signing_serializer(app).loads(cookie))
    raw = re.search(
        r'id="new-token-value" value="([^"]+)"', owner_client.get("/settings/api-tokens/").get_data(as_text=True)
    ).group(1)
    assert raw not in readable and "fyn_" not in readable

    owner_client.post("/settings/api-tokens/", data={"name": "Second"})
    with app.app_context():
        second = db.session.scalar(db.select(ApiToken).where(ApiToken.name == "Second"))
        assert tokens.revoke_token(second.shop_id, second.id)
    page = owner_client.get("/settings/api-tokens/").get_data(as_text=True)
    assert 'id="new-token-value"' not in page and "Copy it now" not in page


def test_a_token_needs_a_name(owner_client):
    response = owner_client.post("/settings/api-tokens/", data={"name": "  "})
    assert response.status_code == 422 and "Give the token a name" in response.get_data(as_text=True)


def test_a_revoked_token_is_refused_at_once(app, owner_client):
    with app.app_context():
        token, raw = tokens.create_token(owner_client.user.shop_id, "old")
        token_id = token.id
    response = owner_client.post(f"/settings/api-tokens/{token_id}/revoke")
    assert response.status_code == 302
    assert owner_client.get("/api/v1/orders/x", headers=bearer(raw)).status_code == 401
    assert "Revoked" in owner_client.get("/settings/api-tokens/").get_data(as_text=True)


def test_staff_cannot_manage_tokens(client, make_user):
    make_user("staff@shop.test", role="staff")
    login(client, "staff@shop.test")
    assert client.get("/settings/api-tokens/").status_code == 403
    assert client.post("/settings/api-tokens/", data={"name": "x"}).status_code == 403


def test_another_shops_owner_cannot_revoke_a_token(app, client, make_user):
    owner = make_user("owner@a.test", shop_name="A")
    make_user("owner@b.test", shop_name="B")
    with app.app_context():
        token, _raw = tokens.create_token(owner.shop_id, "a")
        token_id = token.id
    login(client, "owner@b.test")
    assert client.post(f"/settings/api-tokens/{token_id}/revoke").status_code == 404
    with app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is None
