"""The seeded SuperFaktura users, companies, number series, clients and existing invoices.

Each seeded account is one API user (login e-mail + API key) with its companies
("profiles"). `credentials` use the connector schema's keys: email, api_key, company_id,
market. The sf-valid login e-mail contains a "+" so that an unencoded e-mail (a "+" read as a
space, as `application/x-www-form-urlencoded` parsing does) fails authentication.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal


def api_key(seed: str) -> str:
    return hashlib.md5(seed.encode()).hexdigest()


def _company(
    cid: int, name: str, *, ico: str, tax_payer: bool = True, sequences: dict | None = None, banks: list | None = None
) -> dict:
    return {
        "id": cid,
        "company_name": name,
        "ico": ico,
        "dic": "20" + ico[:8],
        "ic_dph": ("SK20" + ico[:8]) if tax_payer else "",
        "tax_payer": "1" if tax_payer else "0",
        "home_currency": "EUR",
        "address": "Obchodná 1",
        "city": "Bratislava",
        "zip": "811 06",
        "country_id": "191",
        "phone": "",
        "web": "https://shop.example",
        "sequences": sequences or {},
        "bank_accounts": banks or [],
    }


def _seq(sid: int, name: str, mask: str, item_type: str, default: bool = True, period: str = "yearly") -> dict:
    return {"id": sid, "name": name, "mask": mask, "item_type": item_type, "default": default, "period_type": period}


def accounts() -> list[dict]:
    """Seeded accounts. Keys besides id/state/label/credentials are the sandbox's own."""
    valid_sequences = {
        "regular": [_seq(101, "Faktúry", "YYYYNNN", "regular"), _seq(102, "E-shop", "EYYYYNNNN", "regular", False)],
        "proforma": [_seq(201, "Zálohové faktúry", "ZFYYYYNNN", "proforma")],
        # UNCONFIRMED whether /sequences/index.json has a "cancel" key; the app shows credit-note
        # series separately, so this sandbox lists them under "cancel".
        "cancel": [_seq(301, "Dobropisy", "DBYYYYNNN", "cancel")],
        "delivery": [_seq(401, "Dodacie listy", "DLYYYYNNN", "delivery")],
        "estimate": [_seq(501, "Cenové ponuky", "CPYYYYNNN", "estimate")],
    }
    simple = lambda base: {  # noqa: E731 - a small table builder
        "regular": [_seq(base + 1, "Faktúry", "YYYYNNN", "regular")],
        "proforma": [_seq(base + 2, "Zálohové faktúry", "ZFYYYYNNN", "proforma")],
    }
    banks = [
        {
            "id": 264,
            "bank_name": "Tatra banka",
            "iban": "SK3111000000002612345678",
            "swift": "TATRSKBX",
            "account": "2612345678",
            "bank_code": "1100",
            "default": "1",
            "show": "1",
        },
        {
            "id": 265,
            "bank_name": "Slovenská sporiteľňa",
            "iban": "SK8909000000000011223344",
            "swift": "GIBASKBX",
            "account": "0011223344",
            "bank_code": "0900",
            "default": "0",
            "show": "1",
        },
    ]
    return [
        {
            "id": "sf-valid",
            "state": "valid",
            "label": "Demo s.r.o.",
            "credentials": {
                "email": "demo+sk@fynode.example",
                "api_key": api_key("sf-valid"),
                "company_id": "3101",
                "market": "SK",
            },
            "server_api_key": api_key("sf-valid"),
            "role": "admin",
            "premium": True,
            "companies": [
                _company(3101, "Demo s.r.o.", ico="50123456", sequences=valid_sequences, banks=banks),
                _company(3102, "Demo Druhá s.r.o.", ico="50654321", sequences=simple(3110)),
            ],
        },
        {
            "id": "sf-wrong-key",
            "state": "wrong_key",
            "label": "Zlý kľúč s.r.o.",
            "credentials": {
                "email": "wrong.key@fynode.example",
                "api_key": api_key("revoked-key"),
                "company_id": "3201",
                "market": "SK",
            },
            # The key the server knows differs from the one in the credentials (regenerated).
            "server_api_key": api_key("sf-wrong-key"),
            "role": "admin",
            "premium": True,
            "companies": [_company(3201, "Zlý kľúč s.r.o.", ico="50200001", sequences=simple(3210))],
        },
        {
            "id": "sf-no-api-plan",
            "state": "no_api_plan",
            "label": "Bez prémia s.r.o.",
            "credentials": {
                "email": "free+plan@fynode.example",
                "api_key": api_key("sf-no-api-plan"),
                "company_id": "3301",
                "market": "SK",
            },
            "server_api_key": api_key("sf-no-api-plan"),
            "role": "admin",
            "premium": False,
            "companies": [_company(3301, "Bez prémia s.r.o.", ico="50300001", sequences=simple(3310))],
        },
        {
            # The 30-day Premium trial of a new company has ended: SuperFaktura answers exactly as
            # for a company that never had Premium.
            "id": "sf-expired",
            "state": "expired",
            "label": "Skúšobná s.r.o.",
            "credentials": {
                "email": "trial@fynode.example",
                "api_key": api_key("sf-expired"),
                "company_id": "3501",
                "market": "CZ",
            },
            "server_api_key": api_key("sf-expired"),
            "role": "admin",
            "premium": False,
            "companies": [_company(3501, "Skúšobná s.r.o.", ico="50500001", sequences=simple(3510))],
        },
        {
            "id": "sf-no-permission",
            "state": "no_permission",
            "label": "Účtovník s.r.o.",
            "credentials": {
                "email": "accountant@fynode.example",
                "api_key": api_key("sf-no-permission"),
                "company_id": "3401",
                "market": "SK",
            },
            "server_api_key": api_key("sf-no-permission"),
            "role": "reader",
            "premium": True,
            "companies": [_company(3401, "Účtovník s.r.o.", ico="50400001", tax_payer=False, sequences=simple(3410))],
        },
    ]


SEEDED_CLIENTS = [
    {"name": "Ján Novák", "email": "jan.novak@example.sk", "address": "Hlavná 12", "city": "Košice", "zip": "040 01"},
    {
        "name": "Alfa Trade s.r.o.",
        "ico": "36123456",
        "dic": "2020123456",
        "ic_dph": "SK2020123456",
        "email": "uctaren@alfa.example",
        "address": "Mlynské nivy 5",
        "city": "Bratislava",
        "zip": "821 09",
    },
    {"name": "Eva Kováčová", "email": "eva@example.sk", "address": "Nábrežie 3", "city": "Žilina", "zip": "010 01"},
]

_CATALOGUE = [
    ("Tričko s logom", Decimal("12.19"), Decimal("23")),
    ("Kniha: Účtovníctvo", Decimal("18.90"), Decimal("5")),
    ("Káva zrnková 1 kg", Decimal("21.49"), Decimal("19")),
    ("Poštovné", Decimal("3.25"), Decimal("23")),
]


def seeded_invoices(today: date) -> list[dict]:
    """Existing documents of company 3101: 48 regular invoices and 3 proformas this year, and
    2 regular invoices last year (the list's default filter, created = this year, hides them)."""
    start = date(today.year, 1, 1)
    docs = []
    for i in range(48):
        created = max(start, today - timedelta(days=3 * (47 - i)))
        items = [
            {
                "name": _CATALOGUE[i % 3][0],
                "unit_price": _CATALOGUE[i % 3][1],
                "tax": _CATALOGUE[i % 3][2],
                "quantity": Decimal(1 + i % 3),
                "unit": "ks",
            },
            {
                "name": _CATALOGUE[3][0],
                "unit_price": _CATALOGUE[3][1],
                "tax": _CATALOGUE[3][2],
                "quantity": Decimal("1"),
                "unit": "",
            },
        ]
        docs.append(
            {
                "type": "regular",
                "sequence_id": 101,
                "created": created,
                "order_no": str(1000 + i),
                "variable": str(1000 + i),
                "client": SEEDED_CLIENTS[i % 3],
                "items": items,
                "paid": i % 4 == 0,
                "payment_type": "transfer" if i % 2 else "card",
            }
        )
    for i in range(3):
        docs.append(
            {
                "type": "proforma",
                "sequence_id": 201,
                "created": max(start, today - timedelta(days=i)),
                "order_no": str(2000 + i),
                "variable": str(2000 + i),
                "client": SEEDED_CLIENTS[i],
                "items": [
                    {
                        "name": _CATALOGUE[0][0],
                        "unit_price": _CATALOGUE[0][1],
                        "tax": _CATALOGUE[0][2],
                        "quantity": Decimal("2"),
                        "unit": "ks",
                    }
                ],
                "paid": False,
                "payment_type": "transfer",
            }
        )
    for i in range(2):
        docs.append(
            {
                "type": "regular",
                "sequence_id": 101,
                "created": date(today.year - 1, 12, 10 + i),
                "order_no": str(900 + i),
                "variable": str(900 + i),
                "client": SEEDED_CLIENTS[1],
                "items": [
                    {
                        "name": _CATALOGUE[2][0],
                        "unit_price": _CATALOGUE[2][1],
                        "tax": _CATALOGUE[2][2],
                        "quantity": Decimal("1"),
                        "unit": "ks",
                    }
                ],
                "paid": True,
                "payment_type": "transfer",
            }
        )
    return docs
