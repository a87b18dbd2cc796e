"""Webhooks from accounting systems (payments flowing back). No session, no CSRF: each delivery
is authenticated as the vendor documents it, answered at once, and the work done in the worker.

Fakturoid [fakturoid.md, DOC-wh]: a webhook has an optional `auth_header`, which Fakturoid sends
back with each delivery; the merchant sets it to `sync.webhook_secret(integration)`. We read it
from the Authorization header (UNCONFIRMED which header name Fakturoid uses for `auth_header`;
Authorization is the safe reading, and a missing or wrong value is refused). The payload is only
a hint: the worker asks Fakturoid's API for the invoice, so a forged or replayed delivery cannot
mark anything paid, and a repeated one (the same `Idempotency-Key`) records nothing twice.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from ..extensions import db
from ..models import Integration, IntegrationStatus
from ..services.documents import sync

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
        or not sync.webhook_authentic(integration, request.headers.get("Authorization", ""))
    ):
        abort(401)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return jsonify({"error": "invalid_json"}), 400
    event = str(payload.get("event_name") or "")
    remote_id = _invoice_id(payload)
    if integration.status != IntegrationStatus.ACTIVE or event not in sync.PAYMENT_EVENTS or not remote_id:
        return jsonify({"status": "ignored"}), 200
    from ..tasks import payment_from_system

    payment_from_system(integration.id, remote_id)
    return jsonify({"status": "accepted"}), 202
