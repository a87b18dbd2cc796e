"""Invoice and subject records in Fakturoid's JSON shape (invoices and subjects pages).

`validate_invoice` returns the documented 422 `errors` dict (Format A); `make_invoice` turns an
accepted payload into the stored record with the read-only fields Fakturoid computes.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from . import numbering
from .totals import VAT_PRICE_MODES, amount, decimal, document_totals

CREATABLE_TYPES = ("invoice", "proforma", "correction", "tax_document", "final_invoice")
LANGUAGES = ("cz", "sk", "en", "de", "fr", "it", "es", "ru", "pl", "hu", "ro")
PAYMENT_METHODS = ("bank", "cash", "cod", "card", "paypal", "custom")
FOLLOWUPS = ("final_invoice_paid", "final_invoice", "tax_document", "none")
BLANK = "can't be blank"
INVALID = "is invalid"


def now_iso() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="milliseconds")


def parse_date(value: Any) -> date | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def validate_invoice(account: dict[str, Any], data: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    subject_id = data.get("subject_id")
    if subject_id in (None, ""):
        add("subject_id", BLANK)
    elif not isinstance(subject_id, int) and not str(subject_id).isdigit():
        add("subject_id", INVALID)
    elif int(subject_id) not in account["subjects"]:
        add("subject_id", "Contact does not exist.")
    doc_type = data.get("document_type", "invoice") or "invoice"
    if doc_type == "partial_proforma":
        add("document_type", "partial proforma cannot be created")
    elif doc_type not in CREATABLE_TYPES:
        add("document_type", "is not included in the list")
    if doc_type == "correction":
        target = account["invoices"].get(_int(data.get("correction_id")))
        if data.get("correction_id") in (None, ""):
            add("correction_id", BLANK)
        elif target is None or target["document_type"] not in ("invoice", "final_invoice"):
            add("correction_id", "Document to be corrected does not exist.")
    if data.get("related_id") not in (None, "") and _int(data.get("related_id")) not in account["invoices"]:
        add("related_id", "Document does not exist.")
    lines = data.get("lines")
    if not isinstance(lines, list) or not lines:
        add("lines", BLANK)
    else:
        for line in lines:
            if not isinstance(line, dict):
                add("lines", INVALID)
                continue
            if not str(line.get("name") or "").strip():
                add("lines.name", BLANK)
            for key, required in (("unit_price", True), ("quantity", False), ("vat_rate", False)):
                if line.get(key) in (None, ""):
                    if required:
                        add(f"lines.{key}", BLANK)
                    continue
                try:
                    decimal(line[key])
                except ValueError:
                    add(f"lines.{key}", "is not a number")
    # UNCONFIRMED message: a Czech variable symbol is at most 10 digits.
    if data.get("variable_symbol") not in (None, "") and not re.fullmatch(r"\d{1,10}", str(data["variable_symbol"])):
        add("variable_symbol", INVALID)
    for key in ("issued_on", "taxable_fulfillment_due"):
        if data.get(key) not in (None, "") and parse_date(data[key]) is None:
            add(key, INVALID)
    if data.get("due") not in (None, "") and not (isinstance(data["due"], int) or str(data["due"]).isdigit()):
        add("due", "is not a number")
    if data.get("language") not in (None, "") and data["language"] not in LANGUAGES:
        add("language", "is not included in the list")
    if data.get("payment_method") not in (None, "") and data["payment_method"] not in PAYMENT_METHODS:
        add("payment_method", "is not included in the list")
    if data.get("payment_method") == "custom" and len(str(data.get("custom_payment_method") or "")) > 20:
        add("custom_payment_method", "is too long (maximum is 20 characters)")
    if data.get("vat_price_mode") is not None and data["vat_price_mode"] not in VAT_PRICE_MODES:
        add("vat_price_mode", "is not included in the list")
    if data.get("proforma_followup_document") not in (None, "") and data["proforma_followup_document"] not in FOLLOWUPS:
        add("proforma_followup_document", "is not included in the list")
    currency = data.get("currency") or account["currency"]
    if not re.fullmatch(r"[A-Z]{3}", str(currency)):
        add("currency", "is not included in the list")
    elif currency != account["currency"] and data.get("exchange_rate") in (None, ""):
        add("exchange_rate", BLANK)
    fmt = number_format(account, data)
    if data.get("number_format_id") not in (None, "") and fmt is None:
        add("number_format_id", "Number format does not exist.")
    if data.get("number") not in (None, "") and fmt is not None and doc_type != "proforma":
        if numbering.counter_of(fmt["format"], str(data["number"])) is None:
            add("number", "The number does not match the number format in the settings")
        elif any(inv["number"] == str(data["number"]) for inv in account["invoices"].values()):
            add("number", "has already been taken")
    return errors


def number_format(account: dict[str, Any], data: dict[str, Any]) -> dict[str, Any] | None:
    wanted = data.get("number_format_id")
    if wanted in (None, ""):
        return next((f for f in account["number_formats"] if f["default"]), None)
    return next((f for f in account["number_formats"] if str(f["id"]) == str(wanted)), None)


def format_for(account: dict[str, Any], data: dict[str, Any]) -> str:
    """Proformas follow the account's proforma numbering (a web-UI setting, not a listed format)."""
    if (data.get("document_type") or "invoice") == "proforma":
        return account["proforma_format"]
    return number_format(account, data)["format"]


def make_invoice(
    account: dict[str, Any], invoice_id: int, data: dict[str, Any], subject: dict[str, Any], line_ids, base_url: str
) -> dict[str, Any]:
    today = date.today()
    doc_type = data.get("document_type") or "invoice"
    issued_on = parse_date(data.get("issued_on")) or today
    fmt = format_for(account, data)
    number = str(data.get("number") or "") or numbering.next_number(
        fmt, issued_on, [i["number"] for i in account["invoices"].values()]
    )
    due = int(data["due"]) if data.get("due") not in (None, "") else account["due"]
    mode = data.get("vat_price_mode") or account["vat_price_mode"]
    sent_lines = [
        (
            decimal(line.get("quantity", 1) if line.get("quantity") not in (None, "") else 1),
            decimal(line["unit_price"]),
            decimal(line.get("vat_rate") if line.get("vat_rate") not in (None, "") else 0),
        )
        for line in data["lines"]
    ]
    totals = document_totals(sent_lines, mode, bool(data.get("round_total")))
    currency = data.get("currency") or account["currency"]
    rate = decimal(data.get("exchange_rate") or 1)
    slug = account["slug"]
    url = f"{base_url}/api/v3/accounts/{slug}/invoices/{invoice_id}"
    token = f"{invoice_id:08d}webinvoice"
    created = now_iso()
    record = {
        "id": invoice_id,
        "custom_id": None if data.get("custom_id") in (None, "") else str(data["custom_id"]),
        "document_type": doc_type,
        "proforma_followup_document": (data.get("proforma_followup_document") or "final_invoice_paid")
        if doc_type == "proforma"
        else None,
        "correction_id": _int(data.get("correction_id")) if doc_type == "correction" else None,
        "number": number,
        "number_format_id": number_format(account, data)["id"] if doc_type != "proforma" else None,
        "variable_symbol": str(data.get("variable_symbol") or "") or re.sub(r"\D", "", number)[-10:],
        "your_name": account["name"],
        "your_street": account["street"],
        "your_city": account["city"],
        "your_zip": account["zip"],
        "your_country": account["country"],
        "your_registration_no": account["registration_no"],
        "your_vat_no": account["vat_no"],
        "your_local_vat_no": None,
        # Documented `client_*` overrides win over the subject's values copied at create.
        **{
            f"client_{key}": data.get(f"client_{key}") or subject.get(key)
            for key in ("name", "street", "city", "zip", "country", "registration_no", "vat_no")
        },
        "client_local_vat_no": None,
        "client_has_delivery_address": False,
        "subject_id": subject["id"],
        "subject_custom_id": subject.get("custom_id"),
        "generator_id": None,
        "related_id": _int(data.get("related_id")),
        "paypal": bool(data.get("paypal")),
        "gopay": bool(data.get("gopay")),
        "token": token,
        "status": "open",
        "order_number": data.get("order_number"),
        "issued_on": issued_on.isoformat(),
        "taxable_fulfillment_due": data.get("taxable_fulfillment_due") or issued_on.isoformat(),
        "due": due,
        "due_on": (issued_on + timedelta(days=due)).isoformat(),
        "sent_at": None,
        "paid_on": None,
        "reminder_sent_at": None,
        "last_reminder_sent_at": None,
        "cancelled_at": None,
        "uncollectible_at": None,
        "locked_at": None,
        "webinvoice_seen_on": None,
        "note": data.get("note", "Fakturujeme Vám následující položky"),
        "footer_note": data.get("footer_note", ""),
        "private_note": data.get("private_note"),
        "tags": list(data.get("tags") or []),
        "bank_account_id": _int(data.get("bank_account_id"))
        or (account["bank_accounts"][0]["id"] if account["bank_accounts"] else None),
        "bank_account": account["bank_accounts"][0]["number"] if account["bank_accounts"] else None,
        "iban": account["bank_accounts"][0]["iban"] if account["bank_accounts"] else None,
        "swift_bic": None,
        "iban_visibility": "automatically",
        "show_already_paid_note_in_pdf": False,
        "payment_method": data.get("payment_method") or "bank",
        "custom_payment_method": data.get("custom_payment_method") if data.get("payment_method") == "custom" else None,
        "hide_bank_account": None,
        "currency": currency,
        "exchange_rate": amount(rate),
        "language": data.get("language") or "cz",
        "transferred_tax_liability": bool(data.get("transferred_tax_liability")),
        "supply_code": data.get("supply_code"),
        "oss": data.get("oss") or "disabled",
        "vat_price_mode": data.get("vat_price_mode"),
        "subtotal": amount(totals.subtotal),
        "total": amount(totals.total),
        "native_subtotal": amount(totals.subtotal * rate),
        "native_total": amount(totals.total * rate),
        "rounding_adjustment": amount(totals.rounding_adjustment),
        "remaining_amount": amount(totals.total),
        "remaining_native_amount": amount(totals.total * rate),
        "eet_records": [],
        "lines": [
            {
                "id": next(line_ids),
                "name": line["name"],
                "quantity": amount(q) if q == q.quantize(Decimal("0.01")) else f"{q:f}",
                "unit_name": line.get("unit_name") or "",
                "unit_price": amount(p),
                "vat_rate": int(r) if r == r.to_integral() else float(r),
                "unit_price_without_vat": amount(lt.unit_price_without_vat),
                "unit_price_with_vat": amount(lt.unit_price_with_vat),
                "total_price_without_vat": amount(lt.total_price_without_vat),
                "total_vat": amount(lt.total_vat),
                "native_total_price_without_vat": amount(lt.total_price_without_vat * rate),
                "native_total_vat": amount(lt.total_vat * rate),
                "inventory": None,
            }
            for line, (q, p, r), lt in zip(data["lines"], sent_lines, totals.lines)
        ],
        "vat_rates_summary": [
            {
                "vat_rate": int(r) if r == r.to_integral() else float(r),
                "base": amount(b),
                "vat": amount(v),
                "currency": currency,
                "native_base": amount(b * rate),
                "native_vat": amount(v * rate),
                "native_currency": account["currency"],
            }
            for r, b, v in totals.summary
        ],
        "paid_advances": [],
        "payments": [],
        "attachments": [],
        "html_url": f"https://app.fakturoid.cz/{slug}/invoices/{invoice_id}",
        "public_html_url": f"https://app.fakturoid.cz/{slug}/p/{token}/{number}",
        "url": f"{url}.json",
        "pdf_url": f"{url}/download.pdf",
        "subject_url": f"{base_url}/api/v3/accounts/{slug}/subjects/{subject['id']}.json",
        "created_at": created,
        "updated_at": created,
    }
    return record


def make_subject(account: dict[str, Any], subject_id: int, data: dict[str, Any], base_url: str) -> dict[str, Any]:
    created = now_iso()
    fields = (
        "custom_id",
        "name",
        "full_name",
        "email",
        "email_copy",
        "phone",
        "web",
        "street",
        "city",
        "zip",
        "registration_no",
        "vat_no",
        "local_vat_no",
        "bank_account",
        "iban",
        "swift_bic",
        "variable_symbol",
        "private_note",
    )
    record = {"id": subject_id, "type": data.get("type") or "customer"}
    record.update({key: (None if data.get(key) in (None, "") else str(data[key])) for key in fields})
    record.update(
        {
            "country": data.get("country") or account["country"],
            "currency": data.get("currency"),
            "language": data.get("language"),
            "due": data.get("due"),
            "tags": list(data.get("tags") or []),
            "has_delivery_address": bool(data.get("has_delivery_address")),
            "setting_update_from_ares": data.get("setting_update_from_ares") or "inherit",
            "html_url": f"https://app.fakturoid.cz/{account['slug']}/subjects/{subject_id}",
            "url": f"{base_url}/api/v3/accounts/{account['slug']}/subjects/{subject_id}.json",
            "created_at": created,
            "updated_at": created,
        }
    )
    return record


def validate_subject(account: dict[str, Any], data: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not str(data.get("name") or "").strip():
        errors["name"] = [BLANK]
    custom_id = data.get("custom_id")
    if custom_id not in (None, "") and any(s.get("custom_id") == str(custom_id) for s in account["subjects"].values()):
        # Documented: Fakturoid refuses two subjects with one custom_id (message UNCONFIRMED).
        errors["custom_id"] = ["has already been taken"]
    if data.get("type") not in (None, "", "customer", "supplier", "both"):
        errors["type"] = ["is not included in the list"]
    if data.get("email") not in (None, "") and "@" not in str(data["email"]):
        errors["email"] = [INVALID]
    return errors


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
