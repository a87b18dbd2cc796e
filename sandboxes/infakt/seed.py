"""Seeded inFakt companies, API keys and existing documents.

Control-API accounts (all `credentials` use our field schema's key `api_key`):
- infakt-valid: "Sklep Demo Sp. z o.o." (NIP 5252344078), integrated with KSeF, a verified bank
  account, 3 clients, 13 existing documents: 10 VAT invoices (the older ones cleared in KSeF with a
  `ksef_number`, one rejected by KSeF), 2 proformas and 1 corrective invoice.
- infakt-valid-noksef: "Pracownia Bez KSeF s.c." (NIP 6793214583), state "valid" too but not
  integrated with KSeF (sending answers 422), 13 documents of the same mix without KSeF data.
- infakt-wrong-key: an API key inFakt does not know (every call answers 401).

Each seeded VAT invoice and proforma carries its shop order as `notes` ("Zamówienie 1001") and
as `transaction_terms.orders[].number` ("1001").
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from random import Random
from typing import Any

from .calc import build_service
from .documents import make_client, make_correction, make_invoice, new_uuid, now

KEYS = {
    "infakt-valid": "49206c6f76652053616e64626f782031",
    "infakt-valid-noksef": "4e6f204b53654620616e792074696d65",
    "infakt-wrong-key": "0000000000000000000000000000dead",
}


def company(
    key: str, control_id: str, name: str, nip: str, city: str, post_code: str, street: str, ksef: bool, bank_number: str
) -> dict[str, Any]:
    return {
        "key": key,
        "control_id": control_id,
        "api_key": KEYS[control_id],
        "name": name,
        "nip": nip,
        "street": street,
        "street_number": "12",
        "flat_number": "",
        "city": city,
        "postal_code": post_code,
        "email": f"biuro@{key}.example",
        "phone_number": "+48 600 100 200",
        "ksef_active": ksef,
        "ksef_last_fetched_at": "2026-01-05T10:00:00+01:00" if ksef else None,
        "bank_accounts": [
            {
                "id": 501 if ksef else 502,
                "account_number": bank_number,
                "bank_name": "mBank S.A.",
                "swift": "BREXPLPW",
                "currency": "PLN",
                "custom_name": "Główne",
                "default": True,
            }
        ],
        "clients": [],
        "invoices": {},
        "emails": [],
    }


CLIENTS = (
    {
        "company_name": "Kawiarnia Pod Zegarem Sp. z o.o.",
        "nip": "9452121681",
        "street": "Rynek",
        "street_number": "5",
        "city": "Kraków",
        "postal_code": "30-001",
        "country": "PL",
        "email": "ksiegowosc@kawiarnia.example",
        "days_to_payment": 14,
        "business_activity_kind": "other_business",
    },
    {
        "first_name": "Anna",
        "last_name": "Nowak",
        "street": "Lipowa",
        "street_number": "18",
        "city": "Poznań",
        "postal_code": "60-101",
        "country": "PL",
        "email": "anna.nowak@example.com",
        "business_activity_kind": "private_person",
    },
    {
        "company_name": "Księgarnia Sowa Jan Kowalski",
        "nip": "5268969361",
        "street": "Długa",
        "street_number": "3",
        "city": "Gdańsk",
        "postal_code": "80-827",
        "country": "PL",
        "email": "sowa@example.com",
        "days_to_payment": 7,
        "business_activity_kind": "self_employed",
    },
)
PRODUCTS = (
    ("Kawa ziarnista 1 kg", 7900, "23"),
    ("Kubek ceramiczny", 3490, "23"),
    ("Książka: Kraków nocą", 4200, "5"),
    ("Herbata liściasta 250 g", 2590, "23"),
)
SHIPPING = ("Wysyłka kurierem", 1499, "23")


def seed(sandbox) -> None:
    rng = Random(11)
    sandbox.ids = itertools.count(70001)
    sandbox.line_ids = itertools.count(900001)
    sandbox.client_ids = itertools.count(3001)
    sandbox.rng = rng
    demo = company(
        "sklep-demo",
        "infakt-valid",
        "Sklep Demo Sp. z o.o.",
        "5252344078",
        "Warszawa",
        "00-950",
        "Marszałkowska",
        True,
        "PL61109010140000071219812874",
    )
    plain = company(
        "pracownia",
        "infakt-valid-noksef",
        "Pracownia Bez KSeF s.c.",
        "6793214583",
        "Wrocław",
        "50-001",
        "Świdnicka",
        False,
        "PL27114020040000300201355387",
    )
    sandbox.companies = {c["control_id"]: c for c in (demo, plain)}
    sandbox.accounts = [
        _control("infakt-valid", "valid", "Sklep Demo Sp. z o.o. (KSeF)"),
        _control("infakt-valid-noksef", "valid", "Pracownia Bez KSeF s.c. (no KSeF)"),
        _control("infakt-wrong-key", "wrong_key", "Sklep Demo Sp. z o.o. (wrong API key)"),
    ]
    for c in (demo, plain):
        for data in CLIENTS:
            c["clients"].append(make_client(next(sandbox.client_ids), rng, data))
        _seed_documents(sandbox, c, rng)


def _control(cid: str, state: str, label: str) -> dict[str, Any]:
    return {"id": cid, "state": state, "label": label, "credentials": {"api_key": KEYS[cid]}}


def _seed_documents(sandbox, c: dict[str, Any], rng: Random) -> None:
    today = now().date()
    first = today - timedelta(days=48)
    for n in range(12):
        issued = min(first + timedelta(days=4 * n), today - timedelta(days=1))
        kind = "proforma" if n in (5, 10) else "vat"
        product = PRODUCTS[n % len(PRODUCTS)]
        order = str(1001 + n)
        lines = [
            {"name": product[0], "quantity": 1 + n % 3, "unit_net_price": product[1], "tax_symbol": product[2]},
            {"name": SHIPPING[0], "quantity": 1, "unit_net_price": SHIPPING[1], "tax_symbol": SHIPPING[2]},
        ]
        errors: dict[str, list[str]] = {}
        services = [build_service(line, i, errors) for i, line in enumerate(lines)]
        client = c["clients"][n % 3]
        data = {
            "kind": kind,
            "invoice_date": issued.isoformat(),
            "client_id": client["id"],
            "payment_method": "transfer" if n % 2 else "przelewy24",
            "notes": f"Zamówienie {order}",
            "transaction_terms": {"contracts": [], "orders": [{"number": order, "date": issued.isoformat()}]},
        }
        invoice = make_invoice(c, next(sandbox.ids), rng, data, services, sandbox.line_ids)
        invoice["created_at"] = f"{issued.isoformat()}T09:{10 + n:02d}:00+01:00"
        if n % 3 == 0:
            invoice.update(
                status="paid", paid_date=issued.isoformat(), paid_price=invoice["gross_price"], left_to_pay=0
            )
        elif n % 3 == 1:
            invoice["status"] = "sent"
        else:
            invoice["status"] = "printed"
        if c["ksef_active"] and kind == "vat" and n < 9:
            _cleared(invoice, c, rng, issued, ok=n != 7)
        c["invoices"][invoice["uuid"]] = invoice
    # One corrective invoice: one unit of the first invoice's product returned.
    original = next(i for i in c["invoices"].values() if i["kind"] == "vat")
    line = original["services"][0]
    pair = [
        {
            "name": line["name"],
            "quantity": line["quantity"],
            "unit_net_price": line["unit_net_price"],
            "tax_symbol": line["tax_symbol"],
        },
        {
            "name": line["name"],
            "quantity": line["quantity"] - 1,
            "unit_net_price": line["unit_net_price"],
            "tax_symbol": line["tax_symbol"],
        },
    ]
    errors: dict[str, list[str]] = {}
    services = []
    for correction, entry in zip((False, True), pair):
        service = build_service(entry, 0, errors, allow_zero=True)
        service.update(group=1, correction=correction)
        services.append(service)
    issued = min(first + timedelta(days=30), today - timedelta(days=1))
    corrective = make_correction(
        c,
        next(sandbox.ids),
        rng,
        {"invoice_date": issued.isoformat(), "correction_reason": "return_of_goods"},
        original,
        services,
        sandbox.line_ids,
    )
    corrective["created_at"] = f"{issued.isoformat()}T12:00:00+01:00"
    corrective["status"] = "sent"
    if c["ksef_active"]:
        _cleared(corrective, c, rng, issued, ok=True)
    c["invoices"][corrective["uuid"]] = corrective
    original["related_documents"].append(
        {"uuid": corrective["uuid"], "number": corrective["number"], "kind": "correction"}
    )


def _cleared(doc: dict[str, Any], c: dict[str, Any], rng: Random, issued, ok: bool) -> None:
    sent = f"{issued.isoformat()} 16:00:00 +0100"
    finished = f"{issued.isoformat()} 16:01:30 +0100"
    number = None
    if ok:
        number = f"{c['nip']}-{issued.strftime('%Y%m%d')}-{rng.getrandbits(48):012X}-{rng.getrandbits(8):02X}"
    doc["ksef_number"] = number
    doc["ksef_data"] = {
        "request_uuid": new_uuid(rng),
        "ksef_number": number,
        "status": "success" if ok else "error",
        "status_description": "Faktura została przetworzona."
        if ok
        else "Błąd weryfikacji semantyki dokumentu faktury: nieprawidłowy numer rachunku bankowego.",
        "timestamps": {"request_created_at": sent, "request_finished_at": finished},
    }
