"""Support console: find a shop (name, owner e-mail, order or document number), see its health,
recent errors, documents waiting or failed and its log; download a redacted diagnostics bundle;
act as the shop's owner, read-only unless switched to changes with a reason (all audited).

Who may open these routes is decided centrally in `webapp.access` (support and admin only)."""

import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..services.accounts import impersonation
from ..services.observability import support_console

bp = Blueprint("support", __name__, url_prefix="/support")


def _agent_only() -> None:
    if not current_user.is_support or "impersonator_id" in session:
        abort(403)


@bp.get("/")
@login_required
def console():
    _agent_only()
    query = (request.args.get("q") or "").strip()[:200]
    rows = support_console.search(query) if query else impersonation.shops_overview()
    return render_template("support/console.html", rows=rows, query=query, failing=support_console.failing_shops())


@bp.get("/shops/<int:shop_id>")
@login_required
def shop(shop_id: int):
    _agent_only()
    details = support_console.shop_details(shop_id)
    if details is None:
        abort(404)
    return render_template("support/shop.html", **details)


@bp.get("/shops/<int:shop_id>/diagnostics.json")
@login_required
def diagnostics(shop_id: int):
    _agent_only()
    bundle = support_console.diagnostics_bundle(shop_id)
    if bundle is None:
        abort(404)
    return Response(
        json.dumps(bundle, ensure_ascii=False, indent=2, default=str),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="fynode-shop-{shop_id}-diagnostics.json"'},
    )


@bp.post("/shops/<int:shop_id>/impersonate")
@login_required
def impersonate(shop_id: int):
    _agent_only()
    reason = request.form.get("reason", "")
    if not impersonation.clean_reason(reason):
        flash(_("Give a reason (for example the ticket number) before acting as the merchant."), "error")
        return redirect(url_for(".shop", shop_id=shop_id))
    owner = impersonation.start(shop_id, reason)
    if owner is None:
        abort(404)
    flash(
        _(
            "You are now acting as %(email)s, read-only. Everything you do is recorded under your own name.",
            email=owner.email,
        ),
        "info",
    )
    return redirect(url_for("main.home"))


@bp.post("/changes")
@login_required
def enable_changes():
    if "impersonator_id" not in session:
        abort(400)
    if not impersonation.enable_changes(request.form.get("reason", "")):
        flash(_("Give a reason for making changes (for example what the merchant asked for)."), "error")
    else:
        flash(_("Changes are allowed now. They are recorded and shown to the merchant."), "warning")
    return redirect(_back())


def _back() -> str:
    from ..redirects import safe_next

    return safe_next(request.form.get("next"), url_for("main.home"))


@bp.post("/stop")
@login_required
def stop():
    if "impersonator_id" not in session:
        abort(400)
    impersonation.stop()
    return redirect(url_for(".console"))
