"""The shell's own pages: the dashboard (the page after sign-in), the settings overview, the
language switch, and the error pages every area shares."""

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError

from ..navigation import RULES, nearest_page, section_link
from ..redirects import safe_next
from ..services.accounts import sign_in
from ..services.connections import activation
from ..services.documents import missing, sync
from ..services.observability import dashboard

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.shop_id is None:
        if current_user.is_support:
            return redirect(url_for("support.console"))
        abort(403)
    shop_id = current_user.shop_id
    return render_template(
        "main/dashboard.html",
        current=activation.current_connection(shop_id),
        counts=dashboard.document_counts(shop_id),
        test_documents=dashboard.leftover_test_documents(shop_id),
        last_sync=sync.latest_job(shop_id),
        missing=missing.latest_count(shop_id),
        sync_differences=dashboard.sync_differences(shop_id),
    )


@bp.get("/settings/")
@login_required
def settings_index():
    if current_user.shop_id is None:
        abort(403)
    return render_template("main/settings.html", rules_link=section_link(RULES))


@bp.post("/language")
def language():
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        sign_in.choose_language(lang)
    target = safe_next(request.form.get("next"), url_for("main.home"))
    # Back to a page that a GET can show: never to the address of a form post.
    parts = urlsplit(target)
    page = nearest_page(parts.path)
    if page == parts.path and parts.query:
        page += "?" + parts.query
    return redirect(page, 303)


@bp.get("/healthz")
def healthz():
    return {"ok": True}


def _error_page(status: int, title: str, message: str):
    return render_template("errors/error.html", title=title, message=message), status


@bp.app_errorhandler(400)
def bad_request(_error):
    return _error_page(400, _("The request could not be understood"), _("Go back, reload the page and try again."))


@bp.app_errorhandler(CSRFError)
def csrf_error(_error):
    return _error_page(400, _("The form has expired"), _("Reload the page and send the form again."))


@bp.app_errorhandler(403)
def forbidden(_error):
    from ..access import refusal

    # Said in the page's messages region when an HTMX button was refused (webapp.access).
    return refusal(403, _("This page is not available to you"), _("Your role does not allow this page."))


@bp.app_errorhandler(404)
def not_found(_error):
    return _error_page(404, _("Page not found"), _("The address may be mistyped, or the item no longer exists."))


@bp.app_errorhandler(413)
def too_large(_error):
    limit_mb = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) / (1024 * 1024)
    return _error_page(
        413,
        _("What you sent is too large"),
        _("This app accepts at most %(size)s MB at once. Go back and send less.", size=f"{limit_mb:g}"),
    )


@bp.app_errorhandler(405)
def method_not_allowed(_error):
    """A GET on an address that only takes form posts (a reload, a bookmark, a language change
    after a post without JavaScript) goes to the page that address belongs to."""
    if request.method in ("GET", "HEAD"):
        page = nearest_page(request.path)
        if page != request.path:
            return redirect(page, 303)
    return _error_page(
        405, _("This address only accepts a form"), _("Open the page again from the navigation and use its button.")
    )


@bp.app_errorhandler(500)
def server_error(_error):
    return _error_page(
        500,
        _("Something went wrong on our side"),
        _("Nothing you typed is lost on our side. Try again in a minute; if it keeps happening, contact support."),
    )
