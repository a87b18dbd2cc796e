"""What a support agent did (or tried) while acting as the merchant, in the merchant's words.

The audit keeps each request's endpoint, arguments, method and path (`impersonation.record_action`).
The merchant reads "Retried document Invoice 2026049" or "Tried to import invoices (refused:
read-only)", never "POST /documents/29/retry": `LABELS` gives every POST endpoint of the URL map a
pair of labels (done, refused), and a test fails on an endpoint it does not list. An endpoint
missing anyway (an audit row older than a rename) reads as the generic "Changed settings".
The raw method and path stay in the audit row, for staff (the diagnostics bundle).
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from ...extensions import db
from ...models import AuditEvent, Document, Order

GENERIC = (_l("Changed settings"), _l("Tried to change settings (refused: read-only)"))

# Endpoint -> (done, refused). Placeholders: %(system)s (the accounting system's name),
# %(document)s ("Invoice 2026049"), %(order)s (the order's number).
LABELS = {
    "integrations.activate": (
        _l("Saved and verified the %(system)s connection"),
        _l("Tried to save and verify the %(system)s connection (refused: read-only)"),
    ),
    "integrations.oauth_account": (
        _l("Chose the %(system)s account to connect"),
        _l("Tried to choose the %(system)s account to connect (refused: read-only)"),
    ),
    "integrations.reverify": (
        _l("Verified the %(system)s connection again"),
        _l("Tried to verify the %(system)s connection again (refused: read-only)"),
    ),
    "integrations.deactivate": (
        _l("Deactivated %(system)s"),
        _l("Tried to deactivate %(system)s (refused: read-only)"),
    ),
    "integrations.switch": (
        _l("Switched to %(system)s"),
        _l("Tried to switch to %(system)s (refused: read-only)"),
    ),
    "integrations.create_webhook_key": (
        _l("Created a new payments key for %(system)s"),
        _l("Tried to create a new payments key for %(system)s (refused: read-only)"),
    ),
    "integrations.refresh_choices": (
        _l("Refreshed the lists from %(system)s"),
        _l("Tried to refresh the lists from %(system)s (refused: read-only)"),
    ),
    "journey.start_import": (
        _l("Imported the existing invoices"),
        _l("Tried to import invoices (refused: read-only)"),
    ),
    "journey.issue_test_invoice": (
        _l("Issued a test invoice"),
        _l("Tried to issue a test invoice (refused: read-only)"),
    ),
    "journey.remove_test_document": (
        _l("Removed a test document"),
        _l("Tried to remove a test document (refused: read-only)"),
    ),
    "journey.remove_test_orders": (
        _l("Removed the test orders"),
        _l("Tried to remove the test orders (refused: read-only)"),
    ),
    "logs.retention": (
        _l("Changed how long the integration log is kept"),
        _l("Tried to change how long the integration log is kept (refused: read-only)"),
    ),
    "orders.create": (
        _l("Created an order"),
        _l("Tried to create an order (refused: read-only)"),
    ),
    "orders.change_status": (
        _l("Changed the status of order %(order)s"),
        _l("Tried to change the status of order %(order)s (refused: read-only)"),
    ),
    "orders.record_payment": (
        _l("Recorded a payment of order %(order)s"),
        _l("Tried to record a payment of order %(order)s (refused: read-only)"),
    ),
    "orders.ship": (
        _l("Recorded a shipment of order %(order)s"),
        _l("Tried to record a shipment of order %(order)s (refused: read-only)"),
    ),
    "orders.refund": (
        _l("Refunded order %(order)s"),
        _l("Tried to refund order %(order)s (refused: read-only)"),
    ),
    "orders.cancel": (
        _l("Cancelled order %(order)s"),
        _l("Tried to cancel order %(order)s (refused: read-only)"),
    ),
    "api_tokens.create": (
        _l("Created an API token"),
        _l("Tried to create an API token (refused: read-only)"),
    ),
    "api_tokens.revoke": (
        _l("Revoked an API token"),
        _l("Tried to revoke an API token (refused: read-only)"),
    ),
    "documents.retry": (
        _l("Retried document %(document)s"),
        _l("Tried to retry document %(document)s (refused: read-only)"),
    ),
    "documents.resend_ksef": (
        _l("Sent document %(document)s to KSeF again"),
        _l("Tried to send document %(document)s to KSeF again (refused: read-only)"),
    ),
    "documents.start_sync": (
        _l("Compared the documents with the accounting system"),
        _l("Tried to compare the documents with the accounting system (refused: read-only)"),
    ),
    "documents.resync": (
        _l("Compared document %(document)s with the accounting system"),
        _l("Tried to compare document %(document)s with the accounting system (refused: read-only)"),
    ),
    "documents.reissue": (
        _l("Issued document %(document)s again"),
        _l("Tried to issue document %(document)s again (refused: read-only)"),
    ),
    "documents.issue_missing": (
        _l("Issued the missing document of order %(order)s"),
        _l("Tried to issue the missing document of order %(order)s (refused: read-only)"),
    ),
    "rules.confirm_presets": (
        _l("Confirmed the proposed document rules"),
        _l("Tried to confirm the proposed document rules (refused: read-only)"),
    ),
    "rules.new": (
        _l("Added a document rule"),
        _l("Tried to add a document rule (refused: read-only)"),
    ),
    "rules.edit": (
        _l("Changed a document rule"),
        _l("Tried to change a document rule (refused: read-only)"),
    ),
    "rules.toggle": (
        _l("Switched a document rule on or off"),
        _l("Tried to switch a document rule on or off (refused: read-only)"),
    ),
    "rules.delete": (
        _l("Deleted a document rule"),
        _l("Tried to delete a document rule (refused: read-only)"),
    ),
    # Not the merchant's buttons (sign-in forms, the order API, vendors' webhooks, the console):
    # reached only by typing an address while acting as the merchant; said generically.
    "auth.login": GENERIC,
    "auth.forgot_password": GENERIC,
    "auth.reset_password": GENERIC,
    "api.save_order": GENERIC,
    "api.add_event": GENERIC,
    "webhooks.fakturoid": GENERIC,
    "support.impersonate": GENERIC,
}


def _arguments(detail: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The endpoint and its arguments: recorded with the row, or (older rows) read back from the
    path through the URL map."""
    endpoint = str(detail.get("endpoint") or "")
    args = detail.get("args")
    if isinstance(args, dict):
        return endpoint, args
    try:
        matched, values = current_app.url_map.bind("localhost").match(
            str(detail.get("path") or ""), method=detail.get("method")
        )
    except HTTPException:
        return endpoint, {}
    return endpoint or str(matched), dict(values)


def _document(shop_id: int, document_id: Any) -> str:
    from ...documents.wording import document_kind  # here: wording imports the services

    document = db.session.get(Document, document_id) if str(document_id).isdigit() else None
    if document is None or document.shop_id != shop_id:
        return f"#{document_id}"
    return f"{document_kind(document.kind)} {document.number or '#' + str(document.id)}"


def _order(shop_id: int, order_id: Any) -> str:
    order = db.session.get(Order, order_id) if str(order_id).isdigit() else None
    if order is None or order.shop_id != shop_id:
        return f"#{order_id}"
    return order.number


def _system(key: Any) -> str:
    from connectors import registry

    cls = registry.get(str(key))
    return cls.name if cls else str(key)


def describe(event: AuditEvent) -> str:
    """One support.action / support.action_refused row in the merchant's words."""
    detail = event.detail or {}
    endpoint, args = _arguments(detail)
    done, refused = LABELS.get(endpoint, GENERIC)
    label = refused if event.action == "support.action_refused" else done
    shop_id = event.shop_id or 0
    values = {
        "system": _system(args["system"]) if "system" in args else "",
        "document": _document(shop_id, args["document_id"]) if "document_id" in args else "",
        "order": _order(shop_id, args["order_id"]) if "order_id" in args else "",
    }
    return str(label) % values
