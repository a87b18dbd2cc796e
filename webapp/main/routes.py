from flask import Blueprint, current_app, redirect, request, session, url_for
from flask_login import current_user

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for("integrations.catalogue"))


@bp.post("/language")
def language():
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    target = request.form.get("next", "")
    if not (target.startswith("/") and not target.startswith("//")):
        target = url_for("main.home")
    return redirect(target)


@bp.get("/healthz")
def healthz():
    return {"ok": True}
