"""Fakturownia (PL): VAT invoices, proformas and corrections (credit notes) over the API
documented at github.com/fakturownia/API (README.md, KSeF.md).

Account: every call goes to the merchant's subdomain `https://{subdomain}.fakturownia.pl` with the
API token in the query string (see client.py; a local stand-in gets the same `Host` header).

Duplicate guard: every create carries `oid` = our idempotency key with `oid_unique: "yes"`, so
Fakturownia refuses a second invoice for the same key; that refusal is treated as "already issued"
and resolved by `GET /invoices.json?oid=<key>`, which is also what `find_by_reference` asks.

KSeF: drafts with `send_to_ksef` are created with `gov_save_and_send: true`; every document read
carries the KSeF state from `gov_status`, `gov_id` and `gov_error_messages` (mapping.ksef_state).
E-mail waits for the KSeF number: Fakturownia answers HTTP 200 with an error body until then,
mapped to not_ready so the worker tries again. An invoice with a KSeF number cannot be deleted:
that refusal is a conflict with a hint to issue a correction.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from .. import errors as codes
from ..base import (
    CAN_CREDIT_NOTE,
    CAN_DELETE,
    CAN_EMAIL,
    CAN_INVOICE,
    CAN_LIST,
    CAN_MARK_PAID,
    CAN_NUMBER_SERIES,
    CAN_PDF,
    CAN_PROFORMA,
    ConnectionSettings,
    Connector,
)
from ..documents import (
    CREDIT_NOTE,
    KSEF_ACCEPTED,
    KSEF_SENT,
    DocumentDraft,
    DocumentPage,
    Identity,
    NumberSeries,
    Payment,
    Pdf,
    RemoteDocument,
)
from ..errors import ConnectorError
from ..i18n import N_
from ..registry import register
from . import mapping
from .client import FakturowniaClient
from .errors import hint, is_oid_refusal
from .hints import HINT_OVERRIDES, HINTS
from .schema import MARKETS, SCHEMA, subdomain_of

# Activation reads the departments for verify() and again for the numbering choice.
REUSE_SECONDS = 60.0
# /account.json's reply is not documented field by field: the KSeF flag is read from any of these.
KSEF_ACCOUNT_KEYS = ("ksef", "ksef_active", "ksef_enabled", "ksef_connected", "gov_active", "gov_connected")

WARN_KSEF_NOT_CONNECTED = N_(
    "This Fakturownia account is not connected to KSeF, so its invoices cannot be sent to KSeF. In Fakturownia "
    "open Ustawienia > Integracje i dodatki > KSeF, activate the integration and authorise it for your NIP, "
    "then verify the connection again."
)
NO_CORRECTED_INVOICE = N_("Pick the invoice this credit note corrects.")
CORRECTED_INVOICE_NOT_FOUND = N_("Fakturownia has no invoice with this id to correct.")
CORRECTED_NOT_AN_INVOICE = N_("Only an invoice can be corrected, not a proforma.")


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "yes", "on", "active", "connected")


class FakturowniaConnector(Connector):
    key = "fakturownia"
    name = "Fakturownia"
    markets = MARKETS
    website = "https://fakturownia.pl"
    capabilities = frozenset(
        {
            CAN_INVOICE,
            CAN_PROFORMA,
            CAN_CREDIT_NOTE,
            CAN_LIST,
            CAN_PDF,
            CAN_EMAIL,
            CAN_MARK_PAID,
            CAN_NUMBER_SERIES,
            CAN_DELETE,
        }
    )
    schema = SCHEMA
    sandbox_port = 5104
    error_fields = {"account_not_found": ("subdomain",)}
    # UNCONFIRMED (facts "Checked again" 2): no documented limit; third parties say 1,000 requests
    # an hour (or two concurrent requests). The safe reading: stay within 1,000 an hour.
    rate_limit = (1000, 3600.0)
    customer_id_field = "client_id"
    hint_overrides = HINT_OVERRIDES
    hints = HINTS
    page_size = 50  # documents per list page (Fakturownia allows up to 100)

    def __init__(self, settings: ConnectionSettings) -> None:
        super().__init__(settings)
        self.subdomain = subdomain_of(self.config.get("subdomain"))
        self.base_url = settings.endpoints["api"].rstrip("/")
        self.client = FakturowniaClient(
            self.http,
            self.base_url,
            subdomain=self.subdomain,
            api_token=str(self.secrets.get("api_token") or "").strip(),
        )
        self._recent: dict[str, tuple[float, Any]] = {}

    @classmethod
    def endpoints(cls, config: Mapping[str, Any]) -> dict[str, str]:
        return {"api": f"https://{subdomain_of(config.get('subdomain')) or 'app'}.fakturownia.pl"}

    def _reuse(self, key: str, fetch: Callable[[], Any]) -> Any:
        cached = self._recent.get(key)
        if cached and time.monotonic() - cached[0] < REUSE_SECONDS:
            return cached[1]
        value = fetch()
        self._recent[key] = (time.monotonic(), value)
        return value

    def _departments(self) -> list[Mapping[str, Any]]:
        body = self._reuse("departments", lambda: self.client.get("/departments.json", "list_series"))
        return [row for row in body if isinstance(row, Mapping)] if isinstance(body, list) else []

    # -- verification ---------------------------------------------------------------------
    def verify(self) -> Identity:
        """GET /account.json: who we are connected as; the departments; whether KSeF is on."""
        self._recent.clear()
        account = self.client.get("/account.json", "verify")
        account = account if isinstance(account, Mapping) else {}
        departments = self._departments()
        default = next((d for d in departments if d.get("default")), departments[0] if departments else {})
        ksef = self._ksef_connected(account)
        warnings = (WARN_KSEF_NOT_CONNECTED,) if ksef is False else ()
        allows = ("api", "invoice", "proforma", "credit_note", "pdf", "send_email", "mark_paid")
        return Identity(
            company_name=str(
                account.get("name") or account.get("company_name") or default.get("name") or self.subdomain
            ),
            account_id=str(account.get("prefix") or self.subdomain),
            # No plan in any documented reply (UNCONFIRMED): shown when the account says it.
            plan=str(account.get("plan") or account.get("plan_name") or ""),
            user_email=str(account.get("email") or account.get("login") or ""),
            allows=allows + (("ksef",) if ksef else ()),
            warnings=warnings,
            country="PL",
            currency="PLN",
            extra={
                "tax_no": str(account.get("tax_no") or default.get("tax_no") or ""),
                "departments": len(departments),
                "ksef": ksef,
                "subdomain": self.subdomain,
            },
        )

    def _ksef_connected(self, account: Mapping[str, Any]) -> bool | None:
        """True/False when known. The account reply's fields are undocumented; without a flag there,
        the latest invoices' `gov_status` tells: `not_connected` means no KSeF authorisation."""
        for key in KSEF_ACCOUNT_KEYS:
            if key in account:
                return _truthy(account[key])
        body = self.client.get(
            "/invoices.json", "verify_ksef", [("period", "all"), ("per_page", 5), ("page", 1), ("kind", "vat")]
        )
        statuses = {
            str(row.get("gov_status") or "").removeprefix("demo_") for row in body or [] if isinstance(row, Mapping)
        }
        if "not_connected" in statuses:
            return False
        if statuses & {"ok", "processing", "send_error", "server_error"}:
            return True
        return None

    def list_number_series(self, kind: str = "invoice") -> list[NumberSeries]:
        return mapping.series_list(self._departments(), kind)

    # -- documents ------------------------------------------------------------------------
    def list_documents(self, page: int = 1, kind: str = "invoice") -> DocumentPage:
        """Every period (the list's default is this month only), newest first, with positions."""
        if kind not in mapping.KIND_TO_VENDOR:
            raise ConnectorError(codes.NOT_SUPPORTED, detail=f"no {kind} documents in Fakturownia")
        body = self.client.get(
            "/invoices.json",
            "list_invoices",
            [
                ("period", "all"),
                ("page", int(page)),
                ("per_page", self.page_size),
                ("kind", mapping.KIND_TO_VENDOR[kind]),
                ("include_positions", "true"),
            ],
        )
        if not isinstance(body, list):
            raise self.http.refused(ConnectorError(codes.REMOTE_ERROR, detail="unexpected list reply"))
        docs = [mapping.invoice_to_remote(row, self.base_url) for row in body if isinstance(row, Mapping)]
        # The list says nothing about totals: a full page means there may be another one.
        return DocumentPage(documents=docs, page=int(page), has_more=len(body) >= self.page_size)

    def _invoice(self, remote_id: str) -> Mapping[str, Any]:
        body = self.client.get(f"/invoices/{self._id(remote_id)}.json", "get_invoice")
        if not isinstance(body, Mapping) or not body.get("id"):
            raise self.http.refused(ConnectorError(codes.NOT_FOUND, detail=f"invoice {remote_id} not found"))
        return body

    def get_document(self, remote_id: str, kind: str = "invoice") -> RemoteDocument:
        return mapping.invoice_to_remote(self._invoice(remote_id), self.base_url)

    def create_document(self, draft: DocumentDraft, idempotency_key: str) -> RemoteDocument:
        corrected = self._corrected_invoice(draft) if draft.kind == CREDIT_NOTE else None
        payload = mapping.draft_to_payload(draft, self.config, idempotency_key, corrected)
        try:
            body = self.client.post("/invoices.json", payload, "create_invoice", creating=True)
        except ConnectorError as exc:
            if not is_oid_refusal(exc):
                raise
            # oid_unique refused: a document with our key exists, i.e. it was issued before.
            existing = self.find_by_reference(idempotency_key, draft)
            if existing is None:
                raise ConnectorError(
                    codes.CONFLICT,
                    detail=f"{exc.detail} (no document found for oid {idempotency_key})",
                    http_status=exc.http_status,
                ) from None
            return existing
        if not isinstance(body, Mapping) or not body.get("id"):
            # Success without an id: the document may exist anyway, so look it up before a retry.
            raise self.http.refused(
                ConnectorError(codes.REMOTE_ERROR, detail="Fakturownia answered without an invoice id", ambiguous=True)
            )
        document = mapping.invoice_to_remote(body, self.base_url)
        document.reference = idempotency_key
        return document

    def _corrected_invoice(self, draft: DocumentDraft) -> Mapping[str, Any]:
        """The invoice a credit note corrects, read first: its positions are the "before" side and a
        correction pointing at no invoice is refused here with a clear field message."""
        related = str(draft.related_remote_id or "").strip()
        if not related.isdigit():
            raise ConnectorError(
                codes.VALIDATION,
                detail="a credit note needs the invoice it corrects",
                fields={"related_remote_id": [NO_CORRECTED_INVOICE]},
            )
        try:
            invoice = self._invoice(related)
        except ConnectorError as exc:
            if exc.code != codes.NOT_FOUND:
                raise
            raise ConnectorError(
                codes.VALIDATION,
                detail=f"invoice {related} to correct not found",
                fields={"related_remote_id": [CORRECTED_INVOICE_NOT_FOUND]},
                http_status=exc.http_status,
            ) from None
        if str(invoice.get("kind") or "") not in mapping.KSEF_KINDS:
            raise ConnectorError(
                codes.VALIDATION,
                detail=f"document {related} is a {invoice.get('kind')}",
                fields={"related_remote_id": [CORRECTED_NOT_AN_INVOICE]},
            )
        return invoice

    def find_by_reference(self, idempotency_key: str, draft: DocumentDraft | None = None) -> RemoteDocument | None:
        body = self.client.get(
            "/invoices.json",
            "find_by_reference",
            [("oid", idempotency_key), ("period", "all"), ("include_positions", "true")],
        )
        matches = [row for row in body or [] if isinstance(row, Mapping) and str(row.get("oid")) == idempotency_key]
        if not matches:
            return None
        first = min(matches, key=lambda row: int(row["id"]) if str(row.get("id", "")).isdigit() else 0)
        document = mapping.invoice_to_remote(first, self.base_url)
        document.reference = idempotency_key
        return document

    def get_pdf(self, remote_id: str, kind: str = "invoice") -> Pdf:
        response = self.client.download(f"/invoices/{self._id(remote_id)}.pdf", "get_pdf")
        if not response.content.startswith(b"%PDF"):
            raise self.http.refused(
                ConnectorError(codes.REMOTE_ERROR, detail="the reply is not a PDF", http_status=response.status_code),
                response,
            )
        filename = f"fakturownia-{remote_id}.pdf"
        disposition = response.headers.get("Content-Disposition", "")
        if 'filename="' in disposition:
            filename = disposition.split('filename="', 1)[1].split('"', 1)[0] or filename
        return Pdf(content=response.content, filename=filename)

    def send_email(self, remote_id: str, to: str, kind: str = "invoice") -> None:
        """POST send_by_email; HTTP 200 may still carry {"status": "error"} (the client reads it)."""
        params: list[tuple[str, Any]] = [("email_pdf", "true")]
        if to:
            params.insert(0, ("email_to", to))
        self.client.post(f"/invoices/{self._id(remote_id)}/send_by_email.json", None, "send_email", params)

    def mark_paid(self, remote_id: str, payment: Payment, kind: str = "invoice") -> None:
        if kind == CREDIT_NOTE:
            # A correction's negative total is settled as a whole: change_status (README f11).
            self.client.post(
                f"/invoices/{self._id(remote_id)}/change_status.json", None, "mark_paid", [("status", "paid")]
            )
            return
        record: dict[str, Any] = {
            "name": payment.reference or f"Fynode {payment.paid_on.isoformat()}",
            "price": mapping.decimal_text(payment.amount),
            "invoice_ids": [int(self._id(remote_id))],
            "paid": True,
            "kind": "api",
            # Not in the README's example (UNCONFIRMED): the payment's date as the UI records it.
            "paid_date": payment.paid_on.isoformat(),
        }
        self.client.post("/banking/payments.json", {"banking_payment": record}, "mark_paid")

    def delete_document(self, remote_id: str, kind: str = "invoice") -> None:
        try:
            self.client.delete(f"/invoices/{self._id(remote_id)}.json", "delete_invoice")
        except ConnectorError as exc:
            if exc.is_auth or exc.code in (codes.NOT_FOUND, codes.RATE_LIMITED, codes.TIMEOUT, codes.UNREACHABLE):
                raise
            # The refusal's shape is not documented; an invoice in KSeF is what Fakturownia never deletes.
            try:
                document = self.get_document(remote_id)
            except ConnectorError:
                raise exc from None
            if document.ksef_status in (KSEF_ACCEPTED, KSEF_SENT) or document.ksef_number:
                raise ConnectorError(
                    codes.CONFLICT,
                    detail=f"{exc.detail} (KSeF {document.ksef_status} {document.ksef_number})".strip(),
                    http_status=exc.http_status,
                    hint_key=hint(codes.CONFLICT),
                ) from None
            raise

    @staticmethod
    def _id(remote_id: str) -> str:
        if not str(remote_id).isdigit():
            raise ConnectorError(codes.NOT_FOUND, detail=f"{remote_id!r} is not a Fakturownia id")
        return str(remote_id)


register(FakturowniaConnector)
