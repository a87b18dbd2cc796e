from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from ..redirects import safe_next

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.is_support and current_user.shop_id is None:
        return redirect(url_for("support.console"))
    return redirect(url_for("integrations.catalogue"))


@bp.post("/language")
def language():
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next"), url_for("main.home")))


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
    return _error_page(403, _("This page is not available to you"), _("Your role does not allow this page."))


@bp.app_errorhandler(404)
def not_found(_error):
    return _error_page(404, _("Page not found"), _("The address may be mistyped, or the item no longer exists."))


@bp.app_errorhandler(413)
def too_large(_error):
    limit_mb = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) / (1024 * 1024)
    return _error_page(413, _("What you sent is too large"),
                       _("This app accepts at most %(size)s MB at once. Go back and send less.",
                         size=f"{limit_mb:g}"))


@bp.app_errorhandler(500)
def server_error(_error):
    return _error_page(500, _("Something went wrong on our side"),
                       _("Nothing you typed is lost on our side. Try again in a minute; if it keeps happening, contact support."))
