"""SuperFaktura (SK, CZ, AT): invoices, proforma invoices and credit notes over the REST API
documented at github.com/superfaktura/docs.

Idempotency uses the vendor's own guard: every create carries a `checksum` (our idempotency key,
or its MD5 when longer than 32 characters), and `find_by_reference` asks
`/api_logs/getResponseByChecksum/<checksum>` for the answer of an earlier create.
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
from ..documents import CREDIT_NOTE, DocumentDraft, DocumentPage, Identity, NumberSeries, Payment, Pdf, RemoteDocument
from ..errors import ConnectorError
from ..i18n import N_
from ..registry import register
from . import mapping
from .client import SuperFakturaClient
from .errors import hint
from .hints import HINT_OVERRIDES, HINTS
from .schema import MARKETS, SCHEMA

ORIGINS = {
    "SK": "https://moja.superfaktura.sk",
    "CZ": "https://moje.superfaktura.cz",
    "AT": "https://meine.superfaktura.at",
}
LOW_DAILY_QUOTA = 100
# Every call counts against 1,000 requests a day: activation asks for the series of three kinds
# and the bank accounts right after verify(), so one connector reuses those answers briefly.
REUSE_SECONDS = 60.0

WARN_NO_COMPANY_ID = N_(
    "No company ID is set, so SuperFaktura uses the first company of this login. "
    "Add the company ID to be sure documents go to the right company."
)
WARN_LOW_QUOTA = N_("Fewer than 100 SuperFaktura API requests are left for today.")
WARN_NOT_VAT_PAYER = N_("This company is not a VAT payer in SuperFaktura, so its documents show no VAT.")
WARN_NO_CREDIT_NOTE_SERIES = N_(
    "SuperFaktura lists no number series for credit notes; they are numbered with SuperFaktura's default."
)
# The right to issue. SuperFaktura documents no read-only call that tells a user's rights (the
# DOCS recommend a dedicated API user with the Administrator role, Settings > Users), so verify()
# asks `POST /invoices/create` with an empty document, `data={}`. That body can never create
# one: a client (Client.name or a client id) and at least one item are required, and the
# documented answer is the "Missing data" refusal `{"error": 4, "error_message":
# {"data_bad_format": "Missing required client data."}}` with HTTP 200 (invoice.md), which the
# integration log records as an answered call, not a failed one. A user without the right gets
# HTTP 403 "You can't create invoice" (invoice.md "Insufficient privileges").
# UNCONFIRMED: whether SuperFaktura checks the right before it looks at the body. So the probe
# can only prove the absence of the right: a 403 is a blocker; any other answer (the refusal of
# the empty document, or anything unexpected) proves nothing and is not the merchant's problem.
# A create refused later (rights removed after activation) pauses the connection all the same.
BLOCK_NO_RIGHT_TO_ISSUE = HINTS["superfaktura.permission_denied"]


class SuperFakturaConnector(Connector):
    key = "superfaktura"
    name = "SuperFaktura"
    markets = MARKETS
    website = "https://www.superfaktura.sk"
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
    sandbox_port = 5101
    error_fields = {"account_not_found": ("company_id", "market")}
    rate_limit = (1000, 86400.0)  # fair-use quota: 1,000 requests a day (DOCS faq.md)
    hint_overrides = HINT_OVERRIDES
    hints = HINTS
    page_size = 50  # documents per list page (SuperFaktura allows up to 200)

    def __init__(self, settings: ConnectionSettings) -> None:
        super().__init__(settings)
        self.base_url = settings.endpoints["api"].rstrip("/")
        self.client = SuperFakturaClient(
            self.http,
            self.base_url,
            email=str(self.config.get("email") or ""),
            api_key=str(self.secrets.get("api_key") or ""),
            company_id=str(self.config.get("company_id") or ""),
            module=f"{settings.app.name} {settings.app.version}",
        )
        self._recent: dict[str, tuple[float, Any]] = {}

    def _reuse(self, path: str, fetch: Callable[[], Any]) -> Any:
        """The answer to a read made less than REUSE_SECONDS ago by this connector, or a new one."""
        cached = self._recent.get(path)
        if cached and time.monotonic() - cached[0] < REUSE_SECONDS:
            return cached[1]
        value = fetch()
        self._recent[path] = (time.monotonic(), value)
        return value

    def _sequences(self) -> Any:
        return self._reuse("/sequences/index.json", lambda: self.client.get("/sequences/index.json", "list_series"))

    @classmethod
    def endpoints(cls, config: Mapping[str, Any]) -> dict[str, str]:
        market = str(config.get("market") or "SK").upper()
        return {"api": ORIGINS.get(market, ORIGINS["SK"])}

    # -- verification ---------------------------------------------------------------------
    def verify(self) -> Identity:
        """Company data (who we are connected as), the company-id check, the series, and whether the
        user may issue documents (a blocker when SuperFaktura refuses it)."""
        self._recent.clear()  # verification always asks afresh
        profile_id, company = self._current_company()
        wanted = str(self.config.get("company_id") or "").strip()
        if wanted and wanted != profile_id:
            # A company_id the login has no access to does not fail loudly at SuperFaktura (its
            # requests are even counted against a quota nobody sees): compare with the list.
            companies = self._companies(all_companies=True)
            if wanted not in companies:
                raise ConnectorError(
                    codes.ACCOUNT_NOT_FOUND,
                    hint_key=hint(codes.ACCOUNT_NOT_FOUND),
                    detail=f"company_id {wanted} is not among this login's companies ({', '.join(companies)})",
                )
            profile_id, company = wanted, companies[wanted]
        sequences = self._sequences()
        profile = company.get("UserProfile") or {}
        warnings = []
        if not wanted:
            warnings.append(WARN_NO_COMPANY_ID)
        daily = self.client.quota.get("X-RateLimit-DailyRemaining")
        if daily is not None and daily.lstrip("-").isdigit() and int(daily) < LOW_DAILY_QUOTA:
            warnings.append(WARN_LOW_QUOTA)
        if str(profile.get("tax_payer", "1")) == "0":
            warnings.append(WARN_NOT_VAT_PAYER)
        if not (isinstance(sequences, Mapping) and sequences.get("cancel")):
            warnings.append(WARN_NO_CREDIT_NOTE_SERIES)
        series = {
            kind: len(mapping.series_list(sequences, kind)) if isinstance(sequences, Mapping) else 0
            for kind in mapping.KIND_TO_TYPE
        }
        blockers = (BLOCK_NO_RIGHT_TO_ISSUE,) if self._refuses_to_issue() else ()
        return Identity(
            company_name=str(profile.get("company_name") or ""),
            account_id=profile_id,
            # Only the Premium package has API access, so a working API means Premium.
            plan="Premium",
            user_email=str(self.config.get("email") or ""),
            allows=("api", "invoice", "proforma", "credit_note", "pdf", "send_email", "mark_paid"),
            warnings=tuple(warnings),
            blockers=blockers,
            country=str(self.config.get("market") or "SK").upper(),
            currency=str(
                profile.get("home_currency") or ("CZK" if str(self.config.get("market")).upper() == "CZ" else "EUR")
            ),
            extra={
                "ico": profile.get("ico", ""),
                "dic": profile.get("dic", ""),
                "ic_dph": profile.get("ic_dph", ""),
                "vat_payer": str(profile.get("tax_payer", "1")) != "0",
                "home_currency": profile.get("home_currency", ""),
                "number_series": series,
                "bank_accounts": len(company.get("BankAccount") or []),
                "daily_remaining": daily,
                "monthly_remaining": self.client.quota.get("X-RateLimit-MonthlyRemaining"),
            },
        )

    def _refuses_to_issue(self) -> bool:
        """Whether SuperFaktura refuses this user the right to create documents (see
        BLOCK_NO_RIGHT_TO_ISSUE): only its permission answer counts; every other one proves nothing."""
        try:
            self.client.post("/invoices/create", {}, "check_issue_right")
        except ConnectorError as exc:
            if exc.code == codes.PERMISSION_DENIED:
                return True
            # The expected refusal of the empty document (or an answer that proves nothing): not
            # a failed call in the log.
            self.http.not_refused()
        return False

    def _companies(self, all_companies: bool = False) -> dict[str, dict]:
        path = "/users/getUserCompaniesData/1" if all_companies else "/users/getUserCompaniesData"
        body = self._reuse(path, lambda: self.client.get(path, "verify"))
        data = body.get("data") if isinstance(body, Mapping) else None
        if not isinstance(data, Mapping) or not data:
            raise ConnectorError(
                codes.ACCOUNT_NOT_FOUND,
                hint_key=hint(codes.ACCOUNT_NOT_FOUND),
                detail="SuperFaktura returned no company for this login",
            )
        return {str(key): dict(value) for key, value in data.items() if isinstance(value, Mapping)}

    def _current_company(self) -> tuple[str, dict]:
        companies = self._companies()
        profile_id, company = next(iter(companies.items()))
        return str((company.get("UserProfile") or {}).get("id") or profile_id), company

    def list_choices(self, source: str) -> list[tuple[str, str]]:
        if source == "bank_accounts":
            _, company = self._current_company()
            return [
                (
                    str(bank.get("id")),
                    " ".join(str(bank.get(k) or "") for k in ("bank_name", "iban")).strip()
                    or str(bank.get("account") or bank.get("id")),
                )
                for bank in company.get("BankAccount") or []
                if isinstance(bank, Mapping)
            ]
        return super().list_choices(source)

    def list_number_series(self, kind: str = "invoice") -> list[NumberSeries]:
        sequences = self._sequences()
        return mapping.series_list(sequences, kind) if isinstance(sequences, Mapping) else []

    # -- documents ------------------------------------------------------------------------
    def list_documents(self, page: int = 1, kind: str = "invoice") -> DocumentPage:
        """This year's documents (SuperFaktura's default `created` filter), newest first."""
        if kind not in mapping.KIND_TO_TYPE:
            raise ConnectorError(codes.NOT_SUPPORTED, detail=f"no {kind} documents in SuperFaktura")
        vendor_type = mapping.KIND_TO_TYPE[kind]
        body = self.client.get(
            f"/invoices/index.json/listinfo:1/type:{vendor_type}/page:{int(page)}"
            f"/per_page:{self.page_size}/sort:id/direction:DESC",
            "list_invoices",
        )
        if not isinstance(body, Mapping):
            raise self.http.refused(ConnectorError(codes.REMOTE_ERROR, detail="unexpected list reply"))
        docs = [mapping.invoice_to_remote(item, self.base_url) for item in body.get("items") or []]
        pages = int(body.get("pageCount") or 1)
        return DocumentPage(
            documents=docs,
            page=int(body.get("page") or page),
            has_more=int(page) < pages,
            total_pages=pages,
            total_count=int(body.get("itemCount") or len(docs)),
        )

    def get_document(self, remote_id: str, kind: str = "invoice") -> RemoteDocument:
        body = self.client.get(f"/invoices/view/{self._id(remote_id)}.json", "get_invoice")
        if not isinstance(body, Mapping) or not (body.get("Invoice") or {}).get("id"):
            raise self.http.refused(ConnectorError(codes.NOT_FOUND, detail=f"invoice {remote_id} not found"))
        return mapping.invoice_to_remote(body, self.base_url)

    def create_document(self, draft: DocumentDraft, idempotency_key: str) -> RemoteDocument:
        if draft.kind == CREDIT_NOTE and not str(draft.related_remote_id).isdigit():
            raise ConnectorError(
                codes.VALIDATION,
                detail="a credit note needs the invoice it corrects",
                fields={"related_remote_id": [N_("Pick the invoice this credit note corrects.")]},
            )
        checksum = mapping.checksum_for(idempotency_key)
        payload = mapping.draft_to_payload(draft, self.config, checksum)
        self._recent.pop("/sequences/index.json", None)  # the next numbers move on
        body = self.client.post("/invoices/create", payload, "create_invoice", creating=True)
        data = body.get("data") if isinstance(body, Mapping) else None
        if not isinstance(data, Mapping) or not (data.get("Invoice") or {}).get("id"):
            # Success without an invoice id: the vendor's WooCommerce plugin treats it as a
            # failure; the document may exist anyway, so look it up before any retry.
            raise self.http.refused(
                ConnectorError(codes.REMOTE_ERROR, detail="SuperFaktura answered without an invoice id", ambiguous=True)
            )
        document = mapping.invoice_to_remote(data, self.base_url)
        document.reference = checksum
        return document

    def find_by_reference(self, idempotency_key: str, draft: DocumentDraft | None = None) -> RemoteDocument | None:
        checksum = mapping.checksum_for(idempotency_key)
        try:
            body = self.client.get(f"/api_logs/getResponseByChecksum/{checksum}", "find_by_reference")
        except ConnectorError as exc:
            if exc.code == codes.NOT_FOUND:
                # "No such request" is the look-up's answer, not a failed call in the log.
                self.http.not_refused()
                return None
            raise
        data = body.get("data") if isinstance(body, Mapping) and not body.get("error") else None
        remote_id = str(((data or {}).get("Invoice") or {}).get("id") or "")
        if not remote_id:
            return None  # the stored answer was a failure: nothing was created
        try:
            document = self.get_document(remote_id)
        except ConnectorError as exc:
            if exc.code == codes.NOT_FOUND:
                self.http.not_refused()
                return None  # created, then deleted in SuperFaktura
            raise
        document.reference = checksum
        return document

    def get_pdf(self, remote_id: str, kind: str = "invoice") -> Pdf:
        response = self.client.download(f"/invoices/pdf/{self._id(remote_id)}", "get_pdf")
        if not response.content.startswith(b"%PDF"):
            raise self.http.refused(
                ConnectorError(codes.REMOTE_ERROR, detail="the reply is not a PDF", http_status=response.status_code),
                response,
            )
        filename = f"superfaktura-{remote_id}.pdf"
        disposition = response.headers.get("Content-Disposition", "")
        if 'filename="' in disposition:
            filename = disposition.split('filename="', 1)[1].split('"', 1)[0] or filename
        return Pdf(content=response.content, filename=filename)

    def send_email(self, remote_id: str, to: str, kind: str = "invoice") -> None:
        self.client.post("/invoices/send", {"Email": {"invoice_id": int(self._id(remote_id)), "to": to}}, "send_email")

    def mark_paid(self, remote_id: str, payment: Payment, kind: str = "invoice") -> None:
        amount = payment.amount
        if kind == CREDIT_NOTE:
            # A credit note's total is negative and an unspecified amount defaults to that total
            # (invoice.md "Pay invoice"), so its settlement is recorded with the same sign.
            amount = -abs(amount)
        record: dict[str, Any] = {
            "invoice_id": int(self._id(remote_id)),
            "amount": amount,
            "payment_type": mapping.PAYMENT_TYPES.get(payment.method, "other"),
            # The docs' table says `date`; their example and both official clients send `created`.
            "created": payment.paid_on.isoformat(),
        }
        if payment.currency:
            record["currency"] = payment.currency.upper()
        self.client.post("/invoice_payments/add/ajax:1/api:1", {"InvoicePayment": record}, "mark_paid")

    def delete_document(self, remote_id: str, kind: str = "invoice") -> None:
        self.client.delete(f"/invoices/delete/{self._id(remote_id)}", "delete_invoice")

    @staticmethod
    def _id(remote_id: str) -> str:
        if not str(remote_id).isdigit():
            raise ConnectorError(codes.NOT_FOUND, detail=f"{remote_id!r} is not a SuperFaktura id")
        return str(remote_id)


register(SuperFakturaConnector)
