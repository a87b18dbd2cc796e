"""Who may use a blueprint: one guard for the merchant-facing areas."""

from flask import Blueprint, abort
from flask_login import current_user, login_required


def merchants_only(bp: Blueprint) -> Blueprint:
    """Every view of `bp` needs a signed-in user who belongs to a shop (support agents act as one)."""

    @bp.before_request
    @login_required
    def _require_shop():
        if getattr(current_user, "shop_id", None) is None:
            abort(403)

    return bp
