"""The order pages' forms, turned into the same payloads the JSON API takes (ORDER_API.md), so
one validation serves both; and the validation's field paths turned back into form fields.

Amounts typed by people may use a decimal comma ("12,30") and spaces; they are normalised here.
Each action form carries the time the page was made (`stamp`): submitting the same form twice
(a double click, a resent POST) is the same event, recorded once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ..models import Order
from ..models.types import utcnow
from ..services.orders import totals

LINE_ROWS = 3  # product lines on the "new order" form
LINE_FIELDS = ("name", "sku", "quantity", "unit", "unit_price", "vat_rate", "discount_percent")
CUSTOMER_FIELDS = ("type", "name", "company_name", "company_id", "vat_id", "tax_id", "email", "phone")
ADDRESS_FIELDS = ("street", "city", "zip", "country")
DECIMAL_FIELDS = ("quantity", "unit_price", "vat_rate", "discount_percent")


def amount_text(value: str | None) -> str:
    """ "1 234,50" -> "1234.50"; the validation judges what remains."""
    return (value or "").replace("\u00a0", "").replace(" ", "").replace(",", ".").strip()


def new_stamp() -> str:
    return utcnow().isoformat()


def stamp_of(form) -> datetime:
    """The time the form was made (naive UTC); now when missing or altered."""
    try:
        return datetime.fromisoformat(form.get("stamp", ""))
    except ValueError:
        return utcnow()


def _at(moment: datetime) -> str:
    return moment.isoformat() + "+00:00"


# -- a new order ---------------------------------------------------------------------------------
@dataclass
class NewOrderForm:
    payload: dict[str, Any]
    line_rows: list[int] = field(default_factory=list)  # payload line index -> form row
    is_test: bool = True


def new_order_form(form, default_number: str) -> NewOrderForm:
    customer: dict[str, Any] = {key: form.get(f"customer_{key}", "").strip() for key in CUSTOMER_FIELDS}
    customer["billing_address"] = {key: form.get(f"billing_{key}", "").strip() for key in ADDRESS_FIELDS}
    customer["billing_address"]["country"] = customer["billing_address"]["country"].upper()
    lines, rows = [], []
    for row in range(LINE_ROWS):
        values = {key: form.get(f"line-{row}-{key}", "").strip() for key in LINE_FIELDS}
        if not any(values[k] for k in ("name", "sku", "unit_price")):
            continue  # an empty row
        for key in DECIMAL_FIELDS:
            values[key] = amount_text(values[key])
        lines.append(
            {k: v for k, v in values.items() if v != "" or k in ("name", "quantity", "unit_price", "vat_rate")}
        )
        rows.append(row)
    payload: dict[str, Any] = {
        "number": form.get("number", "").strip() or default_number,
        "currency": form.get("currency", "").strip().upper(),
        "language": form.get("language", "").strip(),
        "prices_include_vat": form.get("prices_include_vat") == "1",
        "customer": {k: v for k, v in customer.items() if v != ""},
        "lines": lines,
        "status": "new",
    }
    if form.get("shipping_method"):
        payload["shipping"] = {
            "method": form["shipping_method"],
            "price": amount_text(form.get("shipping_price")),
            "vat_rate": amount_text(form.get("shipping_vat_rate")),
        }
    if form.get("payment_method"):
        payload["payment"] = {
            "method": form["payment_method"],
            "fee": amount_text(form.get("payment_fee")),
            "vat_rate": amount_text(form.get("payment_vat_rate")),
        }
    return NewOrderForm(payload=payload, line_rows=rows, is_test=form.get("is_test") == "1")


def new_order_field(path: str, line_rows: list[int]) -> str:
    """A validation path -> the form field it belongs to (`lines[1].vat_rate` -> `line-2-vat_rate`
    when the second filled row is the form's third)."""
    if path.startswith("lines[") and "]." in path:
        index, rest = path[len("lines[") :].split("].", 1)
        row = line_rows[int(index)] if index.isdigit() and int(index) < len(line_rows) else 0
        return f"line-{row}-{rest}"
    if path.startswith("customer.billing_address."):
        return "billing_" + path.rsplit(".", 1)[1]
    if path == "customer.billing_address":
        return "billing_country"
    if path.startswith("customer."):
        return "customer_" + path.split(".", 1)[1]
    if path.startswith("shipping.") or path.startswith("payment."):
        return path.replace(".", "_")
    return path


def form_errors(messages: dict[str, list[str]], line_rows: list[int]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for path, texts in messages.items():
        errors.setdefault(new_order_field(path, line_rows), []).extend(texts)
    return errors


# -- the actions ---------------------------------------------------------------------------------
def status_payload(form) -> dict[str, Any]:
    return {"type": "status_changed", "at": _at(stamp_of(form)), "status": form.get("status", "")}


def payment_payload(form) -> dict[str, Any]:
    """A payment on the day the merchant chose, at the time the form was made (two payments
    entered for the same day stay two)."""
    stamp = stamp_of(form)
    try:
        day = date.fromisoformat(form.get("date", ""))
        at = _at(datetime.combine(day, stamp.time()))
    except ValueError:
        at = form.get("date", "")  # the validation says what is wrong with it
    return {
        "type": "paid",
        "at": at,
        "amount": amount_text(form.get("amount")),
        "reference": form.get("reference", "").strip(),
    }


def shipment_payload(form) -> dict[str, Any]:
    return {"type": "shipped", "at": _at(stamp_of(form)), "reference": form.get("reference", "").strip()}


def cancel_payload(form) -> dict[str, Any]:
    return {"type": "cancelled", "at": _at(stamp_of(form))}


def refund_payload(form, order: Order) -> dict[str, Any] | None:
    """Lines and quantities chosen, or the whole order, or an amount; None when nothing was chosen.
    Without an amount, the chosen lines' share of their totals is refunded."""
    left = totals.refundable_by_sku(order)
    if form.get("whole") == "1":
        lines = {sku: qty for sku, qty in left.items() if qty > 0}
        amount = totals.refundable_amount(order)
    else:
        lines = {}
        for line in order.lines:
            raw = amount_text(form.get(f"qty-{line.id}"))
            if line.sku and raw:
                try:
                    quantity = Decimal(raw)
                except InvalidOperation:
                    return {
                        "type": "refunded",
                        "at": _at(stamp_of(form)),
                        "amount": "",
                        "lines": [{"sku": line.sku, "quantity": raw}],
                    }
                if quantity:
                    lines[line.sku] = lines.get(line.sku, Decimal(0)) + quantity
        typed = amount_text(form.get("amount"))
        if not lines and not typed:
            return None
        if typed:
            return {
                "type": "refunded",
                "at": _at(stamp_of(form)),
                "amount": typed,
                "reference": form.get("reference", "").strip(),
                "lines": [{"sku": s, "quantity": str(q)} for s, q in lines.items()],
            }
        amount = totals.refund_amount_for(order, lines)
    return {
        "type": "refunded",
        "at": _at(stamp_of(form)),
        "amount": str(amount),
        "reference": form.get("reference", "").strip(),
        "lines": [{"sku": s, "quantity": str(q)} for s, q in lines.items()],
    }


def actor_for(user, impersonator_id: int | None) -> str:
    """Who did it, for the timeline: the user, and the support agent acting as them."""
    actor = f"user:{user.id}"
    return f"support:{impersonator_id}>{actor}" if impersonator_id else actor
