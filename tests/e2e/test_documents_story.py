"""The documents engine as a merchant meets it, on a phone: confirm the proposed rules, enter an
order, record its payment, find the invoice with its PDF on the order page, refund one line and
find the credit note linked to the invoice."""

from __future__ import annotations

from playwright.sync_api import expect

from webapp.extensions import db
from webapp.models import DocumentRule

from .conftest import assert_accessible, assert_fits_width, open_section, sign_in


def check(page) -> None:
    assert_fits_width(page)
    assert_accessible(page)


def test_rules_order_payment_invoice_pdf_refund_credit_note(page, demo):
    with demo.app_context():  # Demo Shop as right after activation: rules proposed, none confirmed
        db.session.execute(db.update(db.metadata.tables["documents"]).values(rule_id=None))
        db.session.execute(db.delete(DocumentRule))
        db.session.commit()
    sign_in(page, "owner@demo.test", "demo-owner")
    open_section(page, "Rules")
    expect(page.get_by_text("Nothing is issued by itself until you confirm")).to_be_visible()
    check(page)
    page.get_by_role("button", name="Confirm these rules").click()
    expect(page.get_by_text("When a card or PayPal order is paid, issue an invoice")).to_be_visible()
    check(page)

    open_section(page, "Orders")
    page.get_by_role("link", name="New test order").first.click()
    page.fill("#in-number", "E2E-7001")
    page.fill("#in-currency", "EUR")
    page.fill("#in-customer_name", "Mária Horváthová")
    page.fill("#in-customer_email", "maria@example.sk")
    page.fill("#in-billing_street", "Dlhá 5")
    page.fill("#in-billing_city", "Nitra")
    page.fill("#in-billing_zip", "94901")
    page.fill("#in-billing_country", "SK")
    for row, (name, sku, quantity, price) in enumerate(
        (("Green tea", "TEA-01", "2", "12.30"), ("Tea cup", "CUP-01", "1", "8.00"))
    ):
        page.fill(f"#in-line-{row}-name", name)
        page.fill(f"#in-line-{row}-sku", sku)
        page.fill(f"#in-line-{row}-quantity", quantity)
        page.fill(f"#in-line-{row}-unit_price", price)
        page.fill(f"#in-line-{row}-vat_rate", "23")
    page.select_option("#in-payment_method", "card")
    page.select_option("#in-shipping_method", "courier")
    page.uncheck("input[name=is_test]")  # a real order: the rules act on it
    page.fill("#in-shipping_price", "3.90")
    page.fill("#in-shipping_vat_rate", "23")
    page.check("input[name=prices_include_vat]")
    page.get_by_role("button", name="Create the order").click()
    expect(page.get_by_role("heading", name="E2E-7001")).to_be_visible()
    expect(page.get_by_text("No documents for this order yet.")).to_be_visible()
    check(page)

    page.get_by_role("button", name="Record payment").click()
    invoice = page.locator("#documents .document-row").filter(has_text="Invoice")
    expect(invoice).to_contain_text("Issued")
    pdf_link = invoice.get_by_role("link", name="View PDF")
    response = page.request.get(page.base_url + pdf_link.get_attribute("href"))
    assert response.ok and response.body().startswith(b"%PDF")
    number = invoice.locator("strong").inner_text().replace("Invoice", "").strip()
    assert number
    check(page)

    page.get_by_role("link", name="Refund…").click()
    page.get_by_label("Tea cup").fill("1")
    page.get_by_role("button", name="Record the refund").click()
    credit = page.locator("#documents .document-row").filter(has_text="Credit note")
    expect(credit).to_contain_text("Issued")
    expect(credit).to_contain_text(f"for Invoice {number}")
    check(page)
