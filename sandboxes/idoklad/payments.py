"""Payments of issued documents in the iDoklad sandbox (SDK `IssuedDocumentPaymentClient`):

- PUT  /v3/IssuedDocumentPayments/FullyPay/{documentId}?dateOfPayment=yyyy-MM-dd HH:mm:ss.fff
- PUT  /v3/IssuedDocumentPayments/FullyUnpay/{documentId}
- GET  /v3/IssuedDocumentPayments/Default/{documentId}
- POST /v3/IssuedDocumentPayments  (InvoiceId, PaymentAmount, PaymentOptionId, DateOfPayment required)

Documents are invoices, proformas or credit notes (one id space for issued documents).
PaymentStatus: 0 Unpaid, 1 Paid, 2 PartialPaid, 3 Overpaid. UNCONFIRMED: FullyPay on a paid
document answers 400 / ErrorCode 110 (AlreadyPaid), FullyUnpay on an unpaid one 400 / 113.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import Response, request

from . import seed
from .calc import round2
from .envelope import ApiError, ValidationFailed, api_datetime, envelope
from .query import QueryError, parse_datetime

ALREADY_PAID, NOT_PAID = 110, 113


class PaymentRoutes:
    """Route handlers mixed into the sandbox; `account` is the agenda the bearer token belongs to."""

    def _payment_document(self, account: dict, doc_id: str) -> dict:
        doc = account["_documents"].get(int(doc_id))
        if doc is None:
            raise ApiError(404, f"Document with Id {doc_id} was not found.")
        return doc

    def _fully_pay(self, account: dict, action: str, doc_id: str) -> Response:
        doc = self._payment_document(account, doc_id)
        if action.lower() == "fullyunpay":
            if doc["PaymentStatus"] == 0:
                raise ApiError(400, "The document is not paid.", NOT_PAID)
            doc["_payments"] = []
            self._settle(doc, None)
            return envelope(True)
        if doc["PaymentStatus"] in (1, 3):
            raise ApiError(400, "The document is already paid.", ALREADY_PAID)
        raw = request.args.get("dateOfPayment")
        try:
            paid_on = parse_datetime(raw).date() if raw else date.today()
        except QueryError:
            raise ApiError(400, f"The value '{raw}' is not valid for dateOfPayment.", 400) from None
        self._pay(doc, paid_on)
        return envelope(True)

    def _payment_default(self, account: dict, doc_id: str) -> Response:
        doc = self._payment_document(account, doc_id)
        return envelope(
            {
                "InvoiceId": doc["Id"],
                "PaymentAmount": self._remaining(doc),
                "PaymentOptionId": doc["PaymentOptionId"],
                "DateOfPayment": api_datetime(date.today()),
                "SendPaymentConfirmation": False,
                "CreateIssuedTaxDocument": False,
            }
        )

    def _payment_create(self, account: dict) -> Response:
        body = self._json_body()
        problems = []
        amount = body.get("PaymentAmount")
        if not isinstance(amount, (int, Decimal)) or isinstance(amount, bool) or amount == 0:
            problems.append(("PaymentAmount", "The PaymentAmount field is required and must not be zero."))
        if not any(p["Id"] == body.get("PaymentOptionId") for p in seed.PAYMENT_OPTIONS):
            problems.append(("PaymentOptionId", "The PaymentOptionId field is required."))
        try:
            paid_on = parse_datetime(str(body.get("DateOfPayment") or "")).date()
        except QueryError:
            problems.append(("DateOfPayment", "The DateOfPayment field is required."))
        if not isinstance(body.get("InvoiceId"), int):
            problems.append(("InvoiceId", "The InvoiceId field is required."))
        if problems:
            raise ValidationFailed(problems)
        doc = self._payment_document(account, body["InvoiceId"])
        if doc["PaymentStatus"] in (1, 3):
            raise ApiError(400, "The document is already paid.", ALREADY_PAID)
        payment = {
            "Id": self._next_payment_id(),
            "InvoiceId": doc["Id"],
            "PaymentAmount": Decimal(amount),
            "PaymentOptionId": body["PaymentOptionId"],
            "DateOfPayment": api_datetime(paid_on),
        }
        doc.setdefault("_payments", []).append(payment)
        self._settle(doc, paid_on)
        return envelope(payment)

    def _pay(self, doc: dict, paid_on: date) -> None:
        payment = {
            "Id": self._next_payment_id(),
            "InvoiceId": doc["Id"],
            "PaymentAmount": self._remaining(doc),
            "PaymentOptionId": doc["PaymentOptionId"],
            "DateOfPayment": api_datetime(paid_on),
        }
        doc.setdefault("_payments", []).append(payment)
        self._settle(doc, paid_on)

    @staticmethod
    def _remaining(doc: dict) -> Decimal:
        return doc["Prices"]["TotalWithVat"] - doc["Prices"]["TotalPaid"]

    def _next_payment_id(self) -> int:
        self.next_payment_id += 1
        return self.next_payment_id

    @staticmethod
    def _settle(doc: dict, paid_on: date | None) -> None:
        """PaymentStatus, DateOfPayment and TotalPaid from the document's payments."""
        paid = sum((p["PaymentAmount"] for p in doc.get("_payments", [])), Decimal("0.00"))
        total = doc["Prices"]["TotalWithVat"]
        if paid == 0:
            status = 0
        elif abs(paid) < abs(total):
            status = 2
        else:
            status = 1 if paid == total else 3
        doc.update(
            {"PaymentStatus": status, "DateOfPayment": api_datetime(paid_on) if status in (1, 3) and paid_on else None}
        )
        doc["Prices"].update(
            {"TotalPaid": round2(paid), "TotalPaidHc": round2(paid * doc["ExchangeRate"] / doc["ExchangeRateAmount"])}
        )
        doc["Metadata"]["DateLastChange"] = api_datetime(datetime.now())
