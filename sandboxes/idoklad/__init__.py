"""iDoklad API v3 sandbox: the identity server's token endpoint and the REST API, on one origin.

Written from ../shared/api/idoklad.md (official .NET SDK facts), never from our connector.

Identity (operation `token`):
- POST /server/v2/connect/token, `application/x-www-form-urlencoded`: grant_type=client_credentials,
  application_id (Fynode's developer-portal app: "fynode-sandbox-app"), client_id, client_secret,
  scope=idoklad_api. Answers `{access_token, expires_in, token_type}`; the token is a JWT with the
  claims `license_status` and `user_rights`. Failures: HTTP 400 with `{error, error_description}`;
  a Free agenda answers `AuthErrorCode(0)`, an expired subscription `AuthErrorCode(2)`.

API under /v3 (operation names for faults in brackets), every answer in the `ApiResult` envelope
`{Data, ErrorCode, IsSuccess, Message, StatusCode}`:
- GET  /v3/Account/CurrentAgenda, /v3/Account/CurrentUser                       [verify]
- GET  /v3/Currencies, /v3/Countries, /v3/PaymentOptions, /v3/VatRates           [list_codebooks]
- GET  /v3/Contacts, /v3/Contacts/{id}, /v3/Contacts/Default; POST /v3/Contacts  [contacts]
- GET  /v3/{IssuedInvoices|ProformaInvoices|CreditNotes}                         [list_invoices]
- GET  /v3/{...}/{id}                                                            [get_invoice]
- GET  /v3/IssuedInvoices/Default, /v3/ProformaInvoices/Default,
       /v3/CreditNotes/Default/{invoiceId}                                       [default_invoice]
- POST /v3/{...}/Recount                                                         [recount]
- POST /v3/{...}                                                                 [create_invoice]
- DELETE /v3/{...}/{id}                                                          [delete_invoice]
- GET  /v3/Reports/{IssuedInvoice|ProformaInvoice|CreditNote}/{id}/Pdf           [get_pdf]
- POST /v3/Mails/{IssuedInvoice|ProformaInvoice|CreditNote}/Send                 [send_email]
- PUT  /v3/IssuedDocumentPayments/FullyPay/{id}, .../FullyUnpay/{id}             [mark_paid]
- GET  /v3/IssuedDocumentPayments/Default/{id}; POST /v3/IssuedDocumentPayments  [mark_paid]
- GET  /v3/ProformaInvoices/{id}/Account (the invoice model that accounts a paid
       proforma: `ProformaInvoices: [id]` and deduction items `ItemType=2`)      [default_invoice]
- GET  /v3/NumericSequences                                                      [list_series]
A path that does not exist answers 404 with a bare `{"Message": "No HTTP resource was found..."}`.

Seeded accounts (credentials keys `client_id`, `client_secret`): id-valid (valid, "Demo s.r.o.",
CZ, 45 issued invoices), id-valid-sk (valid, SK agenda), id-wrong-key (wrong_key: the handed-out
secret is not the one the identity server holds), id-no-api-plan (no_api_plan: Free agenda),
id-expired (expired), id-no-permission (no_permission: user without rights, API answers 403).

UNCONFIRMED points and the readings chosen here:
- The OAuth `error` for wrong client credentials: `invalid_client` (RFC 6749), HTTP 400.
- Plan refusals at the token endpoint: HTTP 400, `error` `invalid_grant`, description
  `AuthErrorCode(n) ...`. An unknown or missing `application_id`: HTTP 400 `invalid_request`.
- Token lifetime: `expires_in` 3600.
- 401 from the API (unknown or expired token): `{"Message": "Authorization has been denied for
  this request."}` without the envelope.
- A user without rights: HTTP 403 with ErrorCode 420 (UserRights).
- 429: the envelope plus a `Retry-After` header in seconds (no header is documented);
  default limit 60 requests a minute per agenda (3rd-party figures say 60 or 200).
- 400 validation answers carry only `Message` + `ErrorCode` 400; the sandbox lists each failing
  property in `Message` as lines `Property: text` under a first line "Validation failed.".
- A `DocumentSerialNumber` already used in the sequence and year: 409 with ErrorCode 123.
- `VariableSymbol` left empty: the digits of the document number without leading zeros.
- Filtering by a property outside the SDK's filter list (e.g. `VariableSymbol`): 400.
- Credit notes: the default model pre-fills the credited invoice's items with negative unit
  prices; the sandbox computes whatever signs are posted.
- FullyPay on a paid document: HTTP 400 with ErrorCode 110 (AlreadyPaid).
- PDF `Data` is base64 of the PDF (a zip of it with `compressed=true`).
- Non-JSON bodies on POST: HTTP 415 with the envelope.
- Accounting a proforma that is not fully paid: 400 / ErrorCode 113 (NotPaid); one already
  accounted: 400 / 112 (AlreadyAccounted). The final invoice fully covered by the advance is paid.
- The per-minute quota counts API calls per agenda; the identity server is not counted.
- The agendas' payment option codes (B transfer, H cash, D cash on delivery, K card, P PayPal).
"""

from __future__ import annotations

# The port `python -m sandboxes serve` uses; the one place it is written (see sandboxes/__init__.py).
PORT = 5103

import base64
import hashlib
import hmac
import io
import json
import re
import secrets
import time
import zipfile
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from flask import Flask, Response, request

from ..core import Sandbox
from ..pdf import render
from . import seed
from .calc import PRICE_TYPES, VAT_RATE_TYPES, document_prices, item_prices, vat_rate
from .envelope import ApiError, ValidationFailed, api_datetime, envelope, json_response
from .payments import PaymentRoutes
from .query import QueryError, compile_filter, page_args, parse_datetime, parse_filter, select_fields, sort_entities

TOKEN_LIFETIME = 3600
JWT_KEY = b"idoklad-sandbox-signing-key"

# URL segment -> (internal type, numeric sequence DocumentType, neutral kind, report/mail name)
DOCUMENT_PATHS = {
    "IssuedInvoices": ("IssuedInvoice", 0, "invoice"),
    "ProformaInvoices": ("ProformaInvoice", 1, "proforma"),
    "CreditNotes": ("CreditNote", 3, "credit_note"),
}
TYPE_NAMES = {"IssuedInvoice": "IssuedInvoices", "ProformaInvoice": "ProformaInvoices", "CreditNote": "CreditNotes"}
TITLES = {"IssuedInvoice": "Faktura", "ProformaInvoice": "Zálohová faktura", "CreditNote": "Opravný daňový doklad"}
LANGUAGES = {"cz": 1, "sk": 2, "en": 3, "de": 4, "1": 1, "2": 2, "3": 3, "4": 4}
SUBSCRIPTION_NAMES = {0: "Free", 1: "Basic", 2: "Standard", 3: "Premium"}

# Filterable and sortable properties (SDK IssuedInvoiceFilter; proforma and credit-note lists alike).
DOCUMENT_FILTER: dict[str, Callable[[dict], Any]] = {
    "Id": lambda d: d["Id"],
    "ConstantSymbolId": lambda d: d.get("ConstantSymbolId"),
    "CurrencyId": lambda d: d["CurrencyId"],
    "DateLastChange": lambda d: parse_datetime(d["Metadata"]["DateLastChange"]),
    "DateOfIssue": lambda d: parse_datetime(d["DateOfIssue"]),
    "DateOfMaturity": lambda d: parse_datetime(d["DateOfMaturity"]),
    "DateOfPayment": lambda d: parse_datetime(d["DateOfPayment"]) if d.get("DateOfPayment") else None,
    "DateOfTaxing": lambda d: parse_datetime(d["DateOfTaxing"]),
    "Description": lambda d: d["Description"],
    "DocumentNumber": lambda d: d["DocumentNumber"],
    "Exported": lambda d: d["Exported"],
    "IsPaid": lambda d: d["PaymentStatus"] in (1, 3),
    "PaymentStatus": lambda d: d["PaymentStatus"],
    "NumericSequenceId": lambda d: d["NumericSequenceId"],
    "PartnerId": lambda d: d["PartnerId"],
}
DOCUMENT_SORT = {k: DOCUMENT_FILTER[k] for k in ("Id", "DateOfIssue", "DocumentNumber")}
CONTACT_FILTER: dict[str, Callable[[dict], Any]] = {
    "Id": lambda c: c["Id"],
    "CompanyName": lambda c: c["CompanyName"],
    "Email": lambda c: c["Email"],
    "IdentificationNumber": lambda c: c["IdentificationNumber"],
    "VatIdentificationNumber": lambda c: c["VatIdentificationNumber"],
    "DateLastChange": lambda c: parse_datetime(c["Metadata"]["DateLastChange"]),
}
SEQUENCE_FILTER: dict[str, Callable[[dict], Any]] = {
    "Id": lambda s: s["Id"],
    "DocumentType": lambda s: s["DocumentType"],
    "IsDefault": lambda s: s["IsDefault"],
}


def format_number(number_format: str, year: int, serial: int) -> str:
    text = number_format.replace("{RRRR}", f"{year:04d}").replace("{RR}", f"{year % 100:02d}")
    return re.sub(r"\{(N+)\}", lambda m: str(serial).zfill(len(m.group(1))), text)


class IDokladSandbox(PaymentRoutes, Sandbox):
    key = "idoklad"
    default_quota = (60, 60)

    # -- state ----------------------------------------------------------------------------
    def seed(self) -> None:
        today = date.today()
        self.tokens: dict[str, tuple[str, float]] = {}
        self.next_document_id = 1000
        self.next_item_id = 1
        self.next_payment_id = 0  # payments.py counts up from here
        self.mails: list[dict] = []
        self.vat_rates = seed.vat_rate_list()
        for acc in seed.accounts():
            acc["_contacts"] = seed.contacts(acc["_market"])
            for contact in acc["_contacts"]:
                contact["Metadata"] = {"DateCreated": api_datetime(today), "DateLastChange": api_datetime(today)}
            acc["_sequences"] = seed.sequences(today.year)
            acc["_documents"] = {}
            self.accounts.append(acc)
        # Both valid agendas hold existing invoices, so an import always has something to find.
        for account_id, count in (("id-valid", 45), ("id-valid-sk", 12)):
            valid = self.account_by_id(account_id)
            for body in seed.seeded_invoice_bodies(today, count):
                paid = body.pop("_paid")
                doc = self._store(valid, "IssuedInvoice", self._with_defaults(valid, "IssuedInvoice", body))
                doc["Metadata"]["DateCreated"] = doc["Metadata"]["DateLastChange"] = api_datetime(
                    datetime.combine(parse_datetime(doc["DateOfIssue"]).date(), datetime.min.time())
                    + timedelta(hours=9)
                )
                if paid:
                    self._pay(doc, parse_datetime(doc["DateOfIssue"]).date())

    def neutral_documents(self) -> list[dict[str, Any]]:
        kinds = {v[0]: v[2] for v in DOCUMENT_PATHS.values()}
        out = []
        for acc in self.accounts:
            for doc in acc["_documents"].values():
                rates = {i["VatRateType"]: i["VatRate"] for i in doc["Items"]}
                out.append(
                    {
                        "id": str(doc["Id"]),
                        "type": kinds[doc["_type"]],
                        "number": doc["DocumentNumber"],
                        "order_no": doc["OrderNumber"],
                        "variable_symbol": doc["VariableSymbol"],
                        "total": str(doc["Prices"]["TotalWithVat"]),
                        "currency": self._currency(doc["CurrencyId"])["Code"],
                        "created": doc["Metadata"]["DateCreated"],
                        "account": acc["id"],
                        "paid": doc["PaymentStatus"] in (1, 3),
                        "note": doc["Note"],
                        "related_id": str(doc.get("CreditedInvoiceId") or ""),
                        "vat": [
                            {
                                "rate": str(rates[s["VatRateType"]]),
                                "base": str(s["TotalWithoutVat"]),
                                "vat": str(s["TotalVat"]),
                            }
                            for s in doc["Prices"]["VatRateSummary"]
                        ],
                    }
                )
        return out

    # -- responses the base class asks for ------------------------------------------------
    def rate_limit_response(self, reset_at: datetime) -> Response:
        seconds = max(1, int((reset_at - datetime.now(timezone.utc)).total_seconds() + 0.999))
        return envelope(None, 429, 0, "API limit exceeded. Slow down.", {"Retry-After": str(seconds)})

    def server_error_response(self) -> Response:
        return envelope(None, 500, 500, "An internal error occurred. Contact iDoklad support.")

    # -- routes ---------------------------------------------------------------------------
    def register_routes(self, app: Flask) -> None:
        app.add_url_rule("/server/v2/connect/token", "idoklad_token", self._token, methods=["POST"])
        app.add_url_rule("/v3/<path:rest>", "idoklad_api", self._api, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
        self.routes: list[tuple[str, re.Pattern, str, Callable[..., Response]]] = []

        def route(method: str, pattern: str, operation: str, handler: Callable[..., Response]) -> None:
            self.routes.append((method, re.compile(f"^{pattern}$", re.IGNORECASE), operation, handler))

        docs = "(?P<segment>IssuedInvoices|ProformaInvoices|CreditNotes)"
        route("GET", "Account/CurrentAgenda", "verify", self._current_agenda)
        route("GET", "Account/CurrentUser", "verify", self._current_user)
        route("GET", "(?P<name>Currencies|Countries|PaymentOptions|VatRates)", "list_codebooks", self._codebook)
        route("GET", "Contacts/Default", "contacts", self._contact_default)
        route("GET", r"Contacts/(?P<contact_id>-?\d+)", "contacts", self._contact_detail)
        route("GET", "Contacts", "contacts", self._contact_list)
        route("POST", "Contacts", "contacts", self._contact_create)
        route("GET", "NumericSequences", "list_series", self._sequence_list)
        route("GET", "(?P<segment>IssuedInvoices|ProformaInvoices)/Default", "default_invoice", self._default)
        route("GET", r"CreditNotes/Default/(?P<invoice_id>-?\d+)", "default_invoice", self._credit_note_default)
        route("POST", f"{docs}/Recount", "recount", self._recount)
        route("GET", docs, "list_invoices", self._document_list)
        route("GET", rf"{docs}/(?P<doc_id>-?\d+)", "get_invoice", self._document_detail)
        route("POST", docs, "create_invoice", self._document_create)
        route("DELETE", rf"{docs}/(?P<doc_id>-?\d+)", "delete_invoice", self._document_delete)
        route(
            "GET",
            r"Reports/(?P<report>IssuedInvoice|ProformaInvoice|CreditNote)/(?P<doc_id>-?\d+)/Pdf",
            "get_pdf",
            self._pdf,
        )
        route("POST", "Mails/(?P<report>IssuedInvoice|ProformaInvoice|CreditNote)/Send", "send_email", self._mail)
        route(
            "PUT",
            r"IssuedDocumentPayments/(?P<action>FullyPay|FullyUnpay)/(?P<doc_id>-?\d+)",
            "mark_paid",
            self._fully_pay,
        )
        route("GET", r"IssuedDocumentPayments/Default/(?P<doc_id>-?\d+)", "mark_paid", self._payment_default)
        route("POST", "IssuedDocumentPayments", "mark_paid", self._payment_create)
        route("GET", r"ProformaInvoices/(?P<doc_id>-?\d+)/Account", "default_invoice", self._proforma_account)

    # -- identity server ------------------------------------------------------------------
    def _token(self) -> Response:
        fault = self.before_operation("token")
        if fault is not None:
            return fault

        def oauth_error(error: str, description: str = "") -> Response:
            body = {"error": error, **({"error_description": description} if description else {})}
            return json_response(body, 400)

        if request.mimetype != "application/x-www-form-urlencoded":
            return oauth_error("invalid_request", "The token request must be application/x-www-form-urlencoded.")
        form = request.form
        if form.get("grant_type") != "client_credentials":
            return oauth_error("unsupported_grant_type")
        if not form.get("application_id"):
            return oauth_error("invalid_request", "The application_id parameter is missing.")
        if form["application_id"] not in seed.APPLICATION_IDS:
            return oauth_error("invalid_request", "The application_id is not registered.")
        account = next((a for a in self.accounts if a["credentials"]["client_id"] == form.get("client_id")), None)
        if account is None or not hmac.compare_digest(account["_secret"], form.get("client_secret", "")):
            return oauth_error("invalid_client")
        scopes = set(form.get("scope", "").split())
        if scopes != {"idoklad_api"}:
            return oauth_error("invalid_scope")
        if account["_agenda"]["Subscription"]["Type"] == 0:
            return oauth_error("invalid_grant", "AuthErrorCode(0) Agenda has Free status.")
        if account["_license"] == 5:
            return oauth_error("invalid_grant", "AuthErrorCode(2) Subscription of the agenda has expired.")
        now = time.time()
        token = self._jwt(
            {
                "sub": account["credentials"]["client_id"],
                "agenda_id": account["_agenda"]["Id"],
                "license_status": account["_license"],
                "user_rights": account["_rights"],
                "iat": int(now),
                "exp": int(now) + TOKEN_LIFETIME,
                "jti": secrets.token_hex(8),
            }
        )
        with self.lock:
            self.tokens[token] = (account["id"], now + TOKEN_LIFETIME)
        return json_response(
            {"access_token": token, "expires_in": TOKEN_LIFETIME, "token_type": "Bearer", "scope": "idoklad_api"}, 200
        )

    @staticmethod
    def _jwt(claims: dict) -> str:
        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(claims).encode())
        return head + "." + b64(hmac.new(JWT_KEY, head.encode(), hashlib.sha256).digest())

    # -- API dispatch ---------------------------------------------------------------------
    def _api(self, rest: str) -> Response:
        for method, pattern, operation, handler in self.routes:
            match = pattern.match(rest.rstrip("/"))
            if match and method == request.method:
                break
        else:
            return json_response(
                {"Message": f"No HTTP resource was found that matches the request URI '{request.url}'."}, 404
            )
        fault = self.before_operation(operation)
        if fault is not None:
            return fault
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else ""
        with self.lock:
            held = self.tokens.get(token)
        if held is None or held[1] < time.time():
            return json_response(
                {"Message": "Authorization has been denied for this request."},
                401,
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        account = self.account_by_id(held[0])
        if account["_rights"] == 2:
            return envelope(None, 403, 420, "The user does not have rights for this operation.")
        _remaining, reset_at, exceeded = self.quota.consume(account["id"])
        if exceeded:
            return self.rate_limit_response(reset_at)
        try:
            with self.lock:
                return handler(account, **match.groupdict())
        except ApiError as exc:
            return envelope(None, exc.status, exc.error_code, exc.message)
        except QueryError as exc:
            return envelope(None, 400, 400, str(exc))

    # -- account --------------------------------------------------------------------------
    def _current_agenda(self, account: dict) -> Response:
        return envelope(self._select(account["_agenda"]))

    def _current_user(self, account: dict) -> Response:
        return envelope(
            self._select(
                {
                    "Id": 1,
                    "Username": "ucetni@demo.example",
                    "Firstname": "Eva",
                    "Surname": "Účetní",
                    "Rights": account["_rights"],
                    "IsVerified": True,
                }
            )
        )

    def _codebook(self, account: dict, name: str) -> Response:
        rows = {
            "currencies": seed.CURRENCIES,
            "countries": seed.COUNTRIES,
            "paymentoptions": seed.PAYMENT_OPTIONS,
            "vatrates": self.vat_rates,
        }[name.lower()]
        return self._page(rows, {})

    # -- lists ----------------------------------------------------------------------------
    def _page(
        self,
        rows: list[dict],
        filter_fields: dict,
        sort_fields: dict | None = None,
        shape: Callable[[dict], dict] | None = None,
    ) -> Response:
        page, size = page_args(request.args)
        if request.args.get("filter"):
            predicate = compile_filter(parse_filter(request.args["filter"]), filter_fields)
            rows = [r for r in rows if predicate(r)]
        if request.args.get("sort"):
            rows = sort_entities(rows, request.args["sort"], sort_fields or {"Id": lambda r: r["Id"]})
        total = len(rows)
        chunk = rows[(page - 1) * size : page * size]
        items = [self._select(shape(r) if shape else r) for r in chunk]
        return envelope({"Items": items, "TotalItems": total, "TotalPages": (total + size - 1) // size})

    @staticmethod
    def _select(entity: dict) -> dict:
        select = request.args.get("select")
        return select_fields(entity, select) if select else entity

    # -- contacts -------------------------------------------------------------------------
    def _contact_list(self, account: dict) -> Response:
        return self._page(account["_contacts"], CONTACT_FILTER)

    def _contact_detail(self, account: dict, contact_id: str) -> Response:
        contact = next((c for c in account["_contacts"] if c["Id"] == int(contact_id)), None)
        if contact is None:
            raise ApiError(404, f"Contact with Id {contact_id} was not found.")
        return envelope(self._select(contact))

    def _contact_default(self, account: dict) -> Response:
        return envelope(
            {
                "CompanyName": "",
                "CountryId": seed.COUNTRY_BY_MARKET[account["_market"]],
                "Email": "",
                "Firstname": "",
                "Surname": "",
                "City": "",
                "Street": "",
                "PostalCode": "",
                "IdentificationNumber": "",
                "VatIdentificationNumber": "",
                "VatIdentificationNumberSk": "",
                "Phone": "",
                "Mobile": "",
                "Www": "",
                "DefaultInvoiceMaturity": 14,
                "SendReminders": True,
            }
        )

    def _contact_create(self, account: dict) -> Response:
        body = self._json_body()
        problems = []
        name = body.get("CompanyName")
        if not isinstance(name, str) or not name.strip():
            problems.append(("CompanyName", "The CompanyName field is required."))
        elif len(name) > 200:
            problems.append(("CompanyName", "The field CompanyName must be a string with a maximum length of 200."))
        if not any(c["Id"] == body.get("CountryId") for c in seed.COUNTRIES):
            problems.append(("CountryId", "The CountryId field is required and must name an existing country."))
        for key, limit in (
            ("Email", 100),
            ("IdentificationNumber", 20),
            ("VatIdentificationNumber", 20),
            ("PostalCode", 11),
            ("City", 100),
            ("Street", 100),
        ):
            value = body.get(key)
            if value is not None and (not isinstance(value, str) or len(value) > limit):
                problems.append((key, f"The field {key} must be a string with a maximum length of {limit}."))
        email = body.get("Email")
        if isinstance(email, str) and email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            problems.append(("Email", "The Email field is not a valid e-mail address."))
        if problems:
            raise ValidationFailed(problems)
        contact = {
            key: body.get(key) or ""
            for key in (
                "CompanyName",
                "Firstname",
                "Surname",
                "Email",
                "IdentificationNumber",
                "VatIdentificationNumber",
                "VatIdentificationNumberSk",
                "City",
                "Street",
                "PostalCode",
                "Phone",
                "Mobile",
                "Www",
            )
        }
        now = api_datetime(datetime.now())
        contact.update(
            {
                "Id": max((c["Id"] for c in account["_contacts"]), default=0) + 1,
                "CountryId": body["CountryId"],
                "Metadata": {"DateCreated": now, "DateLastChange": now},
            }
        )
        account["_contacts"].append(contact)
        return envelope(contact)

    # -- numeric sequences ----------------------------------------------------------------
    def _sequence_list(self, account: dict) -> Response:
        return self._page(account["_sequences"], SEQUENCE_FILTER, shape=self._sequence_view)

    @staticmethod
    def _sequence_view(seq: dict) -> dict:
        year = date.today().year
        return {
            **{k: v for k, v in seq.items() if not k.startswith("_")},
            "Year": year,
            "LastNumber": seq["_numbers"].get(year, 0),
        }

    # -- documents: defaults, recount, create ---------------------------------------------
    def _default_sequence(self, account: dict, doc_type: str) -> dict:
        kind_number = {v[0]: v[1] for v in DOCUMENT_PATHS.values()}[doc_type]
        return next(s for s in account["_sequences"] if s["DocumentType"] == kind_number and s["IsDefault"])

    def _default_model(self, account: dict, doc_type: str) -> dict:
        today = date.today()
        seq = self._default_sequence(account, doc_type)
        agenda = account["_agenda"]
        bank = agenda["BankAccounts"][0]
        return {
            "AccountNumber": bank["AccountNumber"],
            "BankId": bank["BankId"],
            "Iban": bank["Iban"],
            "Swift": bank["Swift"],
            "ConstantSymbolId": None,
            "CurrencyId": agenda["DefaultCurrencyId"],
            "DateOfIssue": api_datetime(today),
            "DateOfMaturity": api_datetime(today + timedelta(days=14)),
            "DateOfTaxing": api_datetime(today),
            "DateOfPayment": None,
            "DateOfVatApplication": None,
            "DeliveryAddressId": None,
            "Description": "",
            "DiscountPercentage": Decimal("0"),
            "DocumentSerialNumber": seq["_numbers"].get(today.year, 0) + 1,
            "ExchangeRate": Decimal("1"),
            "ExchangeRateAmount": Decimal("1"),
            "HasVatRegimeOss": False,
            "IsEet": False,
            "IsIncomeTax": True,
            "ItemsTextPrefix": "",
            "ItemsTextSuffix": "",
            "Note": "",
            "NumericSequenceId": seq["Id"],
            "OrderNumber": "",
            "PartnerId": 0,
            "PaymentOptionId": next(p["Id"] for p in seed.PAYMENT_OPTIONS if p["IsDefault"]),
            "ReportLanguage": 1 if account["_market"] == "CZ" else 2,
            "Tags": [],
            "VariableSymbol": "",
            "VatOnPayStatus": 0,
            "VatReverseChargeCodeId": None,
            "VatRegime": 0,
            "VatRatePeriods": [],
            "Items": [
                {
                    "Amount": Decimal("1"),
                    "Code": "",
                    "DiscountName": "",
                    "DiscountPercentage": Decimal("0"),
                    "IsTaxMovement": False,
                    "ItemType": 0,
                    "Name": "",
                    "PriceListItemId": None,
                    "PriceType": agenda["PreferredPriceType"],
                    "Unit": "",
                    "UnitPrice": Decimal("0"),
                    "VatRateType": agenda["PreferredVatRate"],
                    "VatCodeId": None,
                }
            ],
        }

    def _default(self, account: dict, segment: str) -> Response:
        return envelope(self._default_model(account, DOCUMENT_PATHS[self._segment(segment)][0]))

    def _credit_note_default(self, account: dict, invoice_id: str) -> Response:
        invoice = self._find(account, "IssuedInvoice", int(invoice_id))
        model = self._default_model(account, "CreditNote")
        model.update(
            {
                "CreditedInvoiceId": invoice["Id"],
                "CreditNoteReason": "",
                "DateOfVatClaim": None,
                "PartnerId": invoice["PartnerId"],
                "CurrencyId": invoice["CurrencyId"],
                "Description": invoice["Description"],
                "OrderNumber": invoice["OrderNumber"],
                "PaymentOptionId": invoice["PaymentOptionId"],
                "Items": [
                    {
                        "Amount": i["Amount"],
                        "Code": i["Code"],
                        "DiscountName": "",
                        "DiscountPercentage": i["DiscountPercentage"],
                        "IsTaxMovement": False,
                        "ItemType": 0,
                        "Name": i["Name"],
                        "PriceListItemId": None,
                        "PriceType": i["PriceType"],
                        "Unit": i["Unit"],
                        "UnitPrice": -i["Prices"]["UnitPrice"],
                        "VatRateType": i["VatRateType"],
                        "VatCodeId": None,
                    }
                    for i in invoice["Items"]
                    if i["ItemType"] == 0
                ],
            }
        )
        return envelope(model)

    def _recount(self, account: dict, segment: str) -> Response:
        body = self._json_body()
        problems: list[tuple[str, str]] = []
        items = self._check_items(account, body, problems)
        if problems:
            raise ValidationFailed(problems)
        exchange = self._exchange(body)
        return envelope(
            {
                "CurrencyId": body.get("CurrencyId"),
                "Items": items,
                "Prices": document_prices(items, exchange, Decimal("0.00")),
            }
        )

    def _document_create(self, account: dict, segment: str) -> Response:
        doc_type = DOCUMENT_PATHS[self._segment(segment)][0]
        body = self._json_body()
        doc = self._store(account, doc_type, body)
        self.after_create("create_invoice")
        return envelope(doc, 200)

    def _json_body(self) -> dict:
        if request.mimetype != "application/json":
            raise ApiError(
                415, "The request entity's media type is not supported for this resource; send application/json."
            )
        try:
            body = json.loads(request.get_data(as_text=True) or "null", parse_float=Decimal)
        except ValueError:
            raise ApiError(400, "The request body is not valid JSON.", 400) from None
        if not isinstance(body, dict):
            raise ApiError(400, "The request body must be a JSON object.", 400)
        return body

    @staticmethod
    def _exchange(body: dict) -> Decimal:
        rate = body.get("ExchangeRate") or Decimal("1")
        amount = body.get("ExchangeRateAmount") or Decimal("1")
        return Decimal(str(rate)) / Decimal(str(amount))

    def _check_items(self, account: dict, body: dict, problems: list) -> list[dict]:
        items = body.get("Items")
        if not isinstance(items, list) or not items:
            problems.append(("Items", "The Items field is required and must contain at least one item."))
            return []
        taxing = _date_or_none(body.get("DateOfTaxing")) or date.today()
        exchange = self._exchange(body)
        out = []
        for n, item in enumerate(items):
            path = f"Items[{n}]"
            if not isinstance(item, dict):
                problems.append((path, "An item must be an object."))
                continue
            name = item.get("Name")
            if not isinstance(name, str) or not name.strip():
                problems.append((f"{path}.Name", "The Name field is required."))
            elif len(name) > 200:
                problems.append((f"{path}.Name", "The field Name must be a string with a maximum length of 200."))
            for key in ("Amount", "UnitPrice"):
                if not isinstance(item.get(key), (int, Decimal)) or isinstance(item.get(key), bool):
                    problems.append((f"{path}.{key}", f"The {key} field is required."))
            discount = item.get("DiscountPercentage")
            if (
                not isinstance(discount, (int, Decimal))
                or isinstance(discount, bool)
                or not 0 <= discount <= Decimal("99.99")
            ):
                problems.append(
                    (
                        f"{path}.DiscountPercentage",
                        "The field DiscountPercentage is required and must be between 0 and 99.99.",
                    )
                )
            if not isinstance(item.get("IsTaxMovement"), bool):
                problems.append((f"{path}.IsTaxMovement", "The IsTaxMovement field is required."))
            price_type = _enum(item.get("PriceType"), PRICE_TYPES)
            if price_type is None:
                problems.append(
                    (f"{path}.PriceType", "The PriceType field is required (WithVat, WithoutVat, OnlyBase).")
                )
            rate_type = _enum(item.get("VatRateType"), VAT_RATE_TYPES)
            rate = vat_rate(account["_market"], rate_type, taxing) if rate_type is not None else None
            if rate_type is None:
                problems.append((f"{path}.VatRateType", "The VatRateType field is required."))
            elif rate is None:
                raise ApiError(
                    400, f"{path}.VatRateType: VAT rate type {rate_type} does not exist on {taxing.isoformat()}.", 127
                )
            for key, limit in (("Unit", 20), ("Code", 20)):
                if item.get(key) is not None and (not isinstance(item[key], str) or len(item[key]) > limit):
                    problems.append(
                        (f"{path}.{key}", f"The field {key} must be a string with a maximum length of {limit}.")
                    )
            item_type = _enum(item.get("ItemType", 0), {"ItemTypeNormal": 0, "ItemTypeReduce": 2})
            if item_type is None or (item_type == 2 and not body.get("ProformaInvoices")):
                problems.append((f"{path}.ItemType", "Only normal items can be posted without proforma invoices."))
            if any(p[0].startswith(path) for p in problems):
                continue
            amount, unit_price = Decimal(item["Amount"]), Decimal(item["UnitPrice"])
            out.append(
                {
                    "Id": 0,
                    "Name": name,
                    "Amount": amount,
                    "Code": item.get("Code") or "",
                    "Unit": item.get("Unit") or "",
                    "DiscountName": item.get("DiscountName") or "",
                    "DiscountPercentage": Decimal(discount),
                    "IsTaxMovement": item["IsTaxMovement"],
                    "ItemType": item_type,
                    "PriceListItemId": None,
                    "PriceType": price_type,
                    "VatRateType": rate_type,
                    "VatRate": rate,
                    "VatCodeId": None,
                    "Prices": item_prices(amount, unit_price, price_type, rate, Decimal(discount), exchange),
                }
            )
        return out

    def _with_defaults(self, account: dict, doc_type: str, body: dict) -> dict:
        """Seeding helper: a default model with the given properties, the way a client posts it."""
        model = self._default_model(account, doc_type)
        model.update({k: (api_datetime(v) if isinstance(v, date) else v) for k, v in body.items()})
        model["Items"] = [{**model["Items"][0], **item} for item in body["Items"]]
        return model

    def _store(self, account: dict, doc_type: str, body: dict) -> dict:
        """Validate a POST model and store the document the way iDoklad would; returns the GetModel."""
        problems: list[tuple[str, str]] = []
        currency = next((c for c in seed.CURRENCIES if c["Id"] == body.get("CurrencyId")), None)
        if currency is None:
            problems.append(("CurrencyId", "The CurrencyId field is required and must name an existing currency."))
        dates = {}
        for key in ("DateOfIssue", "DateOfMaturity", "DateOfTaxing"):
            try:
                dates[key] = _date_or_none(body.get(key))
            except QueryError:
                dates[key] = None
            if dates[key] is None:
                problems.append((key, f"The {key} field is required."))
        if dates.get("DateOfIssue") and dates.get("DateOfMaturity") and dates["DateOfMaturity"] < dates["DateOfIssue"]:
            problems.append(("DateOfMaturity", "DateOfMaturity must not be earlier than DateOfIssue."))
        description = body.get("Description")
        if not isinstance(description, str) or not description.strip():
            problems.append(("Description", "The Description field is required."))
        serial = body.get("DocumentSerialNumber")
        if not isinstance(serial, int) or isinstance(serial, bool) or serial < 1:
            problems.append(("DocumentSerialNumber", "The DocumentSerialNumber field is required."))
        for key in ("IsEet", "IsIncomeTax"):
            if not isinstance(body.get(key), bool):
                problems.append((key, f"The {key} field is required."))
        kind_number = {v[0]: v[1] for v in DOCUMENT_PATHS.values()}[doc_type]
        seq = next((s for s in account["_sequences"] if s["Id"] == body.get("NumericSequenceId")), None)
        if seq is None or seq["DocumentType"] != kind_number:
            problems.append(
                ("NumericSequenceId", "The NumericSequenceId field must name a numeric sequence of this document type.")
            )
        partner = next((c for c in account["_contacts"] if c["Id"] == body.get("PartnerId")), None)
        if partner is None:
            problems.append(("PartnerId", "The PartnerId field is required and must name an existing contact."))
        payment = next((p for p in seed.PAYMENT_OPTIONS if p["Id"] == body.get("PaymentOptionId")), None)
        if payment is None:
            problems.append(("PaymentOptionId", "The PaymentOptionId field is required."))
        for key, limit in (
            ("OrderNumber", 25),
            ("VariableSymbol", 10),
            ("Iban", 50),
            ("AccountNumber", 50),
            ("Swift", 11),
        ):
            value = body.get(key)
            if value is not None and (not isinstance(value, str) or len(value) > limit):
                problems.append((key, f"The field {key} must be a string with a maximum length of {limit}."))
        vs = body.get("VariableSymbol")
        if isinstance(vs, str) and vs and not vs.isdigit():
            problems.append(("VariableSymbol", "The VariableSymbol may contain digits only."))
        discount = body.get("DiscountPercentage", Decimal("0"))
        if not isinstance(discount, (int, Decimal)) or not 0 <= discount <= Decimal("99.99"):
            problems.append(("DiscountPercentage", "The field DiscountPercentage must be between 0 and 99.99."))
        credited = None
        if doc_type == "CreditNote":
            credited = account["_documents"].get(body.get("CreditedInvoiceId"))
            if credited is None or credited["_type"] != "IssuedInvoice":
                problems.append(
                    ("CreditedInvoiceId", "The CreditedInvoiceId field must name an existing issued invoice.")
                )
            reason = body.get("CreditNoteReason")
            if not isinstance(reason, str) or not reason.strip():
                problems.append(("CreditNoteReason", "The CreditNoteReason field is required."))
        proforma = self._accounted_proforma(account, doc_type, body, problems)
        items = self._check_items(account, body, problems)
        if problems:
            raise ValidationFailed(problems)
        year = dates["DateOfIssue"].year
        if serial <= 0 or serial in seq.setdefault("_used", {}).setdefault(year, set()):
            raise ApiError(
                409,
                f"Document serial number {serial} is already used in numeric sequence '{seq['Name']}' for {year}.",
                123,
            )
        number = format_number(seq["NumberFormat"], year, serial)
        if len(number) > 10:
            raise ValidationFailed([("DocumentSerialNumber", "The document number would exceed 10 characters.")])
        seq["_used"][year].add(serial)
        seq["_numbers"][year] = max(seq["_numbers"].get(year, 0), serial)
        for item in items:
            item["Id"] = self.next_item_id
            self.next_item_id += 1
        exchange = self._exchange(body)
        now = api_datetime(datetime.now())
        agenda = account["_agenda"]
        self.next_document_id += 1
        doc = {
            "_type": doc_type,
            "Id": self.next_document_id,
            "DocumentNumber": number,
            "DocumentSerialNumber": serial,
            "NumericSequenceId": seq["Id"],
            "VariableSymbol": vs or str(int("".join(ch for ch in number if ch.isdigit()) or "0")),
            "OrderNumber": body.get("OrderNumber") or "",
            "Description": description,
            "Note": body.get("Note") or "",
            "ItemsTextPrefix": body.get("ItemsTextPrefix") or "",
            "ItemsTextSuffix": body.get("ItemsTextSuffix") or "",
            "DateOfIssue": api_datetime(dates["DateOfIssue"]),
            "DateOfMaturity": api_datetime(dates["DateOfMaturity"]),
            "DateOfTaxing": api_datetime(dates["DateOfTaxing"]),
            "DateOfPayment": None,
            "CurrencyId": currency["Id"],
            "ExchangeRate": Decimal(str(body.get("ExchangeRate") or 1)),
            "ExchangeRateAmount": Decimal(str(body.get("ExchangeRateAmount") or 1)),
            "PaymentOptionId": payment["Id"],
            "PartnerId": partner["Id"],
            "ConstantSymbolId": body.get("ConstantSymbolId"),
            "DiscountPercentage": Decimal(discount),
            "IsEet": body["IsEet"],
            "IsIncomeTax": body["IsIncomeTax"],
            "ReportLanguage": _enum(body.get("ReportLanguage"), {"Cz": 1, "Sk": 2, "En": 3, "De": 4}) or 1,
            "PaymentStatus": 0,
            "IsSentToPurchaser": 0,
            "IsSentToAccountant": False,
            "Exported": 0,
            "VatRegime": 0,
            "Tags": [],
            "Attachments": [],
            "Items": items,
            "Prices": document_prices(items, exchange, Decimal("0.00")),
            "PartnerAddress": {
                k: partner.get(k, "")
                for k in (
                    "CompanyName",
                    "Firstname",
                    "Surname",
                    "Street",
                    "City",
                    "PostalCode",
                    "CountryId",
                    "IdentificationNumber",
                    "VatIdentificationNumber",
                    "VatIdentificationNumberSk",
                    "Email",
                )
            },
            "MyAddress": {
                **agenda["Contact"],
                "AccountNumber": body.get("AccountNumber") or "",
                "Iban": body.get("Iban") or "",
                "Swift": body.get("Swift") or "",
            },
            "Metadata": {"DateCreated": now, "DateLastChange": now, "UserCreatedId": 1, "UserLastChangeId": 1},
        }
        if doc_type == "ProformaInvoice":
            doc.update({"AccountedByInvoiceId": None, "IsAccounted": False})
        if doc_type == "CreditNote":
            doc.update(
                {
                    "CreditedInvoiceId": credited["Id"],
                    "CreditNoteReason": body["CreditNoteReason"],
                    "DateOfTaxingCreditedInvoice": credited["DateOfTaxing"],
                    "DateOfVatClaim": body.get("DateOfVatClaim"),
                }
            )
        if proforma is not None:
            doc["ProformaInvoices"] = [proforma["Id"]]
            proforma.update({"AccountedByInvoiceId": doc["Id"], "IsAccounted": True})
            if doc["Prices"]["TotalWithVat"] == 0:  # the advance covered everything
                doc.update({"PaymentStatus": 1, "DateOfPayment": proforma["DateOfPayment"]})
        account["_documents"][doc["Id"]] = doc
        return doc

    # -- proforma accounting --------------------------------------------------------------
    def _accounted_proforma(self, account: dict, doc_type: str, body: dict, problems: list) -> dict | None:
        """The proforma an invoice accounts (`ProformaInvoices`, at most one id), checked."""
        ids = body.get("ProformaInvoices")
        if not ids:
            return None
        if doc_type != "IssuedInvoice" or not isinstance(ids, list) or len(ids) != 1:
            problems.append(("ProformaInvoices", "An issued invoice may account exactly one proforma invoice."))
            return None
        return self._payable_proforma(account, ids[0])

    def _payable_proforma(self, account: dict, proforma_id: Any) -> dict:
        proforma = account["_documents"].get(proforma_id)
        if proforma is None or proforma["_type"] != "ProformaInvoice":
            raise ApiError(404, f"Entity ProformaInvoices with Id {proforma_id} was not found.")
        if proforma.get("IsAccounted"):
            raise ApiError(400, "The proforma invoice is already accounted.", 112)
        if proforma["PaymentStatus"] not in (1, 3):
            raise ApiError(400, "Only a fully paid proforma invoice can be accounted.", 113)
        return proforma

    def _proforma_account(self, account: dict, doc_id: str) -> Response:
        proforma = self._payable_proforma(account, int(doc_id))
        model = self._default_model(account, "IssuedInvoice")
        keep = (
            "Amount",
            "Code",
            "DiscountName",
            "DiscountPercentage",
            "IsTaxMovement",
            "Name",
            "PriceType",
            "Unit",
            "VatRateType",
        )
        items = [
            {
                **{k: i[k] for k in keep},
                "ItemType": 0,
                "PriceListItemId": None,
                "VatCodeId": None,
                "UnitPrice": i["Prices"]["UnitPrice"],
            }
            for i in proforma["Items"]
            if i["ItemType"] == 0
        ]
        for summary in proforma["Prices"]["VatRateSummary"]:
            items.append(
                {
                    "Amount": Decimal("1"),
                    "Code": "",
                    "DiscountName": "",
                    "DiscountPercentage": Decimal("0"),
                    "IsTaxMovement": False,
                    "ItemType": 2,
                    "Name": f"Odpočet zálohy {proforma['DocumentNumber']}",
                    "PriceListItemId": None,
                    "PriceType": 0,
                    "Unit": "",
                    "VatCodeId": None,
                    "UnitPrice": -summary["TotalWithVat"],
                    "VatRateType": summary["VatRateType"],
                }
            )
        model.update(
            {
                "PartnerId": proforma["PartnerId"],
                "CurrencyId": proforma["CurrencyId"],
                "Description": proforma["Description"],
                "OrderNumber": proforma["OrderNumber"],
                "PaymentOptionId": proforma["PaymentOptionId"],
                "ProformaInvoices": [proforma["Id"]],
                "Items": items,
            }
        )
        return envelope(model)

    # -- documents: read, delete ----------------------------------------------------------
    def _segment(self, segment: str) -> str:
        return next(k for k in DOCUMENT_PATHS if k.lower() == segment.lower())

    def _find(self, account: dict, doc_type: str, doc_id: int) -> dict:
        doc = account["_documents"].get(doc_id)
        if doc is None or doc["_type"] != doc_type:
            raise ApiError(404, f"Entity {TYPE_NAMES[doc_type]} with Id {doc_id} was not found.")
        return doc

    def _expanded(self, doc: dict, include: set[str]) -> dict:
        out = dict(doc)
        if "currency" in include:
            out["Currency"] = self._currency(doc["CurrencyId"])
        if "paymentoption" in include:
            out["PaymentOption"] = next(p for p in seed.PAYMENT_OPTIONS if p["Id"] == doc["PaymentOptionId"])
        return out

    def _currency(self, currency_id: int) -> dict:
        return next(c for c in seed.CURRENCIES if c["Id"] == currency_id)

    def _document_list(self, account: dict, segment: str) -> Response:
        doc_type = DOCUMENT_PATHS[self._segment(segment)][0]
        include = {p.strip().lower() for p in request.args.get("include", "").split(",") if p.strip()}
        rows = [d for d in account["_documents"].values() if d["_type"] == doc_type]
        return self._page(rows, DOCUMENT_FILTER, DOCUMENT_SORT, shape=lambda d: self._expanded(d, include))

    def _document_detail(self, account: dict, segment: str, doc_id: str) -> Response:
        doc = self._find(account, DOCUMENT_PATHS[self._segment(segment)][0], int(doc_id))
        return envelope(self._select(self._expanded(doc, {"currency", "paymentoption"})))

    def _document_delete(self, account: dict, segment: str, doc_id: str) -> Response:
        doc = self._find(account, DOCUMENT_PATHS[self._segment(segment)][0], int(doc_id))
        if any(d.get("CreditedInvoiceId") == doc["Id"] for d in account["_documents"].values()):
            raise ApiError(400, "The invoice has credit notes and cannot be deleted.", 400)
        del account["_documents"][doc["Id"]]
        return envelope(True)

    # -- PDF, e-mail, payments ------------------------------------------------------------
    def _pdf(self, account: dict, report: str, doc_id: str) -> Response:
        doc_type = next(v[0] for v in DOCUMENT_PATHS.values() if v[0].lower() == report.lower())
        doc = self._find(account, doc_type, int(doc_id))
        language = request.args.get("language", "")
        if language and language.lower() not in LANGUAGES:
            raise ApiError(400, f"The value '{language}' is not valid for language.", 400)
        code = self._currency(doc["CurrencyId"])["Code"]
        partner = doc["PartnerAddress"]["CompanyName"]
        content = render(
            TITLES[doc_type],
            doc["DocumentNumber"],
            doc["MyAddress"]["CompanyName"],
            partner,
            [
                ("Datum vystavení", doc["DateOfIssue"][:10]),
                ("DUZP", doc["DateOfTaxing"][:10]),
                ("Splatnost", doc["DateOfMaturity"][:10]),
                ("Variabilní symbol", doc["VariableSymbol"]),
            ],
            [
                (
                    i["Name"],
                    str(i["Amount"]),
                    str(i["Prices"]["UnitPrice"]),
                    str(i["VatRate"]),
                    str(i["Prices"]["TotalWithVat"]),
                )
                for i in doc["Items"]
            ],
            [
                ("Základ", f"{doc['Prices']['TotalWithoutVat']} {code}"),
                ("DPH", f"{doc['Prices']['TotalVat']} {code}"),
                ("Celkem", f"{doc['Prices']['TotalWithVat']} {code}"),
            ],
            watermark="iDoklad SANDBOX",
        )
        if request.args.get("compressed", "false").lower() == "true":
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.writestr(f"{doc['DocumentNumber']}.pdf", content)
            content = buffer.getvalue()
        return envelope(base64.b64encode(content).decode("ascii"))

    def _mail(self, account: dict, report: str) -> Response:
        doc_type = next(v[0] for v in DOCUMENT_PATHS.values() if v[0].lower() == report.lower())
        body = self._json_body()
        problems = []
        if not isinstance(body.get("DocumentId"), int):
            problems.append(("DocumentId", "The DocumentId field is required."))
        for key in ("SendToPartner", "SendToSelf", "SendToAccountant"):
            if not isinstance(body.get(key), bool):
                problems.append((key, f"The {key} field is required."))
        others = body.get("OtherRecipients") or []
        if (
            not isinstance(others, list)
            or len(others) > 5
            or not all(isinstance(e, str) and re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", e) for e in others)
        ):
            problems.append(("OtherRecipients", "OtherRecipients must be a list of at most 5 e-mail addresses."))
        if problems:
            raise ValidationFailed(problems)
        doc = self._find(account, doc_type, body["DocumentId"])
        recipients = list(others)
        partner_email = doc["PartnerAddress"].get("Email") or ""
        if body["SendToPartner"] and partner_email:
            recipients.append(partner_email)
        if body["SendToSelf"]:
            recipients.append("ucetni@demo.example")
        if body["SendToAccountant"]:
            recipients.append("accountant@demo.example")
        if not recipients:
            raise ApiError(400, "At least one recipient is needed.", 116)
        self.mails.append({"document": doc["Id"], "to": recipients, "subject": body.get("EmailSubject") or ""})
        doc["IsSentToPurchaser"] = 1
        return envelope({"Sent": recipients, "NotSent": []})


def _enum(value: Any, names: dict[str, int]) -> int | None:
    """Enums arrive as numbers (the SDK) or names (V2 docs say both are accepted)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value in names.values():
        return value
    if isinstance(value, str):
        return next((v for k, v in names.items() if k.lower() == value.lower()), None)
    return None


def _date_or_none(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise QueryError("not a date")
    return parse_datetime(value[:23] if "." in value else value[:19]).date()
