"""The neutral document model every connector maps from and to. Money is always `Decimal`.

`DocumentDraft` is what we ask a system to issue; `RemoteDocument` is what the system says it
holds (its number, its totals, computed its way). Comparing the two is how the test invoice
and the sync checks find discrepancies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

INVOICE, PROFORMA, CREDIT_NOTE = "invoice", "proforma", "credit_note"
DOCUMENT_KINDS = (INVOICE, PROFORMA, CREDIT_NOTE)

PAYMENT_METHODS = ("bank_transfer", "card", "cod", "cash", "paypal", "other")
SHIPPING_METHODS = ("courier", "post", "pickup_point", "personal", "other")

CENT = Decimal("0.01")

# KSeF states every connector maps its vendor's to ("" where KSeF does not apply to the system).
KSEF_NOT_APPLICABLE, KSEF_WAITING, KSEF_SENT, KSEF_ACCEPTED, KSEF_REJECTED, KSEF_OFFLINE = (
    "not_applicable",
    "waiting",
    "sent",
    "accepted",
    "rejected",
    "offline",
)
KSEF_STATES = (KSEF_NOT_APPLICABLE, KSEF_WAITING, KSEF_SENT, KSEF_ACCEPTED, KSEF_REJECTED, KSEF_OFFLINE)


def money(value: Any) -> Decimal:
    """Parse an amount the way vendors send it (string, int, Decimal) without going through float."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        # Some JSON replies carry floats; repr() keeps the digits the vendor sent.
        return Decimal(repr(value))
    if value is None or value == "":
        return Decimal("0")
    return Decimal(str(value).replace(",", ".").strip())


def round2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Address:
    street: str = ""
    city: str = ""
    zip: str = ""
    country: str = ""  # ISO 3166 alpha-2


@dataclass
class Party:
    name: str
    company_name: str = ""
    company_id: str = ""  # IČO / REGON-like registration number
    tax_id: str = ""  # DIČ (SK), NIP
    vat_id: str = ""  # IČ DPH (SK), DIČ (CZ), VAT number
    email: str = ""
    phone: str = ""
    billing_address: Address = field(default_factory=Address)
    delivery_address: Address | None = None
    # The system's own id of this customer when we know it from an earlier document (Fakturoid
    # subject, iDoklad contact): the connector uses it instead of looking the customer up.
    remote_id: str = ""

    @property
    def display_name(self) -> str:
        return self.company_name or self.name


@dataclass
class Line:
    name: str
    quantity: Decimal
    unit_price: Decimal  # net unless the draft says prices_include_vat
    vat_rate: Decimal  # percent, e.g. Decimal("23")
    unit: str = ""
    sku: str = ""
    discount_percent: Decimal = Decimal("0")


@dataclass
class DocumentDraft:
    kind: str
    customer: Party
    lines: list[Line]
    currency: str
    issue_date: date
    taxable_date: date | None = None
    due_date: date | None = None
    prices_include_vat: bool = False
    order_number: str = ""
    variable_symbol: str = ""
    payment_method: str = "bank_transfer"
    shipping_method: str = ""
    language: str = ""  # ISO 639-1 (sk, cs, pl, en...)
    series_id: str = ""  # system's number series id, if the merchant chose one
    related_remote_id: str = ""  # credit note: the invoice it corrects; invoice: its proforma
    paid: bool = False
    note: str = ""
    send_to_ksef: bool = False  # Polish B2B invoices: submit to KSeF on creation where the system can
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in DOCUMENT_KINDS:
            raise ValueError(f"unknown document kind {self.kind!r}")


@dataclass
class VatBreakdown:
    rate: Decimal
    base: Decimal
    vat: Decimal

    @property
    def total(self) -> Decimal:
        return self.base + self.vat


@dataclass
class RemoteLine:
    name: str
    quantity: Decimal
    unit_price: Decimal  # net
    vat_rate: Decimal
    unit: str = ""
    total: Decimal | None = None  # gross line total as the system computed it, where it says


@dataclass
class RemoteDocument:
    """A document as the system holds it, amounts the system's own.

    Sign convention: a credit note's amounts (`total`, each `vat` row's base and VAT, line
    totals) are NEGATIVE, money going back to the customer, the way SuperFaktura, Fakturoid,
    iDoklad, Fakturownia and inFakt all report them; a connector whose system reported them
    positive would negate them in its mapping. Which of a line's `quantity` and `unit_price`
    carries the minus is the system's own (SuperFaktura, Fakturoid, iDoklad: the price;
    Fakturownia, inFakt: the quantity). Our drafts and specs list what is refunded as positive
    amounts; the sync check negates those before comparing (services/documents/sync.py)."""

    remote_id: str
    kind: str
    number: str
    currency: str
    total: Decimal  # gross grand total
    issue_date: date | None = None
    taxable_date: date | None = None
    due_date: date | None = None
    customer_name: str = ""
    order_number: str = ""
    variable_symbol: str = ""
    status: str = ""  # open, paid, partially_paid, overdue, cancelled, draft
    vat: list[VatBreakdown] = field(default_factory=list)
    lines: list[RemoteLine] = field(default_factory=list)
    pdf_url: str = ""  # the system's own link, where it has a public one
    reference: str = ""  # our idempotency key as the system stored it
    raw_id_fields: dict[str, Any] = field(default_factory=dict)
    # Poland's national e-invoice system (KSeF), where the system reports it: one of KSEF_STATES,
    # the KSeF number once accepted, and the reasons of a rejection (the vendor's words).
    ksef_status: str = ""
    ksef_number: str = ""
    ksef_errors: list[str] = field(default_factory=list)

    @property
    def vat_total(self) -> Decimal:
        return sum((v.vat for v in self.vat), Decimal("0"))

    @property
    def base_total(self) -> Decimal:
        return sum((v.base for v in self.vat), Decimal("0"))


@dataclass
class DocumentPage:
    documents: list[RemoteDocument]
    page: int
    has_more: bool
    total_pages: int | None = None
    total_count: int | None = None


@dataclass
class NumberSeries:
    id: str
    name: str
    kind: str  # invoice, proforma, credit_note
    default: bool = False
    next_number: str = ""


@dataclass
class Pdf:
    content: bytes
    filename: str
    content_type: str = "application/pdf"


@dataclass
class Payment:
    amount: Decimal
    paid_on: date
    currency: str = ""
    method: str = "bank_transfer"
    reference: str = ""


@dataclass
class Identity:
    """Who we are connected as, returned by `verify()`."""

    company_name: str
    account_id: str = ""
    plan: str = ""
    user_email: str = ""
    # What the plan allows, as capability names the UI shows ("invoices", "proforma", "api").
    allows: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()  # msgids (N_) of things the merchant should know
    # msgids (N_) of what stops this account from issuing documents at all (no bank account, no
    # right to issue): the connection is not made active until they are fixed.
    blockers: tuple[str, ...] = ()
    country: str = ""  # ISO 3166 alpha-2 of the books (where VAT is accounted)
    currency: str = ""  # the account's home currency (ISO 4217)
    extra: dict[str, Any] = field(default_factory=dict)
