"""Settings -> Accounting system -> inFakt, through the generic form against the inFakt sandbox:
each seeded account state gives its outcome, in Polish for a Polish merchant."""

import pytest

from webapp.extensions import db
from webapp.models import Integration

HTMX = {"HX-Request": "true"}


@pytest.fixture
def sb(sandbox):
    return sandbox("infakt")


def account(sb, account_id):
    return next(a for a in sb.accounts() if a["id"] == account_id)


def activate(client, credentials, **headers):
    return client.post("/settings/accounting/infakt/activate", data=dict(credentials), headers={**HTMX, **headers})


def integration(app, shop_id):
    with app.app_context():
        return db.session.scalar(db.select(Integration.status).where(Integration.shop_id == shop_id))


def test_the_form_asks_for_the_api_key_as_a_secret_with_where_to_find_it(owner_client):
    html = owner_client.get("/settings/accounting/infakt").get_data(as_text=True)
    assert 'name="api_key"' in html and 'type="password"' in html and "Ustawienia konta &gt; API" in html


def test_activation_with_a_key_of_an_account_on_ksef_connects_without_warnings(app, owner_client, sb):
    html = activate(owner_client, account(sb, "infakt-valid")["credentials"]).get_data(as_text=True)
    assert "Connected as" in html and "Sklep Demo Sp. z o.o." in html
    assert "not connected to KSeF" not in html
    assert integration(app, owner_client.user.shop_id) == "active"


def test_activation_of_an_account_without_ksef_connects_and_warns_in_polish_with_the_fix(app, owner_client, sb):
    html = activate(
        owner_client, account(sb, "infakt-valid-noksef")["credentials"], **{"Accept-Language": "pl"}
    ).get_data(as_text=True)
    assert "nie jest połączone z KSeF" in html and "(Ustawienia > KSeF)" in html
    assert integration(app, owner_client.user.shop_id) == "active"


def test_activation_with_a_wrong_key_shows_the_infakt_hint_and_keeps_nothing_secret(app, owner_client, sb):
    credentials = account(sb, "infakt-wrong-key")["credentials"]
    html = activate(owner_client, credentials).get_data(as_text=True)
    assert "invalid_credentials" in html and "Account settings &gt; API" in html
    assert credentials["api_key"] not in html
    assert integration(app, owner_client.user.shop_id) == "draft"
