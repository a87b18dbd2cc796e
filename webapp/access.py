"""Who may do what, decided in one place for every route (issue 9.9 and 11.7).

`PERMISSIONS` maps endpoints to the permission a request needs; a blueprint's default covers its
routes unless an endpoint is listed. Enforcement is one `before_request` hook, so route bodies
stay untouched and a new route is covered by its blueprint's default (tests enumerate the URL
map and fail on any endpoint this table does not classify).

- PUBLIC: anyone (sign-in, language, health check, static files).
- API: the order API authenticates its own bearer tokens.
- SIGNED_IN: any signed-in user (the route decides what to show).
- STAFF: the shop's day-to-day work: orders, documents, test invoices, the integration log.
- OWNER: only the shop's owner: credentials, connect/switch/deactivate, API tokens, rules,
  retention settings. Staff get 403.
- SUPPORT: support agents and admins only (the console).

Impersonation: while a support agent acts as a merchant, the session is READ-ONLY: every
request with a method other than GET/HEAD/OPTIONS is refused with a clear message, except the
few that end or widen the impersonation. Changes need an explicit switch with its own reason.
The impersonation ends after IMPERSONATION_MINUTES (30). Every change attempted while acting
as a merchant is audited with both the agent and the merchant.
"""

from __future__ import annotations

import time

from flask import Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

PUBLIC, API, SIGNED_IN, STAFF, OWNER, SUPPORT = "public", "api", "signed_in", "staff", "owner", "support"

BLUEPRINT_DEFAULTS = {
    "auth": PUBLIC,
    "api": API,
    "webhooks": API,  # vendors' deliveries: authenticated by their own header, like the API by its token
    "main": SIGNED_IN,
    "orders": STAFF,
    "documents": STAFF,
    "journey": STAFF,
    "logs": STAFF,
    "support_access": STAFF,
    # Anything new under these is owner-only until listed otherwise (the safe reading).
    "integrations": OWNER,
    "api_tokens": OWNER,
    "rules": OWNER,
    "support": SUPPORT,
}

PERMISSIONS = {
    "static": PUBLIC,
    "main.healthz": PUBLIC,
    "main.language": PUBLIC,
    # Staff see the accounting system's page and may check the connection again.
    "integrations.catalogue": STAFF,
    "integrations.settings": STAFF,
    "integrations.reverify": STAFF,
    # Staff may read the rules; changing them is the owner's.
    "rules.index": STAFF,
    # Retention of the integration log is an owner's setting.
    "logs.retention": OWNER,
    # Ending or widening an impersonation is checked by the support blueprint itself (the signed-in
    # user is then the merchant, not the agent).
    "support.stop": SIGNED_IN,
    "support.enable_changes": SIGNED_IN,
}

# Routes a read-only impersonation may still post to: they end or widen it, or change nothing.
ALLOWED_WHILE_READ_ONLY = frozenset({"support.stop", "support.enable_changes", "auth.logout", "main.language"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

IMPERSONATOR_KEY = "impersonator_id"
STARTED_KEY = "impersonation_started"
CHANGES_KEY = "impersonation_changes"
REASON_KEY = "impersonation_reason"


def permission_for(endpoint: str | None) -> str | None:
    """The permission `endpoint` needs, or None when the table does not classify it."""
    if endpoint is None:
        return PUBLIC  # no route matched: the 404/405 handlers answer
    if endpoint in PERMISSIONS:
        return PERMISSIONS[endpoint]
    blueprint = endpoint.rsplit(".", 1)[0] if "." in endpoint else None
    return BLUEPRINT_DEFAULTS.get(blueprint) if blueprint else None


def allowed(user, permission: str) -> bool:
    """May `user` (signed in) use a route needing `permission`?"""
    if permission in (PUBLIC, API, SIGNED_IN):
        return True
    role = getattr(user, "role", None)
    if permission == SUPPORT:
        return role in ("support", "admin")
    if permission == OWNER:
        return role in ("owner", "support", "admin")  # support and admin have no shop of their own
    return True  # STAFF: every shop member; a shop is required by the blueprint's own guard


def may(user, permission: str) -> bool:
    """For services called outside a request (CLI, worker) that act for a user."""
    return user is not None and allowed(user, permission)


def impersonating() -> bool:
    return session.get(IMPERSONATOR_KEY) is not None


def changes_enabled() -> bool:
    return impersonating() and bool(session.get(CHANGES_KEY))


def minutes_left() -> int:
    started = session.get(STARTED_KEY) or 0
    limit = current_app.config.get("IMPERSONATION_MINUTES", 30) * 60
    return max(0, int((started + limit - time.time()) // 60))


def _expired() -> bool:
    started = session.get(STARTED_KEY)
    limit = current_app.config.get("IMPERSONATION_MINUTES", 30) * 60
    return started is None or time.time() - float(started) > limit


# Where an HTMX button's refusal goes: the messages region every page has (base.html), at its top.
REFUSAL_TARGET = "#messages"
REFUSAL_HEADERS = {"HX-Retarget": REFUSAL_TARGET, "HX-Reswap": "innerHTML show:top"}


def refusal(status: int, title: str, message: str):
    """The answer to a refused request: the error page for a plain form post or a link; for an
    HTMX request (which swaps into a part of the page, or nothing at all), the same words as a
    message put into the page's messages region, so a refused button never fails silently.
    base.html's htmx-config swaps 403 answers, so the headers decide where they go."""
    from .extensions import is_htmx

    if is_htmx():
        return render_template("errors/_refusal.html", title=title, message=message), status, REFUSAL_HEADERS
    return render_template("errors/error.html", title=title, message=message), status


def init_app(app: Flask) -> None:
    @app.before_request
    def enforce_access():
        endpoint = request.endpoint
        permission = permission_for(endpoint)
        if permission is None:
            # Not classified: refuse rather than guess (the URL-map test catches this first).
            return refusal(403, _("This page is not available to you"), _("Your role does not allow this page."))
        if not getattr(current_user, "is_authenticated", False):
            return None  # the route's own login_required sends the visitor to sign in
        if impersonating():
            from .services.accounts import impersonation

            if _expired():
                impersonation.stop(reason="expired")
                flash(
                    _(
                        "Support access ended after %(minutes)s minutes. Start again with a reason if needed.",
                        minutes=app.config.get("IMPERSONATION_MINUTES", 30),
                    ),
                    "warning",
                )
                return redirect(url_for("support.console"))
            if request.method not in SAFE_METHODS and endpoint not in ALLOWED_WHILE_READ_ONLY and not changes_enabled():
                impersonation.record_action(refused=True)
                return refusal(
                    403,
                    _("Read-only support access"),
                    _(
                        "You are acting as this merchant in read-only mode, so nothing was changed. "
                        "To make this change, switch to changes in the support banner and give a reason."
                    ),
                )
        if not allowed(current_user, permission):
            return refusal(
                403,
                _("This page is not available to you"),
                _("Only the shop's owner can do this. Ask the owner of the shop."),
            )
        return None

    @app.after_request
    def audit_changes(response):
        if (
            request.method not in SAFE_METHODS
            and impersonating()
            and changes_enabled()
            and request.endpoint not in ALLOWED_WHILE_READ_ONLY
            and getattr(current_user, "is_authenticated", False)
        ):
            from .services.accounts import impersonation

            impersonation.record_action(refused=False, status=response.status_code)
        return response

    @app.context_processor
    def impersonation_context():
        if not impersonating():
            return {"support_session": None, "support_agent_email": ""}
        from .extensions import db
        from .models import User

        agent = db.session.get(User, session.get(IMPERSONATOR_KEY))
        return {
            "support_session": {
                "changes": changes_enabled(),
                "minutes_left": minutes_left(),
                "reason": session.get(REASON_KEY, ""),
            },
            "support_agent_email": agent.email if agent else "",
        }
