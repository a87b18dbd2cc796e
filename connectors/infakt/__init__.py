"""inFakt (PL): VAT invoices, proformas and corrections over inFakt API v3
(api.infakt.pl/api/v3; infakt/API readme.md and ksef.md; facts file A2), connected with an API key
sent as the `X-inFakt-ApiKey` header.

Creating is asynchronous, as documented: `POST /async/invoices.json` (or
`/async/corrective_invoices.json`) answers 202 with `invoice_task_reference_number`; the connector
then polls `GET /async/<resource>/status/{ref}.json` with short sleeps until `processing_code`
201 (created, with `invoice_uuid`) or a failure (422 with `invoice_errors`), within the
transport's time budget (`Transport.deadline`, else `task_wait_seconds`). Codes 100/120/140 mean
accepted/queued/processing (3rd-party description of the interactive docs, as the sandbox does).
If the budget runs out first, `create_document` raises an ambiguous `timeout` whose detail carries
the task reference.

Exactly once (inFakt has no idempotency key):
1. the task reference of every accepted create is remembered per idempotency key in this object
   and in the token cache (which the web app keeps on the integration row, shared by processes);
2. our key is written into the invoice's `notes` as `[fynode:<key>]`.
`find_by_reference(key, draft)` first resumes a remembered task (done: that invoice; failed:
nothing was created; still processing: an ambiguous timeout again, never "not found"), then
searches `q[notes_cont]=[fynode:<key>]`. A worker that died while polling (its token-cache
write may be lost with its transaction) finds the invoice through `notes` once inFakt has
processed the task, which takes seconds; the documents engine looks up only after its lease of
several minutes has run out.

KSeF: inFakt sends nothing to KSeF on its own. With `draft.send_to_ksef` (VAT invoices and
corrections) the connector calls `POST /<resource>/{uuid}/send_to_ksef.json` right after the create
and reports the state in the returned document; a failure there never fails the create (the
invoice exists). `send_to_ksef(remote_id, kind)` sends later (after the merchant fixed the data)
and never twice: an invoice whose KSeF status is sent or accepted is not sent again.
`ksef_status(remote_id)` reads `GET /ksef/documents/{uuid}/status.json`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import date
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
    INVOICE,
    KSEF_ACCEPTED,
    KSEF_REJECTED,
    KSEF_SENT,
    KSEF_WAITING,
    PROFORMA,
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
from .client import InfaktClient
from .errors import task_error
from .hints import HINT_OVERRIDES, HINTS
from .schema import MARKETS, SCHEMA

PRODUCTION_API = "https://api.infakt.pl/api/v3"
PAGE_SIZE = 100  # the documented maximum `limit`
PENDING_CODES = frozenset({100, 120, 140})
DONE_CODES = frozenset({200, 201})
TASKS_KEPT_SECONDS = 7 * 24 * 3600  # remembered task references are dropped after a week
RESOURCES = {INVOICE: "invoices", PROFORMA: "invoices", CREDIT_NOTE: "corrective_invoices"}
BODY_KEYS = {"invoices": "invoice", "corrective_invoices": "corrective_invoice"}
NEXT_NUMBER_KINDS = {INVOICE: "vat", PROFORMA: "proforma"}
UNPAID_PLANS = frozenset({"free", "trial", "unknown"})
REQUIRED = N_("This field is required.")

WARN_KSEF_NOT_CONNECTED = N_(
    "This inFakt account is not connected to KSeF, so invoices cannot be sent there from inFakt. Connect it in "
    "inFakt (Ustawienia > KSeF) with a token from the Ministry of Finance's KSeF application, then verify the "
    "connection again."
)
WARN_UNPAID_PLAN = N_("Without a paid inFakt plan inFakt sends at most 20 invoices a day by e-mail.")
WARN_KSEF_UNKNOWN = N_(
    "inFakt did not tell whether this account is connected to KSeF; this API key may lack the right to read it."
)


class InfaktConnector(Connector):
    key = "infakt"
    name = "inFakt"
    markets = MARKETS
    website = "https://www.infakt.pl"
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
    sandbox_port = 5105
    sensitive_headers = frozenset({"x-infakt-apikey"})
    # Documented per IP: GET 300 and POST/PUT/DELETE 150 per 60 s; one quota for every call stays
    # under both.
    rate_limit = (150, 60.0)
    # Not reused: with `client_id` inFakt prints its stored client card instead of the order's buyer
    # data (see mapping), so every invoice carries the buyer inline.
    customer_id_field = ""
    hint_overrides = HINT_OVERRIDES
    hints = HINTS
    task_wait_seconds = 30.0  # polling budget when the transport sets no deadline
    poll_interval = 0.25  # first sleep between status polls; grows to poll_interval_max
    poll_interval_max = 1.0
    TOKEN_CACHE_TASKS = "infakt_tasks"

    def __init__(self, settings: ConnectionSettings) -> None:
        super().__init__(settings)
        self.base_url = settings.endpoints["api"].rstrip("/")
        self.client = InfaktClient(self.http, self.base_url, str(self.secrets.get("api_key") or "").strip())
        self._tasks: dict[str, dict[str, Any]] = {}

    @classmethod
    def endpoints(cls, config: Mapping[str, Any]) -> dict[str, str]:
        return {"api": PRODUCTION_API}

    # -- verify ---------------------------------------------------------------------------
    def verify(self) -> Identity:
        if not self.client.api_key:
            raise ConnectorError(
                codes.VALIDATION, detail="Missing connection settings.", fields={"api_key": [REQUIRED]}
            )
        details = self.client.get_json("/account/details.json", operation="verify") or {}
        account = details.get("account_data") or {}
        company = details.get("company_data") or {}
        subscription = details.get("current_subscription") or {}
        ksef = self._ksef_integration()
        plan_symbol = str(subscription.get("user_type_symbol") or "")
        warnings = []
        if ksef is False:
            warnings.append(WARN_KSEF_NOT_CONNECTED)
        elif ksef is None:
            warnings.append(WARN_KSEF_UNKNOWN)
        if plan_symbol in UNPAID_PLANS:
            warnings.append(WARN_UNPAID_PLAN)
        allows = ("api", "invoices", "proforma", "credit_note", "send_email") + (("ksef",) if ksef else ())
        name = (
            company.get("company_name")
            or " ".join(p for p in (company.get("first_name"), company.get("last_name")) if p)
            or account.get("email")
            or ""
        )
        return Identity(
            company_name=name,
            account_id=str(company.get("tax_id") or account.get("uuid") or ""),
            plan=str(subscription.get("name") or plan_symbol),
            user_email=account.get("email") or "",
            allows=allows,
            warnings=tuple(warnings),
            country="PL",
            currency="PLN",
            extra={
                "nip": company.get("tax_id"),
                "role": account.get("role"),
                "plan_symbol": plan_symbol,
                "plan_expires": subscription.get("expired_on"),
                "ksef_connected": ksef,
            },
        )

    def _ksef_integration(self) -> bool | None:
        """`GET /ksef2/integration.json` -> `active` (needs only api:invoices:read); the legacy
        `/ksef/integration.json` answers the same but needs api:ksef:integration:write."""
        for path in ("/ksef2/integration.json", "/ksef/integration.json"):
            try:
                return bool((self.client.get_json(path, operation="verify") or {}).get("active"))
            except ConnectorError as exc:
                if exc.code not in (codes.NOT_FOUND, codes.PERMISSION_DENIED):
                    raise
        return None

    # -- documents ------------------------------------------------------------------------
    def list_documents(self, page: int = 1, kind: str = "invoice") -> DocumentPage:
        """`invoice`: the whole `/invoices.json` resource, VAT invoices and proformas (each mapped with
        its own kind), which is what an import of existing invoices wants; `proforma`: proformas only
        (`q[kind_eq]=proforma`); `credit_note`: `/corrective_invoices.json`. Pages of `PAGE_SIZE`."""
        params: dict[str, Any] = {"offset": (max(page, 1) - 1) * PAGE_SIZE, "limit": PAGE_SIZE}
        if kind == PROFORMA:
            params["q[kind_eq]"] = "proforma"
        data = self.client.get_json(f"/{RESOURCES[kind]}.json", operation="list_invoices", params=params) or {}
        entities = list(data.get("entities") or [])
        meta = data.get("metainfo") or {}
        total = meta.get("total_count")
        has_more = bool(meta.get("next")) or (total is not None and params["offset"] + PAGE_SIZE < int(total))
        return DocumentPage(
            [mapping.remote_document(e) for e in entities],
            page,
            has_more=has_more,
            total_pages=-(-int(total) // PAGE_SIZE) if total is not None else None,
            total_count=int(total) if total is not None else None,
        )

    def _invoice(self, remote_id: str, kind: str = INVOICE, operation: str = "get_invoice") -> dict[str, Any]:
        return self.client.get_json(f"/{RESOURCES.get(kind, 'invoices')}/{remote_id}.json", operation=operation) or {}

    def get_document(self, remote_id: str, kind: str = "invoice") -> RemoteDocument:
        return mapping.remote_document(self._invoice(remote_id, kind))

    def create_document(self, draft: DocumentDraft, idempotency_key: str) -> RemoteDocument:
        if draft.kind == CREDIT_NOTE:
            if not draft.related_remote_id:
                raise ConnectorError(
                    codes.VALIDATION,
                    detail="A correction needs the invoice it corrects.",
                    hint_key="infakt.correction_needs_invoice",
                    fields={"corrected_invoice_uuid": [N_("Choose the invoice this credit note corrects.")]},
                )
            corrected = self._invoice(draft.related_remote_id, INVOICE)
            payload = mapping.correction_payload(draft, idempotency_key, corrected)
        else:
            payload = mapping.invoice_payload(draft, idempotency_key, self.config)
        resource = RESOURCES[draft.kind]
        accepted = (
            self.client.post_json(f"/async/{resource}.json", {BODY_KEYS[resource]: payload}, operation="create_invoice")
            or {}
        )
        ref = str(accepted.get("invoice_task_reference_number") or "")
        if not ref:
            raise ConnectorError(
                codes.REMOTE_ERROR, ambiguous=True, detail="inFakt accepted the document without a task reference."
            )
        self._remember_task(idempotency_key, ref, resource)
        status = self._await_task(resource, ref, idempotency_key)
        return self._finish(draft, status, resource, idempotency_key)

    def _finish(self, draft: DocumentDraft | None, status: dict[str, Any], resource: str, key: str) -> RemoteDocument:
        """The task is done: fetch the invoice, then send it to KSeF when the draft asks."""
        uuid = str(status.get("invoice_uuid") or "")
        kind = CREDIT_NOTE if resource == "corrective_invoices" else INVOICE
        try:
            document = self.get_document(uuid, kind)
        except ConnectorError as exc:
            # Created, but its reading failed: the caller must look it up, not create again.
            ref = status.get("invoice_task_reference_number")
            raise ConnectorError(
                exc.code,
                detail=f"inFakt created {uuid} (task {ref}) but reading it failed: {exc.detail}",
                retry_at=exc.retry_at,
                ambiguous=True,
                http_status=exc.http_status,
            ) from None
        self._forget_task(key)
        if draft is not None and draft.paid and document.kind != CREDIT_NOTE and document.status != "paid":
            document = self._paid_after_create(document, draft)
        if draft is not None and draft.send_to_ksef and document.kind != PROFORMA:
            document = self._send_after_create(document)
        return document

    def _paid_after_create(self, document: RemoteDocument, draft: DocumentDraft) -> RemoteDocument:
        """New invoices are always drafts (documented), so a paid order's invoice is marked paid
        next; its failure never fails the create (the invoice exists), the caller sees `status`."""
        try:
            self.mark_paid(document.remote_id, Payment(amount=document.total, paid_on=draft.issue_date), document.kind)
        except ConnectorError as exc:
            document.raw_id_fields["paid_error_code"] = exc.hint_key or exc.code
            return document
        try:
            return self.get_document(document.remote_id, document.kind)
        except ConnectorError:
            return document

    def _send_after_create(self, document: RemoteDocument) -> RemoteDocument:
        if document.ksef_status in (KSEF_SENT, KSEF_ACCEPTED):
            return document
        try:
            return self.send_to_ksef(document.remote_id, document.kind)
        except ConnectorError as exc:
            # The invoice exists: the KSeF step's failure is its state, not the create's.
            definite = exc.code in (codes.VALIDATION, codes.CONFLICT) and not exc.ambiguous
            document.ksef_status = KSEF_REJECTED if definite else KSEF_WAITING
            document.ksef_errors = [exc.detail] if definite and exc.detail else []
            document.raw_id_fields["ksef_error_code"] = exc.hint_key or exc.code
            return document

    # -- asynchronous tasks ---------------------------------------------------------------
    def _status(self, resource: str, ref: str) -> dict[str, Any]:
        """`GET /async/<resource>/status/{ref}.json`. Only the invoices path is documented; for
        corrections the analogous path is asked first (UNCONFIRMED), then the invoices one."""
        paths = [f"/async/{resource}/status/{ref}.json"]
        if resource != "invoices":
            paths.append(f"/async/invoices/status/{ref}.json")
        for path in paths:
            try:
                return self.client.get_json(path, operation="task_status") or {}
            except ConnectorError as exc:
                if exc.code != codes.NOT_FOUND or path == paths[-1]:
                    raise
        return {}

    def _budget_end(self) -> float:
        remaining = self.http._remaining()
        return time.monotonic() + (self.task_wait_seconds if remaining is None else remaining)

    def _await_task(self, resource: str, ref: str, key: str) -> dict[str, Any]:
        """Poll until the task is done (its status) or failed (ConnectorError validation); an
        ambiguous error when the budget runs out or a poll fails while inFakt may be creating."""
        end = self._budget_end()
        interval = self.poll_interval
        while True:
            try:
                status = self._status(resource, ref)
            except ConnectorError as exc:
                raise self._pending(ref, exc) from None
            code = int(status.get("processing_code") or 0)
            if code in DONE_CODES and status.get("invoice_uuid"):
                return status
            if code >= 400:
                self._forget_task(key)
                # The task's status arrived with HTTP 200: the log marks that answer as the refusal.
                raise self.http.refused(task_error(status))
            # Leave time for reading the invoice once the task is done.
            if time.monotonic() + interval + 0.5 > end:
                raise self._pending(ref)
            time.sleep(interval)
            interval = min(interval * 1.5, self.poll_interval_max)

    @staticmethod
    def _pending(ref: str, cause: ConnectorError | None = None) -> ConnectorError:
        detail = f"inFakt is still processing task {ref}; look the document up before creating it again."
        if cause is None or cause.code == codes.TIMEOUT:
            return ConnectorError(codes.TIMEOUT, detail=detail, ambiguous=True, hint_key="infakt.task_pending")
        return ConnectorError(
            cause.code,
            detail=f"{detail} ({cause.detail})",
            ambiguous=True,
            retry_at=cause.retry_at,
            http_status=cause.http_status,
            hint_key=cause.hint_key,
        )

    def _stored_tasks(self) -> dict[str, Any]:
        return dict((self.settings.token_cache.load() or {}).get(self.TOKEN_CACHE_TASKS) or {})

    def _remember_task(self, key: str, ref: str, resource: str) -> None:
        entry = {"ref": ref, "resource": resource, "at": time.time()}
        self._tasks[key] = entry
        cache = self.settings.token_cache
        with cache.lock():
            data = cache.load() or {}
            tasks = {
                k: v
                for k, v in (data.get(self.TOKEN_CACHE_TASKS) or {}).items()
                if time.time() - float(v.get("at") or 0) < TASKS_KEPT_SECONDS
            }
            tasks[key] = entry
            cache.save({**data, self.TOKEN_CACHE_TASKS: tasks})

    def _forget_task(self, key: str) -> None:
        self._tasks.pop(key, None)
        cache = self.settings.token_cache
        with cache.lock():
            data = cache.load() or {}
            tasks = dict(data.get(self.TOKEN_CACHE_TASKS) or {})
            if key in tasks:
                tasks.pop(key)
                cache.save({**data, self.TOKEN_CACHE_TASKS: tasks})

    def pending_task(self, idempotency_key: str) -> str:
        """The reference of a create task accepted for this key and not finished yet ("" if none)."""
        entry = self._tasks.get(idempotency_key) or self._stored_tasks().get(idempotency_key) or {}
        return str(entry.get("ref") or "")

    # -- the duplicate guard --------------------------------------------------------------
    def find_by_reference(self, idempotency_key: str, draft: DocumentDraft | None = None) -> RemoteDocument | None:
        entry = self._tasks.get(idempotency_key) or self._stored_tasks().get(idempotency_key)
        if entry:
            resource = entry.get("resource") or "invoices"
            try:
                status = self._await_task(resource, entry["ref"], idempotency_key)
            except ConnectorError as exc:
                if exc.code == codes.VALIDATION and not exc.ambiguous:
                    return None  # the task failed: nothing was created
                if exc.code != codes.NOT_FOUND:
                    raise
                self._forget_task(idempotency_key)  # inFakt no longer knows the task: search notes
            else:
                return self._finish(draft, status, resource, idempotency_key)
        kinds = [draft.kind] if draft is not None else [INVOICE, PROFORMA, CREDIT_NOTE]
        marker = mapping.reference_marker(idempotency_key)
        for resource in dict.fromkeys(RESOURCES[k] for k in kinds):
            data = (
                self.client.get_json(
                    f"/{resource}.json",
                    operation="find_by_reference",
                    params={"q[notes_cont]": marker, "limit": PAGE_SIZE},
                )
                or {}
            )
            found = [
                e for e in data.get("entities") or [] if mapping.reference_from_notes(e.get("notes")) == idempotency_key
            ]
            if found:
                document = mapping.remote_document(min(found, key=lambda e: e.get("id") or 0))
                if (
                    draft is not None
                    and draft.send_to_ksef
                    and document.kind != PROFORMA
                    and document.ksef_status not in (KSEF_SENT, KSEF_ACCEPTED)
                ):
                    # A worker that stopped between the create and the KSeF step: finish it.
                    document = self._send_after_create(document)
                return document
        return None

    # -- KSeF -----------------------------------------------------------------------------
    def send_to_ksef(self, remote_id: str, kind: str = "invoice") -> RemoteDocument:
        """Send an invoice or correction to KSeF (`POST /<resource>/{uuid}/send_to_ksef.json`), at most
        once: one already sent or accepted is returned as it is. A rejected one is sent again (after
        the merchant fixed it). 422 "not integrated with KSeF" -> validation, hint infakt.ksef_not_integrated."""
        if kind == PROFORMA:
            raise ConnectorError(codes.NOT_SUPPORTED, detail="Proformas are not sent to KSeF.")
        document = self.get_document(remote_id, kind)
        if document.ksef_status in (KSEF_SENT, KSEF_ACCEPTED) or document.kind == PROFORMA:
            return document
        reply = (
            self.client.post_json(
                f"/{RESOURCES[document.kind]}/{remote_id}/send_to_ksef.json", None, operation="send_to_ksef"
            )
            or {}
        )
        status, number, reasons = mapping.ksef_state(
            {"kind": "vat", "ksef_data": reply, "ksef_number": reply.get("ksef_number")}
        )
        document.ksef_status, document.ksef_number, document.ksef_errors = status, number, reasons
        return document

    def ksef_status(self, remote_id: str) -> tuple[str, str, list[str]]:
        """(KSeF state, KSeF number, rejection reasons) from `GET /ksef/documents/{uuid}/status.json`."""
        reply = self.client.get_json(f"/ksef/documents/{remote_id}/status.json", operation="ksef_status") or {}
        return mapping.ksef_state({"kind": "vat", "ksef_data": reply, "ksef_number": reply.get("ksef_number")})

    # -- other operations -----------------------------------------------------------------
    def get_pdf(self, remote_id: str, kind: str = "invoice") -> Pdf:
        """`GET /<resource>/{uuid}/pdf.json?document_type=original&locale=pl` answers the PDF itself.
        Downloading marks the invoice "printed" in inFakt (documented)."""
        response = self.client.call(
            "GET",
            f"/{RESOURCES[kind]}/{remote_id}/pdf.json",
            operation="get_pdf",
            accept="application/pdf",
            params={"document_type": "original", "locale": self._locale()},
        )
        if not response.content.startswith(b"%PDF"):
            raise ConnectorError(
                codes.REMOTE_ERROR,
                detail="inFakt answered something that is not a PDF.",
                http_status=response.status_code,
            )
        return Pdf(
            response.content,
            f"infakt-{remote_id}.pdf",
            response.headers.get("Content-Type", "application/pdf").split(";")[0],
        )

    def _locale(self) -> str:
        return str(self.config.get("locale") or "pl") if self.config.get("locale") in ("pl", "en", "pe") else "pl"

    def send_email(self, remote_id: str, to: str, kind: str = "invoice") -> None:
        body: dict[str, Any] = {"print_type": "original", "locale": self._locale(), "send_copy": False}
        if to:
            body["recipient"] = to
        self.client.post_json(f"/{RESOURCES[kind]}/{remote_id}/deliver_via_email.json", body, operation="send_email")

    def mark_paid(self, remote_id: str, payment: Payment, kind: str = "invoice") -> None:
        """`POST /async/<resource>/{uuid}/paid.json` with `paid_date`. Asynchronous: the answer only
        means accepted; when it carries a task reference the task is followed within the budget
        (a failure through the task is raised, a task still running is left to inFakt)."""
        resource = RESOURCES[kind]
        reply = (
            self.client.post_json(
                f"/async/{resource}/{remote_id}/paid.json",
                {"paid_date": payment.paid_on.isoformat()},
                operation="mark_paid",
            )
            or {}
        )
        ref = str(reply.get("invoice_task_reference_number") or "")
        if not ref:
            return
        end = self._budget_end()
        interval = self.poll_interval
        while time.monotonic() + interval < end:
            time.sleep(interval)
            status = self._status(resource, ref)
            code = int(status.get("processing_code") or 0)
            if code in DONE_CODES:
                return
            if code >= 400:
                error = task_error(status)
                if "zapłacon" in error.detail.lower() or "paid" in error.detail.lower():
                    error.code = codes.CONFLICT
                raise error
            interval = min(interval * 1.5, self.poll_interval_max)

    def list_number_series(self, kind: str = "invoice") -> list[NumberSeries]:
        """inFakt numbers each kind in one account-wide sequence; `next_number.json?kind=` tells the next
        number (vat, proforma; corrections have no documented preview)."""
        if kind not in NEXT_NUMBER_KINDS:
            return []
        data = (
            self.client.get_json(
                "/invoices/next_number.json",
                operation="list_series",
                params={"kind": NEXT_NUMBER_KINDS[kind], "date": date.today().isoformat()},
            )
            or {}
        )
        return [
            NumberSeries(
                id=NEXT_NUMBER_KINDS[kind],
                name=NEXT_NUMBER_KINDS[kind],
                kind=kind,
                default=True,
                next_number=str(data.get("next_number") or ""),
            )
        ]

    def delete_document(self, remote_id: str, kind: str = "invoice") -> None:
        """`DELETE /<resource>/{uuid}.json`; a locked one (sent to KSeF, booked) answers 423 -> conflict."""
        self.client.call("DELETE", f"/{RESOURCES[kind]}/{remote_id}.json", operation="delete_invoice")

    def list_choices(self, source: str) -> list[tuple[str, str]]:
        if source == "bank_accounts":
            data = self.client.get_json("/bank_accounts.json", operation="verify", params={"limit": PAGE_SIZE}) or {}
            return [
                (
                    str(b.get("account_number") or ""),
                    f"{b.get('custom_name') or b.get('bank_name') or ''} {b.get('account_number') or ''}".strip(),
                )
                for b in data.get("entities") or []
                if b.get("account_number")
            ]
        return super().list_choices(source)


register(InfaktConnector)
