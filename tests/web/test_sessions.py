"""Sessions and "keep me signed in" are revocable: bound to a per-account token that sign-in
rotates and sign-out, a password change and a role change clear."""

from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from webapp.extensions import db
from webapp.models import User

from .conftest import login

PAGE = "/settings/accounting/"


def _cookie(client, name):
    cookie = client.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    return cookie.value


def _copy_of(app, client, *names):
    other = app.test_client()
    for name in names:
        other.set_cookie(name, _cookie(client, name))
    return other


def _signed_in(client) -> bool:
    return client.get(PAGE).status_code == 200


def test_a_copied_session_cookie_stops_working_after_logout(app, client, make_user):
    make_user("owner@shop.test")
    login(client, "owner@shop.test")
    thief = _copy_of(app, client, "session")
    assert _signed_in(thief)
    client.post("/logout")
    assert not _signed_in(thief)


def test_a_copied_remember_me_cookie_stops_working_after_logout(app, client, make_user):
    make_user("owner@shop.test")
    client.post("/login", data={"email": "owner@shop.test", "password": "secret-pass", "remember": "y"})
    thief = _copy_of(app, client, "remember_token")
    assert _signed_in(thief)
    client.post("/logout")
    assert not _signed_in(_copy_of(app, thief, "remember_token"))


def test_every_sign_in_issues_a_new_remember_me_cookie_and_ends_the_old_one(app, client, make_user):
    make_user("owner@shop.test")
    data = {"email": "owner@shop.test", "password": "secret-pass", "remember": "y"}
    client.post("/login", data=data)
    first = _cookie(client, "remember_token")
    second_browser = app.test_client()
    second_browser.post("/login", data=data)
    assert _cookie(second_browser, "remember_token") != first
    old = app.test_client()
    old.set_cookie("remember_token", first)
    assert not _signed_in(old)


def test_remember_me_cookie_lasts_30_days_and_is_same_site(client, make_user):
    make_user("owner@shop.test")
    response = client.post("/login", data={"email": "owner@shop.test", "password": "secret-pass", "remember": "y"})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie
    expires = parsedate_to_datetime(cookie.split("Expires=", 1)[1].split(";", 1)[0])
    assert expires - datetime.now(timezone.utc) <= timedelta(days=30, minutes=1)


def test_a_password_change_ends_every_session(app, client, make_user):
    user = make_user("owner@shop.test")
    client.post("/login", data={"email": "owner@shop.test", "password": "secret-pass", "remember": "y"})
    remembered = _copy_of(app, client, "remember_token")
    with app.app_context():
        db.session.get(User, user.id).set_password("a-new-password")
        db.session.commit()
    assert not _signed_in(client)
    assert not _signed_in(remembered)


def test_a_role_change_ends_every_session(app, client, make_user):
    user = make_user("owner@shop.test")
    login(client, "owner@shop.test")
    with app.app_context():
        db.session.get(User, user.id).role = "staff"
        db.session.commit()
    assert not _signed_in(client)


def test_an_old_style_cookie_with_only_the_user_id_is_refused(app, client, make_user):
    user = make_user("owner@shop.test")
    login(client, "owner@shop.test")
    from flask_login.utils import encode_cookie

    with app.test_request_context():
        forged = encode_cookie(str(user.id))
    old = app.test_client()
    old.set_cookie("remember_token", forged)
    assert not _signed_in(old)


def test_agent_signing_out_while_acting_as_a_shop_ends_the_copied_session_but_not_the_owners(app, make_user):
    owner = make_user("owner@shop.test", shop_name="Shop A")
    make_user("agent@fynode.test", role="support", shop_name=None)
    owner_browser = app.test_client()
    login(owner_browser, "owner@shop.test")
    agent = app.test_client()
    login(agent, "agent@fynode.test")
    assert agent.post(f"/support/shops/{owner.shop_id}/impersonate", data={"reason": "T-1"}).status_code == 302
    copied = _copy_of(app, agent, "session")
    assert _signed_in(copied)
    agent.post("/logout")
    assert not _signed_in(copied)
    assert _signed_in(owner_browser)
