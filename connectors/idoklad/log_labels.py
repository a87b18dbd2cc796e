"""How iDoklad's requests read in the integration log."""

REFINE = [
    ("verify", "GET", r"/Account/CurrentAgenda", "read_company"),
    ("verify", "GET", r"BankAccounts", "list_bank_accounts"),
]

TO_REDACT = {
    "CompanyName",
    "Firstname",
    "FirstName",
    "Surname",
    "Email",
    "Phone",
    "Mobile",
    "Street",
    "City",
    "PostalCode",
    "IdentificationNumber",
    "VatIdentificationNumber",
    "AccountNumber",
    "Iban",
    "DeliveryAddress",
    "PurchaserDocumentAddress",
    "Purchaser",
    "contact.name",
    "Fax",
    "Www",
}
