"""Support console: the shops and their connection state; act as a shop's owner (audited)."""
from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..services.accounts import impersonation

bp = Blueprint("support", __name__, url_prefix="/support")


@bp.get("/")
@login_required
def console():
    if not current_user.is_support:
        abort(403)
    return render_template("support/console.html", rows=impersonation.shops_overview())


@bp.post("/shops/<int:shop_id>/impersonate")
@login_required
def impersonate(shop_id: int):
    if not current_user.is_support:
        abort(403)
    owner = impersonation.start(shop_id)
    if owner is None:
        abort(404)
    flash(_("You are now acting as %(email)s. Everything you do is recorded under your own name.",
            email=owner.email), "info")
    return redirect(url_for("integrations.catalogue"))


@bp.post("/stop")
@login_required
def stop():
    if "impersonator_id" not in session:
        abort(400)
    impersonation.stop()
    return redirect(url_for(".console"))
