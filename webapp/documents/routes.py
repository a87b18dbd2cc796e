"""Documents: every document the rules issued, at a glance (waiting, failed, issued), with the
hint and a retry button for a failed one."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth.guards import merchants_only
from ..extensions import db
from ..models import Document, DocumentState
from ..redirects import safe_next
from ..services.accounts.tenancy import get_or_404, scoped
from ..services.documents import worker
from ..urls import page_number
from . import wording

bp = Blueprint("documents", __name__, url_prefix="/documents")
merchants_only(bp)
PAGE_SIZE = 30
FILTERS = {
    "waiting": (DocumentState.PENDING, DocumentState.CREATING),
    "failed": (DocumentState.FAILED,),
    "created": (DocumentState.CREATED,),
    "cancelled": (DocumentState.CANCELLED, DocumentState.DELETED),
}


@bp.get("/")
def index():
    state = request.args.get("state", "")
    kind = request.args.get("kind", "")
    page = page_number(request.args)
    query = scoped(Document).where(Document.is_test.is_(False), Document.state != DocumentState.IMPORTED)
    if state in FILTERS:
        query = query.where(Document.state.in_(FILTERS[state]))
    if kind in wording.KIND_NAMES:
        query = query.where(Document.kind == kind)
    rows = db.session.scalars(
        query.order_by(Document.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    ).all()
    counts = {
        name: db.session.scalar(
            db.select(db.func.count()).select_from(
                scoped(Document).where(Document.is_test.is_(False), Document.state.in_(states)).subquery()
            )
        )
        for name, states in FILTERS.items()
    }
    return render_template(
        "documents/index.html",
        documents=rows[:PAGE_SIZE],
        page=page,
        has_more=len(rows) > PAGE_SIZE,
        state=state,
        kind=kind,
        counts=counts,
        problem=wording.problem,
        ksef=wording.ksef,
    )


@bp.post("/<int:document_id>/retry")
def retry(document_id: int):
    document = get_or_404(Document, document_id)
    if worker.retry(document):
        flash(wording.retry_started(document), "success")
    else:
        flash(_("This document is not waiting for a retry."), "warn")
    return redirect(safe_next(request.form.get("next"), url_for("documents.index")))


@bp.post("/<int:document_id>/ksef")
def resend_ksef(document_id: int):
    """Send a rejected invoice to KSeF again, after the merchant fixed the data."""
    document = get_or_404(Document, document_id)
    if worker.resend_to_ksef(document):
        flash(
            _(
                "%(kind)s %(number)s was sent to KSeF again.",
                kind=wording.document_kind(document.kind),
                number=document.number or "",
            ),
            "success",
        )
    else:
        flash(_("This document could not be sent to KSeF again; see its state below."), "warn")
    return redirect(safe_next(request.form.get("next"), url_for("documents.index")))


from . import sync_routes  # noqa: E402,F401  (the sync pages live on this blueprint)
