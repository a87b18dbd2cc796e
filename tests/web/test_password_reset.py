"""Forgot password: a signed, single-use, expiring link by e-mail (the local outbox in local mode,
SMTP otherwise); the same answer whether or not the account exists; the new password ends every
earlier session."""

import re
from urllib.parse import urlsplit

import pytest

from webapp.services.accounts import mail

from .conftest import login


@pytest.fixture
def outbox(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_PATH", str(tmp_path / "outbox"))
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")

    def read():
        with app.app_context():
            return mail.outbox()

    return read


def _link(message) -> str:
    url = re.search(r"https?://\S+", message.body).group(0)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == "http://127.0.0.1:5000"  # from PUBLIC_URL
    return f"{parts.path}?{parts.query}"


def _ask(client, email):
    return client.post("/password/forgot", data={"email": email})


def test_the_login_page_offers_a_password_reset(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'href="/password/forgot"' in html and "Forgot your password?" in html


def test_the_answer_is_the_same_whether_or_not_the_account_exists(client, make_user, outbox):
    make_user("owner@shop.test")
    known, unknown = _ask(client, "owner@shop.test"), _ask(client, "nobody@shop.test")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"] == "/login"
    assert "we have sent it a link" in client.get("/login").get_data(as_text=True)
    assert [m.to for m in outbox()] == ["owner@shop.test"]


def test_a_reset_link_sets_a_new_password_once(client, make_user, outbox):
    make_user("owner@shop.test")
    _ask(client, "owner@shop.test")
    link = _link(outbox()[0])
    assert "Set a new password" in client.get(link).get_data(as_text=True)
    response = client.post(link, data={"password": "a-brand-new-pass", "confirm": "a-brand-new-pass"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert login(client, "owner@shop.test", "secret-pass").status_code == 401
    assert login(client, "owner@shop.test", "a-brand-new-pass").status_code == 302
    client.post("/logout")
    again = client.post(link, data={"password": "another-new-pass", "confirm": "another-new-pass"})
    assert again.status_code == 400 and "This link no longer works" in again.get_data(as_text=True)


def test_a_new_password_ends_remembered_sessions(app, client, make_user, outbox):
    make_user("owner@shop.test")
    laptop = app.test_client()
    laptop.post("/login", data={"email": "owner@shop.test", "password": "secret-pass", "remember": "y"})
    assert laptop.get("/settings/accounting/").status_code == 200
    _ask(client, "owner@shop.test")
    client.post(_link(outbox()[0]), data={"password": "a-brand-new-pass", "confirm": "a-brand-new-pass"})
    assert laptop.get("/settings/accounting/").status_code == 302


def test_an_expired_link_is_refused(app, client, make_user, outbox, monkeypatch):
    make_user("owner@shop.test")
    _ask(client, "owner@shop.test")
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", -1)
    assert client.get(_link(outbox()[0])).status_code == 400


@pytest.mark.parametrize("token", ["", "x", "a" * 600, "eyJ1IjoxfQ.forged.sig"])
def test_a_forged_link_is_refused(client, token):
    response = client.get(f"/password/reset?token={token}")
    assert response.status_code == 400 and "Send me a new link" in response.get_data(as_text=True)


def test_the_new_password_is_checked_before_it_is_saved(client, make_user, outbox):
    make_user("owner@shop.test")
    _ask(client, "owner@shop.test")
    link = _link(outbox()[0])
    short = client.post(link, data={"password": "short", "confirm": "short"})
    assert short.status_code == 422 and "Use between 10 and 200 characters." in short.get_data(as_text=True)
    different = client.post(link, data={"password": "a-brand-new-pass", "confirm": "another-pass-xx"})
    assert "The two passwords are not the same." in different.get_data(as_text=True)
    assert login(client, "owner@shop.test", "secret-pass").status_code == 302  # unchanged


def test_the_local_outbox_shows_the_mail_in_local_mode_only(app, client, make_user, outbox, monkeypatch):
    make_user("owner@shop.test")
    _ask(client, "owner@shop.test")
    html = client.get("/dev/outbox").get_data(as_text=True)
    assert "owner@shop.test" in html and "/password/reset?token=" in html
    monkeypatch.setitem(app.config, "LOCAL_MODE", False)
    assert client.get("/dev/outbox").status_code == 404


def test_production_sends_the_link_by_smtp(app, client, make_user, monkeypatch):
    make_user("owner@shop.test")
    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            sent.append({"host": host, "port": port})

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self, context):
            sent[-1]["tls"] = True

        def login(self, user, password):
            sent[-1]["login"] = user

        def send_message(self, message):
            sent[-1]["message"] = message

    class NowThread:
        def __init__(self, target, args, daemon):
            self.run = lambda: target(*args)

        def start(self):
            self.run()

    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    monkeypatch.setattr(mail.threading, "Thread", NowThread)
    for key, value in {
        "LOCAL_MODE": False,
        "MAIL_SERVER": "smtp.example",
        "MAIL_PORT": 587,
        "MAIL_USERNAME": "mailer",
        "MAIL_USE_TLS": True,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    _ask(client, "owner@shop.test")
    assert len(sent) == 1 and sent[0]["host"] == "smtp.example" and sent[0]["tls"] and sent[0]["login"] == "mailer"
    message = sent[0]["message"]
    assert message["To"] == "owner@shop.test"
    assert "http://127.0.0.1:5000/password/reset?token=" in message.get_content()


def test_a_file_posted_as_the_reset_email_is_a_field_message(client):
    from io import BytesIO

    response = client.post(
        "/password/forgot", data={"email": (BytesIO(b"x@y.sk"), "e.txt")}, content_type="multipart/form-data"
    )
    assert response.status_code == 422
