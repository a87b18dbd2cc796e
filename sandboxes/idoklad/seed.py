"""Seeded state of the iDoklad sandbox: code lists shared by all agendas, and one agenda per
account state with its contacts, numeric sequences and existing documents."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from .calc import BASIC, REDUCED1, VAT_RATES, WITH_VAT, WITHOUT_VAT

APPLICATION_IDS = frozenset({"fynode-sandbox-app"})

CURRENCIES = [
    {"Id": 1, "Code": "CZK", "Name": "Koruna česká", "Symbol": "Kč", "CountryName": "Česká republika", "Priority": 1},
    {"Id": 2, "Code": "EUR", "Name": "Euro", "Symbol": "€", "CountryName": "Evropská unie", "Priority": 2},
    {"Id": 3, "Code": "USD", "Name": "Americký dolar", "Symbol": "$", "CountryName": "USA", "Priority": 3},
    {"Id": 4, "Code": "PLN", "Name": "Polský zlotý", "Symbol": "zł", "CountryName": "Polsko", "Priority": 4},
]
# Country `Code` is ISO alpha-3 (SDK CountryListGetModel).
COUNTRIES = [
    {
        "Id": 1,
        "Code": "CZE",
        "Name": "Česká republika",
        "NameEnglish": "Czech Republic",
        "CurrencyId": 1,
        "IsEuMember": True,
    },
    {"Id": 2, "Code": "SVK", "Name": "Slovensko", "NameEnglish": "Slovakia", "CurrencyId": 2, "IsEuMember": True},
    {"Id": 3, "Code": "DEU", "Name": "Německo", "NameEnglish": "Germany", "CurrencyId": 2, "IsEuMember": True},
    {"Id": 4, "Code": "POL", "Name": "Polsko", "NameEnglish": "Poland", "CurrencyId": 4, "IsEuMember": True},
    {"Id": 5, "Code": "AUT", "Name": "Rakousko", "NameEnglish": "Austria", "CurrencyId": 2, "IsEuMember": True},
    {
        "Id": 6,
        "Code": "USA",
        "Name": "Spojené státy americké",
        "NameEnglish": "United States",
        "CurrencyId": 3,
        "IsEuMember": False,
    },
]
COUNTRY_BY_MARKET = {"CZ": 1, "SK": 2}
# UNCONFIRMED: the payment option codes; the SDK only shows that each option has a `Code`.
PAYMENT_OPTIONS = [
    {"Id": 1, "Code": "B", "Name": "Převodem", "IsDefault": True, "IsRounded": False},
    {"Id": 2, "Code": "H", "Name": "Hotově", "IsDefault": False, "IsRounded": True},
    {"Id": 3, "Code": "D", "Name": "Dobírka", "IsDefault": False, "IsRounded": False},
    {"Id": 4, "Code": "K", "Name": "Kartou", "IsDefault": False, "IsRounded": False},
    {"Id": 5, "Code": "P", "Name": "PayPal", "IsDefault": False, "IsRounded": False},
]


def vat_rate_list() -> list[dict]:
    names = {0: "Snížená 1", 1: "Základní", 2: "Nulová", 3: "Snížená 2"}
    rows, next_id = [], 1
    for (market, rate_type), periods in VAT_RATES.items():
        for start, end, percent in periods:
            rows.append(
                {
                    "Id": next_id,
                    "CountryId": COUNTRY_BY_MARKET[market],
                    "Name": names[rate_type],
                    "Rate": percent,
                    "RateType": rate_type,
                    "DateValidityFrom": start.isoformat() + "T00:00:00",
                    "DateValidityTo": end.isoformat() + "T00:00:00",
                }
            )
            next_id += 1
    return rows


def accounts() -> list[dict]:
    """Account records; `_secret` is what the identity server holds, `credentials` what is handed out."""

    def account(
        acc_id, state, label, market, subscription, secret, given_secret=None, rights=0, license=1, date_to=None
    ):
        client_id = f"{acc_id}-client"
        return {
            "id": acc_id,
            "state": state,
            "label": label,
            "credentials": {"client_id": client_id, "client_secret": given_secret or secret},
            "_secret": secret,
            "_market": market,
            "_rights": rights,
            "_license": license,
            "_agenda": {
                "Id": 100 + len(acc_id) * 7 + sum(map(ord, acc_id)) % 97,
                "Name": label,
                "IsRegisteredForVat": True,
                "VatRegistrationType": 0,
                "DefaultCurrencyId": 1 if market == "CZ" else 2,
                "PreferredPriceType": WITHOUT_VAT,
                "PreferredVatRate": BASIC,
                "Contact": {
                    "CompanyName": label,
                    "CountryId": COUNTRY_BY_MARKET[market],
                    "IdentificationNumber": "27074358" if market == "CZ" else "50123456",
                    "City": "Praha" if market == "CZ" else "Bratislava",
                    "Street": "Václavské náměstí 1" if market == "CZ" else "Hlavná 1",
                    "PostalCode": "11000" if market == "CZ" else "81101",
                    "Email": "fakturace@demo.example",
                },
                "Subscription": {
                    "Type": subscription,
                    "DateFrom": "2024-01-01T00:00:00",
                    "DateTo": date_to or "2099-12-31T00:00:00",
                    "IsTrial": False,
                },
                "BankAccounts": [
                    {
                        "Id": 1,
                        "AccountNumber": "123456789",
                        "BankId": 1,
                        "Iban": "CZ6508000000001234567899",
                        "Swift": "GIBACZPX",
                        "IsDefault": True,
                        "CurrencyId": 1,
                    }
                ],
            },
        }

    return [
        account("id-valid", "valid", "Demo s.r.o.", "CZ", 2, "id-valid-secret-7Hq2"),
        account("id-valid-sk", "valid", "Demo SK s.r.o.", "SK", 3, "id-valid-sk-secret-K9w4"),
        account(
            "id-wrong-key",
            "wrong_key",
            "Wrong Key s.r.o.",
            "CZ",
            2,
            "id-wrong-key-secret-real",
            given_secret="id-wrong-key-secret-typo",
        ),
        account("id-no-api-plan", "no_api_plan", "Free Agenda s.r.o.", "CZ", 0, "id-no-api-plan-secret-F0"),
        account(
            "id-expired",
            "expired",
            "Expired s.r.o.",
            "CZ",
            2,
            "id-expired-secret-E5",
            license=5,
            date_to="2025-06-30T00:00:00",
        ),
        account(
            "id-no-permission", "no_permission", "No Rights s.r.o.", "CZ", 2, "id-no-permission-secret-N2", rights=2
        ),
    ]


def contacts(market: str) -> list[dict]:
    country = COUNTRY_BY_MARKET[market]
    people = [
        ("Alfa Obchod s.r.o.", "alfa@example.cz", "25596641", "CZ25596641", "Brno", "Masarykova 10", "60200"),
        ("Beta Trade a.s.", "beta@example.cz", "46347526", "CZ46347526", "Ostrava", "Nádražní 5", "70200"),
        ("Jana Nováková", "jana.novakova@example.cz", "", "", "Plzeň", "Americká 12", "30100"),
        ("Gama Servis s.r.o.", "gama@example.cz", "28169522", "CZ28169522", "Olomouc", "Horní náměstí 3", "77900"),
    ]
    return [
        {
            "Id": i + 1,
            "CompanyName": name,
            "Firstname": "",
            "Surname": "",
            "Email": email,
            "IdentificationNumber": ico,
            "VatIdentificationNumber": dic,
            "VatIdentificationNumberSk": "",
            "City": city,
            "Street": street,
            "PostalCode": zip_code,
            "CountryId": country,
            "Phone": "",
            "Mobile": "",
            "Www": "",
        }
        for i, (name, email, ico, dic, city, street, zip_code) in enumerate(people)
    ]


def sequences(year: int) -> list[dict]:
    """Numeric sequences: DocumentType 0 IssuedInvoice, 1 ProformaInvoice, 3 CreditNote."""
    return [
        {
            "Id": 1,
            "DocumentType": 0,
            "IsDefault": True,
            "Name": "Faktury",
            "NumberFormat": "{RRRR}{NNNN}",
            "Year": year,
            "_numbers": {},
        },
        {
            "Id": 2,
            "DocumentType": 0,
            "IsDefault": False,
            "Name": "E-shop",
            "NumberFormat": "E{RR}{NNNNN}",
            "Year": year,
            "_numbers": {},
        },
        {
            "Id": 3,
            "DocumentType": 1,
            "IsDefault": True,
            "Name": "Zálohové faktury",
            "NumberFormat": "ZF{RRRR}{NNN}",
            "Year": year,
            "_numbers": {},
        },
        {
            "Id": 4,
            "DocumentType": 3,
            "IsDefault": True,
            "Name": "Opravné doklady",
            "NumberFormat": "OD{RRRR}{NNN}",
            "Year": year,
            "_numbers": {},
        },
    ]


PRODUCTS = [
    ("Káva zrnková 1 kg", Decimal("489.00"), REDUCED1, WITH_VAT),
    ("Mlýnek na kávu", Decimal("1290.00"), BASIC, WITHOUT_VAT),
    ("Hrnek porcelánový", Decimal("149.90"), BASIC, WITH_VAT),
    ("Čaj sypaný 100 g", Decimal("129.00"), REDUCED1, WITHOUT_VAT),
    ("Doprava PPL", Decimal("99.00"), BASIC, WITH_VAT),
]


def seeded_invoice_bodies(today: date, count: int = 45) -> list[dict]:
    """POST-model bodies of the existing invoices, oldest first, with order numbers and VS."""
    bodies = []
    for i in range(count):
        issued = today - timedelta(days=(count - i) * 3)
        product = PRODUCTS[i % len(PRODUCTS)]
        shipping = PRODUCTS[4]
        items = [
            {
                "Name": product[0],
                "Amount": Decimal(1 + i % 3),
                "UnitPrice": product[1],
                "VatRateType": product[2],
                "PriceType": product[3],
                "DiscountPercentage": Decimal("0"),
                "IsTaxMovement": False,
                "Unit": "ks",
            }
        ]
        if i % 2 == 0:
            items.append(
                {
                    "Name": shipping[0],
                    "Amount": Decimal(1),
                    "UnitPrice": shipping[1],
                    "VatRateType": shipping[2],
                    "PriceType": shipping[3],
                    "DiscountPercentage": Decimal("0"),
                    "IsTaxMovement": False,
                    "Unit": "",
                }
            )
        bodies.append(
            {
                "PartnerId": 1 + i % 4,
                "Description": f"Objednávka {1001 + i}",
                "OrderNumber": f"{1001 + i}",
                "VariableSymbol": f"{1001 + i}",
                "DateOfIssue": issued,
                "DateOfTaxing": issued,
                "DateOfMaturity": issued + timedelta(days=14),
                "Items": items,
                "_paid": i % 3 == 0,
                "Note": "",
            }
        )
    return bodies
