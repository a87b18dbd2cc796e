"""The integration log: every exchange with the accounting system, secret-free, newest first,
filtered by status, operation, order, document and time; CSV export of the filtered rows; the
retention setting (owner only, see webapp.access)."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.guards import merchants_only
from ..extensions import db
from ..models import ApiCall, Shop
from ..services.accounts.tenancy import current_shop_id, get_or_404
from ..services.connections import hints
from ..services.observability import log_queries, operations
from ..services.observability.log_queries import LogFilter
from ..urls import page_number

bp = Blueprint("logs", __name__, url_prefix="/settings/accounting/log")
PAGE_SIZE = 25  # a phone screen or two of compact rows

merchants_only(bp)


@bp.app_template_filter("operation_label")
def operation_label(call: ApiCall) -> str:
    return operations.label(call.system, call.operation, call.method, call.url)


@bp.app_context_processor
def health_context():
    def integration_health(integration):
        """The integration's health, for the dashboard and the settings page (the shop's own only)."""
        from ..services.observability import health

        if integration is None or integration.shop_id != getattr(current_user, "shop_id", None):
            return None
        return health.for_integration(integration)

    return {"integration_health": integration_health}


@bp.get("/")
def index():
    shop_id = current_shop_id()
    page = page_number(request.args)
    filters = LogFilter.from_args(request.args)
    calls, has_more, page = log_queries.page(shop_id, filters, page, PAGE_SIZE)
    orders, documents = log_queries.links(shop_id, calls)
    shop = db.session.get_one(Shop, shop_id)  # the signed-in user's shop exists
    return render_template(
        "logs/index.html",
        calls=calls,
        page=page,
        has_more=has_more,
        filters=filters,
        operation_choices=operations.choices(),
        orders=orders,
        documents=documents,
        retention_days=log_queries.retention_days(shop),
    )


@bp.get("/export.csv")
def export():
    filters = LogFilter.from_args(request.args)
    return Response(
        log_queries.export_csv(current_shop_id(), filters),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="integration-log.csv"'},
    )


@bp.get("/<int:call_id>")
def detail(call_id: int):
    call = get_or_404(ApiCall, call_id)
    orders, documents = log_queries.links(call.shop_id, [call])
    hint = title = None
    # A call made outside any order or document (verification, number series) links to neither.
    order = orders.get(call.order_id) if call.order_id is not None else None
    document = documents.get(call.document_id) if call.document_id is not None else None
    # The transport codes network failures and the connector the answers it refused (with its own
    # hint, the one the activation form or the order page gave); older rows fall back on the
    # document's last error.
    code, hint_key = call.error_code, call.hint_key
    if code is None and call.failed and document is not None and document.last_error_code:
        code, hint_key = document.last_error_code, document.last_error_hint_key
    if code is None and call.failed:
        code = "remote_error"
    if code:
        title, hint = hints.title_for(code), hints.hint_for(code, call.system, hint_key)
    return render_template("logs/detail.html", call=call, order=order, document=document, hint=hint, hint_title=title)


@bp.route("/retention", methods=["GET", "POST"])
def retention():
    shop = db.session.get_one(Shop, current_shop_id())
    if request.method == "POST":
        raw = request.form.get("days", "")
        if not raw.isdigit() or int(raw) not in log_queries.RETENTION_CHOICES:
            flash(_("Choose one of the offered periods."), "error")
            return render_template(
                "logs/retention.html", choices=log_queries.RETENTION_CHOICES, current=log_queries.retention_days(shop)
            ), 400
        shop.log_retention_days = int(raw)
        from ..services.observability import audit

        audit.record("log.retention_changed", shop.id, days=int(raw))
        db.session.commit()
        flash(_("The integration log now keeps entries for %(days)s days.", days=raw), "success")
        return redirect(url_for(".index"))
    return render_template(
        "logs/retention.html", choices=log_queries.RETENTION_CHOICES, current=log_queries.retention_days(shop)
    )
