"""The contract every registered connector keeps against its own sandbox, over HTTP.

Parametrised over `registry.all_connectors()`: a new system runs this suite as soon as it is
registered and its sandbox package exists. What is the same for every system lives here (verify,
wrong key, list and get, create per capability, find by our reference, PDF, the duplicate guard
after a dropped connection, timeouts and server errors on create, rate limits, redaction, the
declarations the web app reads); each system's own file keeps what only that system does.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from decimal import Decimal

import pytest

import sandboxes
from connectors import errors, registry
from connectors.base import (
    CAN_CREDIT_NOTE,
    CAN_INVOICE,
    CAN_LIST,
    CAN_OAUTH,
    CAN_PDF,
    CAN_PROFORMA,
    AppIdentity,
    ConnectionSettings,
    MemoryTokenCache,
    resolve_endpoints,
)
from connectors.documents import Address, DocumentDraft, Line, Party
from connectors.errors import ConnectorError
from connectors.http import REDACTED, Transport

CONNECTORS = registry.all_connectors()
KEYS = [cls.key for cls in CONNECTORS]
# A standard VAT rate and a buyer address for the country the seeded books are kept in.
STANDARD_RATE = {"SK": Decimal("23"), "CZ": Decimal("21"), "PL": Decimal("23")}
BUYER = {
    "SK": ("Hlavná 1", "Bratislava", "811 01"),
    "CZ": ("Dlouhá 1", "Praha", "110 00"),
    "PL": ("ul. Testowa 5", "Kraków", "30-002"),
}


def registrations() -> dict[str, str]:
    return {name: value for cls in CONNECTORS for name, value in cls.registrations.items()}


class System:
    """One connector and its freshly reset sandbox."""

    def __init__(self, key: str, sb) -> None:
        self.key = key
        self.cls = registry.get(key)
        self.sb = sb
        self.records: list = []
        self._identity = None

    def can(self, capability: str) -> bool:
        return capability in self.cls.capabilities

    def connect(self, state: str = "valid", *, url: str | None = None, read_timeout: float = 5.0):
        config = dict(self.sb.account(state)["credentials"])
        secrets = {f.key: str(config.pop(f.key)) for f in self.cls.schema if f.secret and f.key in config}
        transport = Transport(
            user_agent=AppIdentity().user_agent,
            on_exchange=self.records.append,
            read_timeout=read_timeout,
            connect_timeout=1.0,
            retries=0,
            backoff=0.01,
        )
        endpoints = resolve_endpoints(self.cls, config, {f"{self.key.upper()}_API_URL": url or self.sb.url})
        return self.cls(
            ConnectionSettings(
                config, secrets, endpoints, transport, MemoryTokenCache(), AppIdentity(registrations=registrations())
            )
        )

    def identity(self):
        if self._identity is None:
            self._identity = self.connect().verify()
        return self._identity

    def draft(self, kind: str = "invoice", *, order: str = "9001", related: str = "") -> DocumentDraft:
        identity = self.identity()
        country = identity.country if identity.country in STANDARD_RATE else self.cls.markets[0]
        street, city, zip_code = BUYER[country]
        customer = Party(
            name="Anna Nováková",
            company_name="Buyer Company s.r.o.",
            tax_id="9876543210",
            email="buyer@example.com",
            billing_address=Address(street=street, city=city, zip=zip_code, country=country),
        )
        lines = [
            Line(name="T-shirt", quantity=Decimal("2"), unit_price=Decimal("10.00"), vat_rate=STANDARD_RATE[country]),
            Line(name="Shipping", quantity=Decimal("1"), unit_price=Decimal("5.00"), vat_rate=STANDARD_RATE[country]),
        ]
        return DocumentDraft(
            kind=kind,
            customer=customer,
            lines=lines,
            currency=identity.currency or "EUR",
            issue_date=date.today(),
            taxable_date=date.today(),
            due_date=date.today() + timedelta(days=14),
            prices_include_vat=False,
            order_number=order,
            variable_symbol=order,
            language=country.lower(),
            related_remote_id=related,
        )

    def own_documents(self) -> list[dict]:
        account = self.sb.account("valid")
        documents = self.sb.documents()
        accounts = {d.get("account") for d in documents}
        # Sandboxes name the account by id or by credentials; count every document of the valid
        # account's books where the sandbox says whose they are, else all of them.
        mine = [d for d in documents if d.get("account") in _account_names(account)]
        return mine if mine or len(accounts) > 1 else documents


def _account_names(account: dict) -> set:
    names = {account.get("id"), account.get("name"), account.get("account")}
    names |= {str(v) for v in account.get("credentials", {}).values()}
    return {n for n in names if n is not None}


@pytest.fixture(params=KEYS)
def system(request, sandbox) -> System:
    return System(request.param, sandbox(request.param))


def expected_total(draft: DocumentDraft) -> Decimal:
    return sum((line.quantity * line.unit_price * (1 + line.vat_rate / 100) for line in draft.lines), Decimal("0"))


def assert_pdf(pdf) -> None:
    assert pdf.content.startswith(b"%PDF") and pdf.content_type == "application/pdf" and pdf.filename


# -- what the connector declares ----------------------------------------------------------------
@pytest.mark.parametrize("cls", CONNECTORS, ids=KEYS)
def test_connector_sandbox_port_is_the_port_its_sandbox_package_declares(cls):
    assert cls.sandbox_port == sandboxes.ports()[cls.key]


@pytest.mark.parametrize("cls", CONNECTORS, ids=KEYS)
def test_declared_error_fields_and_oauth_account_key_are_schema_keys(cls):
    keys = {f.key for f in cls.schema}
    for code, fields in cls.error_fields.items():
        assert code in errors.ALL_CODES and fields and set(fields) <= keys
    if CAN_OAUTH in cls.capabilities:
        assert cls.oauth_account_key in keys
    assert all(name.isupper() and value for name, value in cls.registrations.items())
    assert all(name == name.lower() for name in cls.sensitive_headers)


def test_schema_keys_match_the_sandbox_credentials(system):
    keys = {f.key for f in system.cls.schema}
    for account in system.sb.accounts():
        assert set(account["credentials"]) <= keys, account["state"]
    required = {f.key for f in system.cls.schema if f.required and f.section == "connection"}
    assert required <= set(system.sb.account("valid")["credentials"])


# -- verify --------------------------------------------------------------------------------------
def test_verify_with_the_valid_account_names_the_company_and_its_books(system):
    identity = system.connect().verify()
    assert identity.company_name and identity.account_id
    assert identity.country in system.cls.markets
    assert len(identity.currency) == 3 and identity.currency.isupper()


def test_verify_with_a_wrong_key_is_invalid_credentials_and_flags_no_secret(system):
    with pytest.raises(ConnectorError) as caught:
        system.connect("wrong_key").verify()
    assert caught.value.code == errors.INVALID_CREDENTIALS
    secrets = [
        str(v)
        for k, v in system.sb.account("wrong_key")["credentials"].items()
        if any(f.key == k and f.secret for f in system.cls.schema)
    ]
    assert not any(s in (caught.value.detail or "") for s in secrets)


def test_verify_against_closed_port_is_unreachable(system):
    with pytest.raises(ConnectorError) as caught:
        system.connect(url="http://127.0.0.1:9").verify()
    assert caught.value.code == errors.UNREACHABLE


# -- list and get --------------------------------------------------------------------------------
def test_list_documents_returns_seeded_invoices_that_get_document_reads_back(system):
    if not system.can(CAN_LIST):
        pytest.fail(f"{system.key} cannot list documents: import needs it")
    conn = system.connect()
    page = conn.list_documents(1)
    assert page.documents
    first = page.documents[0]
    again = conn.get_document(first.remote_id, first.kind)
    assert (again.remote_id, again.number, again.total, again.currency) == (
        first.remote_id,
        first.number,
        first.total,
        first.currency,
    )


def test_get_unknown_document_is_not_found(system):
    with pytest.raises(ConnectorError) as caught:
        system.connect().get_document("999999")
    assert caught.value.code == errors.NOT_FOUND


def test_get_pdf_of_unknown_document_is_not_found(system):
    if not system.can(CAN_PDF):
        return
    with pytest.raises(ConnectorError) as caught:
        system.connect().get_pdf("999999")
    assert caught.value.code == errors.NOT_FOUND


def test_find_by_reference_for_unknown_key_is_none(system):
    assert system.connect().find_by_reference("never-issued-key-1") is None


# -- create, find, PDF ---------------------------------------------------------------------------
def create_settled(conn, draft, key):
    """Create and, for systems that number asynchronously, read until the number is there."""
    document = conn.create_document(draft, key)
    if not document.number:
        document = conn.get_document(document.remote_id, draft.kind)
    return document


def test_create_invoice_has_a_number_and_the_total_and_is_found_by_its_reference(system):
    assert system.can(CAN_INVOICE)
    conn = system.connect()
    draft = system.draft("invoice", order="9101")
    document = create_settled(conn, draft, "fy-generic-invoice")
    assert document.remote_id and document.number and document.kind == "invoice"
    assert document.total == expected_total(draft)
    found = conn.find_by_reference("fy-generic-invoice", draft)
    assert found is not None and found.remote_id == document.remote_id
    if system.can(CAN_PDF):
        assert_pdf(conn.get_pdf(document.remote_id, "invoice"))


def test_create_proforma_where_capable_is_a_proforma_found_by_its_reference(system):
    if not system.can(CAN_PROFORMA):
        return
    conn = system.connect()
    draft = system.draft("proforma", order="9102")
    document = create_settled(conn, draft, "fy-generic-proforma")
    assert document.kind == "proforma" and document.number
    assert document.total == expected_total(draft)
    found = conn.find_by_reference("fy-generic-proforma", draft)
    assert found is not None and found.remote_id == document.remote_id
    if system.can(CAN_PDF):
        assert_pdf(conn.get_pdf(document.remote_id, "proforma"))


def test_create_credit_note_where_capable_corrects_its_invoice_with_a_negative_total(system):
    if not system.can(CAN_CREDIT_NOTE):
        return
    conn = system.connect()
    invoice = create_settled(conn, system.draft("invoice", order="9103"), "fy-generic-corrected")
    draft = system.draft("credit_note", order="9103", related=invoice.remote_id)
    note = create_settled(conn, draft, "fy-generic-credit-note")
    assert note.kind == "credit_note" and note.number and note.remote_id != invoice.remote_id
    assert note.total == -expected_total(draft)


# -- the duplicate guard and ambiguous failures ---------------------------------------------------
def test_connection_dropped_after_create_is_ambiguous_and_found_by_reference_without_duplicate(system):
    conn = system.connect()
    conn.verify()
    draft = system.draft("invoice", order="9201")
    before = len(system.own_documents())
    system.sb.fault("drop_after_create", operations=["create_invoice"])
    with pytest.raises(ConnectorError) as caught:
        conn.create_document(draft, "fy-generic-dropped")
    assert caught.value.ambiguous
    system.sb.fault("none")
    # What the worker does before a retry: look up first, create only when nothing is found.
    # (Asynchronous systems such as inFakt finish the lost create within about a second.)
    found = None
    deadline = time.monotonic() + 5
    while found is None and time.monotonic() < deadline:
        found = conn.find_by_reference("fy-generic-dropped", draft)
        if found is None:
            time.sleep(0.1)
    assert found is not None
    document = conn.find_by_reference("fy-generic-dropped", draft) or conn.create_document(draft, "fy-generic-dropped")
    assert document.remote_id == found.remote_id
    assert len(system.own_documents()) == before + 1


def test_timeout_on_create_is_an_ambiguous_timeout(system):
    conn = system.connect(read_timeout=0.4)
    conn.verify()
    draft = system.draft("invoice", order="9202")
    system.sb.fault("timeout", operations=["create_invoice"], seconds=1.0)
    with pytest.raises(ConnectorError) as caught:
        conn.create_document(draft, "fy-generic-slow")
    assert caught.value.code == errors.TIMEOUT and caught.value.ambiguous


def test_server_error_on_create_is_ambiguous_remote_error(system):
    conn = system.connect()
    conn.verify()
    draft = system.draft("invoice", order="9203")
    system.sb.fault("error_500", operations=["create_invoice"])
    with pytest.raises(ConnectorError) as caught:
        conn.create_document(draft, "fy-generic-500")
    assert caught.value.code == errors.REMOTE_ERROR and caught.value.ambiguous and caught.value.is_retryable


# -- rate limits ------------------------------------------------------------------------------------
def test_a_rate_limited_reply_is_rate_limited_with_the_reset_time(system):
    conn = system.connect()
    conn.verify()
    system.sb.fault("rate_limit", operations=["list_invoices"], seconds=120)
    with pytest.raises(ConnectorError) as caught:
        conn.list_documents(1)
    assert caught.value.code == errors.RATE_LIMITED
    assert caught.value.retry_at is not None


# -- redaction ------------------------------------------------------------------------------------
def test_no_secret_value_appears_in_any_recorded_exchange(system):
    conn = system.connect()
    conn.verify()
    conn.list_documents(1)
    secrets = [
        str(v)
        for k, v in system.sb.account("valid")["credentials"].items()
        if any(f.key == k and f.secret for f in system.cls.schema)
    ]
    secrets += [v for k, v in registrations().items() if "SECRET" in k]
    assert system.records and secrets
    for exchange in system.records:
        text = " ".join(
            [
                exchange.url,
                exchange.request_body or "",
                exchange.response_body or "",
                *map(str, exchange.request_headers.values()),
                *map(str, exchange.response_headers.values()),
            ]
        )
        assert not [s for s in secrets if s in text]
        for name in system.cls.sensitive_headers:
            assert all(v.endswith(REDACTED) for k, v in exchange.request_headers.items() if k.lower() == name)
