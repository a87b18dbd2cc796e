"""Words for the codes orders and documents carry (statuses, event types, methods, states), in
one place for the pages; templates read them as `order_labels.<group>[code]`."""

from __future__ import annotations

from types import SimpleNamespace

from flask_babel import lazy_gettext as _l

STATUSES = {
    "new": _l("New"),
    "processing": _l("Processing"),
    "on_hold": _l("On hold"),
    "partially_paid": _l("Partially paid"),
    "paid": _l("Paid"),
    "shipped": _l("Shipped"),
    "delivered": _l("Delivered"),
    "completed": _l("Completed"),
    "cancelled": _l("Cancelled"),
    "partially_refunded": _l("Partially refunded"),
    "refunded": _l("Refunded"),
}
EVENTS = {
    "created": _l("Order received"),
    "status_changed": _l("Status changed"),
    "paid": _l("Payment received"),
    "shipped": _l("Shipped"),
    "cancelled": _l("Cancelled"),
    "refunded": _l("Refund"),
}
PAYMENT_METHODS = {
    "bank_transfer": _l("Bank transfer"),
    "card": _l("Card"),
    "cod": _l("Cash on delivery"),
    "cash": _l("Cash"),
    "paypal": _l("PayPal"),
    "other": _l("Other"),
}
SHIPPING_METHODS = {
    "courier": _l("Courier"),
    "post": _l("Post"),
    "pickup_point": _l("Pick-up point"),
    "personal": _l("Personal collection"),
    "other": _l("Other"),
}
DOCUMENT_KINDS = {"invoice": _l("Invoice"), "proforma": _l("Proforma invoice"), "credit_note": _l("Credit note")}
DOCUMENT_STATES = {
    "pending": _l("Waiting"),
    "creating": _l("Being created"),
    "created": _l("Created"),
    "failed": _l("Failed"),
    "cancelled": _l("Cancelled"),
    "imported": _l("Imported"),
}
# The orders list: how far an order's documents have got.
DOCUMENTS = {
    "done": _l("All documents issued"),
    "waiting": _l("Documents waiting"),
    "failed": _l("A document failed"),
    "none": _l("No documents"),
}
SOURCES = {"api": _l("Shop (API)"), "ui": _l("Entered by hand"), "test": _l("Test")}
CUSTOMER_TYPES = {"person": _l("Person"), "company": _l("Company")}

LABELS = SimpleNamespace(
    statuses=STATUSES,
    events=EVENTS,
    payment_methods=PAYMENT_METHODS,
    shipping_methods=SHIPPING_METHODS,
    document_kinds=DOCUMENT_KINDS,
    document_states=DOCUMENT_STATES,
    documents=DOCUMENTS,
    sources=SOURCES,
    customer_types=CUSTOMER_TYPES,
)
