"""Fakturownia sandbox: the documented API (github.com/fakturownia/API README.md + KSeF.md), served
locally. Written from ../shared/api/polish-systems-and-peers.md (A1) and
../shared/api/ksef-vat-and-merchant-pain.md, never from our connector.

Account: the subdomain of the `Host` header, `{prefix}.fakturownia.pl` (also
`{prefix}.invoiceocean.com` and `{prefix}.localhost`; a port is ignored). Locally a client sends
that Host header to 127.0.0.1:5104. No subdomain, `app`, or an unknown one: HTTP 422
``{"code": "error", "message": "Brak konta: źle wpisane Twoje konto"}``. (Whether the token alone
picks the account on app.fakturownia.pl is UNCONFIRMED; the safe reading is to stay on the
subdomain, so the sandbox refuses it. `POST /login.json`, documented on app.fakturownia.pl, works
on any host.)

Token: query `api_token`, top-level `api_token` in the JSON (or form) body, or
``Authorization: Bearer <token>``. Missing or unknown: 401 with the message the WP Desk FAQ
quotes, which echoes the page address as requested (query string and token included):
``{"code": "error", "message": "Musisz być zalogowany, aby mieć dostęp do strony <url>"}``.
A known token whose user is not a member of the account: 403
``{"code": "error", "message": "Nie masz uprawnień do tego konta!"}``. (Body shapes of 401/403/422
"Brak konta" are UNCONFIRMED; the messages are the vendor's, the envelope is the one its account
endpoints document.)

Routes (operation names for faults in brackets):
- GET  /account.json                                  [verify]
- POST /login.json                                    [login]
- GET  /invoices.json                                 [list_invoices]
- POST /invoices.json                                 [create_invoice]
- GET  /invoices/<id>.json (?send_to_ksef=yes)        [get_invoice] ([send_to_ksef])
- PUT  /invoices/<id>.json                            [update_invoice]
- DELETE /invoices/<id>.json                          [delete_invoice]
- GET  /invoices/<id>.pdf                             [get_pdf]
- GET  /invoice/<token>.pdf, /invoice/<token>         [get_pdf] (public, no token)
- POST /invoices/<id>/send_by_email.json              [send_email]
- POST /invoices/<id>/change_status.json?status=      [mark_paid]
- POST /invoices/cancel.json                          [cancel_invoice]
- GET  /invoices/<id>/attachment?kind=gov|gov_upo     [get_attachment]
- GET|POST /banking/payments.json                     [list_payments] / [mark_paid]
- GET  /departments.json, /departments/<id>.json      [list_departments]
- GET|POST /clients.json, GET /clients/<id>.json      [list_clients] / [create_client]
- Control: the common `/_sandbox/` API plus `POST /_sandbox/ksef {"delay_seconds": S,
  "outcome": "auto"|"ok"|"send_error"|"server_error"}` (KSeF processing time and forced outcome).

Validation failures: HTTP 422 ``{"code": "error", "message": {"field": ["- message", ...]}}``
(KSeF.md), position fields as ``positions.name`` (WP Desk FAQ). `send_by_email` refusals are HTTP
200 ``{"status": "error", "message": ...}`` (KSeF.md documents "brak numeru KSeF" that way).

UNCONFIRMED points and the readings chosen here:
- Rate limit: not documented. Default 1000 requests per hour per account (the stricter reading of
  3rd-party notes); over it HTTP 429 ``{"code": "error", "message": ...}`` with Retry-After.
- `oid_unique: "yes"` duplicate: 422 ``{"code": "error", "message": {"oid": ["- jest już zajęte"]}}``
  (the only shape seen, in a 3rd-party fake). Any kind with the same oid counts; deleted ones not.
- Create answers HTTP 201 with the invoice (Rails convention); update, get 200.
- Delete answers 200 ``{"code": "success", "message": ...}``; editing, deleting or cancelling an
  invoice that KSeF is processing or has numbered: 422 ``{"code": "error", "message": ...}``.
- List: `per_page` defaults to 25 (max 100), `period` defaults to `this_month` (send `period=all`
  to get everything), newest issue date first unless `order=` says otherwise.
- `buyer_company` defaults to true (the client card default), so a consumer invoice must say
  false; under KSeF a company buyer then needs `buyer_tax_no`.
- A correction starts from the corrected invoice's seller and buyer data; sent fields override.
  It must point at an existing, non-proforma invoice of the account (`invoice_id` or
  `from_invoice_id`). Positions carry the difference; when a position has no amounts of its own,
  the difference of `correction_after_attributes` and `correction_before_attributes` is used.
- `client_id` or `department_id` that does not exist: 422 on that field.
- Unknown invoice id: 404 ``{"code": "error", "message": "Nie znaleziono"}``.
- Success bodies of send_by_email, change_status, cancel are not documented:
  ``{"status": "ok", ...}`` resp. ``{"code": "success", "message": ...}``.
"""

from __future__ import annotations

# The port `python -m sandboxes serve` uses; the one place it is written (see sandboxes/__init__.py).
PORT = 5104

import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, Response, request

from .. import pdf
from ..core import Sandbox
from . import ksef, numbering, seed, totals

WARSAW = ZoneInfo("Europe/Warsaw")
KINDS = (
    "vat",
    "proforma",
    "bill",
    "receipt",
    "advance",
    "final",
    "correction",
    "invoice_other",
    "vat_margin",
    "kp",
    "kw",
    "estimate",
    "vat_mp",
    "vat_rr",
    "correction_note",
    "accounting_note",
    "client_order",
    "dw",
    "wnt",
    "wdt",
    "import_service",
    "import_service_eu",
    "import_products",
    "export_products",
)
STATUSES = ("issued", "sent", "paid", "partial", "rejected")
LANGS = (
    "pl",
    "en",
    "en-GB",
    "de",
    "fr",
    "cz",
    "ru",
    "es",
    "it",
    "nl",
    "hr",
    "ar",
    "sk",
    "sl",
    "el",
    "et",
    "cn",
    "hu",
    "tr",
    "fa",
)
TAX_NO_KINDS = ("", "nip_ue", "other", "empty", "nip_with_id")
PERIODS = ("last_12_months", "this_month", "last_30_days", "last_month", "this_year", "last_year", "all", "more")
ORDERS = {
    "number": "number",
    "updated_at": "updated_at",
    "price_net": "price_net",
    "price_gross": "price_gross",
    "price_tax": "price_tax",
    "issue_date": "issue_date",
    "payment_to": "payment_to",
    "paid_date": "paid_date",
    "transaction_date": "sell_date",
    "buyer_name": "buyer_name",
    "buyer_tax_no": "buyer_tax_no",
    "seller_name": "seller_name",
    "oid": "oid",
}
NOT_CORRECTABLE = ("proforma", "estimate", "client_order")
CORRECTION_LOCKED = (
    "department_id",
    "seller_tax_no",
    "seller_email",
    "seller_phone",
    "seller_tax_no_kind",
    "buyer_company",
    "buyer_tax_no",
    "buyer_email",
    "buyer_phone",
    "buyer_tax_no_kind",
)
EMAIL_RE = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
TRUE_VALUES = (True, 1, "1", "true", "True", "yes", "on")
PER_PAGE_DEFAULT = 25
MSG_NO_ACCOUNT = "Brak konta: źle wpisane Twoje konto"
MSG_FORBIDDEN = "Nie masz uprawnień do tego konta!"
MSG_BLANK = "- nie może być puste"
MSG_INVALID = "- jest nieprawidłowe"
MSG_NOT_FOUND = "Nie znaleziono"


def _json(body: Any, status: int = 200, headers: dict | None = None) -> Response:
    resp = Response(json.dumps(body, ensure_ascii=False), status, mimetype="application/json")
    resp.headers.update(headers or {})
    return resp


def _error(message: Any, status: int = 422) -> Response:
    return _json({"code": "error", "message": message}, status)


def _truthy(value: Any) -> bool:
    return value in TRUE_VALUES


def _now() -> datetime:
    return datetime.now(WARSAW)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(WARSAW).isoformat(timespec="milliseconds")


def _s(value: Any) -> str:
    return "" if value is None else str(value).strip()


class BadRequest(Exception):
    """An unreadable body or a missing root parameter: HTTP 400."""


@dataclass
class Caller:
    account: dict
    user: dict


class FakturowniaSandbox(Sandbox):
    key = "fakturownia"
    default_quota = (1000, 3600)

    # -- state ----------------------------------------------------------------------------
    def seed(self) -> None:
        self.accounts = seed.accounts()
        self.users = seed.users()
        self.invoices: dict[int, dict] = {}
        self.clients: dict[int, dict] = {}
        self.payments: dict[int, dict] = {}
        self.counters: dict[tuple, int] = {}
        self.next_ids = {"invoice": 41200, "position": 90100, "client": 700, "payment": 3300}
        self.ksef_settings = {"delay_seconds": 2.0, "outcome": "auto"}
        today = date.today()
        for account in self.accounts:
            for client in seed.CLIENTS[account["id"]]:
                self.clients[client["id"]] = {
                    **client,
                    "account": account["id"],
                    "shortcut": client["name"][:20],
                    "external_id": None,
                }
            by_oid: dict[str, dict] = {}
            specs = sorted(seed.invoices(account["id"], today), key=lambda s: s["invoice"]["issue_date"])
            for spec in specs:
                data = dict(spec["invoice"])
                corrects = data.pop("corrects", None)
                from_proforma = data.pop("from_proforma", False)
                if corrects:
                    data["invoice_id"] = data["from_invoice_id"] = by_oid[corrects]["id"]
                if from_proforma:
                    data["from_invoice_id"] = by_oid[data["oid"]]["id"]
                inv, errors = self._build(account, data)
                assert not errors, (data, errors)
                inv = self._store(account, inv)
                issued = date.fromisoformat(data["issue_date"])
                inv["created_at"] = inv["updated_at"] = datetime(
                    issued.year, issued.month, issued.day, 9, 30, tzinfo=WARSAW
                )
                self._apply_status(inv, spec["status"], issued)
                if account["ksef"]:
                    if spec["ksef"] == "ok":
                        self._ksef_accept(inv, inv["created_at"])
                    elif spec["ksef"] == "error":
                        inv["gov"].update(
                            status="send_error",
                            send_date=inv["created_at"],
                            error_messages=self._ksef_rejections(inv, issued) or ["Odrzucona"],
                        )
                    elif inv["kind"] not in ksef.KSEF_KINDS and inv["buyer"]["company"]:
                        inv["gov"]["status"] = "not_applicable"
                by_oid.setdefault(data["oid"], inv)

    def account_by_prefix(self, prefix: str | None) -> dict | None:
        return next((a for a in self.accounts if a["prefix"] == prefix), None)

    def neutral_documents(self) -> list[dict[str, Any]]:
        docs = []
        for inv in self.invoices.values():
            if inv["deleted"]:
                continue
            self._settle(inv)
            docs.append(
                {
                    "id": str(inv["id"]),
                    "type": inv["kind"],
                    "number": inv["number"],
                    "order_no": inv["oid"],
                    "total": totals.money(inv["sums"].gross),
                    "net": totals.money(inv["sums"].net),
                    "vat": totals.money(inv["sums"].tax),
                    "currency": inv["currency"],
                    "created": inv["issue_date"].isoformat(),
                    "account": inv["account"],
                    "status": inv["status"],
                    "paid": totals.money(inv["paid"]),
                    "buyer_name": inv["buyer"]["name"],
                    "buyer_tax_no": inv["buyer"]["tax_no"],
                    "department_id": str(inv["department_id"] or ""),
                    "gov_status": inv["gov"]["status"],
                    "gov_id": inv["gov"]["id"],
                    "corrects": str(inv["invoice_id"] or "") if inv["kind"] == "correction" else "",
                    "cancelled": inv["cancelled"],
                    "emails": list(inv["emails"]),
                }
            )
        return docs

    # -- responses the core asks for ------------------------------------------------------
    def rate_limit_response(self, reset_at: datetime) -> Response:
        wait = max(1, int((reset_at - datetime.now(timezone.utc)).total_seconds()))
        return _json(
            {"code": "error", "message": "Przekroczono limit zapytań API. Spróbuj ponownie później."},
            429,
            {"Retry-After": str(wait)},
        )

    def server_error_response(self) -> Response:
        return Response(
            "<html><body><h1>We're sorry, but something went wrong.</h1></body></html>", 500, mimetype="text/html"
        )

    # -- host, token, body ----------------------------------------------------------------
    @staticmethod
    def _subdomain() -> str | None:
        host = (request.headers.get("Host") or "").strip().lower()
        if host.startswith("["):
            return None
        host = host.split(":", 1)[0]
        for base in (".fakturownia.pl", ".invoiceocean.com", ".localhost"):
            if host.endswith(base):
                sub = host[: -len(base)]
                return sub if sub and "." not in sub else None
        return None

    @staticmethod
    def _body() -> dict:
        if request.mimetype == "application/json":
            raw = request.get_data(as_text=True)
            if not raw.strip():
                return {}
            try:
                data = json.loads(raw)
            except ValueError:
                raise BadRequest("Nieprawidłowy format JSON") from None
            if not isinstance(data, dict):
                raise BadRequest("Nieprawidłowy format JSON")
            return data
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return request.form.to_dict()
        return {}

    def _token(self) -> str:
        if request.args.get("api_token"):
            return request.args["api_token"]
        try:
            body = self._body()
        except BadRequest:
            body = {}
        if isinstance(body.get("api_token"), str) and body["api_token"]:
            return body["api_token"]
        header = request.headers.get("Authorization", "")
        if header[:7].lower() == "bearer ":
            return header[7:].strip()
        return ""

    def _authenticate(self) -> tuple[Caller | None, Response | None]:
        account = self.account_by_prefix(self._subdomain())
        if account is None:
            return None, _error(MSG_NO_ACCOUNT, 422)
        user = self.users.get(self._token())
        if user is None:
            return None, _error(f"Musisz być zalogowany, aby mieć dostęp do strony {request.url}", 401)
        if account["prefix"] not in user["accounts"]:
            return None, _error(MSG_FORBIDDEN, 403)
        return Caller(account, user), None

    # -- routes ---------------------------------------------------------------------------
    def register_routes(self, app: Flask) -> None:
        def vendor(rules: list[str], operation: str, methods: tuple[str, ...] = ("GET",)) -> Callable:
            def decorate(handler: Callable) -> Callable:
                def view(**kwargs: Any) -> Response:
                    fault = self.before_operation(operation)
                    if fault is not None:
                        return fault
                    with self.lock:
                        caller, failure = self._authenticate()
                        if failure is not None:
                            return failure
                        _remaining, reset, exceeded = self.quota.consume(caller.account["id"])
                        if exceeded:
                            return self.rate_limit_response(reset)
                        try:
                            return handler(caller, **kwargs)
                        except BadRequest as exc:
                            return _error(str(exc), 400)

                for i, rule in enumerate(rules):
                    app.add_url_rule(rule, endpoint=f"fa_{handler.__name__}_{i}", view_func=view, methods=list(methods))
                return handler

            return decorate

        @vendor(["/account.json"], "verify")
        def account_info(caller: Caller) -> Response:
            # Documented call; the answer's fields are not, so they mirror the account-creation reply.
            dept = self._default_department(caller.account)
            return _json(
                {
                    "prefix": caller.account["prefix"],
                    "url": f"https://{caller.account['prefix']}.fakturownia.pl",
                    "login": caller.user["login"],
                    "email": caller.user["email"],
                    "name": dept["name"],
                    "tax_no": dept["tax_no"],
                    "ksef": caller.account["ksef"],
                }
            )

        @app.post("/login.json", endpoint="fa_login")
        def login() -> Response:
            fault = self.before_operation("login")
            if fault is not None:
                return fault
            try:
                data = self._body()
            except BadRequest as exc:
                return _error(str(exc), 400)
            with self.lock:
                user = next(
                    (
                        u
                        for u in self.users.values()
                        if data.get("login") in (u["login"], u["email"]) and data.get("password") == u["password"]
                    ),
                    None,
                )
                if user is None:
                    return _error("Nieprawidłowy login lub hasło", 401)
                prefix = user["accounts"][0] if user["accounts"] else None
                token = next(t for t, u in self.users.items() if u is user)
                return _json(
                    {
                        "login": user["login"],
                        "email": user["email"],
                        "prefix": prefix,
                        "url": f"https://{prefix}.fakturownia.pl" if prefix else None,
                        "first_name": user["first_name"],
                        "last_name": user["last_name"],
                        "api_token": token,
                    }
                )

        @vendor(["/invoices.json"], "list_invoices")
        def list_invoices(caller: Caller) -> Response:
            return self._list(caller)

        @vendor(["/invoices.json"], "create_invoice", ("POST",))
        def create_invoice(caller: Caller) -> Response:
            body = self._body()
            data = body.get("invoice")
            if not isinstance(data, dict):
                raise BadRequest("param is missing or the value is empty: invoice")
            inv, errors = self._build(caller.account, data)
            if errors:
                return _error(errors)
            inv = self._store(caller.account, inv)
            self._apply_status(inv, inv["status"], inv["issue_date"], initial=True)
            explicit = _truthy(body.get("gov_save_and_send")) or _truthy(request.args.get("gov_save_and_send"))
            self._ksef_on_save(caller.account, inv, explicit)
            self.after_create("create_invoice")
            return _json(self._view(inv), 201)

        @vendor(["/invoices/<int:invoice_id>.json"], "get_invoice")
        def get_invoice(caller: Caller, invoice_id: int) -> Response:
            inv = self._find(caller, invoice_id)
            if inv is None:
                return _error(MSG_NOT_FOUND, 404)
            if _s(request.args.get("send_to_ksef")).lower() in ("yes", "1", "true"):
                fault = self.before_operation("send_to_ksef")
                if fault is not None:
                    return fault
                self._ksef_send(caller.account, inv)
            return self._view_response(inv)

        @vendor(["/invoices/<int:invoice_id>.json"], "update_invoice", ("PUT", "PATCH"))
        def update_invoice(caller: Caller, invoice_id: int) -> Response:
            inv = self._find(caller, invoice_id)
            if inv is None:
                return _error(MSG_NOT_FOUND, 404)
            body = self._body()
            data = body.get("invoice")
            if not isinstance(data, dict):
                raise BadRequest("param is missing or the value is empty: invoice")
            if self._ksef_locked(inv):
                return _error("Faktura została wysłana do KSeF i nie może być edytowana. Wystaw korektę.")
            merged, errors = self._merge(inv, data)
            if errors:
                return _error(errors)
            rebuilt, errors = self._build(caller.account, merged, existing=inv)
            if errors:
                return _error(errors)
            for name in (
                "id",
                "number",
                "token",
                "created_at",
                "paid",
                "emails",
                "payments",
                "gov",
                "account",
                "deleted",
                "cancelled",
                "cancel_reason",
            ):
                rebuilt[name] = inv[name]
            if _s(data.get("number")):
                rebuilt["number"] = _s(data["number"])
            for name in ("status", "paid_date"):
                if name not in data:
                    rebuilt[name] = inv[name]
            if rebuilt["client_id"] is None:
                rebuilt["client_id"] = inv["client_id"]
            rebuilt["updated_at"] = _now()
            self.invoices[inv["id"]] = rebuilt
            if "status" in data or "paid" in data:
                self._apply_status(rebuilt, rebuilt["status"], rebuilt["issue_date"], initial=True)
            explicit = _truthy(body.get("gov_save_and_send")) or _truthy(request.args.get("gov_save_and_send"))
            if explicit:
                self._ksef_send(caller.account, rebuilt)
            return self._view_response(rebuilt)

        @vendor(["/invoices/<int:invoice_id>.json"], "delete_invoice", ("DELETE",))
        def delete_invoice(caller: Caller, invoice_id: int) -> Response:
            inv = self._find(caller, invoice_id)
            if inv is None:
                return _error(MSG_NOT_FOUND, 404)
            if self._ksef_locked(inv):
                return _error("Nie można usunąć faktury wysłanej do KSeF. Wystaw korektę do zera.")
            inv["deleted"] = True
            return _json({"code": "success", "message": "Faktura została usunięta"})

        @vendor(["/invoices/<int:invoice_id>.pdf"], "get_pdf")
        def invoice_pdf(caller: Caller, invoice_id: int) -> Response:
            inv = self._find(caller, invoice_id)
            if inv is None:
                return _error(MSG_NOT_FOUND, 404)
            return self._pdf(caller.account, inv)

        @app.get("/invoice/<token>.pdf", endpoint="fa_public_pdf")
        def public_pdf(token: str) -> Response:
            return self._public(token, as_pdf=True)

        @app.get("/invoice/<token>", endpoint="fa_public_view")
        def public_view(token: str) -> Response:
            return self._public(token, as_pdf=False)

        @vendor(["/invoices/<int:invoice_id>/send_by_email.json"], "send_email", ("POST",))
        def send_by_email(caller: Caller, invoice_id: int) -> Response:
            inv = self._find(caller, invoice_id)
            if inv is None:
                return _error(MSG_NOT_FOUND, 404)
            return self._send_email(caller.account, inv)

        @vendor(["/invoices/<int:invoice_id>/change_status.json"], "mark_paid", ("POST",))
        def change_status(caller: Caller, invoice_id: int) -> Response:
            inv = self._find(caller, invoice_id)
            if inv is None:
                return _error(MSG_NOT_FOUND, 404)
            body = self._body()
            status = _s(request.args.get("status") or body.get("status"))
            if status not in STATUSES:
                return _error({"status": [MSG_INVALID]})
            self._apply_status(inv, status, date.today())
            inv["updated_at"] = _now()
            return _json({"code": "success", "message": "Status został zmieniony"})

        @vendor(["/invoices/cancel.json"], "cancel_invoice", ("POST",))
        def cancel_invoice(caller: Caller) -> Response:
            body = self._body()
            raw = body.get("cancel_invoice_id", request.args.get("cancel_invoice_id"))
            inv = self._find(caller, raw)
            if inv is None:
                return _error(MSG_NOT_FOUND, 404)
            if self._ksef_locked(inv):
                return _error("Nie można anulować faktury wysłanej do KSeF. Wystaw korektę do zera.")
            inv["cancelled"] = True
            inv["cancel_reason"] = _s(body.get("cancel_reason"))
            inv["updated_at"] = _now()
            return _json({"code": "success", "message": "Faktura została anulowana"})

        @vendor(["/invoices/<int:invoice_id>/attachment"], "get_attachment")
        def attachment(caller: Caller, invoice_id: int) -> Response:
            inv = self._find(caller, invoice_id)
            if inv is None:
                return _error(MSG_NOT_FOUND, 404)
            kind = request.args.get("kind")
            if kind not in ("gov", "gov_upo"):
                return _error({"kind": [MSG_INVALID]})
            if inv["gov"]["status"] != "ok":
                return _error("Brak załącznika", 404)
            view = self._view(inv)
            text = ksef.fa3_xml(view) if kind == "gov" else ksef.upo_xml(view)
            return Response(text, 200, mimetype="text/xml")

        @vendor(["/banking/payments.json"], "list_payments")
        def list_payments(caller: Caller) -> Response:
            mine = [p for p in self.payments.values() if p["account"] == caller.account["id"]]
            include = request.args.get("include") == "invoices"
            out = []
            for p in mine:
                item = self._payment_view(p)
                if include:
                    item["invoices"] = [self._view(self.invoices[i], positions=False) for i in p["invoice_ids"]]
                out.append(item)
            return _json(out)

        @vendor(["/banking/payments.json"], "mark_paid", ("POST",))
        def add_payment(caller: Caller) -> Response:
            data = self._body().get("banking_payment")
            if not isinstance(data, dict):
                raise BadRequest("param is missing or the value is empty: banking_payment")
            return self._add_payment(caller, data)

        @vendor(["/departments.json"], "list_departments")
        def departments(caller: Caller) -> Response:
            return _json([self._department_view(d) for d in caller.account["departments"]])

        @vendor(["/departments/<int:department_id>.json"], "list_departments")
        def department(caller: Caller, department_id: int) -> Response:
            dept = self._department(caller.account, department_id)
            if dept is None:
                return _error(MSG_NOT_FOUND, 404)
            return _json(self._department_view(dept))

        @vendor(["/clients.json"], "list_clients")
        def clients(caller: Caller) -> Response:
            found = [c for c in self.clients.values() if c["account"] == caller.account["id"]]
            for name in ("name", "email", "shortcut", "tax_no", "external_id"):
                wanted = request.args.get(name)
                if wanted:
                    found = [c for c in found if wanted.lower() in _s(c.get(name)).lower()]
            page, per_page = self._paging()
            chunk = found[(page - 1) * per_page : page * per_page]
            return _json([self._client_view(c) for c in chunk])

        @vendor(["/clients/<int:client_id>.json"], "list_clients")
        def client(caller: Caller, client_id: int) -> Response:
            found = self.clients.get(client_id)
            if found is None or found["account"] != caller.account["id"]:
                return _error(MSG_NOT_FOUND, 404)
            return _json(self._client_view(found))

        @vendor(["/clients.json"], "create_client", ("POST",))
        def create_client(caller: Caller) -> Response:
            data = self._body().get("client")
            if not isinstance(data, dict):
                raise BadRequest("param is missing or the value is empty: client")
            company = data.get("company", True) not in (False, 0, "0", "false")
            if not _s(data.get("name")) and not (not company and _s(data.get("last_name"))):
                return _error({"name": [MSG_BLANK]})
            record = self._new_client(
                caller.account,
                {
                    "name": _s(data.get("name")) or f"{_s(data.get('first_name'))} {_s(data.get('last_name'))}".strip(),
                    "company": company,
                    **{
                        k: _s(data.get(k))
                        for k in (
                            "tax_no",
                            "tax_no_kind",
                            "street",
                            "post_code",
                            "city",
                            "country",
                            "email",
                            "phone",
                            "first_name",
                            "last_name",
                            "shortcut",
                            "external_id",
                        )
                    },
                },
            )
            return _json(self._client_view(record), 201)

        @app.post("/_sandbox/ksef", endpoint="fa_control_ksef")
        def control_ksef() -> Response:
            data = request.get_json(silent=True) or {}
            try:
                delay = float(data.get("delay_seconds", self.ksef_settings["delay_seconds"]))
            except (TypeError, ValueError):
                return _json({"error": "delay_seconds must be a number"}, 400)
            outcome = data.get("outcome", self.ksef_settings["outcome"])
            if outcome not in ksef.OUTCOMES or delay < 0:
                return _json({"error": f"outcome must be one of {ksef.OUTCOMES}; delay_seconds >= 0"}, 400)
            self.ksef_settings = {"delay_seconds": delay, "outcome": outcome}
            return _json(self.ksef_settings)

    # -- departments and clients ----------------------------------------------------------
    @staticmethod
    def _default_department(account: dict) -> dict:
        return next((d for d in account["departments"] if d["default"]), account["departments"][0])

    @staticmethod
    def _department(account: dict, department_id: Any) -> dict | None:
        return next((d for d in account["departments"] if str(d["id"]) == _s(department_id)), None)

    @staticmethod
    def _department_view(dept: dict) -> dict:
        return {
            k: dept[k]
            for k in (
                "id",
                "name",
                "shortcut",
                "tax_no",
                "street",
                "post_code",
                "city",
                "country",
                "email",
                "phone",
                "bank",
                "bank_account",
                "default",
                "use_pattern",
                "invoice_pattern",
            )
        }

    def _new_client(self, account: dict, fields: dict) -> dict:
        self.next_ids["client"] += 1
        record = {
            "id": self.next_ids["client"],
            "account": account["id"],
            "external_id": None,
            "shortcut": "",
            "tax_no_kind": "",
            "first_name": "",
            "last_name": "",
            "phone": "",
            **fields,
        }
        record["shortcut"] = record["shortcut"] or record["name"][:20]
        record["external_id"] = record["external_id"] or None
        self.clients[record["id"]] = record
        return record

    @staticmethod
    def _client_view(c: dict) -> dict:
        return {
            "id": c["id"],
            "name": c["name"],
            "shortcut": c["shortcut"],
            "tax_no": c["tax_no"],
            "tax_no_kind": c["tax_no_kind"],
            "post_code": c["post_code"],
            "city": c["city"],
            "street": c["street"],
            "country": c["country"],
            "first_name": c["first_name"],
            "last_name": c["last_name"],
            "email": c["email"],
            "phone": c["phone"],
            "company": c["company"],
            "external_id": c["external_id"],
        }

    # -- building an invoice --------------------------------------------------------------
    def _find(self, caller: Caller, invoice_id: Any) -> dict | None:
        text = _s(invoice_id)
        inv = self.invoices.get(int(text)) if text.isdigit() else None
        if inv is None or inv["deleted"] or inv["account"] != caller.account["id"]:
            return None
        self._settle(inv)
        return inv

    def _merge(self, inv: dict, data: dict) -> tuple[dict, dict]:
        """PUT: header fields replace, positions with `id` are changed (or removed with
        `_destroy`), positions without `id` are appended."""
        merged = {**inv["raw"], **{k: v for k, v in data.items() if k != "positions"}}
        positions = [dict(p) for p in inv["raw"].get("positions", [])]
        errors: dict[str, list[str]] = {}
        sent = data.get("positions")
        if sent is not None:
            if not isinstance(sent, list):
                return merged, {"positions": [MSG_INVALID]}
            for item in sent:
                if not isinstance(item, dict):
                    return merged, {"positions": [MSG_INVALID]}
                if item.get("id") is None:
                    positions.append({k: v for k, v in item.items() if k != "_destroy"})
                    continue
                target = next((p for p in positions if str(p.get("id")) == str(item["id"])), None)
                if target is None:
                    errors.setdefault("positions.id", []).append("- nie istnieje")
                elif _truthy(item.get("_destroy")):
                    positions.remove(target)
                else:
                    target.update({k: v for k, v in item.items() if k != "_destroy"})
        merged["positions"] = positions
        return merged, errors

    def _build(self, account: dict, data: dict, existing: dict | None = None) -> tuple[dict, dict]:
        errors: dict[str, list[str]] = {}

        def err(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        kind = _s(data.get("kind")) or "vat"
        if kind not in KINDS:
            err("kind", MSG_INVALID)
        corrected = None
        if kind == "correction":
            ref = data.get("invoice_id") or data.get("from_invoice_id")
            if not _s(ref):
                err("invoice_id", MSG_BLANK)
            else:
                corrected = self.invoices.get(int(_s(ref))) if _s(ref).isdigit() else None
                if corrected is None or corrected["deleted"] or corrected["account"] != account["id"]:
                    corrected = None
                    err("invoice_id", "- faktura korygowana nie istnieje")
                elif corrected["kind"] in NOT_CORRECTABLE:
                    err("invoice_id", "- nie można korygować dokumentu tego rodzaju")

        # Seller: department_id wins over seller_* fields; without department_id and seller_name
        # the default department is used; under KSeF a seller_name matching a department fills the
        # fields that were not sent.
        seller_fields = (
            "name",
            "tax_no",
            "tax_no_kind",
            "street",
            "post_code",
            "city",
            "country",
            "email",
            "phone",
            "bank",
            "bank_account",
        )
        sent_seller = {f: _s(data[f"seller_{f}"]) for f in seller_fields if f"seller_{f}" in data}
        seller = dict(corrected["seller"]) if corrected else {f: "" for f in seller_fields}
        dept_id = corrected["department_id"] if corrected else None
        if _s(data.get("department_id")):
            dept = self._department(account, data["department_id"])
            if dept is None:
                err("department_id", "- nie istnieje")
            else:
                seller, dept_id = {f: _s(dept.get(f)) for f in seller_fields}, dept["id"]
        elif corrected:
            seller.update(sent_seller)
        elif "seller_name" in data and not sent_seller.get("name"):
            err("seller_name", MSG_BLANK)
        else:
            named = next((d for d in account["departments"] if d["name"] == sent_seller.get("name")), None)
            if not sent_seller.get("name"):
                named = self._default_department(account)
            elif not account["ksef"]:
                named = None
            if named is not None:
                seller, dept_id = {f: _s(named.get(f)) for f in seller_fields}, named["id"]
            seller.update({k: v for k, v in sent_seller.items() if v})

        # Buyer: client_id (the client card wins, unless buyer_override) or buyer_* fields.
        buyer_fields = (
            "name",
            "first_name",
            "last_name",
            "tax_no",
            "tax_no_kind",
            "street",
            "post_code",
            "city",
            "country",
            "email",
            "phone",
            "note",
        )
        buyer = dict(corrected["buyer"]) if corrected else {f: "" for f in buyer_fields}
        client = None
        client_id = _s(data.get("client_id"))
        sent_buyer = {f: _s(data[f"buyer_{f}"]) for f in buyer_fields if f"buyer_{f}" in data}
        if client_id and client_id != "-1":
            client = self.clients.get(int(client_id)) if client_id.isdigit() else None
            if client is None or client["account"] != account["id"]:
                client = None
                err("client_id", "- nie istnieje")
            else:
                buyer = {f: _s(client.get(f)) for f in buyer_fields}
                buyer["company"] = client["company"]
                if _truthy(data.get("buyer_override")):
                    buyer.update(sent_buyer)
        else:
            buyer.update(sent_buyer)
        if client is None or _truthy(data.get("buyer_override")):
            if "buyer_company" in data:
                buyer["company"] = data["buyer_company"] not in (False, 0, "0", "false", "False", "")
            buyer.setdefault("company", True)
        if not buyer["name"] and (buyer["first_name"] or buyer["last_name"]):
            buyer["name"] = f"{buyer['first_name']} {buyer['last_name']}".strip()
        if not buyer["name"]:
            err("buyer_name", MSG_BLANK)
        if buyer["tax_no_kind"] not in TAX_NO_KINDS:
            err("buyer_tax_no_kind", MSG_INVALID)

        # Dates, money, flags.
        today = date.today()
        issue_date = self._date(data.get("issue_date"), "issue_date", err) or today
        sell_raw = _s(data.get("sell_date"))
        if sell_raw and not (re.fullmatch(r"\d{4}-\d{2}", sell_raw) or self._date(sell_raw, "sell_date", err)):
            sell_raw = ""
        sell_date = sell_raw or issue_date.isoformat()
        payment_to_kind = _s(data.get("payment_to_kind"))
        payment_to = self._date(data.get("payment_to"), "payment_to", err)
        if payment_to_kind == "off":
            payment_to = None
        elif payment_to_kind.isdigit():
            payment_to = issue_date + timedelta(days=int(payment_to_kind))
        elif payment_to_kind == "other_date":
            if payment_to is None:
                err("payment_to", MSG_BLANK)
        elif payment_to_kind:
            err("payment_to_kind", MSG_INVALID)
        elif payment_to is None:
            payment_to = issue_date + timedelta(days=5)
        currency = (_s(data.get("currency")) or "PLN").upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            err("currency", MSG_INVALID)
        lang = _s(data.get("lang")) or "pl"
        if any(part not in LANGS for part in lang.split("/")) or lang.count("/") > 1:
            err("lang", MSG_INVALID)
        status = _s(data.get("status")) or "issued"
        if status not in STATUSES:
            err("status", MSG_INVALID)
        paid_date = self._date(data.get("paid_date"), "paid_date", err)
        try:
            paid = totals.parse_decimal(data.get("paid"))
        except InvalidOperation:
            err("paid", "- nie jest liczbą")
            paid = None
        strategy = data.get("calculating_strategy") or {}
        if not isinstance(strategy, dict):
            err("calculating_strategy", MSG_INVALID)
            strategy = {}
        pos_strategy = strategy.get("position") or "default"
        sum_strategy = strategy.get("sum") or "sum"
        price_kind = strategy.get("invoice_form_price_kind") or account["invoice_form_price_kind"]
        if pos_strategy not in totals.POSITION_STRATEGIES:
            err("calculating_strategy.position", MSG_INVALID)
        if sum_strategy not in totals.SUM_STRATEGIES:
            err("calculating_strategy.sum", MSG_INVALID)
        if price_kind not in totals.PRICE_KINDS:
            err("calculating_strategy.invoice_form_price_kind", MSG_INVALID)

        # Positions.
        raw_positions = data.get("positions")
        lines, positions = [], []
        if not isinstance(raw_positions, list) or not raw_positions:
            err("positions", MSG_BLANK)
            raw_positions = []
        show_discount = _truthy(data.get("show_discount"))
        for raw in raw_positions:
            if not isinstance(raw, dict):
                err("positions", MSG_INVALID)
                continue
            parsed = self._position(raw, kind, err, pos_strategy, price_kind, show_discount)
            if parsed is not None:
                positions.append(parsed)
                lines.append(parsed["line"])

        # Duplicate guard.
        oid = _s(data.get("oid"))
        if _s(data.get("oid_unique")).lower() in ("yes", "true", "1") and oid:
            clash = next(
                (
                    i
                    for i in self.invoices.values()
                    if i["account"] == account["id"]
                    and not i["deleted"]
                    and i["oid"] == oid
                    and (existing is None or i["id"] != existing["id"])
                ),
                None,
            )
            if clash is not None:
                err("oid", "- jest już zajęte")

        # KSeF: validate_invoices_for_gov (on by default) refuses non-compliant invoices.
        if account["ksef"] and account["validate_invoices_for_gov"] and kind in ksef.KSEF_KINDS:
            self._ksef_validate(data, kind, seller, buyer, positions, corrected, dept_id, err)

        if errors:
            return {}, errors
        sums = totals.sum_lines(lines, sum_strategy)
        inv = {
            "id": existing["id"] if existing else None,
            "account": account["id"],
            "kind": kind,
            "number": _s(data.get("number")) or (existing["number"] if existing else ""),
            "issue_date": issue_date,
            "sell_date": sell_date,
            "payment_to": payment_to,
            "payment_to_kind": payment_to_kind or ("" if payment_to else "off"),
            "paid_date": paid_date,
            "status": status,
            "paid": paid if paid is not None else Decimal("0"),
            "currency": currency,
            "lang": lang,
            "payment_type": _s(data.get("payment_type")) or "transfer",
            "oid": oid,
            "oid_unique": _s(data.get("oid_unique")) or None,
            "department_id": dept_id,
            "seller": seller,
            "client_id": client["id"] if client else None,
            "buyer": buyer,
            "buyer_override": _truthy(data.get("buyer_override")),
            "client_id_sent": client_id,
            "positions": positions,
            "sums": sums,
            "description": _s(data.get("description")),
            "invoice_id": corrected["id"] if corrected else (data.get("invoice_id") or None),
            "from_invoice_id": corrected["id"] if corrected else (data.get("from_invoice_id") or None),
            "correction_reason": _s(data.get("correction_reason")) or None,
            "corrected_number": corrected["number"] if corrected else None,
            "gov_corrected": _s(data.get("gov_corrected_invoice_number"))
            or (corrected["gov"]["id"] if corrected else None),
            "split_payment": _truthy(data.get("split_payment")),
            "reverse_charge": _truthy(data.get("reverse_charge")),
            "exempt_tax_kind": _s(data.get("exempt_tax_kind")) or None,
            "np_tax_kind": _s(data.get("np_tax_kind")) or None,
            "income": _s(data.get("income")) not in ("0", "no", "false"),
            "place": _s(data.get("place")) or None,
            "calculating_strategy": {
                "position": pos_strategy,
                "sum": sum_strategy,
                "invoice_form_price_kind": price_kind,
            },
            "raw": {**data, "positions": [p["raw"] for p in positions]},
        }
        return inv, {}

    @staticmethod
    def _date(raw: Any, field: str, err: Callable) -> date | None:
        if not _s(raw):
            return None
        try:
            return date.fromisoformat(_s(raw)[:10])
        except ValueError:
            err(field, MSG_INVALID)
            return None

    def _position(
        self, raw: dict, kind: str, err: Callable, strategy: str, price_kind: str, show_discount: bool
    ) -> dict | None:
        name = _s(raw.get("name"))
        if not name:
            err("positions.name", MSG_BLANK)
        parsed = totals.parse_tax(raw.get("tax"))
        if parsed is None:
            err("positions.tax", MSG_BLANK if raw.get("tax") in (None, "") else MSG_INVALID)
        amounts: dict[str, Decimal | None] = {}
        try:
            for field in (
                "quantity",
                "price_net",
                "price_gross",
                "total_price_net",
                "total_price_gross",
                "discount_percent",
                "discount",
            ):
                amounts[field] = totals.parse_decimal(raw.get(field))
        except InvalidOperation:
            err(f"positions.{field}", "- nie jest liczbą")
            return None
        before, after = raw.get("correction_before_attributes"), raw.get("correction_after_attributes")
        prices = ("price_net", "price_gross", "total_price_net", "total_price_gross")
        if (
            kind == "correction"
            and all(amounts[f] is None for f in prices)
            and isinstance(before, dict)
            and isinstance(after, dict)
        ):
            try:
                for field in ("quantity",) + prices:
                    if field == "quantity" and amounts["quantity"] is not None:
                        continue
                    b, a = totals.parse_decimal(before.get(field)), totals.parse_decimal(after.get(field))
                    if b is not None and a is not None:
                        amounts[field] = a - b
            except InvalidOperation:
                err("positions.correction_after_attributes", "- nie jest liczbą")
                return None
        if all(amounts[f] is None for f in prices):
            err("positions.total_price_gross", MSG_BLANK)
        if parsed is None or not name or all(amounts[f] is None for f in prices):
            return None
        quantity = amounts["quantity"] if amounts["quantity"] is not None else Decimal("1")
        tax_label, rate = parsed
        line = totals.compute_line(
            quantity,
            tax_label,
            rate,
            price_net=amounts["price_net"],
            price_gross=amounts["price_gross"],
            total_net=amounts["total_price_net"],
            total_gross=amounts["total_price_gross"],
            strategy=strategy,
            price_kind=price_kind,
            discount_percent=amounts["discount_percent"] if show_discount else None,
            discount_amount=amounts["discount"] if show_discount else None,
        )
        if raw.get("id") is None:
            self.next_ids["position"] += 1
            raw = {**raw, "id": self.next_ids["position"]}
        return {
            "id": raw["id"],
            "name": name,
            "line": line,
            "quantity_unit": _s(raw.get("quantity_unit")) or "szt",
            "kind": _s(raw.get("kind")) or None,
            "code": _s(raw.get("code")) or None,
            "gtu_code": _s(raw.get("gtu_code")) or None,
            "additional_info": _s(raw.get("additional_info")) or None,
            "description": _s(raw.get("description")) or None,
            "before": before if isinstance(before, dict) else None,
            "after": after if isinstance(after, dict) else None,
            "raw": raw,
        }

    def _ksef_validate(
        self,
        data: dict,
        kind: str,
        seller: dict,
        buyer: dict,
        positions: list,
        corrected: dict | None,
        dept_id: Any,
        err: Callable,
    ) -> None:
        """The fa(3) checks Fakturownia makes before saving when KSeF is on (KSeF.md)."""
        for f in ("tax_no", "name", "street", "post_code", "city", "country"):
            if not seller.get(f):
                err(f"seller_{f}", MSG_BLANK)
        if buyer["company"]:
            if buyer["tax_no_kind"] != "empty" and not buyer["tax_no"]:
                err("buyer_tax_no", MSG_BLANK)
            elif (
                buyer["tax_no_kind"] == ""
                and (buyer["country"] or "PL").upper() == "PL"
                and buyer["tax_no"]
                and not ksef.nip_format_ok(buyer["tax_no"])
            ):
                err("buyer_tax_no", "- jest nieprawidłowy (NIP ma 10 cyfr)")
        else:
            for f in ("first_name", "last_name"):
                if not buyer.get(f):
                    err(f"buyer_{f}", MSG_BLANK)
        if not buyer.get("country"):
            err("buyer_country", MSG_BLANK)
        if len(buyer.get("phone") or "") > 16:
            err("buyer_phone", "- pole jest za długie (maksymalna ilość znaków: 16)")
        if len(seller.get("phone") or "") > 16:
            err("seller_phone", "- pole jest za długie (maksymalna ilość znaków: 16)")
        for who, record in (("buyer", buyer), ("seller", seller)):
            email = record.get("email") or ""
            if len(email) > 255:
                err(f"{who}_email", "- pole jest za długie (maksymalna ilość znaków: 255)")
            elif email and not all(EMAIL_RE.match(e.strip()) for e in email.split(",")):
                err(f"{who}_email", MSG_INVALID)
        taxes = {p["line"].tax for p in positions}
        if "zw" in taxes and not _s(data.get("exempt_tax_kind")):
            err("exempt_tax_kind", MSG_BLANK)
        if "np" in taxes and not _s(data.get("np_tax_kind")):
            err("np_tax_kind", MSG_BLANK)
        for p in positions:
            if len(p["name"]) > 256:
                err("positions.name", "- pole jest za długie (maksymalna ilość znaków: 256)")
            if p["additional_info"] and len(p["additional_info"]) > 50:
                err("positions.additional_info", "- pole jest za długie (maksymalna ilość znaków: 50)")
        if kind == "correction":
            reason = _s(data.get("correction_reason"))
            if not reason:
                err("correction_reason", MSG_BLANK)
            elif len(reason) > 256:
                err("correction_reason", "- pole jest za długie (maksymalna ilość znaków: 256)")
            if corrected is not None:
                now = {
                    "department_id": dept_id,
                    "seller_tax_no": ksef.normalize_nip(seller["tax_no"]),
                    "buyer_tax_no": ksef.normalize_nip(buyer["tax_no"]),
                    "buyer_company": buyer["company"],
                    **{f"seller_{f}": seller.get(f, "") for f in ("email", "phone", "tax_no_kind")},
                    **{f"buyer_{f}": buyer.get(f, "") for f in ("email", "phone", "tax_no_kind")},
                }
                was = {
                    "department_id": corrected["department_id"],
                    "seller_tax_no": ksef.normalize_nip(corrected["seller"]["tax_no"]),
                    "buyer_tax_no": ksef.normalize_nip(corrected["buyer"]["tax_no"]),
                    "buyer_company": corrected["buyer"]["company"],
                    **{f"seller_{f}": corrected["seller"].get(f, "") for f in ("email", "phone", "tax_no_kind")},
                    **{f"buyer_{f}": corrected["buyer"].get(f, "") for f in ("email", "phone", "tax_no_kind")},
                }
                for field in CORRECTION_LOCKED:
                    if now[field] != was[field]:
                        err(field, "- nie może być zmienione na korekcie (KSeF)")

    def _store(self, account: dict, inv: dict) -> dict:
        """Give a new invoice its id, number, token and client; the client card is created or
        matched only now that the invoice is valid."""
        self.next_ids["invoice"] += 1
        inv["id"] = self.next_ids["invoice"]
        if not inv["number"]:
            dept = self._department(account, inv["department_id"])
            key = numbering.counter_key(account["id"], dept, inv["kind"], inv["issue_date"])
            self.counters[key] = self.counters.get(key, 0) + 1
            inv["number"] = numbering.format_number(dept, inv["kind"], self.counters[key], inv["issue_date"])
        inv["token"] = secrets.token_urlsafe(15)[:21]
        inv["created_at"] = inv["updated_at"] = _now()
        inv.update(deleted=False, cancelled=False, cancel_reason=None, emails=[], payments=[])
        inv["gov"] = {
            "status": None,
            "id": None,
            "send_date": None,
            "sell_date": None,
            "error_messages": None,
            "verification_link": None,
            "due": None,
            "attempts": 0,
        }
        if inv["client_id"] is None:
            inv["client_id"] = self._match_client(account, inv["buyer"], inv["client_id_sent"] == "-1")["id"]
        elif inv["buyer_override"]:
            self.clients[inv["client_id"]].update(
                {k: v for k, v in inv["buyer"].items() if k in self.clients[inv["client_id"]]}
            )
        self.invoices[inv["id"]] = inv
        return inv

    def _match_client(self, account: dict, buyer: dict, force_new: bool) -> dict:
        """README: buyer data is matched against clients by name, tax number and e-mail (or first
        and last name); no match creates a client."""
        if not force_new:
            for c in self.clients.values():
                if (
                    c["account"] == account["id"]
                    and c["name"] == buyer["name"]
                    and ksef.normalize_nip(c["tax_no"]) == ksef.normalize_nip(buyer["tax_no"])
                    and (not buyer["email"] or c["email"] == buyer["email"])
                ):
                    return c
        return self._new_client(
            account,
            {
                k: buyer.get(k, "")
                for k in (
                    "name",
                    "tax_no",
                    "tax_no_kind",
                    "street",
                    "post_code",
                    "city",
                    "country",
                    "email",
                    "phone",
                    "first_name",
                    "last_name",
                )
            }
            | {"company": buyer["company"]},
        )

    @staticmethod
    def _apply_status(inv: dict, status: str, on: date, initial: bool = False) -> None:
        gross = inv["sums"].gross
        inv["status"] = status
        if status == "paid":
            inv["paid"] = gross
            inv["paid_date"] = inv.get("paid_date") or on
        elif status == "partial" and (inv["paid"] == 0 or inv["paid"] >= gross):
            inv["paid"] = totals.round2(gross / 2)
            inv["paid_date"] = inv.get("paid_date") or on
        elif initial and status in ("issued", "sent") and inv["paid"]:
            inv["status"] = "paid" if inv["paid"] >= gross else "partial"

    # -- KSeF -----------------------------------------------------------------------------
    @staticmethod
    def _ksef_locked(inv: dict) -> bool:
        return bool(inv["gov"]["id"]) or inv["gov"]["status"] == "processing"

    def _ksef_on_save(self, account: dict, inv: dict, explicit: bool) -> None:
        if not account["ksef"]:
            if explicit:
                inv["gov"]["status"] = "not_connected"
            return
        b = inv["buyer"]
        if explicit or ksef.auto_send(account["gov_auto_send_mode"], b["company"], b["country"]):
            self._ksef_send(account, inv)

    def _ksef_send(self, account: dict, inv: dict) -> None:
        gov = inv["gov"]
        if not account["ksef"]:
            gov["status"] = "not_connected"
            return
        if inv["kind"] not in ksef.KSEF_KINDS:
            gov["status"] = "not_applicable"
            return
        if gov["status"] in ("ok", "processing"):
            return
        gov.update(
            status="processing",
            send_date=_now(),
            error_messages=None,
            due=time.time() + self.ksef_settings["delay_seconds"],
            outcome=self.ksef_settings["outcome"],
        )
        gov["attempts"] += 1
        self._settle(inv)

    def _settle(self, inv: dict) -> None:
        """Processing ends by the clock: accepted with a KSeF number, or rejected with reasons."""
        gov = inv["gov"]
        if gov["status"] != "processing" or time.time() < gov["due"]:
            return
        received = datetime.fromtimestamp(gov["due"], WARSAW)
        outcome = gov.get("outcome") or "auto"
        if outcome == "server_error":
            gov.update(status="server_error", error_messages=["Błąd serwera KSeF - spróbuj ponownie później"])
            return
        reasons = [] if outcome == "ok" else self._ksef_rejections(inv, received.date())
        if outcome == "send_error" and not reasons:
            reasons = ["Faktura odrzucona przez KSeF"]
        if reasons:
            gov.update(status="send_error", error_messages=reasons)
            return
        self._ksef_accept(inv, received)

    def _ksef_rejections(self, inv: dict, received: date) -> list[str]:
        reasons = []
        b = inv["buyer"]
        if (
            b["company"]
            and b["tax_no_kind"] == ""
            and (b["country"] or "PL").upper() == "PL"
            and b["tax_no"]
            and not ksef.nip_checksum_ok(b["tax_no"])
        ):
            reasons.append(f"Nieprawidłowy NIP nabywcy: {b['tax_no']} (błędna suma kontrolna)")
        if inv["issue_date"] > received:
            reasons.append("Data wystawienia faktury (P_1) nie może być późniejsza niż data przyjęcia w KSeF")
        seller_nip = ksef.normalize_nip(inv["seller"]["tax_no"])
        twin = next(
            (
                o
                for o in self.invoices.values()
                if o is not inv
                and o["gov"]["status"] == "ok"
                and o["kind"] == inv["kind"]
                and o["number"] == inv["number"]
                and ksef.normalize_nip(o["seller"]["tax_no"]) == seller_nip
            ),
            None,
        )
        if twin is not None:
            reasons.append(f"Duplikat faktury (kod 440), originalKsefNumber: {twin['gov']['id']}")
        return reasons

    @staticmethod
    def _ksef_accept(inv: dict, received: datetime) -> None:
        gov = inv["gov"]
        number = ksef.gov_id(inv["seller"]["tax_no"], received.strftime("%Y%m%d"), inv["id"], gov.get("attempts", 0))
        gov.update(
            status="ok",
            id=number,
            send_date=gov.get("send_date") or received,
            error_messages=None,
            sell_date=datetime.combine(inv["issue_date"], datetime.min.time(), tzinfo=WARSAW),
            verification_link=f"https://ksef.mf.gov.pl/web/verify/{number}/{secrets.token_urlsafe(12)}",
        )

    # -- answers --------------------------------------------------------------------------
    def _view_response(self, inv: dict) -> Response:
        view = self._view(inv, full_corrections=request.args.get("correction_positions") == "full")
        extra = _s(request.args.get("additional_fields[invoice]"))
        for name in filter(None, (n.strip() for n in extra.split(","))):
            if name == "cancel_reason":
                view["cancel_reason"] = inv["cancel_reason"]
            elif name == "connected_payments":
                view["connected_payments"] = [self._payment_view(self.payments[p]) for p in inv["payments"]]
            elif name in ("corrected_content_before", "corrected_content_after"):
                view[name] = _s(inv["raw"].get(name)) or None
        fields = _s(request.args.get("fields[invoice]"))
        if fields:
            view = {k: view.get(k) for k in (n.strip() for n in fields.split(",")) if k}
        return _json(view)

    def _view(self, inv: dict, positions: bool = True, full_corrections: bool = False) -> dict:
        self._settle(inv)
        s, b, g = inv["seller"], inv["buyer"], inv["gov"]
        prefix = self.account_by_id(inv["account"])["prefix"]
        base = f"https://{prefix}.fakturownia.pl"
        out = {
            "id": inv["id"],
            "kind": inv["kind"],
            "number": inv["number"],
            "income": "1" if inv["income"] else "0",
            "issue_date": inv["issue_date"].isoformat(),
            "sell_date": inv["sell_date"],
            "place": inv["place"],
            "payment_to": inv["payment_to"].isoformat() if inv["payment_to"] else None,
            "payment_to_kind": inv["payment_to_kind"],
            "payment_type": inv["payment_type"],
            "status": inv["status"],
            "paid": totals.money(inv["paid"]),
            "paid_date": inv["paid_date"].isoformat() if inv["paid_date"] else None,
            "price_net": totals.money(inv["sums"].net),
            "price_gross": totals.money(inv["sums"].gross),
            "price_tax": totals.money(inv["sums"].tax),
            "currency": inv["currency"],
            "lang": inv["lang"],
            "oid": inv["oid"] or None,
            "oid_unique": inv["oid_unique"],
            "description": inv["description"],
            "department_id": inv["department_id"],
            "client_id": inv["client_id"],
            **{
                f"seller_{k}": s.get(k, "")
                for k in (
                    "name",
                    "tax_no",
                    "tax_no_kind",
                    "street",
                    "post_code",
                    "city",
                    "country",
                    "email",
                    "phone",
                    "bank",
                    "bank_account",
                )
            },
            **{
                f"buyer_{k}": b.get(k, "")
                for k in (
                    "name",
                    "first_name",
                    "last_name",
                    "tax_no",
                    "tax_no_kind",
                    "street",
                    "post_code",
                    "city",
                    "country",
                    "email",
                    "phone",
                    "note",
                )
            },
            "buyer_company": b["company"],
            "split_payment": "1" if inv["split_payment"] else "0",
            "reverse_charge": inv["reverse_charge"],
            "exempt_tax_kind": inv["exempt_tax_kind"],
            "np_tax_kind": inv["np_tax_kind"],
            "invoice_id": inv["invoice_id"],
            "from_invoice_id": inv["from_invoice_id"],
            "correction_reason": inv["correction_reason"],
            "token": inv["token"],
            "view_url": f"{base}/invoice/{inv['token']}",
            "calculating_strategy": inv["calculating_strategy"],
            "created_at": _stamp(inv["created_at"]),
            "updated_at": _stamp(inv["updated_at"]),
            "gov_status": g["status"],
            "gov_id": g["id"],
            "gov_send_date": _stamp(g["send_date"]) if g["send_date"] else None,
            "gov_sell_date": _stamp(g["sell_date"]) if g["sell_date"] else None,
            "gov_error_messages": g["error_messages"],
            "gov_verification_link": g["verification_link"],
            "gov_link": None,
            "gov_corrected_invoice_number": inv["gov_corrected"] if inv["kind"] == "correction" else None,
        }
        if inv["cancelled"]:
            out["cancelled"] = True
        if positions:
            out["positions"] = [self._position_view(inv, p, full_corrections) for p in inv["positions"]]
        return out

    @staticmethod
    def _position_view(inv: dict, p: dict, full: bool) -> dict:
        line = p["line"]
        out = {
            "id": p["id"],
            "invoice_id": inv["id"],
            "name": p["name"],
            "kind": p["kind"],
            "quantity": format(line.quantity.normalize(), "f"),
            "quantity_unit": p["quantity_unit"],
            "tax": line.tax,
            "price_net": totals.money(line.price_net),
            "price_gross": totals.money(line.price_gross),
            "total_price_net": totals.money(line.total_net),
            "total_price_gross": totals.money(line.total_gross),
            "code": p["code"],
            "gtu_code": p["gtu_code"],
            "additional_info": p["additional_info"],
            "description": p["description"],
        }
        if full and inv["kind"] == "correction":
            out["correction_before_attributes"] = p["before"]
            out["correction_after_attributes"] = p["after"]
        return out

    # -- list -----------------------------------------------------------------------------
    @staticmethod
    def _paging() -> tuple[int, int]:
        try:
            page = max(1, int(request.args.get("page", 1)))
            per_page = min(100, max(1, int(request.args.get("per_page", PER_PAGE_DEFAULT))))
        except ValueError:
            raise BadRequest("page i per_page muszą być liczbami") from None
        return page, per_page

    def _list(self, caller: Caller) -> Response:
        args = request.args
        docs = [i for i in self.invoices.values() if i["account"] == caller.account["id"] and not i["deleted"]]
        docs = [i for i in docs if i["income"] == (args.get("income") != "no")]
        date_field = args.get("search_date_type") or "issue_date"
        if date_field not in ("issue_date", "paid_date", "transaction_date"):
            date_field = "issue_date"
        period = args.get("period") or "this_month"
        if period not in PERIODS:
            period = "this_month"
        docs = [i for i in docs if self._in_period(self._date_of(i, date_field), period, args)]
        if args.get("oid"):
            docs = [i for i in docs if i["oid"] == args["oid"]]
        if args.get("number"):
            docs = [i for i in docs if i["number"] == args["number"]]
        if args.get("client_id"):
            docs = [i for i in docs if str(i["client_id"]) == args["client_id"]]
        kinds = args.getlist("kinds[]") or args.getlist("kinds")
        if args.get("kind"):
            kinds = [args["kind"]]
        if kinds:
            docs = [i for i in docs if i["kind"] in kinds]
        if args.get("invoice_ids"):
            wanted = {x.strip() for x in args["invoice_ids"].split(",")}
            docs = [i for i in docs if str(i["id"]) in wanted]
        order = args.get("order") or "issue_date.desc"
        name, _, direction = order.partition(".")
        field = ORDERS.get(name, "issue_date")

        def sort_key(i: dict) -> tuple:
            value = {
                "number": i["number"],
                "updated_at": i["updated_at"].isoformat(),
                "price_net": i["sums"].net,
                "price_gross": i["sums"].gross,
                "price_tax": i["sums"].tax,
                "issue_date": i["issue_date"].isoformat(),
                "sell_date": i["sell_date"],
                "payment_to": i["payment_to"].isoformat() if i["payment_to"] else "",
                "paid_date": i["paid_date"].isoformat() if i["paid_date"] else "",
                "buyer_name": i["buyer"]["name"],
                "buyer_tax_no": i["buyer"]["tax_no"],
                "seller_name": i["seller"]["name"],
                "oid": i["oid"],
            }[field]
            return value, i["id"]

        docs.sort(key=sort_key, reverse=(direction == "desc") if args.get("order") else True)
        page, per_page = self._paging()
        chunk = docs[(page - 1) * per_page : page * per_page]
        include = args.get("include_positions") == "true"
        return _json([self._view(i, positions=include) for i in chunk])

    @staticmethod
    def _date_of(inv: dict, field: str) -> date | None:
        if field == "paid_date":
            return inv["paid_date"]
        if field == "transaction_date":
            raw = inv["sell_date"]
            return date.fromisoformat(raw + "-01" if len(raw) == 7 else raw)
        return inv["issue_date"]

    @staticmethod
    def _in_period(day: date | None, period: str, args) -> bool:
        if period == "all":
            return True
        if day is None:
            return False
        today = date.today()
        first = today.replace(day=1)
        if period == "this_month":
            return (day.year, day.month) == (today.year, today.month)
        if period == "last_month":
            last = first - timedelta(days=1)
            return (day.year, day.month) == (last.year, last.month)
        if period == "last_30_days":
            return today - timedelta(days=30) <= day <= today
        if period == "last_12_months":
            return today - timedelta(days=365) <= day <= today
        if period == "this_year":
            return day.year == today.year
        if period == "last_year":
            return day.year == today.year - 1
        # more: date_from / date_to, inclusive; a bound that is not a date is ignored.
        for name, test in (("date_from", lambda b: day >= b), ("date_to", lambda b: day <= b)):
            try:
                bound = date.fromisoformat(args.get(name, ""))
            except ValueError:
                continue
            if not test(bound):
                return False
        return True

    # -- e-mail, payments, PDF ------------------------------------------------------------
    def _send_email(self, account: dict, inv: dict) -> Response:
        body = self._body()

        def param(name: str) -> Any:
            return request.args.get(name) if request.args.get(name) is not None else body.get(name)

        if account["ksef"] and inv["kind"] in ksef.KSEF_KINDS and inv["buyer"]["company"] and not inv["gov"]["id"]:
            return _json({"message": "Faktura nie może zostać wysłana - brak numeru KSeF", "status": "error"})
        raw_to = param("email_to")
        to = [e.strip() for e in (raw_to if isinstance(raw_to, list) else _s(raw_to).split(",")) if _s(e)]
        raw_cc = param("email_cc")
        cc = [e.strip() for e in (raw_cc if isinstance(raw_cc, list) else _s(raw_cc).split(",")) if _s(e)]
        if len(to) > 5:
            return _json({"message": "Można podać maksymalnie 5 adresów e-mail", "status": "error"})
        recipients = to or [e.strip() for e in inv["buyer"]["email"].split(",") if e.strip()]
        if not recipients:
            return _json({"message": "Brak adresu e-mail odbiorcy", "status": "error"})
        bad = [e for e in recipients + cc if not EMAIL_RE.match(e)]
        if bad:
            return _json({"message": f"Nieprawidłowy adres e-mail: {bad[0]}", "status": "error"})
        if _truthy(param("update_buyer_email")) and to:
            inv["buyer"]["email"] = ", ".join(to)
        inv["emails"].append({"to": recipients, "cc": cc, "pdf": _truthy(param("email_pdf")), "at": _stamp(_now())})
        if inv["status"] == "issued":
            inv["status"] = "sent"
        inv["updated_at"] = _now()
        return _json({"status": "ok", "message": "Faktura została wysłana"})

    def _add_payment(self, caller: Caller, data: dict) -> Response:
        errors: dict[str, list[str]] = {}
        try:
            price = totals.parse_decimal(data.get("price"))
        except InvalidOperation:
            price = None
            errors["price"] = ["- nie jest liczbą"]
        if price is None and "price" not in errors:
            errors["price"] = [MSG_BLANK]
        ids = data.get("invoice_ids") or ([data["invoice_id"]] if data.get("invoice_id") else [])
        if not isinstance(ids, list):
            ids = [ids]
        targets = []
        for raw in ids:
            inv = self._find(caller, raw)
            if inv is None:
                errors.setdefault("invoice_ids", []).append(f"- faktura {raw} nie istnieje")
            else:
                targets.append(inv)
        paid_date = self._date(data.get("paid_date"), "paid_date", lambda f, m: errors.setdefault(f, []).append(m))
        if errors:
            return _error(errors)
        paid = data.get("paid", True) not in (False, 0, "0", "false")
        self.next_ids["payment"] += 1
        payment = {
            "id": self.next_ids["payment"],
            "account": caller.account["id"],
            "name": _s(data.get("name")),
            "price": price,
            "paid": paid,
            "paid_date": paid_date or date.today(),
            "kind": _s(data.get("kind")) or "api",
            "currency": _s(data.get("currency")) or "PLN",
            "invoice_ids": [i["id"] for i in targets],
            "created_at": _now(),
        }
        self.payments[payment["id"]] = payment
        left = price
        for inv in targets:
            inv["payments"].append(payment["id"])
            if not paid:
                continue
            part = min(left, max(Decimal("0"), inv["sums"].gross - inv["paid"]))
            left -= part
            inv["paid"] += part
            if inv["paid"] >= inv["sums"].gross:
                inv["status"], inv["paid_date"] = "paid", payment["paid_date"]
            elif inv["paid"] > 0:
                inv["status"] = "partial"
            inv["updated_at"] = _now()
        return _json(self._payment_view(payment), 201)

    @staticmethod
    def _payment_view(p: dict) -> dict:
        return {
            "id": p["id"],
            "name": p["name"],
            "price": totals.money(p["price"]),
            "paid": p["paid"],
            "paid_date": p["paid_date"].isoformat(),
            "kind": p["kind"],
            "currency": p["currency"],
            "invoice_id": p["invoice_ids"][0] if p["invoice_ids"] else None,
            "invoice_ids": p["invoice_ids"],
            "created_at": _stamp(p["created_at"]),
        }

    def _public(self, token: str, as_pdf: bool) -> Response:
        fault = self.before_operation("get_pdf")
        if fault is not None:
            return fault
        with self.lock:
            account = self.account_by_prefix(self._subdomain())
            inv = next(
                (
                    i
                    for i in self.invoices.values()
                    if i["token"] == token
                    and not i["deleted"]
                    and account is not None
                    and i["account"] == account["id"]
                ),
                None,
            )
            if inv is None:
                return Response("<html><body><h1>404</h1></body></html>", 404, mimetype="text/html")
            self._settle(inv)
            if as_pdf:
                resp = self._pdf(account, inv)
                if request.args.get("inline") != "yes":
                    resp.headers["Content-Disposition"] = resp.headers["Content-Disposition"].replace(
                        "inline", "attachment"
                    )
                return resp
            v = self._view(inv)
            html = (
                f'<!doctype html><html lang="pl"><head><meta charset="utf-8"><title>{v["number"]}</title></head>'
                f"<body><h1>Faktura {v['number']}</h1><p>{v['seller_name']} → {v['buyer_name']}</p>"
                f"<p>Brutto: {v['price_gross']} {v['currency']}</p></body></html>"
            )
            return Response(html, 200, mimetype="text/html")

    def _pdf(self, account: dict, inv: dict) -> Response:
        titles = {
            "vat": "Faktura VAT",
            "proforma": "Faktura Proforma",
            "correction": "Faktura korygujaca",
            "advance": "Faktura zaliczkowa",
            "final": "Faktura koncowa",
            "receipt": "Paragon",
            "bill": "Rachunek",
        }
        marks = {
            "original": "ORYGINAL",
            "copy": "KOPIA",
            "original_and_copy": "ORYGINAL / KOPIA",
            "duplicate": "DUPLIKAT",
        }
        option = request.args.get("print_option") or "original"
        v = self._view(inv)
        dates = [
            ("Data wystawienia", v["issue_date"]),
            ("Data sprzedazy", v["sell_date"]),
            ("Termin platnosci", v["payment_to"] or "-"),
        ]
        if v["gov_id"]:
            dates.append(("Numer KSeF", v["gov_id"]))
        if inv["kind"] == "correction":
            dates.append(("Korekta do faktury", inv["corrected_number"] or ""))
        content = pdf.render(
            titles.get(inv["kind"], "Dokument"),
            v["number"],
            f"{v['seller_name']} NIP {v['seller_tax_no']}",
            f"{v['buyer_name']} {('NIP ' + v['buyer_tax_no']) if v['buyer_tax_no'] else ''}".strip(),
            dates,
            [(p["name"], p["quantity"], p["price_net"], p["tax"], p["total_price_gross"]) for p in v["positions"]],
            [
                ("Netto", f"{v['price_net']} {v['currency']}"),
                ("VAT", f"{v['price_tax']} {v['currency']}"),
                ("Brutto", f"{v['price_gross']} {v['currency']}"),
            ],
            watermark=f"Fakturownia sandbox - {marks.get(option, marks['original'])}",
        )
        resp = Response(content, 200, mimetype="application/pdf")
        safe = re.sub(r"[^A-Za-z0-9_-]+", "_", v["number"]) or str(inv["id"])
        resp.headers["Content-Disposition"] = f'inline; filename="{safe}.pdf"'
        return resp
