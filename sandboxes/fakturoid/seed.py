"""Seeded users, Fakturoid accounts and existing documents.

Control-API accounts (ids, states):
- fa-valid: owner of "demo-sro" (paid plan, bank account, 47 existing documents: 43 invoices,
  3 proformas, 1 correction, so invoice listing needs two pages of 40).
- fa-wrong-key: the same account slug, but a client secret Fakturoid does not know; its
  oauth_login carries a wrong password, so the sign-in page refuses it.
- fa-blocked: "zablokovana-firma", blocked over an unpaid Fakturoid invoice (402).
- fa-no-permission: a user with `permission: "read"` on "jen-cteni" (writes answer 403).
- fa-no-bank: "bez-uctu-sro" on the free plan without a bank account: creating an invoice answers
  the documented 403, messages answer 403 `upgrade_required`.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from .documents import make_invoice, make_subject

SANDBOX_APP = {
    "client_id": "fynode-sandbox-oauth-client",
    "client_secret": "fynode-sandbox-oauth-secret",
    "name": "Fynode Accounting Connect (sandbox)",
}
FULL_SCOPE = ["invoices", "expenses", "reports"]


def fa_account(
    slug: str, name: str, plan: str, *, blocked: bool = False, bank: bool = True, registration_no: str = "12345678"
) -> dict[str, Any]:
    return {
        "slug": slug,
        "name": name,
        "plan": plan,
        "plan_price": 0 if plan == "Zdarma" else 390,
        "blocked": blocked,
        "currency": "CZK",
        "country": "CZ",
        "vat_mode": "vat_payer",
        "vat_price_mode": "without_vat",
        "due": 14,
        "street": "Vodičkova 12",
        "city": "Praha",
        "zip": "11000",
        "registration_no": registration_no,
        "vat_no": f"CZ{registration_no}",
        "email": f"fakturace@{slug}.example",
        "invoice_language": "cz",
        "bank_accounts": [
            {
                "id": 101 if slug == "demo-sro" else 100 + len(slug),
                "name": "Hlavní účet",
                "currency": "CZK",
                "number": "2600123456/2010",
                "iban": "CZ6520100000002600123456",
                "swift_bic": "FIOBCZPPXXX",
                "pairing": True,
                "expense_pairing": False,
                "payment_adjustment": False,
                "default": True,
            }
        ]
        if bank
        else [],
        "number_formats": [
            {"id": 11, "format": "#yyyy#-#dddd#", "default": True},
            {"id": 12, "format": "OD#yyyy#-#ddd#", "default": False},
        ],
        "proforma_format": "ZF#yyyy#-#ddd#",
        "subjects": {},
        "invoices": {},
    }


def seed(sandbox, base_url: str) -> None:
    ids = itertools.count(1001)
    line_ids = itertools.count(50001)
    sandbox.line_ids = line_ids
    sandbox.ids = ids
    sandbox.apps = {SANDBOX_APP["client_id"]: SANDBOX_APP}
    demo = fa_account("demo-sro", "Demo s.r.o.", "Komplet")
    blocked = fa_account(
        "zablokovana-firma", "Zablokovaná firma s.r.o.", "Základ", blocked=True, registration_no="23456789"
    )
    readonly = fa_account("jen-cteni", "Jen čtení s.r.o.", "Komplet", registration_no="34567890")
    nobank = fa_account("bez-uctu-sro", "Bez účtu s.r.o.", "Zdarma", bank=False, registration_no="45678901")
    sandbox.fa_accounts = {a["slug"]: a for a in (demo, blocked, readonly, nobank)}
    sandbox.users = [
        _user(
            1,
            "Jana Nováková",
            "jana@demo-sro.example",
            "demo-heslo-1",
            "fa-valid-client-id",
            "fa-valid-client-secret",
            [("demo-sro", "owner", FULL_SCOPE)],
        ),
        _user(
            2,
            "Petr Blokovaný",
            "petr@zablokovana-firma.example",
            "demo-heslo-2",
            "fa-blocked-client-id",
            "fa-blocked-client-secret",
            [("zablokovana-firma", "owner", FULL_SCOPE)],
        ),
        _user(
            3,
            "Eva Čtenářová",
            "eva@jen-cteni.example",
            "demo-heslo-3",
            "fa-read-client-id",
            "fa-read-client-secret",
            [("jen-cteni", "read", FULL_SCOPE)],
        ),
        _user(
            4,
            "Karel Bezúčtový",
            "karel@bez-uctu.example",
            "demo-heslo-4",
            "fa-nobank-client-id",
            "fa-nobank-client-secret",
            [("bez-uctu-sro", "owner", FULL_SCOPE)],
        ),
    ]
    sandbox.accounts = [
        _control(
            "fa-valid",
            "valid",
            "Demo s.r.o.",
            "demo-sro",
            "fa-valid-client-id",
            "fa-valid-client-secret",
            "jana@demo-sro.example",
            "demo-heslo-1",
        ),
        _control(
            "fa-wrong-key",
            "wrong_key",
            "Demo s.r.o. (wrong secret)",
            "demo-sro",
            "fa-valid-client-id",
            "fa-revoked-client-secret",
            "jana@demo-sro.example",
            "wrong-password",
        ),
        _control(
            "fa-blocked",
            "blocked",
            "Zablokovaná firma s.r.o.",
            "zablokovana-firma",
            "fa-blocked-client-id",
            "fa-blocked-client-secret",
            "petr@zablokovana-firma.example",
            "demo-heslo-2",
        ),
        _control(
            "fa-no-permission",
            "no_permission",
            "Jen čtení s.r.o.",
            "jen-cteni",
            "fa-read-client-id",
            "fa-read-client-secret",
            "eva@jen-cteni.example",
            "demo-heslo-3",
        ),
        _control(
            "fa-no-bank",
            "no_bank_account",
            "Bez účtu s.r.o.",
            "bez-uctu-sro",
            "fa-nobank-client-id",
            "fa-nobank-client-secret",
            "karel@bez-uctu.example",
            "demo-heslo-4",
        ),
    ]
    for account in sandbox.fa_accounts.values():
        _seed_documents(account, ids, line_ids, base_url, 47 if account["slug"] == "demo-sro" else 2)


def _user(uid, full_name, email, password, client_id, client_secret, memberships) -> dict[str, Any]:
    return {
        "id": uid,
        "full_name": full_name,
        "email": email,
        "password": password,
        "client_id": client_id,
        "client_secret": client_secret,
        "memberships": [{"slug": s, "permission": p, "allowed_scope": list(scope)} for s, p, scope in memberships],
    }


def _control(cid, state, label, slug, client_id, client_secret, email, password) -> dict[str, Any]:
    return {
        "id": cid,
        "state": state,
        "label": label,
        "credentials": {
            "auth_method": "client_credentials",
            "slug": slug,
            "client_id": client_id,
            "client_secret": client_secret,
        },
        "oauth_login": {"email": email, "password": password},
    }


CUSTOMERS = (
    {
        "name": "Kavárna U Zvonu s.r.o.",
        "street": "Náměstí 5",
        "city": "Brno",
        "zip": "60200",
        "registration_no": "27082440",
        "vat_no": "CZ27082440",
        "email": "ucetni@kavarna.example",
    },
    {
        "name": "Tomáš Dvořák",
        "street": "Lipová 18",
        "city": "Olomouc",
        "zip": "77900",
        "email": "tomas.dvorak@example.com",
    },
    {
        "name": "Knihkupectví Sova",
        "street": "Hlavní 3",
        "city": "Plzeň",
        "zip": "30100",
        "registration_no": "61860476",
        "email": "sova@example.com",
    },
)
PRODUCTS = (
    ("Káva zrnková 1 kg", "489.0", 12),
    ("Hrnek keramický", "159.0", 21),
    ("Doprava", "99.0", 21),
    ("Kniha: Průvodce Prahou", "349.0", 0),
)


def _seed_documents(account, ids, line_ids, base_url: str, count: int) -> None:
    subjects = []
    for i, customer in enumerate(CUSTOMERS):
        subject = make_subject(
            account, next(ids), {**customer, "custom_id": f"seed-{account['slug']}-{i + 1}"}, base_url
        )
        account["subjects"][subject["id"]] = subject
        subjects.append(subject)
    start = date(date.today().year, 1, 5)
    for n in range(count):
        issued = min(start + timedelta(days=4 * n), date.today())
        doc_type = "proforma" if n % 15 == 7 else "invoice"
        product = PRODUCTS[n % len(PRODUCTS)]
        data = {
            "subject_id": subjects[n % 3]["id"],
            "document_type": doc_type,
            "issued_on": issued.isoformat(),
            "order_number": f"OBJ-{issued.year}-{n + 1:04d}",
            "custom_id": f"seed-order-{n + 1}",
            "lines": [
                {
                    "name": product[0],
                    "quantity": str(1 + n % 3),
                    "unit_name": "ks",
                    "unit_price": product[1],
                    "vat_rate": product[2],
                },
                {"name": "Doprava", "quantity": "1", "unit_price": "99.0", "vat_rate": 21},
            ],
        }
        if n == count - 1 and count > 10:
            first = next(i for i in account["invoices"].values() if i["document_type"] == "invoice")
            data = {
                **data,
                "document_type": "correction",
                "correction_id": first["id"],
                "number_format_id": 12,
                "custom_id": None,
                "lines": [{"name": "Vrácené zboží", "quantity": "1", "unit_price": "-159.0", "vat_rate": 21}],
            }
        invoice = make_invoice(account, next(ids), data, subjects[n % 3], line_ids, base_url)
        if n % 4 == 1 and doc_type == "invoice":
            invoice.update(
                status="paid", paid_on=issued.isoformat(), remaining_amount="0.0", remaining_native_amount="0.0"
            )
        account["invoices"][invoice["id"]] = invoice
        if invoice["document_type"] == "correction":
            account["invoices"][invoice["correction_id"]]["correction_id"] = invoice["id"]
