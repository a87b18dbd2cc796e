"""How Fakturoid's requests read in the integration log: the verification step sends several
requests under operation "verify"; each is labelled by what it did."""

REFINE = [
    ("verify", "GET", r"/user\.json$", "read_user"),
    ("verify", "GET", r"/account\.json$", "read_account"),
    ("verify", "GET", r"/bank_accounts\.json$", "list_bank_accounts"),
]

# Personal data in Fakturoid bodies (subjects and the invoice's copy of the customer), replaced
# in the integration log and the diagnostics bundle like Home Assistant's TO_REDACT.
TO_REDACT = {
    ".name",
    "subject.name",
    "full_name",
    "email",
    "email_copy",
    "phone",
    "street",
    "street2",
    "city",
    "zip",
    "client_name",
    "client_street",
    "client_city",
    "client_zip",
    "client_registration_no",
    "client_vat_no",
    "registration_no",
    "vat_no",
    "local_vat_no",
    "iban",
    "bank_account",
    "delivery_street",
    "delivery_city",
    "delivery_zip",
    "delivery_name",
    "your_name",
    "your_street",
}
