"""The integration log: every exchange with the accounting system, secret-free, newest first."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from ..auth.guards import merchants_only
from ..extensions import db
from ..models import ApiCall
from ..services.accounts.tenancy import get_or_404, scoped
from ..urls import page_number

bp = Blueprint("logs", __name__, url_prefix="/settings/accounting/log")
PAGE_SIZE = 25  # a phone screen or two of compact rows

merchants_only(bp)


@bp.get("/")
def index():
    page = page_number(request.args)
    errors_only = request.args.get("errors") == "1"
    query = scoped(ApiCall)
    if errors_only:
        query = query.where(db.or_(ApiCall.error_code.is_not(None), ApiCall.status >= 400))
    rows = db.session.scalars(query.order_by(ApiCall.id.desc()).offset((page - 1) * PAGE_SIZE)
                              .limit(PAGE_SIZE + 1)).all()
    return render_template("logs/index.html", calls=rows[:PAGE_SIZE], page=page,
                           has_more=len(rows) > PAGE_SIZE, errors_only=errors_only)


@bp.get("/<int:call_id>")
def detail(call_id: int):
    return render_template("logs/detail.html", call=get_or_404(ApiCall, call_id))
