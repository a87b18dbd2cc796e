"""Settings -> Accounting system -> the two checks after activation: import existing invoices
(a worker job with a progress page) and the test invoice (order and document side by side).

Views read the request, call one service and render one template; HTMX requests get the partial
the page itself includes. Every row is looked up scoped to the signed-in user's shop."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import ngettext
from flask_login import current_user

from connectors import base, registry
from connectors import errors as codes
from connectors.errors import ConnectorError

from ..auth.guards import merchants_only
from ..extensions import db, is_htmx
from ..models import Document, Integration, IntegrationStatus, Job, JobState, Order
from ..services.accounts.tenancy import current_shop_id, get_or_404, scoped
from ..services.connections import activation
from ..services.documents import archiving, importing, test_leftovers, trial_invoice
from . import import_results
from .forms import NEW_ORDER, TestInvoiceForm

bp = Blueprint("journey", __name__, url_prefix="/settings/accounting")
ORDER_CHOICES = 20

merchants_only(bp)


def _active_connection() -> Integration | None:
    """The shop's current connection, or, with `system=<key>`, an active one beside it that the
    merchant is trying before switching (import and test invoices work there too)."""
    system = request.values.get("system", "")
    if system and registry.get(system) is not None:
        integration = activation.current_integration(current_shop_id(), system)
    else:
        integration = activation.current_connection(current_shop_id())
    if integration is None or integration.status != IntegrationStatus.ACTIVE:
        return None
    return integration


def _page(template: str, partial: str, status: int = 200, **context):
    return render_template(partial if is_htmx() else template, **context), status


# -- import -----------------------------------------------------------------------------------
@bp.get("/import")
def import_page():
    integration = _active_connection()
    job = importing.latest_job(integration) if integration is not None else None
    return render_template(
        "journey/import.html",
        integration=integration,
        job=job,
        can_import=importing.can_import(integration.system if integration else None),
        max_pages=importing.MAX_PAGES,
    )


@bp.post("/import")
def start_import():
    integration = _active_connection()
    if integration is None or not importing.can_import(integration.system):
        abort(404)
    job = importing.start_import(integration)
    if not is_htmx():
        return redirect(url_for(".job", job_id=job.id), 303)
    return render_template("journey/_job.html", **_job_context(job))


def _job_context(job: Job) -> dict:
    # A job's integration is never deleted (foreign key); `get_one` says so to the type checker.
    integration = db.session.get_one(Integration, job.integration_id)
    outcome = None
    if job.state == "failed":
        if job.error_code == importing.STALE:
            outcome = activation.Outcome(ok=False, message="import_stopped")
        else:
            # Every failure the worker records has a code; a row without one (the column allows
            # it) reads as the generic failure instead of turning the page into a server error.
            error = ConnectorError(
                job.error_code or codes.REMOTE_ERROR,
                detail=job.error_detail or "",
                hint_key=(job.result or {}).get("hint_key"),
            )
            outcome = activation.outcome_from_error(integration.system, error, (job.result or {}).get("log_id"))
    # A job whose heartbeat stopped (or that was queued again after that) says so at once, not
    # "the import continues"; the periodic sweep restarts it (tasks.recover_jobs).
    lost = importing.is_stale(job) or importing.restarting(job)
    return {
        "job": job,
        "integration": integration,
        "outcome": outcome,
        "lost": lost,
        "stale": importing.is_stale(job),
        "max_pages": importing.MAX_PAGES,
        "can_pdf": base.CAN_PDF in registry.require(integration.system).capabilities,
    }


@bp.get("/jobs/<int:job_id>")
def job(job_id: int):
    row = get_or_404(Job, job_id)
    return _page("journey/job.html", "journey/_job.html", **_job_context(row))


@bp.get("/jobs/<int:job_id>/documents")
def import_documents(job_id: int):
    """The import's result on its own page: a summary line, matched / not matched, paged."""
    row = get_or_404(Job, job_id)
    if row.state != JobState.DONE:
        return redirect(url_for(".job", job_id=row.id))
    shown = import_results.results(
        row, request.args.get("show", import_results.ALL), request.args.get("page", 1, type=int)
    )
    return render_template(
        "journey/import_documents.html", results=shown, filters=import_results.FILTERS, **_job_context(row)
    )


# -- PDFs -------------------------------------------------------------------------------------
def _pdf_response(document_id: int, disposition: str):
    document = get_or_404(Document, document_id)
    if not document.remote_id:
        abort(404)
    try:
        pdf = archiving.pdf_of(document)
    except ConnectorError as error:
        outcome = activation.outcome_from_error(document.integration.system, error)
        return render_template("journey/pdf_error.html", outcome=outcome, document=document), 502
    response = make_response(pdf.content)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{_ascii(pdf.filename)}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _ascii(name: str) -> str:
    return "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)


@bp.get("/documents/<int:document_id>/pdf")
def document_pdf(document_id: int):
    return _pdf_response(document_id, "inline")


@bp.get("/documents/<int:document_id>/pdf/download")
def document_pdf_download(document_id: int):
    return _pdf_response(document_id, "attachment")


# -- test invoice -----------------------------------------------------------------------------
def _orders():
    return db.session.scalars(scoped(Order).order_by(Order.id.desc()).limit(ORDER_CHOICES)).all()


def _test_form_page(integration, form, status=200):
    return render_template(
        "journey/test_invoice.html",
        integration=integration,
        form=form,
        system=registry.get(integration.system) if integration else None,
    ), status


@bp.get("/test-invoice")
def test_invoice_page():
    integration = _active_connection()
    form = (
        TestInvoiceForm(
            integration.system, _orders(), default_market=trial_invoice.default_market(current_user.shop, integration)
        )
        if integration is not None
        else None
    )
    return _test_form_page(integration, form)


@bp.post("/test-invoice")
def issue_test_invoice():
    integration = _active_connection()
    if integration is None:
        abort(404)
    form = TestInvoiceForm(
        integration.system, _orders(), default_market=trial_invoice.default_market(current_user.shop, integration)
    )
    if not form.validate():
        if is_htmx():  # the errors replace the form itself, not the result region
            html = render_template(
                "journey/_test_form.html", integration=integration, form=form, system=registry.get(integration.system)
            )
            # Every result region is replaced: an earlier result below the form is cleared too.
            html += '<div id="test-result" role="status" aria-live="polite" hx-swap-oob="true"></div>'
            return html, 422, {"HX-Retarget": "#test-form", "HX-Reswap": "outerHTML"}
        return _test_form_page(integration, form, 422)
    if form.order.data == NEW_ORDER:
        order = trial_invoice.create_test_order(current_user.shop, form.market.data)
    else:
        order = get_or_404(Order, int(form.order.data))
    document, outcome = trial_invoice.issue(integration, order, form.kind.data)
    if is_htmx():
        # The result replaces the result region, and the form is replaced too, so no error from
        # an earlier attempt stays above the new result.
        html = render_template("journey/_test_document.html", **_document_context(document, outcome))
        html += render_template(
            "journey/_test_form.html",
            integration=integration,
            form=form,
            system=registry.get(integration.system),
            oob=True,
        )
        return html
    return _page("journey/test_document.html", "journey/_test_document.html", **_document_context(document, outcome))


def _document_context(document: Document, outcome=None) -> dict:
    system = registry.require(document.integration.system)
    return {
        "document": document,
        "order": document.order,
        "outcome": outcome,
        "system": system,
        "comparison": trial_invoice.comparison_for(document),
        "removal": trial_invoice.removal_plan(document),
        "requested_kind": (document.snapshot or {}).get("requested", {}).get("test_kind", document.kind),
        "kind_labels": trial_invoice.KIND_LABELS,
        "can_pdf": base.CAN_PDF in system.capabilities and document.state == "created",
    }


REMOVAL_KEY = "test_document_removal"


def _test_document_or_404(document_id: int) -> Document:
    document = get_or_404(Document, document_id)
    if not document.is_test:
        abort(404)
    return document


@bp.get("/test-invoice/<int:document_id>")
def test_document(document_id: int):
    document = _test_document_or_404(document_id)
    outcome = None
    carried = session.get(REMOVAL_KEY)
    if carried and carried.get("document_id") == document.id:  # the result of a removal, once
        session.pop(REMOVAL_KEY)
        outcome = activation.outcome_from_dict(carried["outcome"])
    return _page("journey/test_document.html", "journey/_test_document.html", **_document_context(document, outcome))


@bp.get("/test-invoice/<int:document_id>/remove")
def confirm_removal(document_id: int):
    """The second step before removing a test document: says what will happen in the system."""
    document = _test_document_or_404(document_id)
    context = _document_context(document)
    if context["removal"] == "none":
        return redirect(url_for(".test_document", document_id=document.id))
    return render_template("journey/confirm_removal.html", **context)


@bp.post("/test-invoice/<int:document_id>/remove")
def remove_test_document(document_id: int):
    document = _test_document_or_404(document_id)
    if request.form.get("confirm") != "yes":  # one tap never removes a document: ask first
        target = url_for(".confirm_removal", document_id=document.id)
        if is_htmx():
            return "", 204, {"HX-Redirect": target}
        return redirect(target, 303)
    outcome = trial_invoice.remove(document)
    if is_htmx():
        return render_template("journey/_test_document.html", **_document_context(document, outcome))
    # Post/redirect/get: the result page can be reloaded and its language switched.
    session[REMOVAL_KEY] = {"document_id": document.id, "outcome": activation.outcome_to_dict(outcome)}
    return redirect(url_for(".test_document", document_id=document.id), 303)


# -- test leftovers ---------------------------------------------------------------------------
@bp.get("/test-documents")
def test_documents():
    """Test documents still present in the accounting system, each with its tidy-up, and the
    test orders, kept apart from real ones, with a way to remove them."""
    shop_id = current_shop_id()
    documents = test_leftovers.present(shop_id)
    return render_template(
        "journey/test_documents.html",
        documents=documents,
        removals={d.id: trial_invoice.removal_plan(d) for d in documents},
        kind_labels=trial_invoice.KIND_LABELS,
        removable=len(test_leftovers.removable_test_orders(shop_id)),
        kept=test_leftovers.kept_test_orders(shop_id),
    )


@bp.get("/test-orders/remove")
def confirm_remove_test_orders():
    shop_id = current_shop_id()
    removable = len(test_leftovers.removable_test_orders(shop_id))
    if not removable:
        return redirect(url_for(".test_documents"))
    return render_template(
        "journey/confirm_remove_test_orders.html", removable=removable, kept=test_leftovers.kept_test_orders(shop_id)
    )


@bp.post("/test-orders/remove")
def remove_test_orders():
    if request.form.get("confirm") != "yes":  # one tap never deletes: ask first
        target = url_for(".confirm_remove_test_orders")
        if is_htmx():
            return "", 204, {"HX-Redirect": target}
        return redirect(target, 303)
    removed = test_leftovers.remove_test_orders(current_shop_id())
    flash(ngettext("%(num)d test order was removed.", "%(num)d test orders were removed.", removed), "info")
    return redirect(url_for(".test_documents"), 303)


@bp.app_template_global("steps_done")
def steps_done(integration: Integration) -> dict[str, bool]:
    """Which of the checks after activation the merchant has finished, for ticking them off."""
    job = importing.latest_job(integration)
    tested = db.session.scalar(
        db.select(Document.id)
        .where(
            Document.shop_id == integration.shop_id,
            Document.integration_id == integration.id,
            Document.is_test.is_(True),
            Document.state.in_(("created", "deleted")),
        )
        .limit(1)
    )
    return {"import": job is not None and job.state == JobState.DONE, "test": tested is not None}


@bp.app_template_filter("can_import")
def can_import(system: str) -> bool:
    return importing.can_import(system)


@bp.app_context_processor
def journey_context():
    from flask_babel import lazy_gettext as _l

    labels = {
        "open": _l("Open"),
        "paid": _l("Paid"),
        "partially_paid": _l("Partially paid"),
        "overdue": _l("Overdue"),
        "cancelled": _l("Cancelled"),
        "draft": _l("Draft"),
    }

    def document_status(status: str | None) -> str:
        return str(labels.get(status or "", status or "—"))

    return {"document_status": document_status}
