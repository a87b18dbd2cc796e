from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..services.accounts.sign_in import authenticate
from .forms import LoginForm

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        user, reason = authenticate(form.email.data, form.password.data, request.remote_addr or "")
        if user is not None:
            lang = session.get("lang")
            session.clear()
            if lang:
                session["lang"] = lang
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
        status = 429 if reason == "locked" else 401
        error = (_("Too many failed attempts. Wait 15 minutes and try again.") if reason == "locked"
                 else _("The e-mail or password is not right. Check both and try again."))
        form.password.data = ""
    elif request.method == "POST":
        status = 422
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))
