"""How inFakt's requests read in the integration log."""

REFINE = [
    ("verify", "GET", r"/account/details\.json$", "read_company"),
    ("verify", "GET", r"/bank_accounts\.json$", "list_bank_accounts"),
    ("verify", "GET", r"", "check_subscription"),
]

TO_REDACT = {
    "client.name",
    "first_name",
    "last_name",
    "company_name",
    "email",
    "phone_number",
    "mobile_phone_number",
    "street",
    "street_name",
    "street_number",
    "flat_number",
    "city",
    "postal_code",
    "nip",
    "pesel",
    "client_company_name",
    "client_first_name",
    "client_last_name",
    "client_street",
    "client_city",
    "client_post_code",
    "client_tax_code",
    "client_email",
    "bank_account",
    "account_number",
}
