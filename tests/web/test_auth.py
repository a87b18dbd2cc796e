"""Signing in and out, attempt limits, CSRF and security headers."""

from webapp.config import Config

from .conftest import login


def test_owner_signs_in_and_reaches_the_dashboard_with_the_accounting_settings_in_the_navigation(client, make_user):
    make_user("owner@shop.test")
    response = login(client, "owner@shop.test")
    assert response.status_code == 302
    page = client.get("/", follow_redirects=True)
    assert page.request.path == "/"
    html = page.get_data(as_text=True)
    assert "<h1>Dashboard</h1>" in html and 'href="/settings/accounting/"' in html


def test_wrong_password_says_so_clearly_and_keeps_the_email(client, make_user):
    make_user("owner@shop.test")
    response = login(client, "owner@shop.test", "wrong")
    html = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "The e-mail or password is not right" in html
    assert 'value="owner@shop.test"' in html
    assert 'value="wrong"' not in html


def test_repeated_failures_from_one_address_make_that_address_wait(client, make_user):
    make_user("owner@shop.test")
    for _ in range(3):
        assert login(client, "owner@shop.test", "wrong").status_code == 401
    response = login(client, "owner@shop.test")  # even the right password waits now
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 2
    assert "Too many failed attempts. Wait" in response.get_data(as_text=True)


def test_settings_require_a_signed_in_user(client):
    response = client.get("/settings/accounting/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_polish_browser_gets_polish_pages(client):
    html = client.get("/login", headers={"Accept-Language": "pl-PL,pl;q=0.9"}).get_data(as_text=True)
    assert 'lang="pl"' in html
    assert "Zaloguj" in html


def test_language_switch_overrides_the_browser(client):
    client.post("/language", data={"lang": "pl", "next": "/login"})
    assert 'lang="pl"' in client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    html = response.get_data(as_text=True)
    assert "<script>" not in html and " style=" not in html


def test_post_without_csrf_token_is_rejected(app, sandbox_servers, tmp_path):
    from webapp import create_app

    strict = create_app(
        Config(TESTING=True, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True)
    )
    response = strict.test_client().post("/login", data={"email": "x@y.sk", "password": "p"})
    assert response.status_code == 400


def test_session_cookie_is_http_only(client, make_user):
    make_user("owner@shop.test")
    response = login(client, "owner@shop.test")
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_chosen_language_follows_the_person_to_a_new_browser(app, client, make_user):
    make_user("owner@shop.test")
    login(client, "owner@shop.test")
    client.post("/language", data={"lang": "cs", "next": "/"})
    other_browser = app.test_client()  # no session, an English browser
    login(other_browser, "owner@shop.test")
    html = other_browser.get("/", headers={"Accept-Language": "en"}, follow_redirects=True).get_data(as_text=True)
    assert '<html lang="cs"' in html


def test_a_language_chosen_on_the_sign_in_page_is_remembered_too(app, client, make_user):
    make_user("owner@shop.test")
    client.post("/language", data={"lang": "sk", "next": "/login"})
    login(client, "owner@shop.test")
    phone = app.test_client()
    login(phone, "owner@shop.test")
    assert '<html lang="sk"' in phone.get("/", headers={"Accept-Language": "en"}, follow_redirects=True).get_data(
        as_text=True
    )


def test_a_support_agent_switching_language_leaves_the_merchants_choice_alone(app, client, make_user):
    from webapp.extensions import db
    from webapp.models import User

    owner = make_user("owner@shop.test", shop_name="Tea Shop")
    make_user("agent@fynode.test", role="support", shop_name=None)
    login(client, "agent@fynode.test")
    client.post(f"/support/shops/{owner.shop_id}/impersonate", data={"reason": "TICKET-7"})
    client.post("/language", data={"lang": "pl", "next": "/"})
    assert '<html lang="pl"' in client.get("/").get_data(as_text=True)  # the agent reads Polish
    with app.app_context():
        assert db.session.get(User, owner.id).locale != "pl"
