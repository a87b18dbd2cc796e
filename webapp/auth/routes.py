from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user, login_required

from ..redirects import safe_next
from ..services import sign_in
from .forms import LoginForm

bp = Blueprint("auth", __name__)


def _wait_message(seconds: int) -> str:
    if seconds < 60:
        return ngettext("Too many failed attempts. Wait %(num)d second and try again.",
                        "Too many failed attempts. Wait %(num)d seconds and try again.", seconds)
    minutes = -(-seconds // 60)
    return ngettext("Too many failed attempts. Wait %(num)d minute and try again.",
                    "Too many failed attempts. Wait %(num)d minutes and try again.", minutes)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    error = None
    status = 200
    headers = {}
    if form.validate_on_submit():
        result = sign_in.authenticate(form.email.data, form.password.data, request.remote_addr or "")
        if result.user is not None:
            sign_in.start_session(result.user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next"), url_for("main.home")))
        if result.reason == "throttled":
            status, error = 429, _wait_message(result.retry_after)
            headers["Retry-After"] = str(result.retry_after)
        else:
            status, error = 401, _("The e-mail or password is not right. Check both and try again.")
        form.password.data = ""
    elif request.method == "POST":
        status = 422
    return render_template("auth/login.html", form=form, error=error), status, headers


@bp.post("/logout")
@login_required
def logout():
    sign_in.end_session()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))
