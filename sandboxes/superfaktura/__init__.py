"""SuperFaktura sandbox: the documented REST API (github.com/superfaktura/docs), served locally.

Written from ../shared/api/superfaktura.md and the vendor docs, never from our connector.

Auth: every call carries ``Authorization: SFAPI email=..&apikey=..&company_id=..&module=..``,
parsed as a URL query (so a "+" in the e-mail must arrive as ``%2B``; a raw "+" reads as a space
and the user is not found). An empty or missing ``company_id`` selects the user's first company.

Routes (operation names for faults in brackets):
- GET  /users/getUserCompaniesData[/1]                 [verify]
- GET  /users/company_switcher                         [verify]
- GET  /sequences/index.json                           [list_series]
- POST /invoices/create                                [create_invoice]
- GET  /api_logs/getResponseByChecksum/<checksum>      [get_invoice]
- GET  /invoices/index.json[/<name>:<value>]*          [list_invoices]
- GET  /invoices/view/<id>.json                        [get_invoice]
- GET  /invoices/getInvoiceDetails/<id,id,...>         [get_invoice]
- GET  /[<lang>/]invoices/pdf/<id>[/token:<token>]     [get_pdf]
- POST /invoices/send                                  [send_email]
- POST /invoice_payments/add/ajax:1/api:1              [mark_paid]
- GET|DELETE /invoices/delete/<id>                     [delete_invoice]

Seeded accounts (credentials keys: email, api_key, company_id, market): sf-valid (valid, login
demo+sk@fynode.example, companies 3101 "Demo s.r.o." with 48 invoices and 3 proformas this year
and 2 last year, and 3102), sf-wrong-key (wrong_key), sf-no-api-plan (no_api_plan), sf-expired
(expired: Premium trial ended, answered like no_api_plan), sf-no-permission (no_permission: a
non-administrator who may read but gets 403 on create, send, pay and delete).

POST bodies: the documented form field ``data`` holding JSON
(``application/x-www-form-urlencoded``), or raw JSON (``application/json``, as the official PHP
client sends). Anything else is "Bad data format.".

Envelopes: failures are ``{"error": >0, "error_message": <string or {field: [messages]}>,
"message": ...}``; validation failures come with HTTP 200 (documented); permission failures with
403; unknown ids on view/delete/PDF with 404.

UNCONFIRMED points and the readings chosen here:
- Wrong e-mail or API key: HTTP 401 with ``{"error": 1, "error_message": "Not authenticated",
  "message": "Not authenticated"}`` (the docs only say "not authenticated").
- A missing ``module`` attribute is accepted (many doc examples omit it).
- A company without the Premium package: HTTP 401 ``{"error": 1, "message": "Musíte mať platné
  prémiové členstvo"}`` (observed on the vendor's sandbox; production unconfirmed).
- A ``company_id`` the user has no access to does not fail loudly (observed): the user's first
  company answers, but the quota is counted under the id that was sent.
- Over the daily/monthly quota: the docs say GET requests are blocked; this sandbox answers
  GETs with HTTP 429, the X-RateLimit-* headers and X-RateLimit-Message, and still serves POSTs
  (counted, so DailyRemaining goes negative, as the WooCommerce plugin expects).
- Repeating a create with the same ``checksum`` creates another document; the checksum only
  serves ``/api_logs/getResponseByChecksum`` (unknown checksum: 404 with an error body).
- ``/sequences/index.json`` lists credit-note series under a ``cancel`` key.
- More than 100 e-mails an hour: ``{"error": 1, "error_message": "... limit ..."}``.
Totals follow the documented rounding modes; see totals.py.
"""

from __future__ import annotations

# The port `python -m sandboxes serve` uses; the one place it is written (see sandboxes/__init__.py).
PORT = 5101

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from flask import Flask, Response, request

from .. import pdf
from ..core import Sandbox
from . import numbering, seed, totals

BRATISLAVA = ZoneInfo("Europe/Bratislava")
MONTHLY_LIMIT = 30000
EMAILS_PER_HOUR = 100
PREMIUM_MESSAGE = "Musíte mať platné prémiové členstvo"
CURRENCIES = {
    "AUD",
    "BGN",
    "CAD",
    "CHF",
    "CNY",
    "CZK",
    "DKK",
    "EUR",
    "GBP",
    "HRK",
    "HUF",
    "JPY",
    "LKR",
    "MXN",
    "NOK",
    "PLN",
    "RON",
    "RSD",
    "RUB",
    "SEK",
    "USD",
}
INVOICE_TYPES = ("regular", "proforma", "cancel", "delivery", "draft", "estimate", "order", "reverse_order")
PAYABLE_TYPES = ("regular", "proforma", "cancel")
PAYMENT_TYPES = (
    "transfer",
    "cash",
    "card",
    "cod",
    "credit",
    "debit",
    "inkaso",
    "paypal",
    "barion",
    "besteron",
    "gopay",
    "trustpay",
    "viamo",
    "accreditation",
    "other",
    "postal_order",
)
DELIVERY_TYPES = ("courier", "haulage", "mail", "personal", "pickup_point")
LANGUAGES = ("slo", "cze", "eng", "deu", "hun", "pol", "rom", "rus", "ukr", "hrv", "slv", "spa", "ita", "nld")
STATUS_FLAGS = {1: "issued", 2: "partially-paid", 3: "paid", 99: "overdue"}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status, mimetype="application/json")


def _fail(code: int, message: Any, status: int = 200, **extra: Any) -> Response:
    body = {"error": code, "error_message": message}
    if isinstance(message, str):
        body["message"] = message
    body.update(extra)
    return _json(body, status)


def _num(value: Decimal) -> float | int:
    """Numbers in JSON the way the vendor prints them (12 or 30.95)."""
    value = value.normalize()
    return int(value) if value == value.to_integral_value() else float(value)


def _s2(value: Decimal) -> str:
    return str(totals.round2(value))


class BadData(Exception):
    """The request body is neither form field `data` with JSON nor raw JSON."""


@dataclass
class Caller:
    account: dict
    company: dict
    quota_key: str


class SuperFakturaSandbox(Sandbox):
    key = "superfaktura"
    default_quota = (1000, 86400)

    # -- state ----------------------------------------------------------------------------
    def seed(self) -> None:
        self.accounts = seed.accounts()
        self.invoices: dict[int, dict] = {}
        self.clients: dict[int, dict] = {}
        self.counters: dict[tuple[int, str], int] = {}
        self.checksums: dict[tuple[int, str], dict] = {}
        self.monthly: dict[str, int] = {}
        self.emails_sent: dict[int, list[datetime]] = {}
        self.next_ids = {"invoice": 1270, "item": 1700, "client": 430, "payment": 190}
        today = date.today()
        company = self.accounts[0]["companies"][0]
        for spec in sorted(seed.seeded_invoices(today), key=lambda s: s["created"]):
            inv = self._store_invoice(
                self.accounts[0],
                company,
                {
                    "type": spec["type"],
                    "sequence_id": spec["sequence_id"],
                    "created": spec["created"],
                    "delivery": spec["created"],
                    "due": spec["created"] + timedelta(days=14),
                    "currency": "EUR",
                    "order_no": spec["order_no"],
                    "variable": spec["variable"],
                    "payment_type": spec["payment_type"],
                    "rounding": "item_ext",
                    "client": self._client_record(company, dict(spec["client"])),
                    "items": [
                        {**item, "discount": Decimal("0"), "description": "", "sku": ""} for item in spec["items"]
                    ],
                },
            )
            if spec["paid"]:
                self._add_payment(inv, inv["total"], "EUR", spec["payment_type"], spec["created"])

    def neutral_documents(self) -> list[dict[str, Any]]:
        docs = []
        for inv in self.invoices.values():
            if inv["deleted"]:
                continue
            docs.append(
                {
                    "id": str(inv["id"]),
                    "type": inv["type"],
                    "number": inv["invoice_no_formatted"],
                    "order_no": inv["order_no"],
                    "variable": inv["variable"],
                    "total": _s2(inv["total"]),
                    "base": _s2(inv["totals"].base_total),
                    "vat": _s2(inv["totals"].vat_total),
                    "vat_breakdown": [
                        {"rate": rate, "base": _s2(base), "vat": _s2(inv["totals"].vat_by_rate[rate])}
                        for rate, base in inv["totals"].base_by_rate.items()
                    ],
                    "currency": inv["currency"],
                    "created": inv["created"].isoformat(),
                    "account": inv["account"],
                    "company_id": str(inv["company_id"]),
                    "status": inv["status"],
                    "checksum": inv["checksum"],
                    "parent_id": str(inv["parent_id"] or ""),
                    "paid": _s2(inv["paid"]),
                    "emails": list(inv["emails"]),
                }
            )
        return docs

    # -- auth and quota -------------------------------------------------------------------
    def _authenticate(self) -> tuple[Caller | None, Response | None]:
        header = request.headers.get("Authorization", "")
        if not header.startswith("SFAPI "):
            return None, _fail(1, "Not authenticated", 401)
        attrs = parse_qs(header[len("SFAPI ") :], keep_blank_values=True)
        email = (attrs.get("email") or [""])[0]
        key = (attrs.get("apikey") or [""])[0]
        company_id = (attrs.get("company_id") or [""])[0].strip()
        account = next(
            (a for a in self.accounts if a["credentials"]["email"] == email and a["server_api_key"] == key), None
        )
        if account is None:
            return None, _fail(1, "Not authenticated", 401)
        if not account["premium"]:
            return None, _json({"error": 1, "message": PREMIUM_MESSAGE}, 401)
        companies = account["companies"]
        company = next((c for c in companies if str(c["id"]) == company_id), companies[0])
        return Caller(account, company, f"{account['id']}:{company_id or companies[0]['id']}"), None

    def _quota_headers(self, caller: Caller) -> tuple[dict[str, str], bool]:
        remaining, reset, exceeded = self.quota.consume(caller.quota_key)
        now = datetime.now(BRATISLAVA)
        month = now.strftime("%Y-%m")
        used = self.monthly.get(f"{caller.quota_key}:{month}", 0) + 1
        self.monthly[f"{caller.quota_key}:{month}"] = used
        next_month = (now.replace(day=1, hour=0, minute=0, second=0, microsecond=0) + timedelta(days=32)).replace(day=1)
        monthly_exceeded = used > MONTHLY_LIMIT
        headers = {
            "X-RateLimit-DailyLimit": str(self.quota.limit),
            "X-RateLimit-DailyRemaining": str(remaining),
            "X-RateLimit-DailyReset": reset.astimezone(BRATISLAVA).strftime("%d.%m.%Y %H:%M:%S"),
            "X-RateLimit-MonthlyLimit": str(MONTHLY_LIMIT),
            "X-RateLimit-MonthlyRemaining": str(MONTHLY_LIMIT - used),
            "X-RateLimit-MonthlyReset": next_month.strftime("%d.%m.%Y %H:%M:%S"),
        }
        if exceeded:
            headers["X-RateLimit-Message"] = (
                f"You have exceeded a daily limit of {self.quota.limit} API requests. "
                "You can buy more requests in SuperFaktura."
            )
        elif monthly_exceeded:
            headers["X-RateLimit-Message"] = (
                f"You have exceeded a monthly limit of {MONTHLY_LIMIT} API requests. "
                "You can buy more requests in SuperFaktura."
            )
        return headers, exceeded or monthly_exceeded

    def rate_limit_response(self, reset_at: datetime) -> Response:
        message = f"You have exceeded a daily limit of {self.quota.limit} API requests."
        resp = _fail(1, message, 429)
        resp.headers.update(
            {
                "X-RateLimit-DailyLimit": str(self.quota.limit),
                "X-RateLimit-DailyRemaining": "0",
                "X-RateLimit-DailyReset": reset_at.astimezone(BRATISLAVA).strftime("%d.%m.%Y %H:%M:%S"),
                "X-RateLimit-Message": message,
            }
        )
        return resp

    def server_error_response(self) -> Response:
        return Response("<html><body><h1>500 Internal Server Error</h1></body></html>", 500, mimetype="text/html")

    # -- request bodies -------------------------------------------------------------------
    @staticmethod
    def _body() -> dict:
        mimetype = request.mimetype
        try:
            if mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                raw = request.form.get("data")
                data = json.loads(raw) if raw else None
            elif mimetype == "application/json":
                data = json.loads(request.get_data(as_text=True) or "null")
            else:
                data = None
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise BadData()
        return data

    # -- routes ---------------------------------------------------------------------------
    def register_routes(self, app: Flask) -> None:
        def vendor(rules: list[str], operation: str, methods: tuple[str, ...] = ("GET",)) -> Callable:
            def decorate(handler: Callable) -> Callable:
                def view(**kwargs: Any) -> Response:
                    fault = self.before_operation(operation)
                    if fault is not None:
                        return fault
                    caller, failure = self._authenticate()
                    if failure is not None:
                        return failure
                    with self.lock:
                        headers, over = self._quota_headers(caller)
                    if over and request.method == "GET":
                        message = headers["X-RateLimit-Message"]
                        resp = _fail(1, message, 429)
                    else:
                        try:
                            with self.lock:
                                resp = handler(caller, **kwargs)
                        except BadData:
                            resp = _fail(1, "Bad data format.", 400)
                    resp.headers.update(headers)
                    return resp

                for i, rule in enumerate(rules):
                    app.add_url_rule(rule, endpoint=f"sf_{handler.__name__}_{i}", view_func=view, methods=list(methods))
                return handler

            return decorate

        @vendor(["/users/getUserCompaniesData", "/users/getUserCompaniesData/<int:get_all>"], "verify")
        def user_companies(caller: Caller, get_all: int = 0) -> Response:
            companies = caller.account["companies"] if get_all else [caller.company]
            return _json(
                {
                    "data": {
                        str(c["id"]): {
                            "UserProfile": self._profile(caller.account, c),
                            "BankAccount": [self._bank(caller.account, c, b) for b in c["bank_accounts"]],
                        }
                        for c in companies
                    },
                    "error_message": "",
                    "error": 0,
                }
            )

        @vendor(["/users/company_switcher"], "verify")
        def company_switcher(caller: Caller) -> Response:
            return _json(
                {
                    "user_name": None,
                    "apikey": caller.account["server_api_key"],
                    "companies": [
                        {
                            "Logo": {"url": "https://moja.superfaktura.sk/img/no-logo.png"},
                            "UserProfile": self._profile(caller.account, c),
                        }
                        for c in caller.account["companies"]
                    ],
                }
            )

        @vendor(["/sequences/index.json"], "list_series")
        def sequences(caller: Caller) -> Response:
            out: dict[str, list] = {}
            today = date.today()
            for doc_type, series in caller.company["sequences"].items():
                out[doc_type] = []
                for s in series:
                    nxt = self.counters.get((s["id"], numbering.period_key(s["period_type"], today)), 0) + 1
                    out[doc_type].append(
                        {
                            "created": "2024-01-02 08:15:36",
                            "default": "1" if s["default"] else "0",
                            "id": str(s["id"]),
                            "item_type": s["item_type"],
                            "mask": s["mask"],
                            "modified": "2024-01-02 08:15:36",
                            "name": s["name"],
                            "period_type": s["period_type"],
                            "sequence": str(nxt),
                            "sequence_formatted": numbering.format_number(s["mask"], nxt, today),
                            "user_profile_id": str(caller.company["id"]),
                        }
                    )
            out[""] = []  # the warehouse, as documented
            return _json(out)

        @vendor(["/invoices/create"], "create_invoice", ("POST",))
        def create(caller: Caller) -> Response:
            if caller.account["role"] != "admin":
                return _fail(1, "You can't create invoice", 403)
            data = self._body()
            checksum = data.get("checksum")
            if checksum is not None and (not isinstance(checksum, str) or not 0 < len(checksum) <= 32):
                return _fail(5, {"checksum": ["Checksum môže mať najviac 32 znakov."]})
            parsed = self._parse_invoice(caller, data)
            if isinstance(parsed, Response):
                return parsed
            inv = self._store_invoice(caller.account, caller.company, parsed)
            inv["checksum"] = checksum or ""
            if parsed.get("already_paid"):
                self._add_payment(
                    inv,
                    inv["total"] - inv["paid"],
                    inv["currency"],
                    parsed["payment_type"] or "transfer",
                    parsed.get("paydate") or inv["created"],
                )
            body = {"error": 0, "error_message": "Invoice created", "data": self._view(inv)}
            if checksum:
                self.checksums[(caller.company["id"], checksum)] = body
            self.after_create("create_invoice")
            return _json(body)

        @vendor(["/api_logs/getResponseByChecksum/<checksum>"], "get_invoice")
        def by_checksum(caller: Caller, checksum: str) -> Response:
            body = self.checksums.get((caller.company["id"], checksum))
            if body is None:
                return _fail(1, "Response not found", 404)
            return _json(body)

        @vendor(["/invoices/index.json", "/invoices/index.json/<path:params>"], "list_invoices")
        def index(caller: Caller, params: str = "") -> Response:
            return self._list(caller, params)

        @vendor(["/invoices/view/<invoice_id>.json"], "get_invoice")
        def view(caller: Caller, invoice_id: str) -> Response:
            inv = self._find(caller, invoice_id)
            if inv is None:
                return _fail(1, "Invoice not found", 404)
            return _json(self._view(inv))

        @vendor(["/invoices/getInvoiceDetails/<ids>"], "get_invoice")
        def details(caller: Caller, ids: str) -> Response:
            wanted = [i for i in ids.split(",") if i][:100]
            found = {i: self._view(inv) for i in wanted if (inv := self._find(caller, i)) is not None}
            return _json(found)

        pdf_rules = ["/invoices/pdf/<invoice_id>", "/invoices/pdf/<invoice_id>/<path:params>"]
        pdf_rules += [f"/<lang>{rule}" for rule in pdf_rules]

        @app.route(pdf_rules[0], endpoint="sf_pdf_0")
        @app.route(pdf_rules[1], endpoint="sf_pdf_1")
        @app.route(pdf_rules[2], endpoint="sf_pdf_2")
        @app.route(pdf_rules[3], endpoint="sf_pdf_3")
        def invoice_pdf(invoice_id: str, params: str = "", lang: str = "slo") -> Response:
            fault = self.before_operation("get_pdf")
            if fault is not None:
                return fault
            return self._pdf(invoice_id, params, lang)

        @vendor(["/invoices/send"], "send_email", ("POST",))
        def send(caller: Caller) -> Response:
            if caller.account["role"] != "admin":
                return _fail(1, "You can't send invoice", 403)
            email = self._body().get("Email")
            if not isinstance(email, dict):
                return _fail(1, "Invalid data")
            inv = self._find(caller, str(email.get("invoice_id", "")))
            if inv is None:
                return _fail(4, "Invoice not found")
            to = str(email.get("to") or "").strip()
            if not EMAIL_RE.match(to):
                return _fail(13, "Please insert valid recipient email address.")
            now = datetime.now(timezone.utc)
            recent = [t for t in self.emails_sent.get(caller.company["id"], []) if t > now - timedelta(hours=1)]
            if len(recent) >= EMAILS_PER_HOUR:
                return _fail(1, f"You have exceeded the limit of {EMAILS_PER_HOUR} e-mails per hour.")
            self.emails_sent[caller.company["id"]] = recent + [now]
            inv["emails"].append(to)
            return _json({"error": 0, "error_message": "", "data": {"Invoice": self._invoice_fields(inv)}})

        @vendor(["/invoice_payments/add/ajax:1/api:1"], "mark_paid", ("POST",))
        def pay(caller: Caller) -> Response:
            if caller.account["role"] != "admin":
                return _fail(1, "You can't add payment", 403)
            payment = self._body().get("InvoicePayment")
            if not isinstance(payment, dict) or not payment.get("invoice_id"):
                return _json({"error": 1, "message": "Invalid data", "error_messages": {"invoice_id": ["Required"]}})
            inv = self._find(caller, str(payment["invoice_id"]))
            if inv is None:
                return _json({"error": 1, "message": "Payment not found"})
            if inv["type"] not in PAYABLE_TYPES:
                return _json({"error": 1, "message": "Invalid document type"})
            if inv["total"] != 0 and abs(inv["paid"]) >= abs(inv["total"]):
                return _json({"message": "Faktúra je už plne uhradená", "error_messages": [], "error": 1})
            try:
                amount = (
                    Decimal(str(payment["amount"]))
                    if payment.get("amount") not in (None, "")
                    else inv["total"] - inv["paid"]
                )
                paid_on = date.fromisoformat(str(payment.get("created") or payment.get("date") or date.today()))
            except (InvalidOperation, ValueError):
                return _json({"error": 1, "message": "Invalid data", "error_messages": {"amount": ["Invalid"]}})
            ptype = payment.get("payment_type") or "transfer"
            if ptype not in PAYMENT_TYPES:
                return _json({"error": 1, "message": "Invalid data", "error_messages": {"payment_type": ["Invalid"]}})
            record = self._add_payment(inv, amount, payment.get("currency") or inv["currency"], ptype, paid_on)
            return _json(
                {
                    "error": 0,
                    "payment_id": str(record["id"]),
                    "invoice_id": inv["id"],
                    "paid": _num(inv["paid"]),
                    "to_pay": _num(inv["total"] - inv["paid"]),
                    "status": inv["status"],
                    "invoice_type": inv["type"],
                    "created": paid_on.isoformat(),
                    "currency": None,
                    "home_currency": "€",
                    "invoice_currency": "€",
                    "parent_id": None,
                    "overdue": inv["status"] == 99,
                    "flash_message": {"text": "Úhrada bola uložená", "type": "success"},
                }
            )

        @vendor(["/invoices/delete/<invoice_id>"], "delete_invoice", ("GET", "DELETE"))
        def delete(caller: Caller, invoice_id: str) -> Response:
            if caller.account["role"] != "admin":
                return _fail(1, "You can't delete invoice", 403)
            inv = self._find(caller, invoice_id)
            if inv is None:
                return _fail(1, "Invoice not found", 404)
            inv["deleted"] = True
            return _json({"error": 0, "message": "Invoice deleted"})

    # -- invoices -------------------------------------------------------------------------
    def _find(self, caller: Caller, invoice_id: str) -> dict | None:
        if not str(invoice_id).isdigit():
            return None
        inv = self.invoices.get(int(invoice_id))
        if inv is None or inv["deleted"] or inv["company_id"] != caller.company["id"]:
            return None
        return inv

    def _parse_invoice(self, caller: Caller, data: dict) -> dict | Response:
        invoice = data.get("Invoice") or {}
        client = data.get("Client") or {}
        items = data.get("InvoiceItem")
        if not isinstance(invoice, dict) or not isinstance(client, dict):
            raise BadData()
        company = caller.company
        client_id = client.get("id") or invoice.get("client_id")
        if client_id and str(client_id).isdigit() and int(client_id) in self.clients:
            client_rec = self.clients[int(client_id)]
        elif str(client.get("name") or "").strip():
            client_rec = self._client_record(company, client)
        else:
            return _fail(4, {"data_bad_format": "Missing required client data."})
        errors: dict[str, list[str]] = {}
        if not isinstance(items, list) or not items:
            return _fail(5, {"type": ["Dokument musí obsahovať aspoň jednu položku"]}, error_data={})
        parsed_items = self._parse_items(items, errors)
        dates = self._parse_dates(invoice, errors)
        doc_type = invoice.get("type") or "regular"
        if doc_type not in INVOICE_TYPES:
            errors.setdefault("type", []).append("Neplatný typ dokumentu.")
        currency = invoice.get("invoice_currency") or company["home_currency"]
        rounding = invoice.get("rounding") or "item_ext"
        if rounding not in totals.ROUNDINGS:
            errors.setdefault("rounding", []).append("Neplatný typ zaokrúhľovania.")
        payment_type = invoice.get("payment_type") or ""
        if payment_type and payment_type not in PAYMENT_TYPES:
            errors.setdefault("payment_type", []).append("Neplatný spôsob úhrady.")
        delivery_type = invoice.get("delivery_type") or ""
        if delivery_type and delivery_type not in DELIVERY_TYPES:
            errors.setdefault("delivery_type", []).append("Neplatný spôsob dodania.")
        try:
            discount = Decimal(str(invoice.get("discount") or "0"))
        except InvalidOperation:
            errors.setdefault("discount", []).append("Neplatná hodnota.")
            discount = Decimal("0")
        parent_id = invoice.get("parent_id")
        if doc_type == "cancel":
            parent = self._find(caller, str(parent_id or ""))
            if parent is None or parent["type"] != "regular":
                errors.setdefault("parent_id", []).append("Dobropis musí odkazovať na existujúcu faktúru.")
        series = company["sequences"].get(doc_type, [])
        sequence_id = invoice.get("sequence_id")
        if sequence_id not in (None, ""):
            if not any(str(s["id"]) == str(sequence_id) for s in series):
                errors.setdefault("sequence_id", []).append("Neplatný číselník.")
        elif not series and not invoice.get("invoice_no_formatted"):
            errors.setdefault("sequence_id", []).append("Pre tento typ dokumentu nie je nastavený číselník.")
        if errors:
            return _fail(5, errors, error_data={})
        if currency not in CURRENCIES:
            return _fail(1, "Incorrect currency")
        created = dates.get("created") or date.today()
        language = ""
        setting = data.get("InvoiceSetting")
        if isinstance(setting, dict):
            if isinstance(setting.get("settings"), str):  # the WooCommerce plugin's form
                try:
                    setting = json.loads(setting["settings"])
                except ValueError:
                    setting = {}
            language = setting.get("language") or ""
        if language and language not in LANGUAGES:
            return _fail(5, {"language": ["Nepodporovaný jazyk."]}, error_data={})
        paydate = None
        if invoice.get("paydate"):
            try:
                paydate = date.fromisoformat(str(invoice["paydate"])[:10])
            except ValueError:
                return _fail(5, {"paydate": ["Neplatný dátum."]}, error_data={})
        return {
            "type": doc_type,
            "sequence_id": int(sequence_id)
            if sequence_id not in (None, "")
            else next((s["id"] for s in series if s["default"]), series[0]["id"] if series else None),
            "invoice_no_formatted": invoice.get("invoice_no_formatted") or "",
            "created": created,
            "delivery": dates.get("delivery") or created,
            "due": dates.get("due") or created + timedelta(days=14),
            "currency": currency,
            "order_no": str(invoice.get("order_no") or ""),
            "variable": str(invoice.get("variable") or ""),
            "constant": str(invoice.get("constant") or ""),
            "specific": str(invoice.get("specific") or ""),
            "payment_type": payment_type,
            "delivery_type": delivery_type,
            "rounding": rounding,
            "discount": discount,
            "name": str(invoice.get("name") or ""),
            "comment": str(invoice.get("comment") or ""),
            "parent_id": int(parent_id) if doc_type == "cancel" else None,
            "proforma_id": str(invoice.get("proforma_id") or "") or None,
            "client": client_rec,
            "items": parsed_items,
            "lang": language or "slo",
            "already_paid": str(invoice.get("already_paid") or "0") in ("1", "true", "True"),
            "paydate": paydate,
        }

    @staticmethod
    def _parse_items(items: list, errors: dict[str, list[str]]) -> list[dict]:
        """InvoiceItem[]: at least a name or a unit price each; numbers must be numbers."""
        parsed = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise BadData()
            if not str(item.get("name") or "").strip() and item.get("unit_price") in (None, ""):
                errors.setdefault(f"InvoiceItem.{i}.name", []).append("Položka musí mať názov alebo cenu.")
                continue
            values = {}
            for name, default in (("unit_price", "0"), ("quantity", "1"), ("tax", "0"), ("discount", "0")):
                raw = item.get(name)
                try:
                    values[name] = Decimal(str(default if raw in (None, "") else raw))
                    if not values[name].is_finite():
                        raise InvalidOperation
                except (InvalidOperation, ValueError):
                    errors.setdefault(f"InvoiceItem.{i}.{name}", []).append("Neplatná hodnota.")
            if "tax" in values and not 0 <= values["tax"] < 100:
                errors.setdefault(f"InvoiceItem.{i}.tax", []).append("Neplatná sadzba DPH.")
            parsed.append(
                {
                    **values,
                    "name": str(item.get("name") or ""),
                    "unit": str(item.get("unit") or ""),
                    "description": str(item.get("description") or ""),
                    "sku": str(item.get("sku") or ""),
                }
            )
        return parsed

    @staticmethod
    def _parse_dates(invoice: dict, errors: dict[str, list[str]]) -> dict[str, date]:
        dates = {}
        for name in ("created", "delivery", "due"):
            raw = invoice.get(name)
            if raw in (None, ""):
                continue
            try:
                dates[name] = date.fromisoformat(str(raw)[:10])
            except ValueError:
                errors.setdefault(name, []).append("Neplatný dátum.")
        return dates

    def _client_record(self, company: dict, client: dict) -> dict:
        for existing in self.clients.values():
            if (
                existing["company_id"] == company["id"]
                and existing["name"] == client.get("name")
                and existing.get("ico", "") == client.get("ico", "")
            ):
                return existing
        self.next_ids["client"] += 1
        record = {"id": self.next_ids["client"], "company_id": company["id"]}
        for name in (
            "name",
            "ico",
            "dic",
            "ic_dph",
            "email",
            "phone",
            "address",
            "city",
            "zip",
            "country_iso_id",
            "delivery_name",
            "delivery_address",
            "delivery_city",
            "delivery_zip",
            "delivery_country_iso_id",
        ):
            record[name] = str(client.get(name) or "")
        self.clients[record["id"]] = record
        return record

    def _store_invoice(self, account: dict, company: dict, spec: dict) -> dict:
        computed = totals.compute(
            spec["items"], spec.get("rounding") or "item_ext", spec.get("discount") or Decimal("0")
        )
        number, counter = spec.get("invoice_no_formatted") or "", 0
        series = next((s for s in company["sequences"].get(spec["type"], []) if s["id"] == spec["sequence_id"]), None)
        if not number and series is not None:
            key = (series["id"], numbering.period_key(series["period_type"], spec["created"]))
            counter = self.counters.get(key, 0) + 1
            self.counters[key] = counter
            number = numbering.format_number(series["mask"], counter, spec["created"])
        self.next_ids["invoice"] += 1
        inv_id = self.next_ids["invoice"]
        inv = {
            **{
                k: spec.get(k)
                for k in (
                    "type",
                    "sequence_id",
                    "created",
                    "delivery",
                    "due",
                    "currency",
                    "order_no",
                    "payment_type",
                    "delivery_type",
                    "rounding",
                    "client",
                    "parent_id",
                    "proforma_id",
                )
            },
            "id": inv_id,
            "account": account["id"],
            "company_id": company["id"],
            "invoice_no": counter,
            "invoice_no_formatted": number,
            "variable": spec.get("variable") or re.sub(r"\D", "", number),
            "constant": spec.get("constant", ""),
            "specific": spec.get("specific", ""),
            "name": spec.get("name") or f"Faktúra {number}",
            "comment": spec.get("comment", ""),
            "discount": spec.get("discount") or Decimal("0"),
            "lang": spec.get("lang") or "slo",
            "token": hashlib.md5(f"{inv_id}-{number}".encode()).hexdigest()[:8],
            "totals": computed,
            "total": computed.total,
            "paid": Decimal("0"),
            "payments": [],
            "emails": [],
            "checksum": "",
            "deleted": False,
            "status": 1,
            "items": [],
            "modified": datetime.now(BRATISLAVA).strftime("%Y-%m-%d %H:%M:%S"),
        }
        for src, t in zip(spec["items"], computed.items):
            self.next_ids["item"] += 1
            inv["items"].append({"id": self.next_ids["item"], "src": src, "totals": t})
        self._refresh_status(inv)
        self.invoices[inv_id] = inv
        return inv

    def _add_payment(self, inv: dict, amount: Decimal, currency: str, payment_type: str, paid_on: date) -> dict:
        self.next_ids["payment"] += 1
        record = {
            "id": self.next_ids["payment"],
            "amount": amount,
            "currency": currency,
            "payment_type": payment_type,
            "created": paid_on,
        }
        inv["payments"].append(record)
        inv["paid"] += amount
        self._refresh_status(inv)
        return record

    @staticmethod
    def _refresh_status(inv: dict) -> None:
        if inv["total"] != 0 and abs(inv["paid"]) >= abs(inv["total"]):
            inv["status"] = 3
        elif inv["paid"] != 0:
            inv["status"] = 2
        elif inv["due"] < date.today():
            inv["status"] = 99
        else:
            inv["status"] = 1

    # -- answers in the vendor's shape ----------------------------------------------------
    def _invoice_fields(self, inv: dict) -> dict:
        self._refresh_status(inv)
        paydate = inv["payments"][-1]["created"].isoformat() + " 00:00:00" if inv["payments"] else None
        return {
            "id": str(inv["id"]),
            "type": inv["type"],
            "name": inv["name"],
            "invoice_no": str(inv["invoice_no"]),
            "invoice_no_formatted": inv["invoice_no_formatted"],
            "sequence_id": str(inv["sequence_id"] or ""),
            "created": inv["created"].isoformat() + " 00:00:00",
            "delivery": inv["delivery"].isoformat() + " 00:00:00",
            "due": inv["due"].isoformat(),
            "taxdate": inv["delivery"].isoformat(),
            "invoice_currency": inv["currency"],
            "home_currency": "EUR",
            "amount": _s2(inv["totals"].base_total),
            "vat": _s2(inv["totals"].vat_total),
            "paid": _s2(inv["paid"]),
            "amount_paid": _s2(inv["paid"]),
            "status": str(inv["status"]),
            "flag": STATUS_FLAGS[inv["status"]],
            "order_no": inv["order_no"],
            "variable": inv["variable"],
            "constant": inv["constant"],
            "specific": inv["specific"],
            "payment_type": inv["payment_type"],
            "delivery_type": inv["delivery_type"],
            "rounding": inv["rounding"],
            "discount": str(inv["discount"]),
            "parent_id": str(inv["parent_id"]) if inv["parent_id"] else None,
            "proforma_id": inv["proforma_id"],
            "token": inv["token"],
            "lang": inv["lang"],
            "client_id": str(inv["client"]["id"]),
            "comment": inv["comment"],
            "modified": inv["modified"],
            "paydate": paydate,
            "demo": "0",
            "user_profile_id": str(inv["company_id"]),
        }

    def _view(self, inv: dict) -> dict:
        t = inv["totals"]
        client = {k: v for k, v in inv["client"].items() if k != "company_id"}
        client["id"] = str(client["id"])
        return {
            "Invoice": self._invoice_fields(inv),
            "InvoiceItem": [
                {
                    "id": str(item["id"]),
                    "invoice_id": str(inv["id"]),
                    "name": item["src"]["name"],
                    "description": item["src"]["description"],
                    "unit": item["src"]["unit"],
                    "sku": item["src"]["sku"] or None,
                    "quantity": str(item["totals"].quantity),
                    "tax": str(item["totals"].tax),
                    "discount": _num(item["totals"].discount),
                    "unit_price": _num(item["totals"].unit_price),
                    "unit_price_discount": _num(item["totals"].unit_price_discount),
                    "unit_price_vat": _num(item["totals"].unit_price_vat),
                    "item_price": _num(item["totals"].net),
                    "item_price_vat": _num(item["totals"].gross),
                    "ordernum": str(n),
                }
                for n, item in enumerate(inv["items"])
            ],
            "Client": client,
            "Summary": {
                "discount": _num(t.discount),
                "vat_base_separate": {k: _num(v) for k, v in t.base_by_rate.items()},
                "vat_base_total": _num(t.base_total),
                "vat_separate": {k: _num(v) for k, v in t.vat_by_rate.items()},
                "vat_total": _num(t.vat_total),
                "invoice_total": _num(t.total),
            },
            "InvoicePayment": [
                {
                    "id": str(p["id"]),
                    "invoice_id": str(inv["id"]),
                    "amount": _s2(p["amount"]),
                    "currency": p["currency"],
                    "payment_type": p["payment_type"],
                    "created": p["created"].isoformat(),
                }
                for p in inv["payments"]
            ],
            "InvoiceEmail": [{"email": e, "invoice_id": str(inv["id"])} for e in inv["emails"]],
            "PaymentLink": None,
            "Tag": [],
            "0": {"total": _s2(inv["total"]), "to_pay": f"{inv['total'] - inv['paid']:.6f}"},
        }

    def _profile(self, account: dict, company: dict) -> dict:
        return {
            k: str(company[k])
            for k in (
                "id",
                "company_name",
                "ico",
                "dic",
                "ic_dph",
                "tax_payer",
                "address",
                "city",
                "zip",
                "country_id",
                "phone",
                "web",
                "home_currency",
            )
        } | {"user_id": str(int(hashlib.md5(account["id"].encode()).hexdigest()[:4], 16)), "rounding": "item_ext"}

    @staticmethod
    def _bank(account: dict, company: dict, bank: dict) -> dict:
        return {**{k: str(v) for k, v in bank.items()}, "country_id": "191", "user_profile_id": str(company["id"])}

    # -- list -----------------------------------------------------------------------------
    def _list(self, caller: Caller, params: str) -> Response:
        opts: dict[str, str] = {}
        for part in params.split("/"):
            if ":" in part:
                name, value = part.split(":", 1)
                opts[name] = value
        types = (opts.get("type") or "regular").split("|")
        docs = [
            inv
            for inv in self.invoices.values()
            if inv["company_id"] == caller.company["id"] and not inv["deleted"] and inv["type"] in types
        ]
        docs = [inv for inv in docs if self._created_matches(inv["created"], opts)]
        for name in ("order_no", "variable", "invoice_no_formatted"):
            if name in opts:
                docs = [inv for inv in docs if inv[name] == opts[name]]
        if "status" in opts:
            wanted = {int(s) for s in opts["status"].split("|") if s.isdigit()}
            for inv in docs:
                self._refresh_status(inv)
            docs = [inv for inv in docs if inv["status"] in wanted]
        if "client_id" in opts:
            docs = [inv for inv in docs if str(inv["client"]["id"]) == opts["client_id"]]
        sort = opts.get("sort", "id")
        reverse = opts.get("direction", "DESC").upper() != "ASC"
        key = {
            "created": lambda i: (i["created"], i["id"]),
            "invoice_no_formatted": lambda i: i["invoice_no_formatted"],
        }.get(sort, lambda i: i["id"])
        docs.sort(key=key, reverse=reverse)
        try:
            per_page = min(max(int(opts.get("per_page", 50)), 1), 200)
            page = max(int(opts.get("page", 1)), 1)
        except ValueError:
            return _fail(1, "Bad data format.", 400)
        chunk = docs[(page - 1) * per_page : page * per_page]
        items = [self._view(inv) for inv in chunk]
        if opts.get("listinfo") == "1" or opts.get("list_info") == "1":
            return _json(
                {
                    "filtered": len(opts) > 0,
                    "itemCount": len(docs),
                    "items": items,
                    "page": page,
                    "pageCount": max(1, -(-len(docs) // per_page)),
                    "perPage": per_page,
                }
            )
        return _json(items)

    @staticmethod
    def _created_matches(created: date, opts: dict[str, str]) -> bool:
        today = date.today()
        mode = opts.get("created", "6")
        if mode == "0":
            return True
        if mode == "1":
            return created == today
        if mode == "2":
            return created == today - timedelta(days=1)
        if mode == "3":
            since = opts.get("created_since")
            until = opts.get("created_to")
            return (not since or created.isoformat() >= since) and (not until or created.isoformat() <= until)
        if mode == "4":
            return (created.year, created.month) == (today.year, today.month)
        if mode == "5":
            last = today.replace(day=1) - timedelta(days=1)
            return (created.year, created.month) == (last.year, last.month)
        if mode == "7":
            return created.year == today.year - 1
        return created.year == today.year  # 6 = this year, the default

    # -- PDF ------------------------------------------------------------------------------
    def _pdf(self, invoice_id: str, params: str, lang: str) -> Response:
        if lang not in LANGUAGES:
            return _fail(1, "Not found", 404)
        token = next((p.split(":", 1)[1] for p in params.split("/") if p.startswith("token:")), None)
        inv = self.invoices.get(int(invoice_id)) if invoice_id.isdigit() else None
        if inv is None or inv["deleted"]:
            return _fail(1, "Invoice not found", 404)
        if token is None:
            caller, failure = self._authenticate()
            if failure is not None:
                return failure
            with self.lock:
                headers, over = self._quota_headers(caller)
            if over:
                resp = _fail(1, headers["X-RateLimit-Message"], 429)
                resp.headers.update(headers)
                return resp
            if inv["company_id"] != caller.company["id"]:
                return _fail(1, "Invoice not found", 404)
        elif token != inv["token"]:
            return _fail(1, "Invoice not found", 404)
        else:
            headers = {}
        company = next(c for a in self.accounts for c in a["companies"] if c["id"] == inv["company_id"])
        titles = {"regular": "Faktúra", "proforma": "Zálohová faktúra", "cancel": "Dobropis"}
        t = inv["totals"]
        content = pdf.render(
            titles.get(inv["type"], "Doklad"),
            inv["invoice_no_formatted"],
            company["company_name"],
            inv["client"]["name"],
            [
                ("Datum vystavenia", inv["created"].isoformat()),
                ("Datum dodania", inv["delivery"].isoformat()),
                ("Splatnost", inv["due"].isoformat()),
                ("Variabilny symbol", inv["variable"]),
            ],
            [
                (
                    i["src"]["name"],
                    str(i["totals"].quantity),
                    _s2(i["totals"].unit_price_discount),
                    str(i["totals"].tax),
                    _s2(i["totals"].gross),
                )
                for i in inv["items"]
            ],
            [
                *((f"Zaklad {rate} %", _s2(base)) for rate, base in t.base_by_rate.items()),
                *((f"DPH {rate} %", _s2(vat)) for rate, vat in t.vat_by_rate.items()),
                ("Spolu " + inv["currency"], _s2(t.total)),
            ],
            watermark=f"SuperFaktura sandbox ({lang})",
        )
        resp = Response(content, 200, mimetype="application/pdf")
        resp.headers["Content-Disposition"] = f'inline; filename="{inv["invoice_no_formatted"] or inv["id"]}.pdf"'
        resp.headers.update(headers)
        return resp
