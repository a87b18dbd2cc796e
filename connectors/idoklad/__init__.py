"""iDoklad (idoklad.cz / idoklad.sk, Solitea) through its REST API v3.

Documents follow the documented pattern: GET .../Default (the agenda's pre-filled model, with
the next serial number of the default numeric sequence) → fill in partner, dates and items →
POST. The partner must exist as a contact (looked up by IČO, e-mail or name, else created).
Credit notes start from GET /CreditNotes/Default/{invoiceId} and carry `CreditedInvoiceId`.
POST is not idempotent and there is no external-id field: see mapping.py for the duplicate
guard (our key in `Note`, found again by list-and-match).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import random
import re
import time
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any

from .. import errors as E
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
    DOCUMENT_KINDS,
    INVOICE,
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
from . import mapping as M
from .client import IDokladClient, is_sequence_clash, token_claims
from .hints import HINTS
from .reference import ReferenceData
from .schema import SCHEMA

SUBSCRIPTIONS = {0: "Free", 1: "Basic", 2: "Standard", 3: "Premium"}
LICENSE_WILL_EXPIRE_SOON = 3
PAGE_SIZE = 20
# The duplicate guard reads at most this many recent documents.
GUARD_PAGE_SIZE, GUARD_PAGES = 100, 5
# Creates refused because another create took the serial number meanwhile (409, ErrorCode 123),
# each followed by a fresh read of the next number; then the document waits this long and the
# worker tries again.
SERIAL_ATTEMPTS = 5
SERIAL_BUSY_SECONDS = 5
CLASH_PAUSE_SECONDS = 0.1


class IDokladConnector(Connector):
    key = "idoklad"
    name = "iDoklad"
    markets = ("CZ", "SK")
    website = "https://www.idoklad.cz"
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
    sandbox_port = 5103
    # Fynode's application id from iDoklad's developer portal; the sandbox knows this value.
    registrations = {"IDOKLAD_APPLICATION_ID": "fynode-sandbox-app"}
    # Only 429 is documented; third-party figures conflict (200/min vs 60/min): UNCONFIRMED, so the
    # safe reading, 60 requests a minute.
    rate_limit = (60, 60.0)
    customer_id_field = "PartnerId"
    hints = HINTS
    hint_overrides = {key.split(".", 1)[1]: key for key in HINTS}
    page_size = PAGE_SIZE

    def __init__(self, settings: ConnectionSettings) -> None:
        super().__init__(settings)
        app = settings.app
        self.client = IDokladClient(
            self.http,
            settings.endpoints,
            str(self.config.get("client_id") or self.secrets.get("client_id") or ""),
            self.secrets.get("client_secret", ""),
            app.registrations.get("IDOKLAD_APPLICATION_ID", ""),
            settings.token_cache,
            app.name,
            app.version,
        )
        self.reference = ReferenceData()

    @classmethod
    def endpoints(cls, config: Mapping[str, Any]) -> dict[str, str]:
        return {"identity": "https://identity.idoklad.cz", "api": "https://api.idoklad.cz/v3"}

    # -- verify ---------------------------------------------------------------------------
    def verify(self) -> Identity:
        # A check of the connection reads everything afresh (and refreshes what is kept).
        self.reference.forget()
        token = self.client.token()
        agenda = self._current_agenda()
        subscription = agenda.get("Subscription") or {}
        plan_type = int(subscription.get("Type") or 0)
        if plan_type == 0:
            raise ConnectorError(
                E.PLAN_LACKS_API, detail="The agenda has the Free subscription.", hint_key="idoklad.plan_lacks_api"
            )
        claims = token_claims(token)
        warnings = []
        if subscription.get("IsTrial"):
            warnings.append(
                N_(
                    "This iDoklad agenda runs on a trial subscription; API access ends with the trial "
                    "unless the subscription is paid."
                )
            )
        if str(claims.get("license_status")) == str(LICENSE_WILL_EXPIRE_SOON):
            warnings.append(
                N_(
                    "The iDoklad subscription of this agenda will expire soon; renew it so that "
                    "documents keep being issued."
                )
            )
        return Identity(
            company_name=agenda.get("Name") or "",
            account_id=str(agenda.get("Id") or ""),
            plan=SUBSCRIPTIONS.get(plan_type, str(plan_type)),
            allows=("invoices", "proforma", "credit_note", "api"),
            warnings=tuple(warnings),
            # iDoklad agendas are Czech (CZK) or Slovak (EUR); the home currency tells which.
            currency=(home := self._currency_code(agenda.get("DefaultCurrencyId"))),
            country={"CZK": "CZ", "EUR": "SK"}.get(home, ""),
            extra={
                "subscription_until": str(subscription.get("DateTo") or "")[:10],
                "vat_payer": bool(agenda.get("IsRegisteredForVat")),
            },
        )

    # -- documents ------------------------------------------------------------------------
    def list_documents(self, page: int = 1, kind: str = "invoice") -> DocumentPage:
        data = self.client.call(
            "GET",
            f"/{M.SEGMENTS[kind]}",
            operation="list_documents",
            params={"page": page, "pageSize": self.page_size, "sort": "Id~Desc"},
        )
        total_pages = int(data.get("TotalPages") or 0)
        return DocumentPage(
            documents=[self._remote(d, kind) for d in data.get("Items") or []],
            page=page,
            has_more=page < total_pages,
            total_pages=total_pages,
            total_count=int(data.get("TotalItems") or 0),
        )

    def get_document(self, remote_id: str, kind: str = "invoice") -> RemoteDocument:
        data = self.client.call("GET", f"/{M.SEGMENTS[kind]}/{_id(remote_id)}", operation="get_document")
        return self._remote(data, kind)

    def create_document(self, draft: DocumentDraft, idempotency_key: str) -> RemoteDocument:
        self._check_draft(draft)
        if draft.kind == INVOICE and draft.related_remote_id:
            # iDoklad accounts only a fully paid proforma (ErrorCode 113). The customer paid: the
            # proforma is paid in iDoklad too, then accounted; an unpaid one is left alone and the
            # invoice stands on its own.
            proforma = self.get_document(draft.related_remote_id, kind=PROFORMA)
            if proforma.status != "paid" and draft.paid:
                self.mark_paid(
                    draft.related_remote_id,
                    Payment(
                        amount=proforma.total, paid_on=draft.taxable_date or draft.issue_date, currency=draft.currency
                    ),
                    kind=PROFORMA,
                )
            elif proforma.status != "paid":
                draft = dataclasses.replace(draft, related_remote_id="")
        self.reference.watch()
        try:
            data = self._create(draft, idempotency_key)
        except ConnectorError as exc:
            if not self._refused_for_stale_reference(exc):
                raise
            # The refusal may come from reference data kept from earlier (a payment option or
            # currency removed, VAT rates changed): read it all again and try once more. A
            # refused create created nothing, so asking again is safe.
            self.reference.forget()
            data = self._create(draft, idempotency_key)
        document = self._remote(data, draft.kind)
        if draft.paid and draft.kind != CREDIT_NOTE and int(data.get("PaymentStatus") or 0) not in M.PAID_STATUSES:
            self._pay_in_full(document, draft)
        return document

    def _refused_for_stale_reference(self, exc: ConnectorError) -> bool:
        """A definite refusal (nothing created) of a document built with kept reference data:
        our own check against a kept list, or iDoklad's 400 / 404 on the create."""
        return (
            self.reference.served_cached
            and not exc.ambiguous
            and exc.code in (E.VALIDATION, E.NOT_FOUND)
            and exc.http_status in (None, 400, 404)
        )

    def _pay_in_full(self, document: RemoteDocument, draft: DocumentDraft) -> None:
        """A paid order's document is paid right after it was created (FullyPay, the documented
        payment of the whole remainder), which spares the worker's separate step reading it
        again. If the payment fails, the document stays created and unpaid: the worker's
        payment step (`mark_paid`) records it later, once."""
        try:
            self._fully_pay(document.remote_id, draft.taxable_date or draft.issue_date)
        except ConnectorError:
            return
        document.status = "paid"

    def _create(self, draft: DocumentDraft, idempotency_key: str) -> dict:
        agenda = self._current_agenda()
        country_id = int((agenda.get("Contact") or {}).get("CountryId") or 0)
        currency_id = self._currency_id(draft.currency)
        items = self._items(draft, country_id)
        default = self.client.call("GET", _default_path(draft), operation="create_document")
        # An invoice accounting a proforma keeps the proforma's partner, as iDoklad pre-filled it.
        partner_id = int(default.get("PartnerId") or 0) if default.get("ProformaInvoices") else 0
        partner_id = partner_id or self._partner_id(draft, country_id)
        model = M.document_model(
            default,
            draft,
            key=idempotency_key,
            partner_id=partner_id,
            currency_id=currency_id,
            home_currency_id=int(agenda.get("DefaultCurrencyId") or currency_id),
            payment_option=M.payment_option_id(draft.payment_method, self._list("/PaymentOptions")),
            items=items,
        )
        series = draft.series_id or self.config.get(f"{draft.kind}_series") or ""
        own_series = bool(series) and str(series) != str(model.get("NumericSequenceId"))
        if own_series:
            model["NumericSequenceId"] = int(series)
            model["DocumentSerialNumber"] = self._next_serial(int(series))
        for attempt in range(1, SERIAL_ATTEMPTS + 1):
            try:
                data = self.client.call(
                    "POST", f"/{M.SEGMENTS[draft.kind]}", operation="create_document", body=model, safe_to_retry=False
                )
                break
            except ConnectorError as exc:
                if exc.http_status and exc.http_status >= 500:
                    # The server failed while handling the create: it may have stored the document.
                    exc.ambiguous = True
                if not is_sequence_clash(exc):
                    raise
                if attempt == SERIAL_ATTEMPTS:
                    # Other creates kept taking the number first. Nothing was created (a 409 is
                    # a definite refusal): the document is tried again shortly, not failed.
                    raise ConnectorError(
                        E.REMOTE_ERROR,
                        detail=f"The number series stayed busy: {exc.detail}",
                        http_status=exc.http_status,
                        retry_at=datetime.now(timezone.utc) + timedelta(seconds=SERIAL_BUSY_SECONDS),
                    ) from exc
                # A 409 on the serial number is a definite "not created": ask for the next number,
                # after a short random pause: workers paced by one quota run in step, and the one
                # that lost would otherwise read the number the winner's next document takes.
                time.sleep(random.uniform(0, CLASH_PAUSE_SECONDS * attempt))
                model["DocumentSerialNumber"] = self._serial_after_clash(draft, model, own_series)
        return data

    def _serial_after_clash(self, draft: DocumentDraft, model: dict, own_series: bool) -> int:
        """The next free serial number, read again from iDoklad: a faster worker may have taken
        more than one number meanwhile, so the refused one plus one would clash again."""
        taken = int(model["DocumentSerialNumber"])
        if own_series:
            fresh = self._next_serial(int(model["NumericSequenceId"]))
        else:
            default = self.client.call("GET", _default_path(draft), operation="create_document")
            same = str(default.get("NumericSequenceId")) == str(model.get("NumericSequenceId"))
            fresh = int(default.get("DocumentSerialNumber") or 0) if same else 0
        return max(fresh, taken + 1)

    def find_by_reference(self, idempotency_key: str, draft: DocumentDraft | None = None) -> RemoteDocument | None:
        if draft is not None:
            day = draft.issue_date
            filter_ = (
                f"((DateOfIssue~gte~{M.filter_date(day - timedelta(days=1))})~and~"
                f"(DateOfIssue~lte~{M.filter_date(day + timedelta(days=1))}))"
            )
            kinds = [draft.kind]
        else:
            since = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(days=7)
            filter_ = f"(DateLastChange~gte~{M.filter_date(since)})"
            kinds = list(DOCUMENT_KINDS)
        for kind in kinds:
            for page in range(1, GUARD_PAGES + 1):
                data = self.client.call(
                    "GET",
                    f"/{M.SEGMENTS[kind]}",
                    operation="find_by_reference",
                    params={"filter": filter_, "sort": "Id~Desc", "page": page, "pageSize": GUARD_PAGE_SIZE},
                )
                for item in data.get("Items") or []:
                    if M.reference_from_note(item.get("Note")) == idempotency_key:
                        return self._remote(item, kind)
                if page >= int(data.get("TotalPages") or 0):
                    break
        return None

    def get_pdf(self, remote_id: str, kind: str = "invoice") -> Pdf:
        data = self.client.call(
            "GET",
            f"/Reports/{M.REPORTS[kind]}/{_id(remote_id)}/Pdf",
            operation="get_pdf",
            params={"compressed": "false"},
        )
        try:
            content = base64.b64decode(str(data or ""), validate=True)
        except (binascii.Error, ValueError):
            raise ConnectorError(E.REMOTE_ERROR, detail="iDoklad sent a PDF that is not base64.") from None
        if not content.startswith(b"%PDF"):
            raise ConnectorError(
                E.NOT_READY if not content else E.REMOTE_ERROR, detail="iDoklad did not send a PDF document."
            )
        return Pdf(content=content, filename=f"idoklad-{kind}-{remote_id}.pdf")

    def send_email(self, remote_id: str, to: str, kind: str = "invoice") -> None:
        body = {
            "DocumentId": _id(remote_id),
            "SendToPartner": False,
            "SendToSelf": False,
            "SendToAccountant": False,
            "OtherRecipients": [to],
            "SendAttachment": True,
        }
        data = (
            self.client.call(
                "POST", f"/Mails/{M.REPORTS[kind]}/Send", operation="send_email", body=body, safe_to_retry=False
            )
            or {}
        )
        if to not in (data.get("Sent") or []):
            raise ConnectorError(
                E.REMOTE_ERROR,
                detail=f"iDoklad did not send the e-mail to {to}: not sent to {data.get('NotSent') or []}.",
            )

    def mark_paid(self, remote_id: str, payment: Payment, kind: str = "invoice") -> None:
        """The whole remainder with FullyPay; a smaller amount as one payment record (Default → POST)."""
        data = self.client.call("GET", f"/{M.SEGMENTS[kind]}/{_id(remote_id)}", operation="mark_paid")
        if int(data.get("PaymentStatus") or 0) in M.PAID_STATUSES:
            return
        prices = data.get("Prices") or {}
        remaining = M.amount(prices.get("TotalWithVat")) - M.amount(prices.get("TotalPaid"))
        if abs(payment.amount) < abs(remaining):
            default = self.client.call(
                "GET", f"/IssuedDocumentPayments/Default/{_id(remote_id)}", operation="mark_paid"
            )
            default.update(
                {
                    "PaymentAmount": abs(payment.amount).copy_sign(remaining),
                    "DateOfPayment": M.api_date(payment.paid_on),
                }
            )
            option = M.payment_option_id(payment.method, self._list("/PaymentOptions"))
            if option:
                default["PaymentOptionId"] = option
            self.client.call(
                "POST", "/IssuedDocumentPayments", operation="mark_paid", body=default, safe_to_retry=False
            )
            return
        self._fully_pay(remote_id, payment.paid_on)

    def _fully_pay(self, remote_id: str, paid_on: date) -> None:
        try:
            self.client.call(
                "PUT",
                f"/IssuedDocumentPayments/FullyPay/{_id(remote_id)}",
                operation="mark_paid",
                params={"dateOfPayment": M.filter_date(paid_on)},
            )
        except ConnectorError as exc:
            if not (exc.code == E.CONFLICT and "ErrorCode 110" in exc.detail):  # AlreadyPaid: done before
                raise

    def list_number_series(self, kind: str = "invoice") -> list[NumberSeries]:
        rows = self.client.list_all(
            "/NumericSequences",
            operation="list_number_series",
            params={"filter": f"(DocumentType~eq~{M.SEQUENCE_TYPES[kind]})"},
        )
        return [
            NumberSeries(
                id=str(s["Id"]),
                name=s.get("Name") or "",
                kind=kind,
                default=bool(s.get("IsDefault")),
                next_number=_format_number(s),
            )
            for s in rows
        ]

    def delete_document(self, remote_id: str, kind: str = "invoice") -> None:
        self.client.call("DELETE", f"/{M.SEGMENTS[kind]}/{_id(remote_id)}", operation="delete_document")

    # -- helpers --------------------------------------------------------------------------
    def _current_agenda(self) -> dict:
        return self.reference.get(
            "agenda", lambda: self.client.call("GET", "/Account/CurrentAgenda", operation="verify") or {}
        )

    def _list(self, path: str) -> list[dict]:
        return self.reference.get(path, lambda: self.client.list_all(path, operation="code_lists"))

    def _currency_code(self, currency_id: Any) -> str:
        return next((c["Code"] for c in self._list("/Currencies") if c["Id"] == currency_id), "")

    def _currency_id(self, code: str) -> int:
        found = next((c["Id"] for c in self._list("/Currencies") if c.get("Code") == code.upper()), None)
        if found is None:
            raise ConnectorError(
                E.VALIDATION,
                detail=f"iDoklad does not know the currency {code}.",
                fields={"currency": [f"iDoklad does not know the currency {code}."]},
            )
        return int(found)

    def _remote(self, data: dict, kind: str) -> RemoteDocument:
        code = ((data.get("Currency") or {}).get("Code")) or self._currency_code(data.get("CurrencyId"))
        return M.remote_document(data, kind, code)

    @staticmethod
    def _check_draft(draft: DocumentDraft) -> None:
        problems: dict[str, list[str]] = {}
        if not draft.lines:
            problems["lines"] = ["A document needs at least one line."]
        if draft.kind == CREDIT_NOTE and not str(draft.related_remote_id).strip().isdigit():
            problems["related_remote_id"] = ["A credit note needs the iDoklad id of the invoice it corrects."]
        if draft.kind == INVOICE and draft.related_remote_id and not str(draft.related_remote_id).strip().isdigit():
            problems["related_remote_id"] = ["The proforma of an invoice must be given by its iDoklad id."]
        if problems:
            raise ConnectorError(
                E.VALIDATION,
                detail="; ".join(m for ms in problems.values() for m in ms),
                fields=problems,
                hint_key="idoklad.validation",
            )

    def _items(self, draft: DocumentDraft, country_id: int) -> list[dict]:
        taxing = draft.taxable_date or draft.issue_date
        price_type = M.WITH_VAT if draft.prices_include_vat else M.WITHOUT_VAT
        rates = self._list("/VatRates")
        items, problems = [], {}
        for n, line in enumerate(draft.lines):
            rate_type = M.vat_rate_type(line.vat_rate, rates, country_id, taxing)
            if rate_type is None:
                problems[f"lines[{n}].vat_rate"] = [
                    f"{line.vat_rate} % is not a VAT rate of the agenda's country on {taxing.isoformat()}."
                ]
                continue
            items.append(M.item_model(line, price_type, rate_type, negate=draft.kind == CREDIT_NOTE))
        if problems:
            raise ConnectorError(
                E.VALIDATION,
                detail="VAT rate not available in iDoklad.",
                fields=problems,
                hint_key="idoklad.validation",
            )
        return items

    def _partner_id(self, draft: DocumentDraft, agenda_country_id: int) -> int:
        party = draft.customer
        if str(party.remote_id).isdigit():
            return int(party.remote_id)  # known from an earlier document: no lookup
        if party.company_id:
            field, value = "IdentificationNumber", party.company_id
        elif party.email:
            field, value = "Email", party.email
        else:
            field, value = "CompanyName", party.display_name
        encoded = base64.b64encode(value.encode("utf-8")).decode("ascii")
        found = self.client.call(
            "GET",
            "/Contacts",
            operation="contacts",
            params={"filter": f"({field}~eq:base64~{encoded})", "pageSize": 1, "sort": "Id~Asc"},
        )
        if found.get("Items"):
            return int(found["Items"][0]["Id"])
        default = self.client.call("GET", "/Contacts/Default", operation="contacts")
        alpha3 = M.ALPHA3.get(party.billing_address.country.upper(), "")
        country_id = next(
            (c["Id"] for c in self._list("/Countries") if alpha3 and c.get("Code") == alpha3),
            default.get("CountryId") or agenda_country_id,
        )
        created = self.client.call(
            "POST",
            "/Contacts",
            operation="contacts",
            body=M.contact_model(default, party, int(country_id)),
            safe_to_retry=False,
        )
        return int(created["Id"])

    def _next_serial(self, sequence_id: int) -> int:
        rows = self.client.list_all(
            "/NumericSequences", operation="list_number_series", params={"filter": f"(Id~eq~{sequence_id})"}
        )
        if not rows:
            raise ConnectorError(
                E.VALIDATION,
                detail=f"Number series {sequence_id} does not exist in iDoklad.",
                fields={"series_id": [f"Number series {sequence_id} does not exist."]},
            )
        return int(rows[0].get("LastNumber") or 0) + 1


def _default_path(draft: DocumentDraft) -> str:
    """Where the pre-filled model of a new document comes from (the documented Default step)."""
    if draft.kind == CREDIT_NOTE:
        return f"/CreditNotes/Default/{_id(draft.related_remote_id)}"
    if draft.kind == INVOICE and draft.related_remote_id:
        # The final invoice of a paid proforma: pre-filled with the proforma and its deduction items.
        return f"/ProformaInvoices/{_id(draft.related_remote_id)}/Account"
    return f"/{M.SEGMENTS[draft.kind]}/Default"


def _id(remote_id: Any) -> int:
    text = str(remote_id).strip()
    if not text.lstrip("-").isdigit():
        raise ConnectorError(E.NOT_FOUND, detail=f"{remote_id!r} is not an iDoklad document id.")
    return int(text)


def _format_number(sequence: dict) -> str:
    year = int(sequence.get("Year") or date.today().year)
    serial = int(sequence.get("LastNumber") or 0) + 1
    text = str(sequence.get("NumberFormat") or "").replace("{RRRR}", f"{year:04d}").replace("{RR}", f"{year % 100:02d}")
    return re.sub(r"\{(N+)\}", lambda m: str(serial).zfill(len(m.group(1))), text)


register(IDokladConnector)
