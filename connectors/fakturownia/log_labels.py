"""How Fakturownia's requests read in the integration log.

Personal data (like Home Assistant's diagnostics `TO_REDACT`): the invoice's buyer and recipient
fields (`buyer_*`, `recipient_*`, POST /invoices.json and every invoice read or listed) and the
client card's own fields (`client.*`). The seller is
the merchant, not a customer, and stays readable.
"""

_PARTY = (
    "name",
    "first_name",
    "last_name",
    "tax_no",
    "email",
    "phone",
    "mobile_phone",
    "fax",
    "www",
    "street",
    "street_no",
    "post_code",
    "city",
    "note",
    "person",
    "bank_account",
)

TO_REDACT = {
    *(f"buyer_{field}" for field in _PARTY),
    *(f"recipient_{field}" for field in _PARTY),
    *(f"client.{field}" for field in _PARTY),
    "client_name",
    "client_email",
    "email_to",
    "email_cc",
    "delivery_address",
}
