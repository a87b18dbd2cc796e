"""Invoice, correction and client records in inFakt's JSON shape, and document numbering.

Numbering (readme "Następny numer faktury": `next_number` "5/01/2024" for 2024-01-15): a counter
per document kind, restarting each month, formatted `<n>/<MM>/<YYYY>`. Proformas have their own
counter in the same format (UNCONFIRMED that the format has no prefix). Corrections are numbered
`KOR/<n>/<MM>/<YYYY>` (UNCONFIRMED; not among next_number's kinds). The next number is one above
the highest held in that kind and month.
"""

from __future__ import annotations

import re
import uuid as uuid_module
from datetime import date, datetime, timedelta, timezone
from random import Random
from typing import Any

from .calc import parse_date, totals

WARSAW = timezone(timedelta(hours=1))
NUMBER_KINDS = ("vat", "proforma", "advance", "final", "margin", "correction")


def now() -> datetime:
    return datetime.now(WARSAW)


def stamp(moment: datetime | None = None) -> str:
    """Timestamps as the docs print them: "2024-01-15 10:21:25 +0100"."""
    return (moment or now()).strftime("%Y-%m-%d %H:%M:%S %z")


def iso(moment: datetime | None = None) -> str:
    return (moment or now()).isoformat(timespec="seconds")


def new_uuid(rng: Random) -> str:
    return str(uuid_module.UUID(int=rng.getrandbits(128), version=4))


def format_number(kind: str, counter: int, day: date) -> str:
    core = f"{counter}/{day.month:02d}/{day.year}"
    return f"KOR/{core}" if kind == "correction" else core


def counter_of(kind: str, number: str, day: date) -> int | None:
    prefix = "KOR/" if kind == "correction" else ""
    match = re.fullmatch(rf"{re.escape(prefix)}(\d+)/{day.month:02d}/{day.year}", number or "")
    return int(match.group(1)) if match else None


def next_number(company: dict[str, Any], kind: str, day: date) -> str:
    highest = 0
    for doc in company["invoices"].values():
        if doc["kind"] == kind:
            counter = counter_of(kind, doc["number"], day)
            if counter is not None:
                highest = max(highest, counter)
    return format_number(kind, highest + 1, day)


_UNITS = ("", "jeden", "dwa", "trzy", "cztery", "pięć", "sześć", "siedem", "osiem", "dziewięć")
_TEENS = (
    "dziesięć",
    "jedenaście",
    "dwanaście",
    "trzynaście",
    "czternaście",
    "piętnaście",
    "szesnaście",
    "siedemnaście",
    "osiemnaście",
    "dziewiętnaście",
)
_TENS = (
    "",
    "",
    "dwadzieścia",
    "trzydzieści",
    "czterdzieści",
    "pięćdziesiąt",
    "sześćdziesiąt",
    "siedemdziesiąt",
    "osiemdziesiąt",
    "dziewięćdziesiąt",
)
_HUNDREDS = (
    "",
    "sto",
    "dwieście",
    "trzysta",
    "czterysta",
    "pięćset",
    "sześćset",
    "siedemset",
    "osiemset",
    "dziewięćset",
)
_GROUPS = (("", "", ""), ("tysiąc", "tysiące", "tysięcy"), ("milion", "miliony", "milionów"))


def _triple(n: int) -> list[str]:
    words = [_HUNDREDS[n // 100]]
    rest = n % 100
    words += [_TEENS[rest - 10]] if 10 <= rest < 20 else [_TENS[rest // 10], _UNITS[rest % 10]]
    return [w for w in words if w]


def amount_in_words(amount_grosze: int, currency: str) -> str:
    zloty, gr = divmod(abs(amount_grosze), 100)
    if zloty == 0:
        words = ["zero"]
    else:
        words, group = [], 0
        while zloty and group < len(_GROUPS):
            zloty, part = divmod(zloty, 1000)
            if part:
                one, few, many = _GROUPS[group]
                form = one if part == 1 else few if part % 10 in (2, 3, 4) and part % 100 not in (12, 13, 14) else many
                chunk = ([] if group and part == 1 else _triple(part)) + ([form] if form else [])
                words = chunk + words
            group += 1
    sign = "minus " if amount_grosze < 0 else ""
    return f"{sign}{' '.join(words)} {currency} {gr:02d}/100"


def client_fields(data: dict[str, Any], client: dict[str, Any] | None) -> dict[str, Any]:
    """The client_* fields of an invoice from an existing client or the payload."""
    if client is not None:
        return {
            "client_id": client["id"],
            "client_uuid": client["uuid"],
            "client_company_name": client["company_name"],
            "client_first_name": client["first_name"],
            "client_last_name": client["last_name"],
            "client_tax_code": client["nip"],
            "client_country": client["country"],
            "client_street": client["street"],
            "client_street_number": client["street_number"],
            "client_flat_number": client["flat_number"],
            "client_city": client["city"],
            "client_post_code": client["postal_code"],
            "client_business_activity_kind": client["business_activity_kind"],
        }
    return {
        "client_id": None,
        "client_uuid": None,
        **{
            key: data.get(key)
            for key in (
                "client_company_name",
                "client_first_name",
                "client_last_name",
                "client_tax_code",
                "client_street",
                "client_street_number",
                "client_flat_number",
                "client_city",
                "client_post_code",
            )
        },
        "client_country": str(data.get("client_country") or "PL").upper(),
        "client_business_activity_kind": data.get("client_business_activity_kind")
        or ("other_business" if data.get("client_tax_code") else "private_person"),
    }


def make_invoice(
    company: dict[str, Any], record_id: int, rng: Random, data: dict[str, Any], services: list[dict[str, Any]], line_ids
) -> dict[str, Any]:
    """A new VAT or proforma invoice (always a draft, readme "Tworzenie faktury")."""
    kind = data.get("kind") or "vat"
    issued = parse_date(data.get("invoice_date")) or now().date()
    client = (
        next((c for c in company["clients"] if str(c["id"]) == str(data.get("client_id"))), None)
        if data.get("client_id") not in (None, "")
        else None
    )
    days = client["days_to_payment"] if client and client.get("days_to_payment") is not None else 7
    payment_date = data.get("payment_date") or (issued + timedelta(days=days)).isoformat()
    for service in services:
        service["id"] = next(line_ids)
    sums = totals(services)
    currency = str(data.get("currency") or "PLN").upper()
    bank = company["bank_accounts"][0] if company["bank_accounts"] else {}
    method = data.get("payment_method") or "transfer"
    number = str(data["number"]) if data.get("number") not in (None, "") else next_number(company, kind, issued)
    return {
        "id": record_id,
        "uuid": new_uuid(rng),
        "parent_id": None,
        "number": number,
        "currency": currency,
        "kind": kind,
        "payment_method": method,
        "invoice_date": issued.isoformat(),
        "sale_date": data.get("sale_date") or issued.isoformat(),
        "payment_date": payment_date,
        "paid_date": None,
        "status": "draft",
        **sums,
        "left_to_pay": sums["gross_price"],
        "paid_price": 0,
        **client_fields(data, client),
        "services": services,
        "bank_name": data.get("bank_name") or (bank.get("bank_name") if method == "transfer" else None),
        "bank_account": data.get("bank_account") or (bank.get("account_number") if method == "transfer" else None),
        "swift": data.get("swift") or (bank.get("swift") if method == "transfer" else None),
        "split_payment": bool(data.get("split_payment")),
        "split_payment_type": data.get("split_payment_type"),
        "notes": data.get("notes"),
        "invoice_date_kind": data.get("invoice_date_kind") or "sale_date",
        "sale_type": data.get("sale_type"),
        "vat_exemption_reason": data.get("vat_exemption_reason"),
        "receipt_number": data.get("receipt_number"),
        "third_party_addresses": data.get("third_party_addresses") or [],
        "transaction_terms": data.get("transaction_terms") or {"contracts": [], "orders": []},
        "amount_in_words": amount_in_words(sums["gross_price"], currency),
        "related_documents": [],
        "ksef_number": None,
        "ksef_data": None,
        "created_at": iso(),
    }


def make_correction(
    company: dict[str, Any],
    record_id: int,
    rng: Random,
    data: dict[str, Any],
    original: dict[str, Any],
    services: list[dict[str, Any]],
    line_ids,
) -> dict[str, Any]:
    """A corrective invoice of `original`; its amounts are the difference after − before."""
    issued = parse_date(data.get("invoice_date")) or now().date()
    for service in services:
        service["id"] = next(line_ids)
    before = totals([s for s in services if not s["correction"]])
    after = totals([s for s in services if s["correction"]])
    sums = {key: after[key] - before[key] for key in after}
    number = str(data["number"]) if data.get("number") not in (None, "") else next_number(company, "correction", issued)
    record = {key: original[key] for key in original if key.startswith("client_")}
    record.update(
        {
            "id": record_id,
            "uuid": new_uuid(rng),
            "parent_id": original["id"],
            "number": number,
            "currency": original["currency"],
            "kind": "correction",
            "payment_method": original["payment_method"],
            "invoice_date": issued.isoformat(),
            "sale_date": data.get("sale_date") or original["sale_date"],
            "payment_date": data.get("payment_date") or issued.isoformat(),
            "paid_date": None,
            "status": "draft",
            **sums,
            "left_to_pay": max(sums["gross_price"], 0),
            "paid_price": 0,
            "services": services,
            "bank_name": original["bank_name"],
            "bank_account": original["bank_account"],
            "swift": original["swift"],
            "split_payment": original["split_payment"],
            "split_payment_type": original["split_payment_type"],
            "notes": data.get("notes"),
            "invoice_date_kind": original["invoice_date_kind"],
            "sale_type": original["sale_type"],
            "vat_exemption_reason": original["vat_exemption_reason"],
            "receipt_number": None,
            "third_party_addresses": [],
            "transaction_terms": original["transaction_terms"],
            "amount_in_words": amount_in_words(sums["gross_price"], original["currency"]),
            "related_documents": [{"uuid": original["uuid"], "number": original["number"], "kind": original["kind"]}],
            "ksef_number": None,
            "ksef_data": None,
            "created_at": iso(),
            "corrected_invoice_number": original["number"],
            "corrected_invoice_date": original["invoice_date"],
            "corrected_invoice_uuid": original["uuid"],
            "corrected_invoice_gross_price": original["gross_price"],
            # UNCONFIRMED: reading gives the reason's Polish name; the sandbox knows no symbol list and
            # answers the symbol in both fields.
            "correction_reason": data.get("correction_reason"),
            "correction_reason_symbol": data.get("correction_reason"),
            "check_correction_obligation": bool(data.get("check_correction_obligation")),
            "sale_date_before_correction": data.get("sale_date_before_correction"),
            "confirmation": bool(data.get("confirmation")),
            "confirmation_date": data.get("confirmation_date"),
        }
    )
    return record


def make_client(record_id: int, rng: Random, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": record_id,
        "uuid": new_uuid(rng),
        "company_name": data.get("company_name"),
        "first_name": data.get("first_name"),
        "last_name": data.get("last_name"),
        "nip": data.get("nip"),
        "street": data.get("street"),
        "street_number": data.get("street_number"),
        "flat_number": data.get("flat_number"),
        "city": data.get("city"),
        "postal_code": data.get("postal_code"),
        "country": str(data.get("country") or "").upper(),
        "email": data.get("email"),
        "phone_number": data.get("phone_number"),
        "web_site": data.get("web_site"),
        "payment_method": data.get("payment_method"),
        "days_to_payment": data.get("days_to_payment"),
        "business_activity_kind": data.get("business_activity_kind")
        or ("other_business" if data.get("nip") else "private_person"),
        "receiver": data.get("receiver"),
        "invoice_note": data.get("invoice_note"),
        "note": data.get("note"),
        "same_forward_address": data.get("same_forward_address", True),
        "mailing_company_name": data.get("mailing_company_name"),
        "mailing_street": data.get("mailing_street"),
        "mailing_city": data.get("mailing_city"),
        "mailing_postal_code": data.get("mailing_postal_code"),
    }


def validate_client(data: dict[str, Any]) -> dict[str, list[str]]:
    from .calc import BLANK, INVALID, nip_valid

    errors: dict[str, list[str]] = {}
    if not str(data.get("country") or "").strip():
        errors.setdefault("country", []).append(BLANK)
    if not str(data.get("company_name") or "").strip() and not (
        str(data.get("first_name") or "").strip() and str(data.get("last_name") or "").strip()
    ):
        errors.setdefault("company_name", []).append(BLANK)
    if str(data.get("country") or "").upper() == "PL":
        if data.get("postal_code") not in (None, "") and not re.fullmatch(r"\d{2}-\d{3}", str(data["postal_code"])):
            errors.setdefault("postal_code", []).append(INVALID)
        if data.get("nip") not in (None, "") and not nip_valid(data["nip"]):
            errors.setdefault("nip", []).append(INVALID)
    if data.get("email") not in (None, "") and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", str(data["email"])):
        errors.setdefault("email", []).append(INVALID)
    return errors
