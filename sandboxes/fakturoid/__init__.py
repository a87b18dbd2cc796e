"""Fakturoid API v3 sandbox: the documented API (fakturoid.cz/api/v3), served locally.

Written from ../shared/api/fakturoid.md and the vendor docs, never from our connector.

Every path lives under ``/api/v3``. Every API request must carry a ``User-Agent`` (missing: the
documented 400 ``invalid_request`` body). Request bodies are JSON (``Content-Type:
application/json``); asking for a response type other than JSON (``Accept``) answers 415.
Every API response carries ``X-RateLimit-Policy: default;q=<q>;w=<w>`` and
``X-RateLimit: default;r=<remaining>;t=<seconds to reset>``; over the quota: 429.

Auth (authorization page and token endpoint in oauth.py):
- ``GET /api/v3/oauth`` sign-in and consent page of the Authorization Code flow;
  ``POST /api/v3/oauth/token`` (HTTP Basic client auth; grants ``client_credentials``,
  ``authorization_code``, ``refresh_token``) [token]; ``POST /api/v3/oauth/revoke``.
- API calls: ``Authorization: Bearer <access_token>``; tokens live 7200 s.

Routes (operation names for faults in brackets):
- GET  /api/v3/user.json                                             [verify]
- GET  /api/v3/accounts/<slug>/account.json                          [verify]
- GET  /api/v3/accounts/<slug>/bank_accounts.json                    [verify]
- GET  /api/v3/accounts/<slug>/number_formats/invoices.json          [list_series]
- GET|POST /api/v3/accounts/<slug>/subjects.json, GET subjects/search.json, subjects/<id>.json
                                                                     [list_subjects, create_subject]
- GET  /api/v3/accounts/<slug>/invoices.json, invoices/search.json   [list_invoices]
- POST /api/v3/accounts/<slug>/invoices.json                         [create_invoice]
- GET  /api/v3/accounts/<slug>/invoices/<id>.json                    [get_invoice]
- DELETE /api/v3/accounts/<slug>/invoices/<id>.json                  [delete_invoice]
- GET  /api/v3/accounts/<slug>/invoices/<id>/download.pdf            [get_pdf]
- POST /api/v3/accounts/<slug>/invoices/<id>/message.json            [send_email]
- POST /api/v3/accounts/<slug>/invoices/<id>/fire.json?event=<name>  [fire_invoice]
- POST /api/v3/accounts/<slug>/invoices/<id>/payments.json           [mark_paid]
  (paying a proforma whose proforma_followup_document is final_invoice_paid issues the paid
  final invoice, linked both ways by related_id)

PDF: right after a create the first download answers 204 No Content (documented: the PDF is
generated asynchronously); the next one answers 200 with the PDF.

`/_sandbox/documents` gives every document with `account` = the Fakturoid account slug, plus
`reference` (custom_id), `status` and `vat` (the vat_rates_summary as rate/base/vat).
`/_sandbox/accounts` adds `oauth_login` (e-mail and password for the sign-in page) to each entry.

UNCONFIRMED points and the readings chosen here:
- 401 bodies: Format B, ``{"error": "invalid_token", ...}`` on API calls and
  ``{"error": "invalid_client", ...}`` at the token endpoint (no example is published).
- 402 body: the only published example, ``{"status": "Account blocked", "overdue_invoices": [...]}``;
  a blocked account answers 402 on every account-scoped path, /user.json still answers.
- A user whose ``permission`` is ``read`` gets 403 ``{"error": "forbidden", ...}`` on writes.
- An account slug the token's user is not a member of answers 404 ``resource_not_found``.
- A request body with a Content-Type other than JSON answers 415 (docs name 415 for responses).
- 429 body: Format B ``{"error": "too_many_requests", ...}``; no Retry-After (only X-RateLimit).
- Issuing a client-credentials token invalidates the previous one for the same credentials
  (PHP README); we treat refreshed Authorization Code tokens the same way (per refresh token).
- The refresh grant does not rotate the refresh token (the documented response has none).
- Invoice ``custom_id`` is not unique (lookups may find several); subject ``custom_id`` is.
- Lists are ordered newest first.
- Proformas are numbered in the account's proforma series "ZF#yyyy#-#ddd#" (a web-UI setting,
  not among number_formats/invoices.json); number_format_id applies to the other documents.
- Totals: see totals.py.
"""

from __future__ import annotations

# The port `python -m sandboxes serve` uses; the one place it is written (see sandboxes/__init__.py).
PORT = 5102

import json
import re
from datetime import date, datetime, timezone
from typing import Any

from flask import Flask, Response, abort, g, jsonify, request

from .. import pdf
from ..core import Sandbox
from . import documents, numbering, oauth, seed
from .totals import amount, decimal

PER_PAGE = 40
PRODUCTION = "https://app.fakturoid.cz"
API = "/api/v3"
ACCOUNT = API + "/accounts/<slug>"


def reply(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Response:
    if body is None:
        resp = Response(status=status)
    else:
        resp = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        resp.headers[name] = value
    return resp


def fail(status: int, body: Any) -> None:
    abort(reply(status, body))


def format_b(error: str, description: str) -> dict[str, str]:
    return {"error": error, "error_description": description}


NOT_FOUND = {"error": "resource_not_found"}


class FakturoidSandbox(Sandbox):
    key = "fakturoid"
    default_quota = (400, 60)  # observed live: X-RateLimit-Policy: default;q=400;w=60

    # -- state ----------------------------------------------------------------------------
    def seed(self) -> None:
        self.tokens: dict[str, dict[str, Any]] = {}
        self.refresh_tokens: dict[str, dict[str, Any]] = {}
        self.codes: dict[str, dict[str, Any]] = {}
        self.pdf_pending: dict[int, int] = {}
        self.messages: list[dict[str, Any]] = []
        seed.seed(self, PRODUCTION)

    def user_by_id(self, uid: int) -> dict[str, Any] | None:
        return next((u for u in self.users if u["id"] == uid), None)

    def neutral_documents(self) -> list[dict[str, Any]]:
        kinds = {"proforma": "proforma", "partial_proforma": "proforma", "correction": "credit_note"}
        return [
            {
                "id": str(inv["id"]),
                "type": kinds.get(inv["document_type"], "invoice"),
                "number": inv["number"],
                "order_no": inv["order_number"],
                "reference": inv["custom_id"],
                "total": inv["total"],
                "currency": inv["currency"],
                "created": inv["created_at"],
                "account": account["slug"],
                "status": inv["status"],
                "vat": [
                    {"rate": str(v["vat_rate"]), "base": v["base"], "vat": v["vat"]} for v in inv["vat_rates_summary"]
                ],
                "emailed_to": [m["email"] for m in self.messages if m["invoice_id"] == inv["id"]],
            }
            for account in self.fa_accounts.values()
            for inv in account["invoices"].values()
        ]

    # -- vendor answers for injected faults --------------------------------------------------
    def rate_limit_response(self, reset_at: datetime) -> Response:
        seconds = max(1, int((reset_at - datetime.now(timezone.utc)).total_seconds() + 0.999))
        return reply(
            429,
            format_b("too_many_requests", "Rate limit exceeded"),
            {"X-RateLimit-Policy": self._policy(), "X-RateLimit": f"default;r=0;t={seconds}"},
        )

    def server_error_response(self) -> Response:
        return reply(500, format_b("internal_server_error", "Something went wrong"))

    def _policy(self) -> str:
        return f"default;q={self.quota.limit};w={self.quota.window_seconds}"

    # -- request guards --------------------------------------------------------------------
    def require_user_agent(self) -> None:
        if not request.headers.get("User-Agent", "").strip():
            fail(400, format_b("invalid_request", 'Required header "User-Agent" is missing'))

    def guard(self, operation: str, *, produces: str = "application/json") -> dict[str, Any]:
        """Checks shared by every API route; returns the token's user or aborts."""
        self.require_user_agent()
        accept = request.headers.get("Accept", "")
        if accept and not any(kind in accept for kind in (produces, "*/*", "application/*")):
            fail(415, format_b("unsupported_media_type", f"Only {produces} responses are available"))
        if request.method in ("POST", "PATCH", "PUT") and request.get_data() and request.mimetype != "application/json":
            fail(415, format_b("unsupported_media_type", "Request body must be application/json"))
        fault = self.before_operation(operation)
        if fault is not None:
            abort(fault)
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        with self.lock:
            record = self.tokens.get(token)
            if record is None or record["expires_at"] <= datetime.now(timezone.utc).timestamp():
                fail(401, format_b("invalid_token", "The access token is invalid or expired"))
            user = self.user_by_id(record["user_id"])
            remaining, reset_at, exceeded = self.quota.consume(f"user-{user['id']}")
        g.rate_limit = (max(remaining, 0), reset_at)
        if exceeded:
            abort(self.rate_limit_response(reset_at))
        return user

    def account_for(self, user: dict[str, Any], slug: str, *, write: bool = False) -> dict[str, Any]:
        membership = next((m for m in user["memberships"] if m["slug"] == slug), None)
        account = self.fa_accounts.get(slug)
        if membership is None or account is None:
            fail(404, NOT_FOUND)
        if account["blocked"]:
            fail(
                402,
                {
                    "status": "Account blocked",
                    "overdue_invoices": [{"invoice_url": f"{PRODUCTION}/fakturoid/p/blocked-{slug}"}],
                },
            )
        if "invoices" not in membership["allowed_scope"] or (write and membership["permission"] == "read"):
            fail(403, format_b("forbidden", "You don't have permission to perform this action"))
        return account

    def body(self) -> dict[str, Any]:
        raw = request.get_data()
        if not raw:
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            fail(400, format_b("invalid_request", "Request body is not valid JSON"))
        if not isinstance(data, dict):
            fail(400, format_b("invalid_request", "Request body must be a JSON object"))
        return data

    def invoice_of(self, account: dict[str, Any], invoice_id: int) -> dict[str, Any]:
        invoice = account["invoices"].get(invoice_id)
        if invoice is None:
            fail(404, NOT_FOUND)
        return invoice

    def out(self, record: Any) -> Any:
        """API URLs in records point at this server, like production's point at production."""
        text = json.dumps(record, ensure_ascii=False).replace(PRODUCTION + API, request.host_url.rstrip("/") + API)
        return json.loads(text)

    # -- routes ---------------------------------------------------------------------------
    def register_routes(self, app: Flask) -> None:
        app.view_functions["_accounts"] = lambda: jsonify(
            [{k: a[k] for k in ("id", "state", "label", "credentials", "oauth_login")} for a in self.accounts]
        )
        oauth.register(app, self)

        @app.after_request
        def _rate_limit_headers(response: Response) -> Response:
            if request.path.startswith(API) and request.path != API + "/oauth":
                remaining, reset_at = g.get("rate_limit", (self.quota.limit, None))
                seconds = (
                    self.quota.window_seconds
                    if reset_at is None
                    else max(0, int((reset_at - datetime.now(timezone.utc)).total_seconds() + 0.999))
                )
                response.headers.setdefault("X-RateLimit-Policy", self._policy())
                response.headers.setdefault("X-RateLimit", f"default;r={remaining};t={seconds}")
            return response

        @app.get(API + "/user.json")
        def user_json():
            user = self.guard("verify")
            accounts = []
            for m in user["memberships"]:
                account = self.fa_accounts[m["slug"]]
                accounts.append(
                    {
                        "slug": m["slug"],
                        "logo": None,
                        "name": account["name"],
                        "registration_no": account["registration_no"],
                        "permission": m["permission"],
                        "allowed_scope": list(m["allowed_scope"]),
                    }
                )
            return reply(
                200,
                {
                    "id": user["id"],
                    "full_name": user["full_name"],
                    "email": user["email"],
                    "avatar_url": None,
                    "default_account": accounts[0]["slug"] if accounts else None,
                    "accounts": accounts,
                },
            )

        @app.get(ACCOUNT + "/account.json")
        def account_json(slug):
            account = self.account_for(self.guard("verify"), slug)
            return reply(
                200,
                {
                    "subdomain": account["slug"],
                    "plan": account["plan"],
                    "plan_price": account["plan_price"],
                    "plan_paid_users": 1,
                    "invoice_email": account["email"],
                    "phone": None,
                    "web": None,
                    "name": account["name"],
                    "full_name": None,
                    "registration_no": account["registration_no"],
                    "vat_no": account["vat_no"],
                    "local_vat_no": None,
                    "vat_mode": account["vat_mode"],
                    "vat_price_mode": account["vat_price_mode"],
                    "street": account["street"],
                    "city": account["city"],
                    "zip": account["zip"],
                    "country": account["country"],
                    "currency": account["currency"],
                    "unit_name": "ks",
                    "vat_rate": 21,
                    "displayed_note": "",
                    "invoice_note": "",
                    "due": account["due"],
                    "invoice_language": account["invoice_language"],
                    "invoice_payment_method": None,
                    "invoice_proforma": False,
                    "invoice_hide_bank_account_for_payments": [],
                    "fixed_exchange_rate": False,
                    "invoice_selfbilling": False,
                    "default_estimate_type": "estimate",
                    "send_overdue_email": False,
                    "overdue_email_days": 3,
                    "send_repeated_reminders": False,
                    "send_invoice_from_proforma_email": False,
                    "send_thank_you_email": False,
                    "invoice_paypal": False,
                    "invoice_gopay": False,
                    "created_at": "2020-01-01T10:00:00.000+01:00",
                    "updated_at": "2026-01-01T10:00:00.000+01:00",
                },
            )

        @app.get(ACCOUNT + "/bank_accounts.json")
        def bank_accounts(slug):
            account = self.account_for(self.guard("verify"), slug)
            return reply(200, account["bank_accounts"])

        @app.get(ACCOUNT + "/number_formats/invoices.json")
        def number_formats(slug):
            account = self.account_for(self.guard("list_series"), slug)
            used = [i["number"] for i in account["invoices"].values()]
            return reply(
                200,
                [
                    {
                        "id": f["id"],
                        "format": f["format"],
                        "preview": numbering.next_number(f["format"], date.today(), used),
                        "default": f["default"],
                        "created_at": "2020-01-01T10:00:00.000+01:00",
                        "updated_at": "2020-01-01T10:00:00.000+01:00",
                    }
                    for f in account["number_formats"]
                ],
            )

        self._register_subjects(app)
        self._register_invoices(app)

    def _register_subjects(self, app: Flask) -> None:
        @app.get(ACCOUNT + "/subjects.json")
        def subjects(slug):
            account = self.account_for(self.guard("list_subjects"), slug)
            found = [
                s
                for s in account["subjects"].values()
                if not request.args.get("custom_id") or s.get("custom_id") == request.args["custom_id"]
            ]
            return reply(200, self.out(_page(found)))

        @app.get(ACCOUNT + "/subjects/search.json")
        def subjects_search(slug):
            account = self.account_for(self.guard("list_subjects"), slug)
            query = request.args.get("query", "").lower()
            keys = ("name", "full_name", "email", "email_copy", "registration_no", "vat_no", "private_note")
            found = [s for s in account["subjects"].values() if any(query in str(s.get(k) or "").lower() for k in keys)]
            return reply(200, self.out(_page(found)))

        @app.get(ACCOUNT + "/subjects/<int:subject_id>.json")
        def subject_detail(slug, subject_id):
            account = self.account_for(self.guard("list_subjects"), slug)
            subject = account["subjects"].get(subject_id)
            return reply(200, self.out(subject)) if subject else reply(404, NOT_FOUND)

        @app.post(ACCOUNT + "/subjects.json")
        def subject_create(slug):
            account = self.account_for(self.guard("create_subject"), slug, write=True)
            data = self.body()
            with self.lock:
                errors = documents.validate_subject(account, data)
                if errors:
                    return reply(422, {"errors": errors})
                subject = documents.make_subject(account, next(self.ids), data, PRODUCTION)
                account["subjects"][subject["id"]] = subject
            location = self.out(subject)["url"]
            return reply(201, self.out(subject), {"Location": location})

    def _register_invoices(self, app: Flask) -> None:
        @app.get(ACCOUNT + "/invoices.json")
        def invoices(slug):
            account = self.account_for(self.guard("list_invoices"), slug)
            return reply(200, self.out(_page(self._filter(account["invoices"].values()))))

        @app.get(ACCOUNT + "/invoices/search.json")
        def invoices_search(slug):
            account = self.account_for(self.guard("list_invoices"), slug)
            query = request.args.get("query", "").lower()
            tags = request.args.getlist("tags[]")
            keys = ("number", "variable_symbol", "client_name", "note", "private_note", "footer_note")
            found = [
                i
                for i in account["invoices"].values()
                if (
                    any(query in str(i.get(k) or "").lower() for k in keys)
                    or any(query in line["name"].lower() for line in i["lines"])
                )
                and all(t in i["tags"] for t in tags)
            ]
            return reply(200, self.out(_page(found)))

        @app.get(ACCOUNT + "/invoices/<int:invoice_id>.json")
        def invoice_detail(slug, invoice_id):
            account = self.account_for(self.guard("get_invoice"), slug)
            return reply(200, self.out(self.invoice_of(account, invoice_id)))

        @app.post(ACCOUNT + "/invoices.json")
        def invoice_create(slug):
            account = self.account_for(self.guard("create_invoice"), slug, write=True)
            data = self.body()
            if not account["bank_accounts"]:
                return reply(
                    403,
                    {
                        "errors": {
                            "bank_account": [
                                "Please set up a bank account in Settings → Bank accounts to create an invoice."
                            ]
                        }
                    },
                )
            with self.lock:
                errors = documents.validate_invoice(account, data)
                if errors:
                    return reply(422, {"errors": errors})
                subject = account["subjects"][int(data["subject_id"])]
                invoice = documents.make_invoice(account, next(self.ids), data, subject, self.line_ids, PRODUCTION)
                account["invoices"][invoice["id"]] = invoice
                if invoice["document_type"] == "correction":
                    account["invoices"][invoice["correction_id"]]["correction_id"] = invoice["id"]
                self.pdf_pending[invoice["id"]] = 1
            self.after_create("create_invoice")
            body = self.out(invoice)
            return reply(201, body, {"Location": body["url"]})

        @app.delete(ACCOUNT + "/invoices/<int:invoice_id>.json")
        def invoice_delete(slug, invoice_id):
            account = self.account_for(self.guard("delete_invoice"), slug, write=True)
            with self.lock:
                invoice = self.invoice_of(account, invoice_id)
                has_paid_invoice = invoice["document_type"] == "proforma" and any(
                    i["related_id"] == invoice_id and i["status"] == "paid" for i in account["invoices"].values()
                )
                corrected = invoice["document_type"] != "correction" and invoice["correction_id"]
                if corrected or has_paid_invoice or invoice["locked_at"]:
                    return reply(422, {"errors": {"document": ["Document cannot be deleted"]}})
                del account["invoices"][invoice_id]
                original = account["invoices"].get(invoice["correction_id"] or 0)
                if invoice["document_type"] == "correction" and original:
                    original["correction_id"] = None
            return reply(204)

        @app.get(ACCOUNT + "/invoices/<int:invoice_id>/download.pdf")
        def invoice_pdf(slug, invoice_id):
            account = self.account_for(self.guard("get_pdf", produces="application/pdf"), slug)
            with self.lock:
                invoice = self.invoice_of(account, invoice_id)
                if self.pdf_pending.get(invoice_id, 0) > 0:
                    self.pdf_pending[invoice_id] -= 1
                    return reply(204)
            return Response(
                _render_pdf(account, invoice),
                200,
                mimetype="application/pdf",
                headers={"Content-Disposition": f'attachment; filename="{invoice["number"]}.pdf"'},
            )

        @app.post(ACCOUNT + "/invoices/<int:invoice_id>/message.json")
        def invoice_message(slug, invoice_id):
            account = self.account_for(self.guard("send_email"), slug, write=True)
            data = self.body()
            invoice = self.invoice_of(account, invoice_id)
            if account["plan"] == "Zdarma":
                return reply(403, format_b("upgrade_required", "Email delivery is only available for paid plans"))
            subject = account["subjects"].get(invoice["subject_id"]) or {}
            email = data.get("email") or subject.get("email")
            errors = {}
            if not email:
                errors["email"] = [documents.BLANK]
            elif not re.fullmatch(r"[^@\s,]+@[^@\s,]+\.[^@\s,]+", str(email)):
                errors["email"] = [documents.INVALID]
            if errors:
                return reply(422, {"errors": errors})
            with self.lock:
                self.messages.append(
                    {
                        "invoice_id": invoice_id,
                        "email": email,
                        "subject": data.get("subject"),
                        "deliver_now": bool(data.get("deliver_now")),
                    }
                )
                invoice["sent_at"] = documents.now_iso()
                if invoice["status"] == "open":
                    invoice["status"] = "sent"
            return reply(204)

        @app.post(ACCOUNT + "/invoices/<int:invoice_id>/fire.json")
        def invoice_fire(slug, invoice_id):
            account = self.account_for(self.guard("fire_invoice"), slug, write=True)
            # The docs pass `event` as a query parameter; the PHP client sends it in the body
            # (UNCONFIRMED whether the server takes both; accepted here).
            event = request.args.get("event") or self.body().get("event") or ""
            with self.lock:
                return self._fire(self.invoice_of(account, invoice_id), event)

        @app.post(ACCOUNT + "/invoices/<int:invoice_id>/payments.json")
        def invoice_payment(slug, invoice_id):
            account = self.account_for(self.guard("mark_paid"), slug, write=True)
            data = self.body()
            with self.lock:
                invoice = self.invoice_of(account, invoice_id)
                if invoice["status"] == "paid":
                    return reply(403, format_b("forbidden", "Payment cannot be added to already paid invoice"))
                if invoice["status"] == "cancelled":
                    return reply(403, format_b("forbidden", "Payments cannot be changed on a cancelled invoice"))
                return self._add_payment(account, invoice, data)

    def _fire(self, invoice: dict[str, Any], event: str) -> Response:
        """Documented events of fire.json; an event that does not fit the state answers 422."""
        now = documents.now_iso()
        status, locked = invoice["status"], bool(invoice["locked_at"])
        transitions = {
            "mark_as_sent": (status == "open", {"status": "sent", "sent_at": now}),
            "cancel": (status in ("open", "sent", "overdue"), {"status": "cancelled", "cancelled_at": now}),
            "undo_cancel": (status == "cancelled", {"status": "open", "cancelled_at": None}),
            "lock": (not locked, {"locked_at": now}),
            "unlock": (locked, {"locked_at": None}),
            "mark_as_uncollectible": (
                status in ("open", "sent", "overdue"),
                {"status": "uncollectible", "uncollectible_at": now},
            ),
            "undo_uncollectible": (status == "uncollectible", {"status": "open", "uncollectible_at": None}),
        }
        allowed, changes = transitions.get(event, (False, {}))
        if not allowed:
            return reply(422, {"errors": {"event": [f"{event} cannot be fired"]}})
        invoice.update(changes, updated_at=now)
        return reply(204)

    def _add_payment(self, account: dict[str, Any], invoice: dict[str, Any], data: dict[str, Any]) -> Response:
        errors: dict[str, list[str]] = {}
        paid_on = data.get("paid_on") or date.today().isoformat()
        if documents.parse_date(paid_on) is None:
            errors["paid_on"] = [documents.INVALID]
        remaining = decimal(invoice["remaining_amount"])
        try:
            paid = decimal(data["amount"]) if data.get("amount") not in (None, "") else remaining
            if paid <= 0 < remaining:
                errors["amount"] = ["must be greater than 0"]
        except ValueError:
            errors["amount"] = ["is not a number"]
        if errors:
            return reply(422, {"errors": errors})
        left = remaining - paid
        mark = data.get("mark_document_as_paid")
        mark = left <= 0 if mark is None else bool(mark)
        payment = {
            "id": next(self.ids),
            "paid_on": paid_on,
            "currency": invoice["currency"],
            "amount": amount(paid),
            "native_amount": amount(decimal(data.get("native_amount") or paid)),
            "mark_document_as_paid": mark,
            "variable_symbol": data.get("variable_symbol") or invoice["variable_symbol"],
            "bank_account_id": data.get("bank_account_id") or invoice["bank_account_id"],
            "tax_document_id": None,
            "credit_note_id": None,
            "created_at": documents.now_iso(),
            "updated_at": documents.now_iso(),
        }
        invoice["payments"].append(payment)
        invoice["remaining_amount"] = invoice["remaining_native_amount"] = amount(max(left, decimal("0")))
        if mark:
            invoice.update(status="paid", paid_on=paid_on)
            if (
                invoice["document_type"] == "proforma"
                and (data.get("proforma_followup_document") or invoice["proforma_followup_document"])
                == "final_invoice_paid"
            ):
                self._issue_final_invoice(account, invoice, paid_on)
        return reply(201, payment)

    def _issue_final_invoice(self, account: dict[str, Any], proforma: dict[str, Any], paid_on: str) -> None:
        """Documented "final_invoice_paid": Fakturoid issues a paid invoice once the proforma is paid.
        It links both ways through `related_id` (UNCONFIRMED: custom_id is not copied)."""
        data = {
            "document_type": "invoice",
            "related_id": proforma["id"],
            "issued_on": paid_on,
            "order_number": proforma["order_number"],
            "currency": proforma["currency"],
            "exchange_rate": proforma["exchange_rate"],
            "vat_price_mode": proforma["vat_price_mode"],
            "lines": [
                {k: line[k] for k in ("name", "quantity", "unit_name", "unit_price", "vat_rate")}
                for line in proforma["lines"]
            ],
        }
        subject = account["subjects"][proforma["subject_id"]]
        final = documents.make_invoice(account, next(self.ids), data, subject, self.line_ids, PRODUCTION)
        final.update(status="paid", paid_on=paid_on, remaining_amount="0.0", remaining_native_amount="0.0")
        account["invoices"][final["id"]] = final
        proforma["related_id"] = final["id"]

    def _filter(self, invoices) -> list[dict[str, Any]]:
        args = request.args
        for key in ("since", "until", "updated_since", "updated_until"):
            if args.get(key) and not _iso_datetime(args[key]):
                fail(400, format_b("invalid_request", f"Invalid value for parameter '{key}'"))
        wanted = args.get("document_type")
        found = []
        for inv in invoices:
            if wanted == "regular" and inv["document_type"] in ("proforma", "partial_proforma"):
                continue
            if wanted and wanted != "regular" and inv["document_type"] != wanted:
                continue
            if any(args.get(k) and str(inv.get(k)) != args[k] for k in ("custom_id", "number", "status", "subject_id")):
                continue
            found.append(inv)
        return found


def _iso_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True
    except ValueError:
        return False


def _page(records) -> list[dict[str, Any]]:
    """40 per page, newest first; past the end an empty array (v3 has no Link header)."""
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    ordered = sorted(records, key=lambda r: r["id"], reverse=True)
    return ordered[(page - 1) * PER_PAGE : page * PER_PAGE]


def _render_pdf(account: dict[str, Any], invoice: dict[str, Any]) -> bytes:
    titles = {"proforma": "Zálohová faktura", "correction": "Opravný daňový doklad"}
    return pdf.render(
        titles.get(invoice["document_type"], "Faktura"),
        invoice["number"],
        account["name"],
        invoice["client_name"],
        [
            ("Vystaveno", invoice["issued_on"]),
            ("DUZP", invoice["taxable_fulfillment_due"]),
            ("Splatnost", invoice["due_on"]),
            ("VS", invoice["variable_symbol"]),
        ],
        [
            (
                line["name"],
                line["quantity"],
                line["unit_price"],
                str(line["vat_rate"]),
                amount(decimal(line["total_price_without_vat"]) + decimal(line["total_vat"])),
            )
            for line in invoice["lines"]
        ],
        [
            *((f"Základ {v['vat_rate']} %", v["base"]) for v in invoice["vat_rates_summary"]),
            *((f"DPH {v['vat_rate']} %", v["vat"]) for v in invoice["vat_rates_summary"]),
            ("Celkem", f"{invoice['total']} {invoice['currency']}"),
        ],
        watermark="SANDBOX Fakturoid",
    )
