"""A Slovak shop (EUR) connected to a Czech account (CZK): the test order defaults to the
account's market so the check can succeed, and the merchant is told about the difference."""

import pytest

HTMX = {"HX-Request": "true"}


@pytest.mark.parametrize("system", ["fakturoid", "idoklad"])
def test_test_order_defaults_to_the_accounts_books_and_warns_about_the_shops_currency(owner_client, sandbox, system):
    html = owner_client.post(
        f"/settings/accounting/{system}/activate", data=sandbox(system).account("valid")["credentials"], headers=HTMX
    ).get_data(as_text=True)
    assert "Connected as" in html
    form = owner_client.get("/settings/accounting/test-invoice").get_data(as_text=True)
    assert '<option value="CZ" selected>' in form
    assert "Your shop sells in EUR, but this" in form and "keeps its books in CZK" in form
    result = owner_client.post("/settings/accounting/test-invoice", data={"order": "new"}).get_data(as_text=True)
    assert "matches the order in every value" in result and 'class="mismatch"' not in result


def test_a_test_order_in_the_shops_own_market_is_still_possible(owner_client, sandbox):
    owner_client.post(
        "/settings/accounting/superfaktura/activate",
        data=sandbox("superfaktura").account("valid")["credentials"],
        headers=HTMX,
    )
    form = owner_client.get("/settings/accounting/test-invoice").get_data(as_text=True)
    assert '<option value="SK" selected>' in form and "keeps its books in" not in form
    result = owner_client.post("/settings/accounting/test-invoice", data={"order": "new", "market": "CZ"}).get_data(
        as_text=True
    )
    assert "CZK" in result
