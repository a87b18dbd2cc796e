"""How SuperFaktura's requests read in the integration log."""

REFINE = [
    ("verify", "GET", r"/users/getUserCompaniesData", "read_company"),
    ("verify", "GET", r"bank_accounts", "list_bank_accounts"),
    ("verify", "GET", r"sequences", "list_series"),
]

# SuperFaktura's Client block and the invoice's delivery fields.
TO_REDACT = {
    "client.name",
    "email",
    "phone",
    "address",
    "city",
    "zip",
    "ico",
    "dic",
    "ic_dph",
    "delivery_name",
    "delivery_address",
    "delivery_city",
    "delivery_zip",
    "delivery_phone",
    "bank_account",
    "iban",
    "contact_person",
    "fax",
}
