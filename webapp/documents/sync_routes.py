"""Sync verification and orders without their documents (pages on the documents blueprint)."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from connectors.errors import ConnectorError

from ..extensions import db
from ..models import Document, Integration, Job, Order
from ..services.accounts.tenancy import get_or_404, scoped
from ..services.documents import missing, planning, sync
from . import sync_wording
from .routes import bp


def _integration() -> Integration | None:
    return db.session.scalar(scoped(Integration).where(Integration.current.is_(True)))


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value and value.strip() else None
    except ValueError:
        return None


@bp.get("/sync")
def sync_page():
    integration = _integration()
    job = sync.latest_job(current_user.shop_id)
    start, end = sync.default_period()
    return render_template(
        "documents/sync.html", integration=integration, job=job, start=start, end=end, **_context(job)
    )


def _context(job: Job | None) -> dict:
    integration = db.session.get(Integration, job.integration_id) if job is not None else None
    system = integration.system if integration is not None else ""
    links = {}
    if job is not None:
        ids = [row["document_id"] for row in (job.result or {}).get("mismatches", [])][:500]
        for document in db.session.scalars(scoped(Document).where(Document.id.in_(ids))):
            links[document.id] = (document.snapshot or {}).get("pdf_url") or ""
    return {
        "system": system,
        "mismatch_text": lambda row: sync_wording.mismatch_text(row, system),
        "action_text": lambda action: sync_wording.action_text(action, system),
        "links": links,
    }


@bp.post("/sync")
def start_sync():
    integration = _integration()
    if integration is None or integration.status not in planning.ISSUABLE:
        flash(_("Connect an accounting system first."), "warn")
        return redirect(url_for(".sync_page"))
    orders = [o.strip() for o in request.form.get("orders", "").replace(",", "\n").splitlines() if o.strip()]
    start, end = _day(request.form.get("from", "")), _day(request.form.get("to", ""))
    period = None
    if not orders:
        if start is None or end is None or start > end:
            flash(_("Enter a period (from, to) with valid dates, or order numbers."), "error")
            return redirect(url_for(".sync_page"))
        period = (start, end)
    job = sync.start_check(integration, period=period, orders=orders or None)
    return redirect(url_for(".sync_job", job_id=job.id), 303)


@bp.get("/sync/<int:job_id>")
def sync_job(job_id: int):
    job = get_or_404(Job, job_id)
    if job.kind != sync.SYNC:
        abort(404)
    sync.importing.expire_if_stale(job)
    template = "documents/_sync_job.html" if request.headers.get("HX-Request") else "documents/sync_job.html"
    return render_template(template, job=job, **_context(job))


@bp.post("/<int:document_id>/resync")
def resync(document_id: int):
    document = get_or_404(Document, document_id)
    if not document.remote_id:
        abort(404)
    try:
        sync.resync(document)
        flash(_("Updated from your accounting system."), "success")
    except ConnectorError:
        flash(_("Your accounting system did not return this document. Try again later."), "error")
    return redirect(request.form.get("back") == "sync" and url_for(".sync_page") or url_for(".index"))


@bp.route("/<int:document_id>/reissue", methods=["GET", "POST"])
def reissue(document_id: int):
    document = get_or_404(Document, document_id)
    if not sync.can_reissue(document):
        flash(_("This document cannot be issued again."), "warn")
        return redirect(url_for(".sync_page"))
    if request.method == "GET":
        return render_template("documents/reissue.html", document=document)
    if not sync.is_gone(document):
        flash(_("The document still exists in your accounting system, so it was not issued again."), "warn")
        return redirect(url_for(".sync_page"))
    fresh = sync.reissue(document)
    if fresh is None:
        flash(_("This document cannot be issued again."), "warn")
    else:
        flash(_("A new document is being issued."), "success")
    return redirect(url_for(".index"))


@bp.get("/missing")
def missing_page():
    found = missing.find(current_user.shop_id)
    return render_template("documents/missing.html", found=found, missing_text=sync_wording.missing_text)


@bp.post("/missing/<int:order_id>/issue")
def issue_missing(order_id: int):
    order = get_or_404(Order, order_id)
    touched = missing.issue_now(order)
    if touched:
        flash(
            ngettext(
                "%(num)d document of order %(number)s is being issued.",
                "%(num)d documents of order %(number)s are being issued.",
                len(touched),
                number=order.number,
            ),
            "success",
        )
    else:
        flash(_("Order %(number)s has all its documents.", number=order.number), "success")
    return redirect(url_for(".missing_page"))
