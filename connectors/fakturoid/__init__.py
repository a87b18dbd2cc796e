"""Fakturoid (CZ): invoices, proformas and corrections (credit notes) over API v3
(fakturoid.cz/api/v3), connected by OAuth (Authorization Code flow with Fynode's registered app)
or by the merchant's own Client ID / Client Secret (Client Credentials flow).

OAuth, as the web app drives it:
1. `FakturoidConnector.authorization_url(endpoints, app, redirect_uri, state)`: send the merchant
   there (Fakturoid's sign-in and consent page).
2. On the callback: if the query has `error`, `FakturoidConnector.consent_error(error)` gives the
   ConnectorError to show (`access_denied` -> consent_denied). Otherwise build the connector with
   config {"auth_method": "oauth"} and call `exchange_code(code, redirect_uri)`: it returns
   {"refresh_token": ...} to store as a secret and keeps the access token in the token cache.
3. `list_accounts()` gives (slug, name) of the accounts the user may reach; the merchant picks
   one, stored as config "slug"; then `verify()`.
The web app must persist `refresh_token` from the token cache as the integration's secret when
it is there (a rotated refresh token replaces the stored one). `disconnect()` revokes it.

Idempotency: Fakturoid has no idempotency key. Every document carries our key as `custom_id`;
`find_by_reference` asks `invoices.json?custom_id=<key>` and takes the oldest match (Fakturoid
does not enforce unique invoice custom_id: UNCONFIRMED, the evidence says it does not).

PDF: Fakturoid renders PDFs asynchronously and answers 204 until the file is ready. `get_pdf`
waits `pdf_retry_delay` seconds and asks again, `pdf_attempts` times in all (the docs say
1-2 s), then raises `not_ready` (retryable) so the worker tries later.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from .. import errors as codes
from ..base import (
    CAN_CREDIT_NOTE,
    CAN_DELETE,
    CAN_EMAIL,
    CAN_INVOICE,
    CAN_LIST,
    CAN_MARK_PAID,
    CAN_NUMBER_SERIES,
    CAN_OAUTH,
    CAN_PAYMENT_WEBHOOK,
    CAN_PDF,
    CAN_PROFORMA,
    AppIdentity,
    ConnectionSettings,
    Connector,
)
from ..documents import (
    CREDIT_NOTE,
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
from .client import FakturoidClient, TokenGrant
from .errors import body_of
from .hints import HINT_OVERRIDES, HINTS
from .schema import CLIENT_CREDENTIALS, MARKETS, OAUTH, SCHEMA

PRODUCTION_API = "https://app.fakturoid.cz/api/v3"
PER_PAGE = 40
READ_ONLY_PERMISSIONS = frozenset({"read", "read_only", "readonly"})
FREE_PLANS = frozenset({"zdarma", "free"})
REQUIRED = N_("This field is required.")

WARN_NO_BANK_ACCOUNT = N_(
    "This Fakturoid account has no bank account, and Fakturoid issues no invoice without "
    "one. Add it in Settings > Bank accounts in Fakturoid."
)
WARN_FREE_PLAN = N_("On Fakturoid's free plan invoices cannot be sent by e-mail from Fakturoid.")
WARN_CLIENT_CREDENTIALS = N_(
    "Fakturoid recommends that apps such as Fynode connect by signing in; a pasted Client "
    "ID and Client Secret are meant for your own scripts. Consider connecting by signing "
    "in instead."
)


class FakturoidConnector(Connector):
    key = "fakturoid"
    name = "Fakturoid"
    markets = MARKETS
    website = "https://www.fakturoid.cz"
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
            CAN_OAUTH,
            CAN_PAYMENT_WEBHOOK,
        }
    )
    schema = SCHEMA
    sandbox_port = 5102
    # Fynode's OAuth app (developer portal); the sandbox knows these values.
    registrations = {
        "FAKTUROID_CLIENT_ID": "fynode-sandbox-oauth-client",
        "FAKTUROID_CLIENT_SECRET": "fynode-sandbox-oauth-secret",
    }
    error_fields = {"account_not_found": ("slug",)}
    oauth_account_key = "slug"
    # Webhooks [fakturoid.md §5, DOC-wh]: set up by hand in Fakturoid (managing them through the
    # API needs Fakturoid's approval), only on the Základ and Komplet plans. A payment fires
    # invoice_paid (paid in full) or invoice_payment_added (a part payment).
    payment_webhook_events = ("invoice_paid", "invoice_payment_added")
    payment_webhook_plans = ("Základ", "Komplet")
    rate_limit = (400, 60.0)  # X-RateLimit-Policy observed live: q=400;w=60 (facts file, Rate limits)
    customer_id_field = "subject_id"
    hint_overrides = HINT_OVERRIDES
    hints = HINTS
    pdf_attempts = 3
    pdf_retry_delay = 1.0

    def __init__(self, settings: ConnectionSettings) -> None:
        super().__init__(settings)
        self.base_url = settings.endpoints["api"].rstrip("/")
        self.auth_method = str(self.config.get("auth_method") or OAUTH)
        registrations = settings.app.registrations
        self.app_credentials = (
            registrations.get("FAKTUROID_CLIENT_ID", ""),
            registrations.get("FAKTUROID_CLIENT_SECRET", ""),
        )
        self.http.add_secrets([self.app_credentials[1]])
        if self.auth_method == CLIENT_CREDENTIALS:
            grant = TokenGrant(
                str(self.config.get("client_id") or ""),
                str(self.secrets.get("client_secret") or ""),
                "client_credentials",
            )
        else:
            grant = TokenGrant(*self.app_credentials, "refresh_token", str(self.secrets.get("refresh_token") or ""))
        self.client = FakturoidClient(
            self.http, self.base_url, settings.token_cache, grant, str(self.config.get("slug") or "").strip()
        )

    @classmethod
    def endpoints(cls, config: Mapping[str, Any]) -> dict[str, str]:
        return {"api": PRODUCTION_API}

    # -- OAuth ----------------------------------------------------------------------------
    @classmethod
    def authorization_url(cls, endpoints: dict[str, str], app: AppIdentity, redirect_uri: str, state: str) -> str:
        if not app.registrations.get("FAKTUROID_CLIENT_ID"):
            raise ConnectorError(codes.NOT_SUPPORTED, detail="FAKTUROID_CLIENT_ID is not configured.")
        query = urlencode(
            {
                "client_id": app.registrations["FAKTUROID_CLIENT_ID"],
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "state": state,
            }
        )
        return f"{endpoints['api'].rstrip('/')}/oauth?{query}"

    @classmethod
    def consent_error(cls, error_param: str, description: str = "") -> ConnectorError:
        """The error for an authorization callback that came back with `?error=...` instead of a code.

        `access_denied` (the merchant chose Deny) -> consent_denied with Fakturoid's hint; anything
        else (e.g. `invalid_request`, `unsupported_response_type`) -> remote_error.
        """
        error = super().consent_error(error_param, description)
        if error.code == codes.CONSENT_DENIED:
            error.hint_key = "fakturoid.consent_denied"
        return error

    def exchange_code(self, code: str, redirect_uri: str) -> dict[str, str]:
        if not code:
            raise self.consent_error("access_denied")
        data = self.client.request_token(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}, basic=self.app_credentials
        )
        if not data.get("refresh_token"):
            raise ConnectorError(codes.REMOTE_ERROR, detail="Fakturoid returned no refresh token.")
        self.secrets["refresh_token"] = data["refresh_token"]
        self.client.grant.refresh_token = data["refresh_token"]
        return {"refresh_token": data["refresh_token"]}

    def list_accounts(self) -> list[tuple[str, str]]:
        """(slug, name) of the Fakturoid accounts this user reaches, from GET /user.json."""
        user = self.client.get_json("/user.json", operation="verify", account=False) or {}
        return [(a["slug"], a.get("name") or a["slug"]) for a in user.get("accounts") or []]

    def disconnect(self) -> None:
        """OAuth: revoke the refresh token (and with it the access tokens). Client credentials have
        no revoke endpoint; the merchant deletes the pair in Fakturoid. Either way the cache is emptied."""
        refresh_token = (self.settings.token_cache.load() or {}).get("refresh_token") or self.secrets.get(
            "refresh_token"
        )
        try:
            if self.auth_method == OAUTH and refresh_token:
                self.client.revoke(refresh_token, self.app_credentials)
        finally:
            self.client.forget_tokens()

    # -- verify ---------------------------------------------------------------------------
    def _check_settings(self) -> None:
        missing: dict[str, list[str]] = {}
        if self.auth_method not in (OAUTH, CLIENT_CREDENTIALS):
            missing["auth_method"] = [N_("Pick one of the offered values.")]
        elif self.auth_method == CLIENT_CREDENTIALS:
            for key, value in (
                ("slug", self.client.slug),
                ("client_id", self.client.grant.client_id),
                ("client_secret", self.client.grant.client_secret),
            ):
                if not value:
                    missing[key] = [REQUIRED]
        else:
            if not self.client.slug:
                missing["slug"] = [REQUIRED]
            if not (self.secrets.get("refresh_token") or (self.settings.token_cache.load() or {}).get("refresh_token")):
                raise ConnectorError(
                    codes.INVALID_CREDENTIALS,
                    detail="Not connected to Fakturoid yet.",
                    hint_key="fakturoid.oauth_reconnect",
                )
        if missing:
            raise ConnectorError(codes.VALIDATION, detail="Missing connection settings.", fields=missing)

    def verify(self) -> Identity:
        self._check_settings()
        user = self.client.get_json("/user.json", operation="verify", account=False) or {}
        membership = next((a for a in user.get("accounts") or [] if a.get("slug") == self.client.slug), None)
        if membership is None:
            raise ConnectorError(
                codes.ACCOUNT_NOT_FOUND,
                detail=f"No account {self.client.slug!r} for this user.",
                fields={"slug": [N_("This Fakturoid user has no account with this name.")]},
                hint_key="fakturoid.account_not_found",
            )
        scope = membership.get("allowed_scope") or []
        # Documented permission values include "owner" and "read"; the full list is UNCONFIRMED,
        # so only the read-only ones are refused.
        if "invoices" not in scope or str(membership.get("permission") or "").lower() in READ_ONLY_PERMISSIONS:
            raise ConnectorError(
                codes.PERMISSION_DENIED,
                hint_key="fakturoid.permission_denied",
                detail=f"permission={membership.get('permission')}, allowed_scope={scope}",
            )
        account = self.client.get_json("/account.json", operation="verify") or {}
        banks = self.client.get_json("/bank_accounts.json", operation="verify") or []
        plan = str(account.get("plan") or "")
        free = plan.lower() in FREE_PLANS
        # Fakturoid creates no invoice without a bank account (403 on create): a blocker, not a warning.
        blockers = (WARN_NO_BANK_ACCOUNT,) if not banks else ()
        warnings = [
            w
            for w, on in ((WARN_FREE_PLAN, free), (WARN_CLIENT_CREDENTIALS, self.auth_method == CLIENT_CREDENTIALS))
            if on
        ]
        allows = ("api", "invoices", "proforma", "credit_note") + (() if free else ("send_email",))
        return Identity(
            company_name=account.get("name") or membership.get("name") or self.client.slug,
            account_id=self.client.slug,
            plan=plan,
            user_email=user.get("email") or "",
            allows=allows,
            warnings=tuple(warnings),
            blockers=blockers,
            country="CZ",  # Fakturoid keeps Czech books only
            currency=str(account.get("currency") or "CZK"),
            extra={
                "registration_no": account.get("registration_no"),
                "vat_mode": account.get("vat_mode"),
                "currency": account.get("currency"),
                "permission": membership.get("permission"),
                "bank_accounts": len(banks),
            },
        )

    # -- documents ------------------------------------------------------------------------
    def list_documents(self, page: int = 1, kind: str = "invoice") -> DocumentPage:
        found = (
            self.client.get_json(
                "/invoices.json",
                operation="list_invoices",
                params={"page": page, "document_type": mapping.LIST_FILTERS[kind]},
            )
            or []
        )
        # "regular" is everything but proformas, so invoice lists include corrections (mapped as
        # credit notes). v3 has no Link header: a full page may be followed by more, [] ends the list.
        return DocumentPage([mapping.remote_document(i) for i in found], page, has_more=len(found) >= PER_PAGE)

    def get_document(self, remote_id: str, kind: str = "invoice") -> RemoteDocument:
        return mapping.remote_document(self.client.get_json(f"/invoices/{remote_id}.json", operation="get_invoice"))

    def _subject_id(self, draft: DocumentDraft) -> int:
        """The customer's subject: the id kept from an earlier invoice, else a new subject.

        Created without looking first: Fakturoid refuses a second subject with the same
        `custom_id` (facts file, Subjects: unique custom_id, 422 on a duplicate), so a customer
        it already knows costs the refusal and then the lookup, and a new one (most of a shop's
        customers) a single request instead of two. The text of that refusal is UNCONFIRMED,
        so any 422 is answered by the lookup, and the refusal stands when it finds nothing."""
        if str(draft.customer.remote_id).isdigit():
            return int(draft.customer.remote_id)  # known from an earlier invoice: no lookup
        payload = mapping.subject_payload(draft.customer)
        try:
            response = self.client.post_json("/subjects.json", payload, operation="create_subject")
        except ConnectorError as exc:
            if exc.code == codes.VALIDATION:
                params = {"custom_id": payload["custom_id"]}
                found = self.client.get_json("/subjects.json", operation="list_subjects", params=params) or []
                if found:
                    return found[0]["id"]
            raise
        return body_of(response)["id"]

    def create_document(self, draft: DocumentDraft, idempotency_key: str) -> RemoteDocument:
        if draft.kind == CREDIT_NOTE and not draft.related_remote_id:
            raise ConnectorError(
                codes.VALIDATION,
                detail="A credit note needs the invoice it corrects.",
                fields={"correction_id": [N_("Choose the invoice this credit note corrects.")]},
            )
        payload = mapping.invoice_payload(draft, idempotency_key, self._subject_id(draft), self.config)
        response = self.client.post_json("/invoices.json", payload, operation="create_invoice")
        document = mapping.remote_document(body_of(response))
        if draft.paid and draft.kind != CREDIT_NOTE:
            self.mark_paid(document.remote_id, Payment(amount=document.total, paid_on=draft.issue_date))
            document.status = "paid"
        return document

    def find_by_reference(self, idempotency_key: str, draft: DocumentDraft | None = None) -> RemoteDocument | None:
        found = (
            self.client.get_json("/invoices.json", operation="list_invoices", params={"custom_id": idempotency_key})
            or []
        )
        matches = [
            i
            for i in found
            if i.get("custom_id") == idempotency_key and (draft is None or mapping.kind_of(i) == draft.kind)
        ]
        if not matches:
            return None
        return mapping.remote_document(min(matches, key=lambda i: (i.get("created_at") or "", i["id"])))

    def get_pdf(self, remote_id: str, kind: str = "invoice") -> Pdf:
        for attempt in range(1, self.pdf_attempts + 1):
            response = self.client.call(
                "GET", f"/invoices/{remote_id}/download.pdf", operation="get_pdf", accept="application/pdf"
            )
            if response.status_code == 200 and response.content:
                return Pdf(
                    response.content,
                    f"fakturoid-{remote_id}.pdf",
                    response.headers.get("Content-Type", "application/pdf").split(";")[0],
                )
            if attempt < self.pdf_attempts:
                time.sleep(self.pdf_retry_delay)
        raise ConnectorError(
            codes.NOT_READY, detail="Fakturoid is still generating the PDF (204 No Content).", http_status=204
        )

    def send_email(self, remote_id: str, to: str, kind: str = "invoice") -> None:
        body: dict[str, Any] = {"deliver_now": True}
        if to:
            body["email"] = to
        self.client.post_json(f"/invoices/{remote_id}/message.json", body, operation="send_email")

    def mark_paid(self, remote_id: str, payment: Payment, kind: str = "invoice") -> None:
        body: dict[str, Any] = {"paid_on": payment.paid_on.isoformat(), "amount": str(payment.amount)}
        if kind == PROFORMA:
            body["mark_document_as_paid"] = True
        self.client.post_json(f"/invoices/{remote_id}/payments.json", body, operation="mark_paid")

    def list_number_series(self, kind: str = "invoice") -> list[NumberSeries]:
        """Fakturoid's number formats (number_formats/invoices.json) serve invoices and corrections.
        Proformas follow the account's proforma numbering, which the API does not list or choose."""
        if kind == PROFORMA:
            return []
        formats = self.client.get_json("/number_formats/invoices.json", operation="list_series") or []
        return [
            NumberSeries(
                id=str(f["id"]),
                name=f.get("format") or str(f["id"]),
                kind=kind,
                default=bool(f.get("default")),
                next_number=f.get("preview") or "",
            )
            for f in formats
        ]

    def delete_document(self, remote_id: str, kind: str = "invoice") -> None:
        self.client.call("DELETE", f"/invoices/{remote_id}.json", operation="delete_invoice")

    def list_choices(self, source: str) -> list[tuple[str, str]]:
        if source == "bank_accounts":
            banks = self.client.get_json("/bank_accounts.json", operation="verify") or []
            return [
                (str(b["id"]), f"{b.get('name') or ''} {b.get('number') or b.get('iban') or ''}".strip()) for b in banks
            ]
        return super().list_choices(source)


register(FakturoidConnector)
