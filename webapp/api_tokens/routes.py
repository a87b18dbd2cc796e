"""Settings -> API tokens. Only the shop's owner manages them. A new token is shown once, on the
page the creation redirects to (it travels there encrypted in the session cookie, popped at once;
only its hash is stored)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.guards import merchants_only
from ..services.accounts.tenancy import current_shop_id
from ..services.orders import tokens

bp = Blueprint("api_tokens", __name__, url_prefix="/settings/api-tokens")
NEW_TOKEN_KEY = "new_api_token"

merchants_only(bp)


@bp.before_request
def owners_only():
    if current_user.role != "owner":
        abort(403)


@bp.get("/")
def index():
    return render_template(
        "api_tokens/index.html",
        tokens=tokens.shop_tokens(current_shop_id()),
        new_token=tokens.unseal(current_shop_id(), session.pop(NEW_TOKEN_KEY, None)),
        error=None,
        name="",
    )


@bp.post("/")
def create():
    name = request.form.get("name", "").strip()
    if not name or len(name) > 100:
        error = _("Give the token a name of up to 100 characters, for example the shop it is for.")
        return render_template(
            "api_tokens/index.html",
            tokens=tokens.shop_tokens(current_shop_id()),
            new_token=None,
            error=error,
            name=name,
        ), 422
    token, raw = tokens.create_token(current_shop_id(), name)
    session[NEW_TOKEN_KEY] = tokens.seal(token, raw)
    return redirect(url_for(".index") + "#new-token")


@bp.post("/<int:token_id>/revoke")
def revoke(token_id: int):
    if not tokens.revoke_token(current_shop_id(), token_id):
        abort(404)
    flash(_("The token is revoked; requests with it are refused from now on."), "ok")
    return redirect(url_for(".index"))
