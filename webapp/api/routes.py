"""`/api/v1`: orders and their events in, orders with their documents out (ORDER_API.md).

Every route except the OpenAPI description needs `Authorization: Bearer <shop API token>`;
without a valid one the answer is 401 before anything is looked up, so it never hints whether
an order exists. Amounts are decimal strings; the views only translate between JSON and the
services in `webapp/services/orders/`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Blueprint, g, jsonify, request, url_for

from ..models import Document, DocumentState, Order
from ..services.connections import hints
from ..services.orders import events, intake, queries, tokens, validation
from ..services.orders.totals import decimal_text

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_BODY = 1024 * 1024
KINDS = ("invoice", "proforma", "credit_note")
# States outside the contract read as the nearest one in it: an imported document exists in the system.
API_STATES = {DocumentState.IMPORTED: DocumentState.CREATED, "deleted": DocumentState.CANCELLED}
OPENAPI = Path(__file__).with_name("openapi.json")


def _error(status: int, code: str, **extra: Any):
    response = jsonify({"error": code, **extra})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="fynode"'
    return response


@bp.before_request
def require_token():
    if request.endpoint == "api.openapi":
        return None
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    token = tokens.authenticate(raw.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        return _error(401, "unauthorized")
    g.api_shop_id = token.shop_id
    g.api_actor = f"api:token:{token.id}"
    if request.content_length is not None and request.content_length > MAX_BODY:
        return _error(413, "too_large")
    return None


@bp.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _moment(value) -> str | None:
    return value.isoformat(timespec="seconds") + "+00:00" if value else None


def _document_json(document: Document, order: Order) -> dict[str, Any]:
    state = API_STATES.get(document.state, document.state)
    data: dict[str, Any] = {
        "kind": document.kind,
        "state": state,
        "number": document.number,
        "remote_id": document.remote_id,
        "total": decimal_text(document.total),
        "currency": document.currency or order.currency,
        "pdf": None,
    }
    if state == DocumentState.CREATED:
        data["pdf"] = url_for("orders.document_pdf", order_id=order.id, document_id=document.id)
    if state == DocumentState.FAILED:
        code = document.last_error_code or "remote_error"
        data["error"] = code
        data["hint"] = hints.hint_for(code, document.integration.system if document.integration else None)
    return data


def _order_json(order: Order, *, with_documents: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": order.number,
        "status": order.status,
        "currency": order.currency,
        "created_at": _moment(order.ordered_at),
        "total": decimal_text(order.total),
        "paid_total": decimal_text(order.paid_total),
        "refunded_total": decimal_text(order.refunded_total),
    }
    if with_documents:
        data["documents"] = [_document_json(d, order) for d in queries.order_documents(order) if d.kind in KINDS]
    return data


def _body() -> Any:
    return request.get_json(force=True, silent=True)


def _invalid(errors: validation.Errors):
    response = jsonify({"errors": validation.messages(errors)})
    response.status_code = 422
    return response


@bp.get("/openapi.json")
def openapi():
    return jsonify(_openapi())


@lru_cache(maxsize=1)
def _openapi() -> dict[str, Any]:
    return json.loads(OPENAPI.read_text(encoding="utf-8"))


@bp.post("/orders")
def save_order():
    data, errors = validation.validate_order(_body())
    if data is None:  # invalid: `errors` says why
        return _invalid(errors)
    order, created = intake.save_order(g.api_shop_id, data, actor=g.api_actor)
    response = jsonify(_order_json(order))
    response.status_code = 201 if created else 200
    if created:
        response.headers["Location"] = url_for(".get_order", number=order.number)
    return response


@bp.get("/orders/<number>")
def get_order(number: str):
    order = queries.find_order(g.api_shop_id, number)
    if order is None:
        return _error(404, "not_found")
    return jsonify(_order_json(order, with_documents=True))


@bp.post("/orders/<number>/events")
def add_event(number: str):
    order = queries.find_order(g.api_shop_id, number)
    if order is None:
        return _error(404, "not_found")
    data, errors = validation.validate_event(_body())
    if data is None:  # invalid: `errors` says why
        return _invalid(errors)
    outcome = events.submit_event(order, data, actor=g.api_actor)
    if outcome.errors:
        return _invalid(outcome.errors)
    event = outcome.event
    response = jsonify(
        {
            "number": order.number,
            "status": order.status,
            "recorded": outcome.created,
            "duplicate": event is not None and not outcome.created,
            "event": None
            if event is None
            else {
                "type": event.type,
                "at": _moment(event.at),
                "reference": event.reference,
                "amount": decimal_text(event.amount),
            },
        }
    )
    response.status_code = 202
    return response
