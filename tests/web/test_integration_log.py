"""The integration log shows every exchange, secret-free, only to the shop it belongs to."""

import re

from .conftest import login

HTMX = {"HX-Request": "true"}


def test_failed_activation_links_to_its_log_entry_without_the_secret(owner_client, sandbox):
    creds = sandbox("superfaktura").account("wrong_key")["credentials"]
    html = owner_client.post("/settings/accounting/superfaktura/activate", data=creds, headers=HTMX).get_data(
        as_text=True
    )
    link = re.search(r'href="(/settings/accounting/log/\d+)"', html)
    assert link, "the outcome links to the log entry"
    entry = owner_client.get(link.group(1)).get_data(as_text=True)
    assert "getUserCompaniesData" in entry or "sequences" in entry
    assert creds["api_key"] not in entry and "SFAPI •••" in entry
    listing = owner_client.get("/settings/accounting/log/?errors=1").get_data(as_text=True)
    assert "invalid_credentials" in listing or "401" in listing


def test_another_shop_cannot_read_a_log_entry_by_guessing_its_id(client, make_user, sandbox):
    make_user("a@shop.test", shop_name="A")
    make_user("b@shop.test", shop_name="B")
    login(client, "a@shop.test")
    html = client.post(
        "/settings/accounting/superfaktura/activate",
        data=sandbox("superfaktura").account("valid")["credentials"],
        headers=HTMX,
    ).get_data(as_text=True)
    entry = re.search(r'href="(/settings/accounting/log/\d+)"', html).group(1)
    client.post("/logout")
    login(client, "b@shop.test")
    assert client.get(entry).status_code == 404
    assert "getUserCompaniesData" not in client.get("/settings/accounting/log/").get_data(as_text=True)
