"""The seeded Fakturownia accounts, users (API tokens), departments, clients and existing invoices.

An account is one Fakturownia subdomain (`prefix`). A user's API token opens every account the
user is a member of. `credentials` use the connector schema's keys: `subdomain`, `api_token`.

- fa-valid (valid): subdomain `demo-sklep`, KSeF connected (production statuses, automatic
  sending for Polish companies, "block invoices that do not comply with KSeF" on), two
  departments (the second with its own numbering), four clients and 14 invoices of several
  kinds, dates and payment/KSeF states.
- fa-wrong-key (wrong_key): subdomain `zly-klucz`; the token in the credentials was regenerated
  in Fakturownia, so the server knows another one -> 401.
- fa-no-permission (no_permission): subdomain `biuro-rachunkowe`; the token is a real user's,
  but the user is not a member of that account -> 403 "Nie masz uprawnień do tego konta!".
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta


def token(seed: str) -> str:
    """A 20-character API token of the kind Fakturownia hands out (letters and digits)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest[:20])


SELLER_NIP = "5252445767"  # valid checksum (the docs' own example NIP)


def _department(
    did: int,
    name: str,
    shortcut: str,
    *,
    tax_no: str,
    street: str,
    post_code: str,
    city: str,
    default: bool = False,
    use_pattern: bool = False,
    invoice_pattern: str = "",
) -> dict:
    return {
        "id": did,
        "name": name,
        "shortcut": shortcut,
        "tax_no": tax_no,
        "street": street,
        "post_code": post_code,
        "city": city,
        "country": "PL",
        "email": "faktury@sklep.example",
        "phone": "221234567",
        "bank": "mBank",
        "bank_account": "24 1140 1977 0000 5921 7200 1001",
        "default": default,
        "use_pattern": use_pattern,
        "invoice_pattern": invoice_pattern,
    }


def accounts() -> list[dict]:
    """Keys besides id/state/label/credentials are the sandbox's own."""
    return [
        {
            "id": "fa-valid",
            "state": "valid",
            "label": "Demo Sklep Sp. z o.o.",
            "credentials": {"subdomain": "demo-sklep", "api_token": token("fa-valid")},
            "prefix": "demo-sklep",
            "ksef": True,
            "gov_auto_send_mode": "pl_companies",
            "validate_invoices_for_gov": True,
            "invoice_form_price_kind": "net",
            "departments": [
                _department(
                    101,
                    "Demo Sklep Sp. z o.o.",
                    "Demo Sklep",
                    tax_no=SELLER_NIP,
                    street="ul. Przykładowa 10",
                    post_code="00-001",
                    city="Warszawa",
                    default=True,
                ),
                # Independent numbering for this department (VosFactures documents `use_pattern` and
                # `invoice_pattern`; the pattern syntax here is the sandbox's own: {n}, {yyyy}, {mm}).
                _department(
                    102,
                    "Demo Sklep Sp. z o.o. Outlet",
                    "Outlet",
                    tax_no=SELLER_NIP,
                    street="ul. Magazynowa 3",
                    post_code="05-800",
                    city="Pruszków",
                    use_pattern=True,
                    invoice_pattern="OUT/{n}/{yyyy}",
                ),
            ],
        },
        {
            "id": "fa-wrong-key",
            "state": "wrong_key",
            "label": "Zły Klucz Sp. z o.o.",
            "credentials": {"subdomain": "zly-klucz", "api_token": token("fa-wrong-key-revoked")},
            "prefix": "zly-klucz",
            "ksef": False,
            "gov_auto_send_mode": None,
            "validate_invoices_for_gov": True,
            "invoice_form_price_kind": "net",
            "departments": [
                _department(
                    301,
                    "Zły Klucz Sp. z o.o.",
                    "Zły Klucz",
                    tax_no="6272616681",
                    street="ul. Długa 1",
                    post_code="30-001",
                    city="Kraków",
                    default=True,
                )
            ],
        },
        {
            "id": "fa-no-permission",
            "state": "no_permission",
            "label": "Biuro Rachunkowe Sp. z o.o.",
            "credentials": {"subdomain": "biuro-rachunkowe", "api_token": token("fa-outsider")},
            "prefix": "biuro-rachunkowe",
            "ksef": False,
            "gov_auto_send_mode": None,
            "validate_invoices_for_gov": True,
            "invoice_form_price_kind": "net",
            "departments": [
                _department(
                    401,
                    "Biuro Rachunkowe Sp. z o.o.",
                    "Biuro",
                    tax_no="9876543210",
                    street="ul. Krótka 2",
                    post_code="80-001",
                    city="Gdańsk",
                    default=True,
                )
            ],
        },
    ]


def users() -> dict[str, dict]:
    """API token -> user. `accounts` lists the prefixes the user is a member of."""
    return {
        token("fa-valid"): {
            "login": "demo",
            "email": "demo@sklep.example",
            "password": "demo-haslo",
            "first_name": "Anna",
            "last_name": "Demo",
            "accounts": ["demo-sklep"],
        },
        token("fa-wrong-key"): {
            "login": "zly",
            "email": "zly@klucz.example",
            "password": "zly-haslo",
            "first_name": "Piotr",
            "last_name": "Klucz",
            "accounts": ["zly-klucz"],
        },
        # A real user, but removed from biuro-rachunkowe: their token is known, the account is not theirs.
        token("fa-outsider"): {
            "login": "outsider",
            "email": "outsider@example.pl",
            "password": "out-haslo",
            "first_name": "Ewa",
            "last_name": "Obca",
            "accounts": [],
        },
        token("fa-biuro-owner"): {
            "login": "biuro",
            "email": "biuro@rachunkowe.example",
            "password": "biuro-haslo",
            "first_name": "Jan",
            "last_name": "Biuro",
            "accounts": ["biuro-rachunkowe"],
        },
    }


CLIENTS = {
    "fa-valid": [
        {
            "id": 201,
            "name": "Hurtownia Kowalski Sp. z o.o.",
            "tax_no": "6272616681",
            "tax_no_kind": "",
            "company": True,
            "street": "ul. Hurtowa 5",
            "post_code": "30-314",
            "city": "Kraków",
            "country": "PL",
            "email": "zakupy@kowalski.example",
            "phone": "123456789",
            "first_name": "",
            "last_name": "",
        },
        {
            "id": 202,
            "name": "Jan Nowak",
            "tax_no": "",
            "tax_no_kind": "",
            "company": False,
            "first_name": "Jan",
            "last_name": "Nowak",
            "street": "ul. Polna 7",
            "post_code": "60-101",
            "city": "Poznań",
            "country": "PL",
            "email": "jan.nowak@example.pl",
            "phone": "",
        },
        {
            "id": 203,
            "name": "Müller Handel GmbH",
            "tax_no": "DE123456789",
            "tax_no_kind": "nip_ue",
            "company": True,
            "street": "Hauptstraße 1",
            "post_code": "10115",
            "city": "Berlin",
            "country": "DE",
            "email": "einkauf@mueller.example",
            "phone": "",
            "first_name": "",
            "last_name": "",
        },
        # Ten digits, but the NIP checksum is wrong: KSeF rejects invoices for this buyer.
        {
            "id": 204,
            "name": "Firma Błędna Sp. z o.o.",
            "tax_no": "1234567890",
            "tax_no_kind": "",
            "company": True,
            "street": "ul. Krzywa 13",
            "post_code": "90-001",
            "city": "Łódź",
            "country": "PL",
            "email": "biuro@bledna.example",
            "phone": "",
            "first_name": "",
            "last_name": "",
        },
    ],
    "fa-wrong-key": [
        {
            "id": 501,
            "name": "Klient Testowy Sp. z o.o.",
            "tax_no": "9876543210",
            "tax_no_kind": "",
            "company": True,
            "street": "ul. Testowa 1",
            "post_code": "00-950",
            "city": "Warszawa",
            "country": "PL",
            "email": "test@klient.example",
            "phone": "",
            "first_name": "",
            "last_name": "",
        },
    ],
    "fa-no-permission": [
        {
            "id": 601,
            "name": "Klient Biura Sp. z o.o.",
            "tax_no": "6272616681",
            "tax_no_kind": "",
            "company": True,
            "street": "ul. Biurowa 4",
            "post_code": "80-002",
            "city": "Gdańsk",
            "country": "PL",
            "email": "klient@biuro.example",
            "phone": "",
            "first_name": "",
            "last_name": "",
        },
    ],
}

_SHIRT = {"name": "Koszulka z logo", "quantity": 2, "quantity_unit": "szt", "tax": 23, "price_net": "40.65"}
_BOOK = {
    "name": "Książka: Księgowość dla sklepów",
    "quantity": 1,
    "quantity_unit": "szt",
    "tax": 5,
    "total_price_gross": "52.50",
}
_COFFEE = {"name": "Kawa ziarnista 1 kg", "quantity": 3, "quantity_unit": "szt", "tax": 8, "price_net": "55.00"}
_SHIPPING = {"name": "Wysyłka kurierem", "quantity": 1, "quantity_unit": "szt", "tax": 23, "total_price_gross": "15.99"}


def invoices(account_id: str, today: date) -> list[dict]:
    """Existing invoices as creation payloads plus the state the sandbox gives them.

    `ksef`: "ok" (accepted, gov_id on the issue date), "error" (rejected), None (never sent; the
    status then follows the account rules, e.g. not_applicable for a proforma to a company)."""
    d = lambda days: today - timedelta(days=days)  # noqa: E731
    if account_id != "fa-valid":
        client = CLIENTS[account_id][0]["id"]
        return [
            {
                "invoice": {
                    "kind": "vat",
                    "issue_date": d(n * 20).isoformat(),
                    "client_id": client,
                    "buyer_company": True,
                    "oid": f"{account_id}-{n}",
                    "positions": [dict(_SHIRT)],
                },
                "status": "paid" if n % 2 else "issued",
                "ksef": None,
            }
            for n in range(3)
        ]
    last_year = date(today.year - 1, 12, 18)
    specs = [
        (
            {
                "kind": "vat",
                "issue_date": last_year,
                "client_id": 201,
                "oid": "0999",
                "positions": [_COFFEE, _SHIPPING],
            },
            "paid",
            "ok",
        ),
        (
            {
                "kind": "vat",
                "issue_date": d(200),
                "client_id": 201,
                "oid": "1001",
                "positions": [_SHIRT, _BOOK, _SHIPPING],
            },
            "paid",
            "ok",
        ),
        (
            {
                "kind": "vat",
                "issue_date": d(150),
                "client_id": 202,
                "buyer_company": False,
                "oid": "1002",
                "payment_type": "card",
                "positions": [_BOOK],
            },
            "paid",
            None,
        ),
        (
            {
                "kind": "vat",
                "issue_date": d(120),
                "client_id": 203,
                "oid": "1003",
                "currency": "EUR",
                "positions": [{**_COFFEE, "price_net": "12.00"}],
            },
            "paid",
            "ok",
        ),
        (
            {"kind": "proforma", "issue_date": d(95), "client_id": 201, "oid": "1004", "positions": [_SHIRT]},
            "issued",
            None,
        ),
        (
            {
                "kind": "vat",
                "issue_date": d(90),
                "client_id": 201,
                "oid": "1004",
                "from_proforma": True,
                "positions": [_SHIRT],
            },
            "paid",
            "ok",
        ),
        (
            {
                "kind": "vat",
                "issue_date": d(60),
                "client_id": 202,
                "buyer_company": False,
                "oid": "1005",
                "positions": [_SHIRT, _SHIPPING],
            },
            "sent",
            None,
        ),
        (
            {
                "kind": "correction",
                "issue_date": d(45),
                "client_id": 201,
                "oid": "1001",
                "corrects": "1001",
                "correction_reason": "Zwrot towaru",
                "positions": [
                    {
                        "name": "Koszulka z logo",
                        "quantity": -1,
                        "tax": 23,
                        "total_price_gross": "-50.00",
                        "kind": "correction",
                        "correction_before_attributes": {
                            "name": "Koszulka z logo",
                            "quantity": "2",
                            "tax": "23",
                            "total_price_gross": "100.00",
                            "kind": "correction_before",
                        },
                        "correction_after_attributes": {
                            "name": "Koszulka z logo",
                            "quantity": "1",
                            "tax": "23",
                            "total_price_gross": "50.00",
                            "kind": "correction_after",
                        },
                    }
                ],
            },
            "issued",
            "ok",
        ),
        (
            {"kind": "vat", "issue_date": d(35), "client_id": 204, "oid": "1006", "positions": [_COFFEE]},
            "issued",
            "error",
        ),
        (
            {
                "kind": "vat",
                "issue_date": d(20),
                "client_id": 201,
                "department_id": 102,
                "oid": "1007",
                "positions": [_SHIRT, _COFFEE],
            },
            "partial",
            "ok",
        ),
        (
            {
                "kind": "vat",
                "issue_date": d(10),
                "client_id": 202,
                "buyer_company": False,
                "department_id": 102,
                "oid": "1008",
                "positions": [_BOOK, _SHIPPING],
            },
            "paid",
            None,
        ),
        (
            {
                "kind": "proforma",
                "issue_date": d(3),
                "client_id": 202,
                "buyer_company": False,
                "oid": "1009",
                "positions": [_COFFEE],
            },
            "issued",
            None,
        ),
        (
            {"kind": "vat", "issue_date": d(1), "client_id": 201, "oid": "1010", "positions": [_BOOK, _SHIPPING]},
            "issued",
            "ok",
        ),
        (
            {
                "kind": "vat",
                "issue_date": today,
                "client_id": 202,
                "buyer_company": False,
                "oid": "1011",
                "positions": [_SHIRT],
            },
            "issued",
            None,
        ),
    ]
    out = []
    for invoice, status, ksef in specs:
        invoice = {
            **invoice,
            "issue_date": invoice["issue_date"].isoformat(),
            "positions": [dict(p) for p in invoice["positions"]],
        }
        invoice.setdefault("buyer_company", True)
        out.append({"invoice": invoice, "status": status, "ksef": ksef})
    return out
