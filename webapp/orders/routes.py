"""Orders: the list, one order, a new (test) order, and the actions on an order.

Views read the request, call the services in `webapp/services/orders/`, and render one
template. Every action is a POST with a CSRF token that answers with a redirect (a reload never
repeats it; a repeated submit of the same form is the same event and is recorded once).
Everything is scoped to the signed-in user's shop: another shop's order is "not found".
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from connectors import registry
from connectors.errors import ConnectorError

from ..auth.guards import merchants_only
from ..documents import wording as document_words
from ..models import Order, OrderSource, OrderStatus
from ..models.orders import PAYMENT_METHODS, SHIPPING_METHODS
from ..models.types import utcnow
from ..services.accounts.tenancy import current_shop_id
from ..services.documents import archiving, planning
from ..services.orders import events, intake, queries, totals, validation
from . import forms
from .labels import LABELS

bp = Blueprint("orders", __name__, url_prefix="/orders")

merchants_only(bp)


@bp.app_context_processor
def inject_labels() -> dict[str, Any]:
    return {"order_labels": LABELS}


def _order_or_404(order_id: int) -> Order:
    order = queries.get_order(current_shop_id(), order_id)
    if order is None:
        abort(404)
    return order


def _actor() -> str:
    return forms.actor_for(current_user, session.get("impersonator_id"))


# -- list ----------------------------------------------------------------------------------------
@bp.get("/")
def index():
    filters = queries.parse_filters(request.args)
    page = queries.list_orders(current_shop_id(), filters, page=request.args.get("page", 1, type=int))
    return render_template(
        "orders/index.html",
        result=page,
        filters=filters,
        statuses=OrderStatus.ALL,
        document_filters=queries.DOCUMENT_FILTERS,
    )


# -- one order -----------------------------------------------------------------------------------
@bp.get("/<int:order_id>")
def view(order_id: int):
    order = _order_or_404(order_id)
    return render_template(
        "orders/view.html",
        order=order,
        totals=totals.order_totals(order),
        documents=queries.order_documents(order),
        problem=document_words.problem,
        ksef=document_words.ksef,
        attempts=queries.document_attempts(order),
        notices=document_words.NOTICES,
        statuses=OrderStatus.ALL,
        balance_due=totals.decimal_text(totals.balance_due(order)),
        stamp=forms.new_stamp(),
        today=utcnow().date().isoformat(),
    )


@bp.get("/<int:order_id>/documents/<int:document_id>/pdf")
def document_pdf(order_id: int, document_id: int):
    """The PDF of one of the order's documents: the archived copy, else fetched from the
    accounting system (and archived)."""
    document = queries.order_document(_order_or_404(order_id), document_id)
    if document is None or not document.remote_id:
        abort(404)
    try:
        pdf = archiving.pdf_of(document)
    except ConnectorError:
        abort(404)
    disposition = "attachment" if request.args.get("download") else "inline"
    return Response(
        pdf.content,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'{disposition}; filename="{pdf.filename}"'},
    )


# -- new order -----------------------------------------------------------------------------------
def _default_number() -> str:
    return "UI-" + utcnow().strftime("%Y%m%d-%H%M%S")


@bp.get("/new")
def new():
    shop = current_user.shop
    values = {
        "is_test": "1",
        "prices_include_vat": "1",
        "customer_type": "person",
        "currency": shop.currency if shop else "EUR",
        "billing_country": shop.country if shop else "",
    }
    return render_template("orders/new.html", values=values, errors={}, **_new_form_choices())


def _new_form_choices() -> dict[str, Any]:
    return {
        "line_rows": range(forms.LINE_ROWS),
        "default_number": _default_number(),
        "payment_choices": [(m, LABELS.payment_methods[m]) for m in PAYMENT_METHODS],
        "shipping_choices": [(m, LABELS.shipping_methods[m]) for m in SHIPPING_METHODS],
    }


@bp.post("/new")
def create():
    form = forms.new_order_form(request.form, _default_number())
    data, errors = validation.validate_order(form.payload)
    if data is None:  # invalid: `errors` says why
        # The form comes back with what was typed and each message next to its field.
        field_errors = forms.form_errors(validation.messages(errors), form.line_rows)
        return render_template("orders/new.html", values=request.form, errors=field_errors, **_new_form_choices()), 422
    order, created = intake.save_order(
        current_shop_id(), data, source=OrderSource.UI, actor=_actor(), is_test=form.is_test
    )
    if created:
        flash(_("Order %(number)s created.", number=order.number), "ok")
    else:
        flash(_("Order %(number)s already existed; it was updated.", number=order.number), "ok")
    return redirect(url_for(".view", order_id=order.id))


# -- actions -------------------------------------------------------------------------------------
def _flash_errors(messages: dict[str, list[str]], payload: dict[str, Any]) -> None:
    lines = payload.get("lines") or []
    for path, texts in messages.items():
        label = ""
        if path.startswith("lines[") and "]" in path:
            index = path[len("lines[") : path.index("]")]
            if index.isdigit() and int(index) < len(lines):
                label = lines[int(index)].get("sku", "")
        for text in texts:
            flash(f"{label}: {text}" if label else text, "error")


def _submit(order: Order, payload: dict[str, Any] | None, done: str, repeated: str) -> events.EventOutcome | None:
    data, errors = validation.validate_event(payload)
    if data is None:  # invalid: `errors` says why
        _flash_errors(validation.messages(errors), payload or {})
        return None
    outcome = events.submit_event(order, data, actor=_actor())
    if outcome.errors:
        _flash_errors(validation.messages(outcome.errors), payload or {})
        return None
    flash(done if outcome.created else repeated, "ok")
    return outcome


def _back(order: Order, anchor: str = ""):
    return redirect(url_for(".view", order_id=order.id) + anchor)


@bp.post("/<int:order_id>/status")
def change_status(order_id: int):
    order = _order_or_404(order_id)
    _submit(
        order,
        forms.status_payload(request.form),
        _("Status changed."),
        _("The order already has this status; nothing changed."),
    )
    return _back(order, "#timeline")


@bp.post("/<int:order_id>/payments")
def record_payment(order_id: int):
    order = _order_or_404(order_id)
    _submit(
        order,
        forms.payment_payload(request.form),
        _("Payment recorded."),
        _("This payment was recorded before; nothing changed."),
    )
    return _back(order, "#timeline")


@bp.post("/<int:order_id>/shipments")
def ship(order_id: int):
    order = _order_or_404(order_id)
    _submit(
        order,
        forms.shipment_payload(request.form),
        _("Shipment recorded."),
        _("This shipment was recorded before; nothing changed."),
    )
    return _back(order, "#timeline")


@bp.get("/<int:order_id>/refund")
def refund_form(order_id: int):
    order = _order_or_404(order_id)
    return render_template(
        "orders/refund.html",
        order=order,
        left=totals.refundable_by_sku(order),
        refundable=totals.refundable_amount(order),
        stamp=forms.new_stamp(),
    )


@bp.post("/<int:order_id>/refund")
def refund(order_id: int):
    order = _order_or_404(order_id)
    payload = forms.refund_payload(request.form, order)
    if payload is None:
        flash(str(validation.MESSAGES["nothing_to_refund"]), "error")
        return redirect(url_for(".refund_form", order_id=order.id))
    if _submit(order, payload, _("Refund recorded."), _("This refund was recorded before; nothing changed.")) is None:
        return redirect(url_for(".refund_form", order_id=order.id))
    return _back(order, "#timeline")


@bp.get("/<int:order_id>/cancel")
def cancel_confirm(order_id: int):
    """The second step of cancelling: what it means, and the button that does it."""
    order = _order_or_404(order_id)
    integration = planning.current_integration(order)
    system = getattr(registry.get(integration.system), "name", "") if integration is not None else ""
    return render_template(
        "orders/cancel.html",
        order=order,
        changes=[document_words.change_sentence(c, system) for c in events.preview_event(order, "cancelled")],
        stamp=forms.new_stamp(),
    )


@bp.post("/<int:order_id>/cancel")
def cancel(order_id: int):
    order = _order_or_404(order_id)
    if request.form.get("confirm") != "1":
        return redirect(url_for(".cancel_confirm", order_id=order.id))
    _submit(
        order,
        forms.cancel_payload(request.form),
        _("Order cancelled."),
        _("This cancellation was recorded before; nothing changed."),
    )
    return _back(order, "#timeline")
