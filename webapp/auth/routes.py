from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..redirects import safe_next
from ..services.accounts import mail, password_reset, sign_in
from .forms import ForgotPasswordForm, LoginForm, ResetPasswordForm

bp = Blueprint("auth", __name__)


def _wait_message(seconds: int) -> str:
    if seconds < 60:
        return ngettext(
            "Too many failed attempts. Wait %(num)d second and try again.",
            "Too many failed attempts. Wait %(num)d seconds and try again.",
            seconds,
        )
    minutes = -(-seconds // 60)
    return ngettext(
        "Too many failed attempts. Wait %(num)d minute and try again.",
        "Too many failed attempts. Wait %(num)d minutes and try again.",
        minutes,
    )


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


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        password_reset.request_reset(form.email.data)
        # The same answer whether or not the address has an account.
        flash(
            _(
                "If an account uses %(email)s, we have sent it a link to set a new password. Check your "
                "inbox (and the spam folder) in a minute.",
                email=form.email.data.strip(),
            ),
            "info",
        )
        return redirect(url_for(".login"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/forgot_password.html", form=form), status


@bp.route("/password/reset", methods=["GET", "POST"])
def reset_password():
    # The token travels in the query string, which the access log leaves out.
    user = password_reset.user_for(request.args.get("token"))
    if user is None:
        return render_template("auth/reset_link_invalid.html"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        password_reset.set_new_password(user, form.password.data)
        if current_user.is_authenticated:
            sign_in.end_session()
        flash(_("Your password is changed and every earlier sign-in has ended. Sign in with the new password."), "info")
        return redirect(url_for(".login"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/reset_password.html", form=form, email=user.email), status


@bp.get("/dev/outbox")
def outbox():
    """E-mails the app would have sent, for local runs without a mail server."""
    if not current_app.config["LOCAL_MODE"]:
        abort(404)
    return render_template("auth/outbox.html", mails=mail.outbox(), uses_outbox=mail.uses_outbox())
