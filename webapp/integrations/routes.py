"""Settings -> Accounting system: catalogue, the schema-driven form, activation and lifecycle.

Each view reads the request, calls one service and renders one template; HTMX requests get the
partial the page itself includes."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from connectors import registry
from connectors.errors import ConnectorError

from ..auth.guards import merchants_only
from ..extensions import is_htmx
from ..models import IntegrationStatus
from ..services.accounts.tenancy import current_shop_id
from ..services.connections import activation, calls, oauth, verification
from ..services.documents import payment_webhooks, rules
from . import messages
from .forms import render_fields

bp = Blueprint("integrations", __name__, url_prefix="/settings/accounting")

merchants_only(bp)


def _system_or_404(system: str):
    cls = registry.get(system)
    if cls is None:
        abort(404)
    return cls


def catalogue_chips(systems) -> tuple[list[str], dict[str, list[tuple[str, str]]]]:
    """What every system offers (said once) and, per system, only what differs: its markets,
    one-click connection, and what it cannot do that others can (from the capabilities)."""
    from connectors import base

    labels = integration_context()["capability_labels"]
    order = [
        c
        for c in labels
        if c
        in {
            base.CAN_INVOICE,
            base.CAN_PROFORMA,
            base.CAN_CREDIT_NOTE,
            base.CAN_LIST,
            base.CAN_PDF,
            base.CAN_EMAIL,
            base.CAN_MARK_PAID,
            base.CAN_NUMBER_SERIES,
            base.CAN_DELETE,
            base.CAN_DRAFT,
            base.CAN_OAUTH,
            base.CAN_PAYMENT_WEBHOOK,
        }
    ]
    everywhere = set.intersection(*(set(s.capabilities) for s in systems)) if systems else set()
    anywhere = set.union(*(set(s.capabilities) for s in systems)) if systems else set()
    shared = [str(labels[c]) for c in order if c in everywhere]
    chips: dict[str, list[tuple[str, str]]] = {}
    for system in systems:
        own = [("market", _("Markets: %(markets)s", markets=", ".join(system.markets)))]
        for cap in order:
            if cap in everywhere or cap not in anywhere:
                continue
            if cap == base.CAN_OAUTH:
                own.append(
                    ("plus", _("Connect with one click"))
                    if cap in system.capabilities
                    else ("minus", _("Connects with pasted API keys"))
                )
            elif cap in system.capabilities:
                own.append(("plus", str(labels[cap])))
            else:
                own.append(("minus", _("No %(feature)s", feature=str(labels[cap]).lower())))
        chips[system.key] = own
    return shared, chips


@bp.get("/")
def catalogue():
    shop_id = current_shop_id()
    systems = registry.all_connectors()
    shared, chips = catalogue_chips(systems)
    return render_template(
        "integrations/catalogue.html",
        systems=systems,
        integrations=activation.shop_integrations(shop_id),
        current=activation.current_connection(shop_id),
        shared=shared,
        chips=chips,
    )


def _connection_context(cls, integration, values=None, errors=None, outcome=None):
    stored = set()
    if integration is not None and integration.secrets_encrypted:
        stored = set(calls.stored_secrets(integration))
    if values is None:
        values = dict(integration.config or {}) if integration is not None else {}
        if values.get("auth_method") == activation.OAUTH_METHOD:
            # A connection made by signing in has no pasted keys: the paste form starts empty
            # rather than showing a client id that belongs to the sign-in app or another company.
            values.pop("client_id", None)
    fields = render_fields(
        cls.schema,
        values,
        errors or {},
        stored,
        integration.choices if integration is not None else None,
        set(activation.retry_secrets(integration)),
    )
    return {
        "system": cls,
        "integration": integration,
        "fields": fields,
        "outcome": outcome,
        "statuses": IntegrationStatus,
        "pending_accounts": oauth.pending_accounts(integration),
        "in_use": activation.current_connection(current_shop_id()),
        "payments": payment_webhooks.setup(integration),
        "new_webhook_key": None,
    }


OUTCOME_KEY = "integration_outcome"
NEW_WEBHOOK_KEY = "new_webhook_key"  # the one-time reveal of a new key, sealed (payment_webhooks.seal)


@bp.get("/<system>")
def settings(system: str):
    cls = _system_or_404(system)
    integration = activation.current_integration(current_shop_id(), system)
    outcome = activation.outcome_from_dict(session.pop(OUTCOME_KEY, None))
    ctx = _connection_context(cls, integration, outcome=outcome)
    ctx["new_webhook_key"] = payment_webhooks.unseal(integration, session.pop(NEW_WEBHOOK_KEY, None))
    return render_template("integrations/settings.html", **ctx)


@bp.post("/<system>/activate")
def activate(system: str):
    cls = _system_or_404(system)
    raw = request.form.to_dict()
    integration, outcome = activation.activate(current_shop_id(), system, raw)
    values = {k: v for k, v in raw.items() if k != "csrf_token"}
    ctx = _connection_context(
        cls, integration, values=values, errors=messages.describe(outcome).fields, outcome=outcome
    )
    status = 422 if outcome.code == "validation" and not outcome.log_id else 200
    template = "integrations/_connection.html" if is_htmx() else "integrations/settings.html"
    return render_template(template, **ctx), status


@bp.get("/<system>/connect")
def oauth_start(system: str):
    """ "Connect with <system>": off to the vendor's sign-in and consent page."""
    cls = _system_or_404(system)
    try:
        return redirect(oauth.start(system, oauth.callback_url(system)))
    except ConnectorError as error:
        integration = activation.current_integration(current_shop_id(), system)
        outcome = activation.outcome_from_error(system, error)
        return render_template("integrations/settings.html", **_connection_context(cls, integration, outcome=outcome))


@bp.get("/<system>/oauth/callback")
def oauth_callback(system: str):
    """Finish the vendor's redirect, then redirect again so the one-time code never stays in the
    address bar (a reload would replay it); the outcome travels in the session, secret-free."""
    _system_or_404(system)
    shop_id = current_shop_id()
    _integration, outcome, accounts = oauth.finish(shop_id, system, request.args.to_dict(), oauth.callback_url(system))
    if outcome is None and len(accounts) == 1:
        _integration, outcome = oauth.choose_account(shop_id, system, accounts[0][0])
    if outcome is not None:
        session[OUTCOME_KEY] = activation.outcome_to_dict(outcome)
    return redirect(url_for(".settings", system=system) + "#connection")


@bp.post("/<system>/oauth/account")
def oauth_account(system: str):
    cls = _system_or_404(system)
    integration, outcome = oauth.choose_account(current_shop_id(), system, request.form.get("slug", ""))
    template = "integrations/_connection.html" if is_htmx() else "integrations/settings.html"
    return render_template(template, **_connection_context(cls, integration, outcome=outcome))


@bp.post("/<system>/verify")
def reverify(system: str):
    cls = _system_or_404(system)
    integration = activation.current_integration(current_shop_id(), system)
    if integration is None or not integration.secrets_encrypted:
        abort(404)
    outcome = verification.reverify(integration)
    ctx = _connection_context(cls, integration, outcome=outcome)
    template = "integrations/_connection.html" if is_htmx() else "integrations/settings.html"
    return render_template(template, **ctx)


@bp.get("/<system>/deactivate")
def confirm_deactivate(system: str):
    """The second step before deactivating: what will happen, and a button that does it."""
    cls = _system_or_404(system)
    integration = activation.current_integration(current_shop_id(), system)
    if integration is None:
        abort(404)
    if integration.status not in (IntegrationStatus.ACTIVE, IntegrationStatus.NEEDS_ATTENTION):
        return redirect(url_for(".settings", system=system))
    return render_template(
        "integrations/confirm_deactivate.html",
        system=cls,
        integration=integration,
        in_use=activation.current_connection(current_shop_id()),
        waiting=activation.waiting_documents(integration),
        signed_in=activation.signed_in(integration),
    )


@bp.post("/<system>/deactivate")
def deactivate(system: str):
    _system_or_404(system)
    integration = activation.current_integration(current_shop_id(), system)
    if integration is None:
        abort(404)
    if request.form.get("confirm") != "yes":  # one tap never deactivates: ask first
        target = url_for(".confirm_deactivate", system=system)
        if is_htmx():
            return "", 204, {"HX-Redirect": target}
        return redirect(target, 303)
    was_current = integration.current
    activation.deactivate(integration)
    in_use = activation.current_connection(integration.shop_id)
    if not was_current and in_use is not None:
        # A system tried beside the one in use: nothing changes for the orders.
        flash(
            _(
                "%(system)s is deactivated. Nothing changed for your orders: they keep going to %(current)s. "
                "Its settings and history are kept; activate it again at any time.",
                system=registry.require(system).name,
                current=registry.require(in_use.system).name,
            ),
            "info",
        )
    else:
        flash(
            _("The connection is deactivated. Its settings and history are kept; activate it again at any time."),
            "info",
        )
    return redirect(url_for(".settings", system=system), 303)


@bp.get("/<system>/switch")
def confirm_switch(system: str):
    """The explicit step that makes a verified connection the shop's current one: which system is
    in use now, what happens to it and to the documents waiting for it, and what is missing."""
    cls = _system_or_404(system)
    shop_id = current_shop_id()
    integration = activation.current_integration(shop_id, system)
    if integration is None or not integration.secrets_encrypted:
        abort(404)
    if integration.current:
        return redirect(url_for(".settings", system=system))
    previous = activation.current_connection(shop_id)
    return render_template(
        "integrations/confirm_switch.html",
        system=cls,
        integration=integration,
        previous=previous,
        blockers=activation.switch_blockers(integration),
        waiting=activation.waiting_documents(previous) if previous is not None else 0,
    )


@bp.post("/<system>/switch")
def switch(system: str):
    _system_or_404(system)
    integration = activation.current_integration(current_shop_id(), system)
    if integration is None or not integration.secrets_encrypted:
        abort(404)
    if request.form.get("confirm") != "yes" or activation.switch_blockers(integration):
        target = url_for(".confirm_switch", system=system)
        if is_htmx():
            return "", 204, {"HX-Redirect": target}
        return redirect(target, 303)
    activation.switch_to(integration)
    flash(
        _(
            "%(system)s is now your shop's accounting system. Confirm its document rules so that orders "
            "turn into documents there.",
            system=registry.require(system).name,
        ),
        "info",
    )
    return redirect(url_for(".settings", system=system), 303)


def _payments_integration_or_404(system: str):
    _system_or_404(system)
    integration = activation.current_integration(current_shop_id(), system)
    if not payment_webhooks.applies(integration):
        abort(404)
    return integration


@bp.get("/<system>/payments-key")
def confirm_webhook_key(system: str):
    """The second step before replacing the key for payments flowing back: the system's
    deliveries are refused until the new key is pasted there."""
    integration = _payments_integration_or_404(system)
    if not integration.webhook_key_hash:
        return redirect(url_for(".settings", system=system) + "#payments")
    return render_template("integrations/confirm_webhook_key.html", system=registry.require(system))


@bp.post("/<system>/payments-key")
def create_webhook_key(system: str):
    """Create the key (or, confirmed, a new one), then show it once on the settings page: it
    travels there sealed in the session and is popped on arrival, so a reload shows it no more."""
    integration = _payments_integration_or_404(system)
    if integration.webhook_key_hash and request.form.get("confirm") != "yes":
        target = url_for(".confirm_webhook_key", system=system)
        if is_htmx():
            return "", 204, {"HX-Redirect": target}
        return redirect(target, 303)
    raw = payment_webhooks.create_key(integration)
    session[NEW_WEBHOOK_KEY] = payment_webhooks.seal(integration, raw)
    return redirect(url_for(".settings", system=system) + "#new-webhook-key", 303)


@bp.post("/<system>/choices")
def refresh_choices(system: str):
    cls = _system_or_404(system)
    integration = activation.current_integration(current_shop_id(), system)
    if integration is None or integration.status != IntegrationStatus.ACTIVE:
        abort(404)
    activation.refresh_choices(integration)
    ctx = _connection_context(cls, integration)
    template = "integrations/_connection.html" if is_htmx() else "integrations/settings.html"
    return render_template(template, **ctx)


@bp.app_context_processor
def integration_context():
    from flask_babel import lazy_gettext as _l

    from connectors import base

    labels = {
        base.CAN_INVOICE: _l("Invoices"),
        base.CAN_PROFORMA: _l("Proforma invoices"),
        base.CAN_CREDIT_NOTE: _l("Credit notes"),
        base.CAN_LIST: _l("Import of existing invoices"),
        base.CAN_PDF: _l("PDF download"),
        base.CAN_EMAIL: _l("E-mail sending"),
        base.CAN_MARK_PAID: _l("Marking as paid"),
        base.CAN_NUMBER_SERIES: _l("Number series"),
        base.CAN_DELETE: _l("Deleting documents"),
        base.CAN_DRAFT: _l("Drafts"),
        base.CAN_OAUTH: _l("Connect with one click"),
        base.CAN_PAYMENT_WEBHOOK: _l("Payments reported back"),
        "api": _l("API access"),
        "invoices": _l("Invoices"),
        "expenses": _l("Expenses"),
        "reports": _l("Reports"),
        # Poland's national e-invoice system: the account is connected to it.
        "ksef": _l("KSeF e-invoices"),
    }
    attention = None
    if getattr(current_user, "is_authenticated", False) and current_user.shop_id:
        current = activation.current_connection(current_user.shop_id)
        if current is not None and current.status == IntegrationStatus.NEEDS_ATTENTION:
            attention = current
    return {"capability_labels": labels, "capability_order": list(labels), "attention_integration": attention}


@bp.app_template_global("describe_outcome")
def describe_outcome(outcome) -> messages.Described:
    """An outcome's title, hint and field messages in the viewer's language (translated in
    Python, so no vendor text goes through `_()` in a template)."""
    return messages.describe(outcome)


@bp.app_template_global("attention_hint")
def attention_hint(integration) -> str:
    """What to fix in the accounting system for a connection paused by it ("" when new
    credentials are what it needs), in the viewer's language."""
    return messages.attention_hint(integration)


@bp.app_template_global("rules_state")
def rules_state(integration) -> str:
    """Whether the connection's document rules create documents: "pending", "off" or "on"."""
    return rules.rules_state(integration)


@bp.app_template_filter("system_name")
def system_name(key: str) -> str:
    cls = registry.get(key)
    return cls.name if cls else key
