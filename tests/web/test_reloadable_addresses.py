"""Without JavaScript every address a merchant ends up on can be opened with a GET: a GET on an
address that only takes form posts goes to the page it belongs to, and the language switch after
a form post returns to that page, never to "Method Not Allowed"."""

from __future__ import annotations

import re

import pytest

from .conftest import login

SF = "/settings/accounting/superfaktura"


@pytest.mark.parametrize(
    "address, page",
    [
        (f"{SF}/activate", SF),
        (f"{SF}/verify", SF),
        (f"{SF}/choices", SF),
        (f"{SF}/oauth/account", SF),
        ("/settings/accounting/fakturoid/activate", "/settings/accounting/fakturoid"),
        ("/language", "/"),
        ("/logout", "/"),
    ],
)
def test_get_on_a_post_only_address_redirects_to_its_page(owner_client, address, page):
    response = owner_client.get(address)
    assert response.status_code == 303 and response.headers["Location"] == page


def test_support_addresses_lead_back_to_the_console(client, make_user):
    make_user("agent@fynode.test", role="support", shop_name=None)
    login(client, "agent@fynode.test")
    response = client.get("/support/shops/1/impersonate")
    assert response.status_code == 303 and response.headers["Location"] == "/support/shops/1"  # the shop's page
    assert client.get("/support/stop").headers["Location"] == "/support/"


def test_other_methods_on_a_post_address_get_a_styled_page(owner_client):
    response = owner_client.put(f"{SF}/activate")
    html = response.get_data(as_text=True)
    assert response.status_code == 405
    assert "<h1>This address only accepts a form</h1>" in html and "app.css" in html


def test_page_shown_after_a_form_post_switches_language_back_to_its_get_page(owner_client):
    response = owner_client.post(f"{SF}/activate", data={"email": "", "api_key": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" in html
    next_value = re.search(r'<input type="hidden" name="next" value="([^"]+)">', html).group(1)
    assert next_value == SF
    switched = owner_client.post("/language", data={"lang": "pl", "next": next_value})
    assert switched.status_code == 303 and switched.headers["Location"] == SF
    assert 'lang="pl"' in owner_client.get(SF).get_data(as_text=True)


def test_language_switch_never_returns_to_a_post_only_address(owner_client):
    switched = owner_client.post("/language", data={"lang": "cs", "next": f"{SF}/verify"})
    assert switched.headers["Location"] == SF
    page = owner_client.get(switched.headers["Location"])
    assert page.status_code == 200 and 'lang="cs"' in page.get_data(as_text=True)


def test_language_switch_keeps_the_query_of_a_get_page(owner_client):
    switched = owner_client.post("/language", data={"lang": "sk", "next": "/settings/accounting/log/?page=2&errors=1"})
    assert switched.headers["Location"] == "/settings/accounting/log/?page=2&errors=1"


def test_language_switch_ignores_addresses_of_other_sites(owner_client):
    assert owner_client.post("/language", data={"lang": "pl", "next": "//evil.example/x"}).headers["Location"] == "/"
