"""Webhooks from accounting systems (payments flowing back). No session, no CSRF: each delivery
is authenticated as the vendor documents it, answered at once, and the work done in the worker.

Fakturoid [fakturoid.md §5, DOC-wh]: the merchant adds our address (shown on the Fakturoid
settings page) as a webhook in Fakturoid, with the integration's key as its `auth_header`, which
Fakturoid sends back in the Authorization header. No key created yet, or a wrong or replaced
one: 401. The payload is only a hint: the worker asks Fakturoid's API for the invoice, so a
forged or replayed delivery cannot mark anything paid, and a repeated one (the same
`Idempotency-Key`, fakturoid.md §6) is answered "duplicate" and queues nothing
(services/documents/payment_webhooks.py).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, request

from ..extensions import db
from ..models import Integration, IntegrationStatus
from ..services.documents import payment_webhooks, sync

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


def _invoice_id(payload: dict) -> str:
    # Shape UNCONFIRMED: Fakturoid's delivery carries `event_name` and `body` (the invoice); accept
    # the invoice at `body`, `body.invoice` or the top level.
    body = payload["body"] if isinstance(payload.get("body"), dict) else payload
    invoice = body["invoice"] if isinstance(body.get("invoice"), dict) else body
    value = invoice.get("id")
    return str(value) if isinstance(value, (int, str)) and str(value).isdigit() else ""


@bp.post("/fakturoid/<int:integration_id>")
def fakturoid(integration_id: int):
    integration = db.session.get(Integration, integration_id)
    if (
        integration is None
        or integration.system != "fakturoid"
        or not payment_webhooks.authentic(integration, request.headers.get("Authorization"))
    ):
        abort(401)
    idempotency_key = request.headers.get("Idempotency-Key")
    if not payment_webhooks.take_in(integration, idempotency_key):
        return jsonify({"status": "duplicate"}), 200
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return jsonify({"error": "invalid_json"}), 400
    event = str(payload.get("event_name") or "")
    remote_id = _invoice_id(payload)
    if integration.status != IntegrationStatus.ACTIVE or event not in sync.PAYMENT_EVENTS or not remote_id:
        return jsonify({"status": "ignored"}), 200
    from ..tasks import payment_from_system

    try:
        payment_from_system(integration.id, remote_id)
    except Exception:
        # The queue is unreachable: forget the delivery and ask Fakturoid to repeat it later (a
        # 5xx), rather than answer "duplicate" to that repeat. (Were the process killed right
        # here, the nightly sync check still finds the invoice paid.)
        current_app.logger.exception("webhook %s: the payment check could not be queued", integration.id)
        payment_webhooks.forget(integration, idempotency_key)
        return jsonify({"error": "try_again"}), 503
    return jsonify({"status": "accepted"}), 202
