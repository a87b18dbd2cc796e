"""The merchant's "Access by support" page: when support acted in this shop, why, and what was done."""

from flask import Blueprint, render_template

from ..auth.guards import merchants_only
from ..services.accounts import impersonation
from ..services.accounts.tenancy import current_shop_id

bp = Blueprint("support_access", __name__, url_prefix="/settings/support-access")
merchants_only(bp)


@bp.get("/")
def index():
    return render_template("support/access.html", history=impersonation.access_history(current_shop_id()))
