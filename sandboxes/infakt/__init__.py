"""inFakt API v3 sandbox: the documented API (infakt/API readme.md + ksef.md, docs.infakt.pl),
served locally.

Written from ../shared/api/polish-systems-and-peers.md (A2) and ksef-vat-and-merchant-pain.md,
never from our connector.

Every path lives under ``/api/v3`` and ends in ``.json`` (without it: 406, as probed on the real
host). Auth: header ``X-inFakt-ApiKey``; missing or unknown key: 401 ``{"error": "..."}``. Errors
are ``{"error": "..."}`` with the documented status codes (400 bad parameter, 401, 404, 406, 422
validation, 423 locked, 429). Amounts are integer grosze both ways (see calc.py).

Routes (operation names for faults in brackets):
- GET  /account/details.json, /account/activities.json                    [verify]
- GET  /ksef/integration.json, /ksef2/integration.json                     [ksef_integration]
- GET  /bank_accounts.json, /vat_exemptions.json                           [list_reference]
- GET|POST /clients.json, GET|DELETE /clients/<id>.json          [list_clients, create_client, ...]
- GET  /invoices/next_number.json?kind=&date=                              [next_number]
- GET  /invoices.json (VAT and proforma), /corrective_invoices.json        [list_invoices]
- GET|PUT|DELETE /invoices/<uuid>.json, GET|DELETE /corrective_invoices/<uuid>.json
                                                      [get_invoice, update_invoice, delete_invoice]
- POST /async/invoices.json -> 202 task                                    [create_invoice]
- POST /async/corrective_invoices.json -> 202 task                         [create_correction]
- GET  /async/invoices/status/<ref>.json (every task; also under
       /async/corrective_invoices/status/, UNCONFIRMED path)               [task_status]
- POST /async/invoices/<uuid>/paid.json -> 201 task                        [mark_paid]
- GET  /{invoices|corrective_invoices}/<uuid>/pdf.json?document_type=&locale=   [get_pdf]
- POST /{invoices|corrective_invoices}/<uuid>/deliver_via_email.json      [send_email]
- POST /{invoices|corrective_invoices}/<uuid>/send_to_ksef.json,
       /ksef/documents/<uuid>/send.json, /ksef2/documents/<uuid>/send.json [send_to_ksef]
- GET  /ksef/documents/<uuid>/status.json (and /ksef2/)                    [ksef_status]
- GET  /{invoices|corrective_invoices|ksef/documents|ksef2/documents}/<uuid>/download_xml.json
                                                                            [download_xml]

Asynchronous tasks (create, correction, paid): the POST answers with
``invoice_task_reference_number`` and ``processing_code: 100``. The status endpoint answers
``140`` "Zlecenie jest w trakcie przetwarzania" on the first poll of a fresh task, then the
outcome: ``201`` "Faktura stworzona" with ``invoice_uuid`` (``200`` for the paid task) or ``422``
"Nie udało się ..." with ``invoice_errors`` ``{field: [messages]}`` (codes and the errors key
from the vendor's interactive docs as quoted by integrators; UNCONFIRMED wording). A task not
polled completes by itself after TASK_SECONDS; until it completes the invoice does not exist.
Validation of the invoice happens in the task; only a payload without the ``invoice`` object is
refused at once (422, UNCONFIRMED 400 vs 422).

KSeF (ksef.md): ``ksef_number`` / ``ksef_data`` on invoices; sending answers 200 with status
``sent``; the first status poll still says ``sent``, the next one (or KSEF_SECONDS later) says
``success`` with a ``ksef_number`` or ``error`` with ``status_description`` (documented reasons
modelled: item name > 256 chars, notes > 3500, a bank account not verified in the app, a
business buyer without a NIP). Not integrated: 422 "Użytkownik nie jest zintegrowany z KSeF.".

Rate limits (readme "Limity"): per IP, GET 300 / 60 s and POST/PUT/DELETE 150 / 60 s.
``POST /_sandbox/quota`` sets both classes to the given limit. Over the limit: 429
``{"error": ...}`` with ``Retry-After`` in seconds (no rate-limit headers are documented; an
integrator's client reads ``Retry-After`` on inFakt's 429, so that is the one sent).

`/_sandbox/documents` adds `reference` (notes), `status`, `ksef_status`, `ksef_number`,
`corrects` (the corrected invoice's uuid) and `emailed_to`.

UNCONFIRMED points and the readings chosen here (stricter where unsure):
- Error texts other than the documented 404 / KSeF ones are our wording.
- Synchronous ``POST /invoices.json`` (only in the older web docs) is not served: the current docs
  document creation as asynchronous only.
- The corrective payload's root key is ``corrective_invoice`` (Rails resource naming).
- Unknown ``q[...]`` filters answer 400 (see query.py); default page size 10.
- An invoice sent to KSeF (sent or cleared) cannot be edited or deleted: 423 "locked".
- Deleting an invoice that has a corrective invoice: 422.
- deliver_via_email answers 200 ``{}``; without ``recipient`` the client's e-mail is used and a
  missing one is 422.
- Paying an already paid invoice fails in the task (422).
"""

from __future__ import annotations

# The port `python -m sandboxes serve` uses; the one place it is written (see sandboxes/__init__.py).
PORT = 5105

import json
import re
import time
from collections.abc import Callable
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from flask import Flask, Response, request

from .. import pdf
from ..core import Quota, Sandbox
from . import calc, documents, query, seed

API = "/api/v3"
TASK_SECONDS = 2.0
KSEF_SECONDS = 3.0
WRITE_LIMIT = 150
NOT_FOUND = "Zasób którego szukasz nie został znaleziony."
NOT_INTEGRATED = "Użytkownik nie jest zintegrowany z KSeF."
LOCKED = "Faktura została wysłana do KSeF i nie może zostać zmieniona ani usunięta."
PRINT_TYPES = ("original", "copy", "original_duplicate", "copy_duplicate", "duplicate", "regular")
PDF_TYPES = (
    "original_copy",
    "original",
    "copy",
    "original_duplicate",
    "copy_duplicate",
    "duplicate",
    "regular",
    "double_regular",
)
LOCALES = ("pl", "en", "pe")
RESOURCE_KINDS = {"invoices": ("vat", "proforma"), "corrective_invoices": ("correction",), None: ()}
KSEF_KIND = {"vat": "vat", "correction": "corrective_invoice"}
UUID = r"(?P<uuid>[0-9a-fA-F-]{36})"

INVOICE_FILTERS: dict[str, tuple[str, Callable[[dict], Any]]] = {
    **{
        name: ("text", (lambda n: lambda r: r.get(n))(name))
        for name in (
            "number",
            "notes",
            "status",
            "kind",
            "currency",
            "payment_method",
            "client_company_name",
            "client_tax_code",
            "client_first_name",
            "client_last_name",
            "client_city",
            "uuid",
            "receipt_number",
            "ksef_number",
            "corrected_invoice_number",
            "corrected_invoice_uuid",
        )
    },
    **{
        name: ("date", (lambda n: lambda r: r.get(n))(name))
        for name in ("invoice_date", "sale_date", "payment_date", "paid_date", "created_at")
    },
    **{
        name: ("int", (lambda n: lambda r: r.get(n))(name))
        for name in ("id", "client_id", "net_price", "gross_price", "tax_price", "left_to_pay")
    },
    "clean_client_nip": ("text", lambda r: calc.nip_digits(r.get("client_tax_code")) or None),
}
INVOICE_ORDER = {
    name: (lambda n: lambda r: r.get(n))(name)
    for name in (
        "invoice_date",
        "sale_date",
        "payment_date",
        "paid_date",
        "number",
        "created_at",
        "id",
        "gross_price",
        "net_price",
        "client_company_name",
    )
}
CLIENT_FILTERS = {
    name: ("text", (lambda n: lambda r: r.get(n))(name))
    for name in ("company_name", "first_name", "last_name", "nip", "email", "city", "country", "postal_code")
}
CLIENT_FILTERS["id"] = ("int", lambda r: r["id"])
CLIENT_ORDER = {name: (lambda n: lambda r: r.get(n))(name) for name in ("id", "company_name", "last_name", "nip")}


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def reply(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Response:
    if body is None:
        resp = Response(status=status)
    else:
        resp = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        resp.headers[name] = value
    return resp


def joined(errors: dict[str, list[str]]) -> str:
    return "; ".join(f"{field}: {', '.join(messages)}" for field, messages in errors.items())


def money(grosze: int) -> str:
    return f"{Decimal(grosze) / 100:.2f}"


class InfaktSandbox(Sandbox):
    key = "infakt"
    default_quota = (300, 60)  # GET per IP per 60 s; writes: WRITE_LIMIT

    # -- state ----------------------------------------------------------------------------
    def seed(self) -> None:
        self.tasks: dict[str, dict[str, Any]] = {}
        self.ksef_pending: dict[str, dict[str, Any]] = {}
        self.write_quota = Quota(WRITE_LIMIT, 60)
        seed.seed(self)

    def neutral_documents(self) -> list[dict[str, Any]]:
        with self.lock:
            self._settle()
            types = {"vat": "invoice", "proforma": "proforma", "correction": "credit_note"}
            out = []
            for company in self.companies.values():
                for doc in company["invoices"].values():
                    orders = (doc.get("transaction_terms") or {}).get("orders") or []
                    out.append(
                        {
                            "id": doc["uuid"],
                            "type": types[doc["kind"]],
                            "number": doc["number"],
                            "order_no": orders[0]["number"] if orders else None,
                            "reference": doc["notes"],
                            "total": money(doc["gross_price"]),
                            "currency": doc["currency"],
                            "created": doc["created_at"],
                            "account": company["control_id"],
                            "status": doc["status"],
                            "ksef_status": (doc["ksef_data"] or {}).get("status"),
                            "ksef_number": doc["ksef_number"],
                            "corrects": doc.get("corrected_invoice_uuid"),
                            "emailed_to": [e["recipient"] for e in company["emails"] if e["uuid"] == doc["uuid"]],
                        }
                    )
            return out

    # -- vendor answers for injected faults --------------------------------------------------
    def rate_limit_response(self, reset_at: datetime) -> Response:
        seconds = max(1, int((reset_at - datetime.now(timezone.utc)).total_seconds() + 0.999))
        return reply(
            429, {"error": "Przekroczono limit zapytań. Spróbuj ponownie później."}, {"Retry-After": str(seconds)}
        )

    def server_error_response(self) -> Response:
        return reply(500, {"error": "Wystąpił nieoczekiwany błąd serwera."})

    # -- routing --------------------------------------------------------------------------
    def register_routes(self, app: Flask) -> None:
        app.add_url_rule(API + "/<path:rest>", "infakt_api", self._api, methods=["GET", "POST", "PUT", "DELETE"])
        set_quota = app.view_functions["_quota"]

        def quota_view():
            answer = set_quota()
            self.write_quota = Quota(self.quota.limit, self.quota.window_seconds)
            return answer

        app.view_functions["_quota"] = quota_view
        self.routes: list[tuple[str, re.Pattern, str, Callable[..., Response], dict[str, Any]]] = []

        def route(method: str, pattern: str, operation: str, handler: Callable[..., Response], **extra) -> None:
            self.routes.append((method, re.compile(f"^{pattern}$"), operation, handler, extra))

        docs = "(?P<resource>invoices|corrective_invoices)"
        route("GET", "account/details", "verify", self._account_details)
        route("GET", "account/activities", "verify", self._activities)
        route("GET", "ksef2?/integration", "ksef_integration", self._ksef_integration)
        route("GET", "bank_accounts", "list_reference", self._bank_accounts)
        route("GET", "vat_exemptions", "list_reference", self._vat_exemptions)
        route("GET", "clients", "list_clients", self._clients)
        route("POST", "clients", "create_client", self._client_create)
        route("GET", r"clients/(?P<client_id>\d+)", "get_client", self._client)
        route("DELETE", r"clients/(?P<client_id>\d+)", "delete_client", self._client_delete)
        route("GET", "invoices/next_number", "next_number", self._next_number)
        route("GET", docs, "list_invoices", self._list)
        route("GET", f"{docs}/{UUID}", "get_invoice", self._get)
        route("PUT", f"invoices/{UUID}", "update_invoice", self._update)
        route("DELETE", f"{docs}/{UUID}", "delete_invoice", self._delete)
        route("POST", "async/invoices", "create_invoice", self._create)
        route("POST", "async/corrective_invoices", "create_correction", self._create_correction)
        route(
            "GET",
            r"async/(?:invoices|corrective_invoices)/status/(?P<ref>[0-9a-fA-F-]{36})",
            "task_status",
            self._task_status,
        )
        route("POST", f"async/{docs}/{UUID}/paid", "mark_paid", self._paid)
        route("GET", f"{docs}/{UUID}/pdf", "get_pdf", self._pdf)
        route("POST", f"{docs}/{UUID}/deliver_via_email", "send_email", self._email)
        route("POST", f"{docs}/{UUID}/send_to_ksef", "send_to_ksef", self._send_to_ksef)
        route("POST", f"ksef2?/documents/{UUID}/send", "send_to_ksef", self._send_to_ksef)
        route("GET", f"ksef2?/documents/{UUID}/status", "ksef_status", self._ksef_status)
        route("GET", f"{docs}/{UUID}/download_xml", "download_xml", self._xml)
        route("GET", f"ksef2?/documents/{UUID}/download_xml", "download_xml", self._xml)

    def _api(self, rest: str) -> Response:
        if not rest.endswith(".json"):
            return reply(406, {"error": "Nieobsługiwany format odpowiedzi. Użyj rozszerzenia .json."})
        path = rest[:-5]
        for method, pattern, operation, handler, extra in self.routes:
            match = pattern.match(path)
            if match and method == request.method:
                break
        else:
            return reply(404, {"error": NOT_FOUND})
        fault = self.before_operation(operation)
        if fault is not None:
            return fault
        key = request.headers.get("X-inFakt-ApiKey", "").strip()
        if not key:
            return reply(401, {"error": "Musisz podac klucz API."})
        company = next((c for c in self.companies.values() if c["api_key"] == key), None)
        if company is None:
            return reply(401, {"error": "Nieprawidłowy klucz API."})
        bucket = self.quota if request.method == "GET" else self.write_quota
        with self.lock:
            _remaining, reset_at, exceeded = bucket.consume(f"{request.remote_addr}-{request.method == 'GET'}")
        if exceeded:
            return self.rate_limit_response(reset_at)
        try:
            with self.lock:
                self._settle()
                return handler(company, **{k: v for k, v in match.groupdict().items()}, **extra)
        except ApiError as exc:
            return reply(exc.status, {"error": exc.message})
        except query.QueryError as exc:
            return reply(400, {"error": str(exc)})

    # -- helpers --------------------------------------------------------------------------
    def _payload(self, root: str | None = None) -> dict[str, Any]:
        data: Any = {}
        # Like a Rails app, a body that is not declared as JSON is not read as parameters.
        if request.mimetype == "application/json":
            raw = request.get_data()
            if raw.strip():
                try:
                    data = json.loads(raw)
                except ValueError:
                    raise ApiError(400, "Nieprawidłowy format JSON w treści zapytania.") from None
        if not isinstance(data, dict):
            raise ApiError(400, "Treść zapytania musi być obiektem JSON.")
        if root is None:
            return data
        inner = data.get(root)
        if not isinstance(inner, dict):
            raise ApiError(422, f"Brak wymaganego parametru: {root}")
        return inner

    def _doc(self, company: dict[str, Any], uuid: str, resource: str | None = None) -> dict[str, Any]:
        doc = company["invoices"].get(uuid.lower())
        if doc is None or (RESOURCE_KINDS[resource] and doc["kind"] not in RESOURCE_KINDS[resource]):
            raise ApiError(404, NOT_FOUND)
        return doc

    @staticmethod
    def _out(doc: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in doc.items() if not k.startswith("_")}

    def _listing(self, rows: list[dict], filters, order, default_order: str) -> Response:
        rows = query.filter_rows(rows, request.args, filters)
        rows = query.order_rows(rows, request.args, order, default_order)
        chosen, meta = query.page(rows, request.args, request.base_url)
        spec = query.parse_fields(request.args["fields"]) if request.args.get("fields") else None
        return reply(200, {"metainfo": meta, "entities": [query.narrow(self._out(r), spec) for r in chosen]})

    @staticmethod
    def _locked(doc: dict[str, Any]) -> bool:
        return bool(doc["ksef_number"]) or (doc["ksef_data"] or {}).get("status") == "sent"

    # -- account and reference data ----------------------------------------------------------
    def _account_details(self, company: dict[str, Any]) -> Response:
        # Shape as observed live by an integrator (account_data, company_data, current_subscription,
        # "extentions" spelled so); the vendor's docs do not print it.
        return reply(
            200,
            {
                "account_data": {
                    "uuid": f"a1b2c3d4-0000-4000-8000-{company['nip']}00",
                    "email": company["email"],
                    "username": company["email"],
                    "site": "infakt.pl",
                    "role": "owner",
                    "registered_at": "2021-03-01 09:00:00 +0100",
                },
                "company_data": {
                    "first_name": "Jan",
                    "last_name": "Kowalski",
                    "company_name": company["name"],
                    "owner_name": "Jan",
                    "owner_surname": "Kowalski",
                    "street": f"{company['street']} {company['street_number']}",
                    "street_name": company["street"],
                    "street_number": company["street_number"],
                    "flat_number": company["flat_number"],
                    "city": company["city"],
                    "postal_code": company["postal_code"],
                    "tax_id": company["nip"],
                    "pesel": "",
                    "regon": "",
                    "phone_number": company["phone_number"],
                    "business_activity_code": "47.91.Z",
                },
                "current_subscription": {
                    "name": "inFakt Faktury",
                    "expired_on": f"{date.today().year + 1}-01-31",
                    "days_until_expiration": (date(date.today().year + 1, 1, 31) - date.today()).days,
                    "user_type_symbol": "basic_package",
                    "recurring_payment": True,
                },
                "extentions": {"ksef": {"name": "KSeF", "active": company["ksef_active"]}},
            },
        )

    def _activities(self, company: dict[str, Any]) -> Response:
        events = [{"id": 1, "performed_at": "2026-01-05 10:00:00 +0100", "description": "Wygenerowano klucz API"}]
        chosen, meta = query.page(events, request.args, request.base_url)
        return reply(200, {"metainfo": meta, "entities": chosen})

    def _ksef_integration(self, company: dict[str, Any]) -> Response:
        fetched = company["ksef_last_fetched_at"] if company["ksef_active"] else None
        return reply(
            200,
            {"active": company["ksef_active"], "incomes_last_fetched_at": fetched, "costs_last_fetched_at": fetched},
        )

    def _bank_accounts(self, company: dict[str, Any]) -> Response:
        chosen, meta = query.page(company["bank_accounts"], request.args, request.base_url)
        return reply(200, {"metainfo": meta, "entities": chosen})

    def _vat_exemptions(self, company: dict[str, Any]) -> Response:
        chosen, meta = query.page(list(calc.VAT_EXEMPTIONS), request.args, request.base_url)
        return reply(200, {"metainfo": meta, "entities": chosen})

    # -- clients --------------------------------------------------------------------------
    def _clients(self, company: dict[str, Any]) -> Response:
        return self._listing(company["clients"], CLIENT_FILTERS, CLIENT_ORDER, "id asc")

    def _client(self, company: dict[str, Any], client_id: str) -> Response:
        client = next((c for c in company["clients"] if c["id"] == int(client_id)), None)
        if client is None:
            raise ApiError(404, NOT_FOUND)
        return reply(200, client)

    def _client_create(self, company: dict[str, Any]) -> Response:
        data = self._payload("client")
        errors = documents.validate_client(data)
        if errors:
            raise ApiError(422, joined(errors))
        client = documents.make_client(next(self.client_ids), self.rng, data)
        company["clients"].append(client)
        return reply(201, client)

    def _client_delete(self, company: dict[str, Any], client_id: str) -> Response:
        client = next((c for c in company["clients"] if c["id"] == int(client_id)), None)
        if client is None:
            raise ApiError(404, NOT_FOUND)
        company["clients"].remove(client)
        return reply(204)

    # -- invoices -------------------------------------------------------------------------
    def _next_number(self, company: dict[str, Any]) -> Response:
        kind = request.args.get("kind", "vat")
        if kind not in ("vat", "proforma", "advance", "final", "margin"):
            raise ApiError(400, "Nieprawidłowa wartość parametru kind")
        day = calc.parse_date(request.args["date"]) if request.args.get("date") else documents.now().date()
        if day is None:
            raise ApiError(400, "Nieprawidłowa wartość parametru date")
        return reply(
            200,
            {
                "invoice_date": day.isoformat(),
                "invoice_kind": kind,
                "next_number": documents.next_number(company, kind, day),
            },
        )

    def _list(self, company: dict[str, Any], resource: str) -> Response:
        rows = [d for d in company["invoices"].values() if d["kind"] in RESOURCE_KINDS[resource]]
        return self._listing(rows, INVOICE_FILTERS, INVOICE_ORDER, "invoice_date desc")

    def _get(self, company: dict[str, Any], resource: str, uuid: str) -> Response:
        return reply(200, self._out(self._doc(company, uuid, resource)))

    def _update(self, company: dict[str, Any], uuid: str) -> Response:
        doc = self._doc(company, uuid, "invoices")
        data = self._payload("invoice")
        if self._locked(doc):
            raise ApiError(423, LOCKED)
        errors: dict[str, list[str]] = {}
        calc.validate_header(data, company, errors, creating=False)
        services = None
        if "services" in data:
            if not isinstance(data["services"], list) or not data["services"]:
                errors.setdefault("services", []).append(calc.BLANK)
            else:
                services = [calc.build_service(line, i, errors) for i, line in enumerate(data["services"])]
        if "kind" in data and data["kind"] != doc["kind"]:
            errors.setdefault("kind", []).append("nie może być zmienione")
        if errors:
            raise ApiError(422, joined(errors))
        plain = (
            "number",
            "currency",
            "payment_method",
            "invoice_date",
            "sale_date",
            "payment_date",
            "notes",
            "bank_name",
            "bank_account",
            "swift",
            "split_payment",
            "split_payment_type",
            "invoice_date_kind",
            "sale_type",
            "vat_exemption_reason",
            "receipt_number",
            "third_party_addresses",
            "transaction_terms",
            "client_company_name",
            "client_first_name",
            "client_last_name",
            "client_tax_code",
            "client_street",
            "client_street_number",
            "client_flat_number",
            "client_city",
            "client_post_code",
            "client_country",
            "client_business_activity_kind",
        )
        for key in plain:
            if key in data:
                doc[key] = data[key]
        if data.get("client_id") not in (None, ""):
            client = next(c for c in company["clients"] if str(c["id"]) == str(data["client_id"]))
            doc.update(documents.client_fields({}, client))
        if services is not None:
            for service in services:
                service["id"] = next(self.line_ids)
            doc["services"] = services
            doc.update(calc.totals(services))
        doc["left_to_pay"] = 0 if doc["status"] == "paid" else doc["gross_price"] - doc["paid_price"]
        if data.get("status") not in (None, ""):
            doc["status"] = data["status"]
            if data["status"] == "paid":
                doc.update(
                    paid_date=data.get("paid_date") or doc["paid_date"] or documents.now().date().isoformat(),
                    paid_price=doc["gross_price"],
                    left_to_pay=0,
                )
        doc["amount_in_words"] = documents.amount_in_words(doc["gross_price"], doc["currency"])
        return reply(200, self._out(doc))

    def _delete(self, company: dict[str, Any], resource: str, uuid: str) -> Response:
        doc = self._doc(company, uuid, resource)
        if self._locked(doc):
            raise ApiError(423, LOCKED)
        if any(d.get("corrected_invoice_uuid") == doc["uuid"] for d in company["invoices"].values()):
            raise ApiError(422, "Nie można usunąć faktury, do której wystawiono fakturę korygującą.")
        del company["invoices"][doc["uuid"]]
        original = company["invoices"].get(doc.get("corrected_invoice_uuid") or "")
        if original:
            original["related_documents"] = [r for r in original["related_documents"] if r["uuid"] != doc["uuid"]]
        self.ksef_pending.pop(doc["uuid"], None)
        return reply(204)

    # -- asynchronous tasks -----------------------------------------------------------------
    def _new_task(self, company: dict[str, Any], kind: str, payload: dict[str, Any], **extra) -> dict[str, Any]:
        task = {
            "ref": documents.new_uuid(self.rng),
            "company": company["control_id"],
            "kind": kind,
            "payload": payload,
            "created": time.time(),
            "created_at": documents.stamp(),
            "polls": 0,
            "code": 100,
            "description": "Zlecenie przyjęte",
            "invoice_uuid": None,
            "errors": None,
            **extra,
        }
        self.tasks[task["ref"]] = task
        return task

    @staticmethod
    def _task_body(task: dict[str, Any], code: int | None = None, description: str | None = None) -> dict[str, Any]:
        body = {
            "timestamps": {"task_created_at": task["created_at"]},
            "invoice_task_reference_number": task["ref"],
            "processing_code": code or task["code"],
            "processing_description": description or task["description"],
        }
        if task.get("processed_at") and code is None:
            body["timestamps"]["task_processed_at"] = task["processed_at"]
        if task["invoice_uuid"] and code is None:
            body["invoice_uuid"] = task["invoice_uuid"]
        if task["errors"] and code is None:
            body["invoice_errors"] = task["errors"]
        return body

    def _create(self, company: dict[str, Any]) -> Response:
        task = self._new_task(company, "create", self._payload("invoice"))
        self.after_create("create_invoice")
        return reply(202, self._task_body(task))

    def _create_correction(self, company: dict[str, Any]) -> Response:
        task = self._new_task(company, "correction", self._payload("corrective_invoice"))
        self.after_create("create_correction")
        return reply(202, self._task_body(task))

    def _paid(self, company: dict[str, Any], resource: str, uuid: str) -> Response:
        doc = self._doc(company, uuid, resource)
        payload = dict(self._payload())
        for key in ("paid_date", "allow_correction"):
            if key not in payload and request.args.get(key) is not None:
                payload[key] = request.args[key]
        task = self._new_task(company, "paid", payload, target=doc["uuid"])
        return reply(201, self._task_body(task))

    def _task_status(self, company: dict[str, Any], ref: str) -> Response:
        task = self.tasks.get(ref.lower())
        if task is None or task["company"] != company["control_id"]:
            raise ApiError(404, NOT_FOUND)
        if task["code"] < 200:
            if task["polls"] == 0 and time.time() - task["created"] < TASK_SECONDS:
                task["polls"] += 1
                return reply(200, self._task_body(task, 140, "Zlecenie jest w trakcie przetwarzania"))
            self._finish(task)
        return reply(200, self._task_body(task))

    def _settle(self) -> None:
        moment = time.time()
        for task in list(self.tasks.values()):
            if task["code"] < 200 and moment - task["created"] >= TASK_SECONDS:
                self._finish(task)
        for uuid, pending in list(self.ksef_pending.items()):
            if moment - pending["since"] >= KSEF_SECONDS:
                self._ksef_resolve(uuid)

    def _finish(self, task: dict[str, Any]) -> None:
        company = self.companies[task["company"]]
        errors, result = {"create": self._run_create, "correction": self._run_correction, "paid": self._run_paid}[
            task["kind"]
        ](company, task)
        task["processed_at"] = documents.stamp()
        if errors:
            failed = (
                "Nie udało się oznaczyć faktury jako zapłaconej"
                if task["kind"] == "paid"
                else "Nie udało się stworzyć faktury"
            )
            task.update(code=422, errors=errors, description=failed)
        elif task["kind"] == "paid":
            task.update(code=200, invoice_uuid=result, description="Faktura została oznaczona jako zapłacona")
        else:
            task.update(code=201, invoice_uuid=result, description="Faktura stworzona")

    def _run_create(self, company: dict[str, Any], task: dict[str, Any]):
        data = task["payload"]
        errors, services = calc.validate_invoice(data, company)
        if errors:
            return errors, None
        invoice = documents.make_invoice(company, next(self.ids), self.rng, data, services, self.line_ids)
        company["invoices"][invoice["uuid"]] = invoice
        return None, invoice["uuid"]

    def _run_paid(self, company: dict[str, Any], task: dict[str, Any]):
        doc = company["invoices"].get(task["target"])
        if doc is None:
            return {"base": [NOT_FOUND]}, None
        data = task["payload"]
        paid = data.get("paid_date")
        if paid in (None, ""):
            day = documents.now().date()
        else:
            day = calc.parse_date(paid)
            if day is None:
                return {"paid_date": [calc.BAD_DATE]}, None
        if day < date.fromisoformat(doc["invoice_date"]):
            return {"paid_date": ["nie może być wcześniejsza niż data wystawienia"]}, None
        if doc["status"] == "paid":
            return {"base": ["Faktura jest już oznaczona jako zapłacona"]}, None
        doc.update(status="paid", paid_date=day.isoformat(), paid_price=doc["gross_price"], left_to_pay=0)
        return None, doc["uuid"]

    def _run_correction(self, company: dict[str, Any], task: dict[str, Any]):
        data = task["payload"]
        errors: dict[str, list[str]] = {}

        def add(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        original = None
        if data.get("corrected_invoice_uuid") not in (None, ""):
            original = company["invoices"].get(str(data["corrected_invoice_uuid"]).lower())
            if original is None:
                add("corrected_invoice_uuid", "nie istnieje")
        elif data.get("corrected_invoice_number") not in (None, ""):
            found = [
                d
                for d in company["invoices"].values()
                if d["number"] == str(data["corrected_invoice_number"])
                and d["kind"] == "vat"
                and data.get("corrected_invoice_date") in (None, "", d["invoice_date"])
            ]
            if len(found) != 1:
                add("corrected_invoice_number", "nie istnieje" if not found else "wskazuje więcej niż jedną fakturę")
            else:
                original = found[0]
        else:
            add("corrected_invoice_uuid", calc.BLANK)
        if original is not None:
            if original["kind"] != "vat":
                add("corrected_invoice_uuid", "można korygować tylko faktury VAT")
            for key in ("corrected_invoice_number", "corrected_invoice_date"):
                field = key.replace("corrected_invoice_", "")
                field = "invoice_date" if field == "date" else field
                if data.get(key) not in (None, "") and str(data[key]) != original[field]:
                    add(key, "nie zgadza się z fakturą korygowaną")
        reason = str(data.get("correction_reason") or "").strip()
        if not reason:
            add("correction_reason", calc.BLANK)
        elif len(reason) > 256:
            add("correction_reason", "jest za długie (maksymalnie 256 znaków)")
        calc.validate_header(data, company, errors, creating=False)
        services_in = data.get("services")
        dated = data.get("sale_date_before_correction") not in (None, "")
        built: list[dict[str, Any]] = []
        if dated and services_in:
            add("services", "nie można jednocześnie korygować daty sprzedaży i pozycji")
        elif dated:
            if original is not None and data["sale_date_before_correction"] != original["sale_date"]:
                add("sale_date_before_correction", "nie zgadza się z fakturą korygowaną")
            if data.get("sale_date") in (None, ""):
                add("sale_date", calc.BLANK)
            if original is not None:
                for line in original["services"]:
                    for flag in (False, True):
                        built.append({**line, "group": 1, "correction": flag})
        elif not isinstance(services_in, list) or not services_in:
            add("services", calc.BLANK)
        else:
            groups: dict[Any, list[dict]] = {}
            for line in services_in:
                if not isinstance(line, dict):
                    add("services", calc.INVALID)
                    continue
                groups.setdefault(line.get("group"), []).append(line)
            for group, lines in groups.items():
                if group in (None, "") or sorted(bool(line.get("correction")) for line in lines) != [False, True]:
                    add(
                        "services.group",
                        "każda grupa musi zawierać pozycję przed korektą (correction: false) "
                        "i po korekcie (correction: true)",
                    )
                    continue
                for line in sorted(lines, key=lambda item: bool(item.get("correction"))):
                    service = calc.build_service(line, 0, errors, allow_zero=True)
                    if service is None:
                        continue
                    service.update(group=group, correction=bool(line.get("correction")))
                    built.append(service)
                    if (
                        not service["correction"]
                        and original is not None
                        and not any(s["name"] == service["name"] for s in original["services"])
                    ):
                        add("services.name", f"pozycja „{service['name']}” nie występuje na fakturze korygowanej")
        if errors or original is None:
            return errors or {"corrected_invoice_uuid": ["nie istnieje"]}, None
        if dated:
            built = [{**line, "id": None} for line in built]
        correction = documents.make_correction(company, next(self.ids), self.rng, data, original, built, self.line_ids)
        company["invoices"][correction["uuid"]] = correction
        original["related_documents"].append(
            {"uuid": correction["uuid"], "number": correction["number"], "kind": "correction"}
        )
        return None, correction["uuid"]

    # -- PDF, e-mail, XML -----------------------------------------------------------------
    def _pdf(self, company: dict[str, Any], resource: str, uuid: str) -> Response:
        doc = self._doc(company, uuid, resource)
        kind = request.args.get("document_type")
        if kind not in PDF_TYPES:
            raise ApiError(400, "Nieprawidłowa wartość parametru document_type")
        if request.args.get("locale") not in (None, *LOCALES):
            raise ApiError(400, "Nieprawidłowa wartość parametru locale")
        if doc["status"] == "draft":
            doc["status"] = "printed"
        title = {"vat": "Faktura VAT", "proforma": "Faktura proforma", "correction": "Faktura korygująca"}[doc["kind"]]
        buyer = doc["client_company_name"] or " ".join(
            p for p in (doc["client_first_name"], doc["client_last_name"]) if p
        )
        dates = [
            ("Data wystawienia", doc["invoice_date"]),
            ("Data sprzedaży", doc["sale_date"]),
            ("Termin płatności", doc["payment_date"]),
            ("Egzemplarz", kind),
        ]
        if doc.get("corrected_invoice_number"):
            dates.append(("Korekta faktury", doc["corrected_invoice_number"]))
        if doc["ksef_number"]:
            dates.append(("Numer KSeF", doc["ksef_number"]))
        lines = [
            (
                ("Po korekcie: " if s.get("correction") else "Przed korektą: " if "correction" in s else "")
                + s["name"],
                str(s["quantity"]),
                money(s["unit_net_price"]),
                s["tax_symbol"],
                money(s["gross_price"]),
            )
            for s in doc["services"]
        ]
        body = pdf.render(
            title,
            doc["number"],
            f"{company['name']}, NIP {company['nip']}",
            buyer or "-",
            dates,
            lines,
            [
                ("Netto", f"{money(doc['net_price'])} {doc['currency']}"),
                ("VAT", f"{money(doc['tax_price'])} {doc['currency']}"),
                ("Brutto", f"{money(doc['gross_price'])} {doc['currency']}"),
            ],
            watermark="SANDBOX inFakt",
        )
        filename = re.sub(r"[^\w.-]", "_", doc["number"])
        return Response(
            body,
            200,
            mimetype="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{filename}.pdf"'},
        )

    def _mail_options(self, company: dict[str, Any], doc: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        if data.get("print_type") in (None, ""):
            raise ApiError(422, "print_type: nie może być puste")
        if data["print_type"] not in PRINT_TYPES:
            raise ApiError(422, f"print_type: {calc.NOT_IN_LIST}")
        if data.get("locale") not in (None, "", *LOCALES):
            raise ApiError(422, f"locale: {calc.NOT_IN_LIST}")
        recipient = data.get("recipient")
        if recipient in (None, ""):
            client = next((c for c in company["clients"] if c["id"] == doc["client_id"]), None)
            recipient = (client or {}).get("email")
            if not recipient:
                raise ApiError(422, "recipient: nie może być puste (klient nie ma adresu e-mail)")
        elif not re.fullmatch(r"[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+", str(recipient)) or len(str(recipient)) > 255:
            raise ApiError(422, f"recipient: {calc.INVALID}")
        return {
            "uuid": doc["uuid"],
            "recipient": recipient,
            "print_type": data["print_type"],
            "locale": data.get("locale") or "pl",
            "send_copy": bool(data.get("send_copy")),
            "content": data.get("content"),
            "at": documents.stamp(),
        }

    def _deliver(self, company: dict[str, Any], doc: dict[str, Any], mail: dict[str, Any]) -> None:
        company["emails"].append(mail)
        if doc["status"] in ("draft", "printed"):
            doc["status"] = "sent"

    def _email(self, company: dict[str, Any], resource: str, uuid: str) -> Response:
        doc = self._doc(company, uuid, resource)
        self._deliver(company, doc, self._mail_options(company, doc, self._payload()))
        return reply(200, {})

    def _xml(self, company: dict[str, Any], uuid: str, resource: str | None = None) -> Response:
        doc = self._doc(company, uuid, resource)
        if doc["kind"] == "proforma":
            raise ApiError(422, "Faktura proforma nie ma postaci ustrukturyzowanej KSeF.")
        if doc["status"] == "draft":
            doc["status"] = "printed"  # "downloading a draft's XML books the draft" (UNCONFIRMED status)
        rows = "".join(
            f"<FaWiersz><NrWierszaFa>{i + 1}</NrWierszaFa><P_7>{_xml_text(s['name'])}</P_7>"
            f"<P_8B>{s['quantity']}</P_8B><P_9A>{money(s['unit_net_price'])}</P_9A>"
            f"<P_11>{money(s['net_price'])}</P_11><P_12>{s['tax_symbol']}</P_12></FaWiersz>"
            for i, s in enumerate(doc["services"])
        )
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Faktura xmlns="http://crd.gov.pl/wzor/2023/06/29/12648/">'
            f"<Podmiot1><DaneIdentyfikacyjne><NIP>{company['nip']}</NIP>"
            f"<Nazwa>{_xml_text(company['name'])}</Nazwa></DaneIdentyfikacyjne></Podmiot1>"
            f"<Podmiot2><DaneIdentyfikacyjne><NIP>{calc.nip_digits(doc['client_tax_code'])}</NIP>"
            f"<Nazwa>{_xml_text(doc['client_company_name'] or '')}</Nazwa></DaneIdentyfikacyjne></Podmiot2>"
            f"<Fa><KodWaluty>{doc['currency']}</KodWaluty><P_1>{doc['invoice_date']}</P_1>"
            f"<P_2>{_xml_text(doc['number'])}</P_2><P_15>{money(doc['gross_price'])}</P_15>"
            f"<RodzajFaktury>{'KOR' if doc['kind'] == 'correction' else 'VAT'}</RodzajFaktury>{rows}</Fa>"
            "</Faktura>"
        )
        return Response(xml, 200, mimetype="application/xml")

    # -- KSeF ----------------------------------------------------------------------------
    def _ksef_body(self, doc: dict[str, Any]) -> dict[str, Any]:
        data = doc["ksef_data"]
        return {
            "request_uuid": data["request_uuid"],
            "invoice_uuid": doc["uuid"],
            "invoice_kind": KSEF_KIND.get(doc["kind"], doc["kind"]),
            "ksef_number": data["ksef_number"],
            "status": data["status"],
            "status_description": data["status_description"],
            "timestamps": dict(data["timestamps"]),
        }

    def _send_to_ksef(self, company: dict[str, Any], uuid: str, resource: str | None = None) -> Response:
        doc = self._doc(company, uuid, resource)
        data = self._payload()
        if not company["ksef_active"]:
            raise ApiError(422, NOT_INTEGRATED)
        if doc["kind"] not in KSEF_KIND:
            raise ApiError(422, "Dokument tego rodzaju nie podlega wysyłce do KSeF.")
        if (doc["ksef_data"] or {}).get("status") in ("sent", "success"):
            raise ApiError(422, "Faktura została już wysłana do KSeF.")
        mail = None
        if resource is not None and data.get("inform_via_email") is not None:
            if not isinstance(data["inform_via_email"], dict):
                raise ApiError(422, f"inform_via_email: {calc.INVALID}")
            mail = self._mail_options(company, doc, data["inform_via_email"])
        doc["ksef_data"] = {
            "request_uuid": documents.new_uuid(self.rng),
            "ksef_number": None,
            "status": "sent",
            "status_description": "Faktura została wysłana do przetworzenia w KSeF.",
            "timestamps": {"request_created_at": documents.stamp(), "request_finished_at": None},
        }
        self.ksef_pending[doc["uuid"]] = {"company": company["control_id"], "since": time.time(), "polls": 0}
        if mail is not None:
            self._deliver(company, doc, mail)
        return reply(200, self._ksef_body(doc))

    def _ksef_status(self, company: dict[str, Any], uuid: str) -> Response:
        doc = self._doc(company, uuid)
        if not company["ksef_active"]:
            raise ApiError(422, NOT_INTEGRATED)
        if doc["ksef_data"] is None:
            raise ApiError(422, "Faktura nie była wysyłana do KSeF.")
        pending = self.ksef_pending.get(doc["uuid"])
        if pending is not None:
            if pending["polls"] == 0:
                pending["polls"] += 1
            else:
                self._ksef_resolve(doc["uuid"])
        return reply(200, self._ksef_body(doc))

    def _ksef_resolve(self, uuid: str) -> None:
        pending = self.ksef_pending.pop(uuid)
        company = self.companies[pending["company"]]
        doc = company["invoices"].get(uuid)
        if doc is None:
            return
        problems = []
        if any(len(s["name"]) > 256 for s in doc["services"]):
            problems.append("Nazwa pozycji przekracza 256 znaków.")
        if len(doc["notes"] or "") > 3500:
            problems.append("Uwagi przekraczają 3500 znaków.")
        if (
            doc["client_business_activity_kind"] != "private_person"
            and doc["client_country"] == "PL"
            and not doc["client_tax_code"]
        ):
            problems.append("Brak NIP nabywcy.")
        if (
            doc["payment_method"] == "transfer"
            and doc["bank_account"]
            and doc["bank_account"] not in {b["account_number"] for b in company["bank_accounts"]}
        ):
            problems.append("Numer rachunku bankowego nie został zweryfikowany w aplikacji.")
        data = doc["ksef_data"]
        data["timestamps"]["request_finished_at"] = documents.stamp()
        if problems:
            data.update(status="error", status_description=" ".join(problems))
            return
        day = documents.now().strftime("%Y%m%d")
        number = f"{company['nip']}-{day}-{self.rng.getrandbits(48):012X}-{self.rng.getrandbits(8):02X}"
        data.update(status="success", ksef_number=number, status_description="Faktura została przetworzona.")
        doc["ksef_number"] = number


def _xml_text(value: Any) -> str:
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
