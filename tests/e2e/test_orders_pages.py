"""The order pages in a browser at phone and desktop widths: the list, a test order created
from the form, its page with a payment recorded, the refund page, the cancel confirmation and
the API tokens page all fit without sideways scrolling, pass axe-core and work without any
JavaScript of ours beyond what every page has."""

import requests
from playwright.sync_api import expect

from .conftest import assert_accessible, assert_fits_width, open_section, sign_in


def check(page) -> None:
    assert_fits_width(page)
    assert_accessible(page)


def test_orders_story_fits_the_screen_and_is_accessible(page):
    sign_in(page, "owner@demo.test", "demo-owner")
    open_section(page, "Orders")
    expect(page.get_by_role("heading", name="Orders")).to_be_visible()
    expect(page.locator("table.orders-list tbody tr").first).to_be_visible()  # the seed's orders
    check(page)

    page.get_by_role("link", name="New test order").click()
    page.locator("#in-customer_name").fill("Eva Kováčová")
    page.locator("#in-line-0-name").fill("Green tea 100 g")
    page.locator("#in-line-0-sku").fill("TEA-01")
    page.locator("#in-line-0-quantity").fill("2")
    page.locator("#in-line-0-unit_price").fill("12,30")
    page.locator("#in-line-0-vat_rate").fill("23")
    check(page)
    page.get_by_role("button", name="Create the order").click()
    expect(page.get_by_text("created.")).to_be_visible()
    expect(page.get_by_role("cell", name="€24.60").last).to_be_visible()
    check(page)

    page.get_by_role("button", name="Record payment").click()
    expect(page.get_by_text("Payment recorded.")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("Payment received")

    page.get_by_role("link", name="Refund…").click()
    page.get_by_label("Green tea 100 g").fill("1")
    check(page)
    page.get_by_role("button", name="Record the refund").click()
    expect(page.locator("#timeline")).to_contain_text("TEA-01 × 1")

    page.get_by_role("link", name="Cancel the order…").click()
    expect(page.get_by_role("heading", name="Cancel order")).to_be_visible()
    check(page)
    page.get_by_role("button", name="Yes, cancel the order").click()
    expect(page.get_by_text("This order is cancelled.")).to_be_visible()
    assert not page.console_errors, page.console_errors


def test_an_order_sent_with_the_demo_token_appears_on_the_list(page):
    body = {
        "number": "API-1",
        "currency": "EUR",
        "customer": {"type": "person", "name": "Jan", "billing_address": {"country": "SK"}},
        "lines": [{"name": "Tea", "sku": "TEA-01", "quantity": "1", "unit_price": "5.00", "vat_rate": "23"}],
    }
    response = requests.post(
        f"{page.base_url}/api/v1/orders", json=body, headers={"Authorization": "Bearer demo-shop-token"}, timeout=10
    )
    assert response.status_code == 201, response.text
    sign_in(page, "owner@demo.test", "demo-owner")
    page.goto(f"{page.base_url}/orders/?documents=none")
    expect(page.get_by_role("link", name="API-1")).to_be_visible()
    page.goto(f"{page.base_url}/settings/api-tokens/")
    page.get_by_label("Name of a new token").fill("Fynode shop")
    page.get_by_role("button", name="Create a token").click()
    expect(page.get_by_text("Copy it now")).to_be_visible()
    check(page)
