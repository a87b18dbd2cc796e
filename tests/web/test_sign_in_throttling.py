"""Failed sign-ins slow the guesser down, never lock the real owner out, and do not tell which
e-mails have an account."""

from datetime import timedelta

from webapp.config import Config
from webapp.extensions import db
from webapp.models import LoginAttempt

ATTACKERS = [f"203.0.113.{n}" for n in range(1, 9)]
OWNER_ADDRESS = "198.51.100.7"


def _post(client, email, password, address, **headers):
    return client.post(
        "/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}, headers=headers
    )


def _time_passes(app, seconds):
    """Move every recorded attempt `seconds` into the past."""
    with app.app_context():
        for row in db.session.scalars(db.select(LoginAttempt)):
            row.at = row.at - timedelta(seconds=seconds)
        db.session.commit()


def test_strangers_at_many_addresses_cannot_lock_the_owner_out(app, client, make_user):
    make_user("owner@shop.test")
    for address in ATTACKERS:
        for _ in range(5):
            _post(client, "owner@shop.test", "guess", address)
    # The attackers' own addresses are slowed down hard...
    assert _post(client, "owner@shop.test", "guess", ATTACKERS[0]).status_code == 429
    # ...while the owner, at another address, waits at most half a minute.
    owner = app.test_client()
    first = _post(owner, "owner@shop.test", "secret-pass", OWNER_ADDRESS)
    if first.status_code == 429:
        assert int(first.headers["Retry-After"]) <= 30
        _time_passes(app, 31)
        first = _post(owner, "owner@shop.test", "secret-pass", OWNER_ADDRESS)
    assert first.status_code == 302


def test_the_wait_doubles_with_each_further_failure(app, client, make_user):
    make_user("owner@shop.test")
    waits = []
    for _ in range(6):
        response = _post(client, "owner@shop.test", "guess", ATTACKERS[0])
        if response.status_code == 429:
            waits.append(int(response.headers["Retry-After"]))
            _time_passes(app, waits[-1])
            response = _post(client, "owner@shop.test", "guess", ATTACKERS[0])
        assert response.status_code == 401
    assert waits == [1, 2, 4]


def test_the_same_address_trying_many_accounts_is_slowed_down(app, client, make_user):
    make_user("owner@shop.test")
    statuses = [_post(client, f"user{n}@shop.test", "guess", ATTACKERS[0]).status_code for n in range(25)]
    assert statuses[:20] == [401] * 20 and 429 in statuses[20:]
    # Another address is not affected.
    assert _post(app.test_client(), "owner@shop.test", "secret-pass", OWNER_ADDRESS).status_code == 302


def test_an_unknown_account_takes_as_long_as_a_wrong_password(app, client, make_user, monkeypatch):
    """Not timed (timing in a shared CI machine proves nothing): both answers do the same work, one
    check of a password hash made with the same method and cost."""
    from webapp.models import accounts
    from webapp.services.accounts import sign_in

    make_user("owner@shop.test")
    checked: list[str] = []

    def counting(real):
        def check(pwhash, password):
            checked.append(pwhash.split("$", 1)[0])  # the method and its cost, e.g. scrypt:32768:8:1
            return real(pwhash, password)

        return check

    monkeypatch.setattr(sign_in, "check_password_hash", counting(sign_in.check_password_hash))
    monkeypatch.setattr(accounts, "check_password_hash", counting(accounts.check_password_hash))
    assert _post(client, "owner@shop.test", "guess", ATTACKERS[0]).status_code == 401
    known = list(checked)
    checked.clear()
    _time_passes(app, 3600)
    assert _post(client, "nobody@shop.test", "guess", ATTACKERS[1]).status_code == 401
    assert len(known) == 1 and checked == known, (known, checked)


def test_forwarded_for_from_a_client_is_not_believed_without_trusted_proxies(app, client, make_user):
    make_user("owner@shop.test")
    for n in range(4):
        _post(client, "owner@shop.test", "guess", ATTACKERS[0], **{"X-Forwarded-For": f"192.0.2.{n}"})
    with app.app_context():
        assert set(db.session.scalars(db.select(LoginAttempt.ip))) == {ATTACKERS[0]}


def test_forwarded_for_from_a_trusted_proxy_names_the_client(app, make_user, sandbox_servers):
    from webapp import create_app

    make_user("owner@shop.test")
    behind_proxy = create_app(
        Config(
            TESTING=True,
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
            WTF_CSRF_ENABLED=False,
            TRUSTED_PROXIES=1,
        )
    )
    client = behind_proxy.test_client()
    _post(client, "owner@shop.test", "guess", "10.0.0.2", **{"X-Forwarded-For": "192.0.2.50, 198.51.100.9"})
    with app.app_context():
        # Only the hop our proxy added is believed: the client-supplied 192.0.2.50 is not.
        assert list(db.session.scalars(db.select(LoginAttempt.ip))) == ["198.51.100.9"]
