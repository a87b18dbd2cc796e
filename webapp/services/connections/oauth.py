"""Connecting through the vendor's OAuth authorization-code flow ("Connect with Fakturoid").

1. `start` makes a one-time `state`, remembered in the signed session, and returns the vendor's
   authorization URL with our registered app and callback.
2. The vendor sends the merchant back with `code` (or `error`); `finish` checks the state,
   trades the code for tokens and keeps them encrypted on a draft integration (never in the
   session cookie), then lists the accounts the merchant may choose.
3. `choose_account` stores the chosen account and verifies it like any activation.
"""

from __future__ import annotations

import secrets as random_tokens

from flask import current_app, session, url_for

from connectors import errors as codes
from connectors import registry
from connectors.errors import ConnectorError
from connectors.i18n import N_

from ...extensions import db
from ...models import Integration, IntegrationStatus
from ..accounts.encryption import box
from ..observability import audit
from . import activation, calls

SESSION_KEY = "oauth_state"


def callback_url(system: str) -> str:
    """The redirect URI registered with the vendor: FYNODE_PUBLIC_URL plus the callback path.
    Never built from the request's Host header, which whoever sends the request chooses."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + url_for("integrations.oauth_callback", system=system)


def start(system: str, redirect_uri: str) -> str:
    cls = registry.require(system)
    state = random_tokens.token_urlsafe(24)
    session[SESSION_KEY] = {"system": system, "state": state}
    return cls.authorization_url(
        calls.endpoints_for(system, {"auth_method": "oauth"}), calls.app_identity(), redirect_uri, state
    )


def _draft(shop_id: int, system: str) -> Integration:
    integration = activation.current_integration(shop_id, system)
    if integration is None:
        integration = Integration(shop_id=shop_id, system=system, status=IntegrationStatus.DRAFT, config={})
        db.session.add(integration)
        db.session.flush()
    return integration


def finish(shop_id: int, system: str, args: dict, redirect_uri: str):
    """Returns (integration, outcome, accounts). accounts is a list of (slug, name) to choose from."""
    cls = registry.require(system)
    expected = session.pop(SESSION_KEY, None) or {}
    if expected.get("system") != system or not args.get("state") or args.get("state") != expected.get("state"):
        # A stale tab, a replayed link or a forged callback: nothing is exchanged, and whatever
        # connection the shop has stays as it is.
        error = ConnectorError(codes.CONSENT_DENIED, detail="The authorization answer did not match this sign-in.")
        outcome = activation.outcome_from_error(system, error)
        outcome.message = "oauth_link_used"
        return activation.current_integration(shop_id, system), outcome, []
    if args.get("error") or not args.get("code"):
        error = cls.consent_error(args.get("error") or "access_denied", args.get("error_description", ""))
        audit.record("integration.consent_refused", shop_id, system=system, error=args.get("error", ""))
        db.session.commit()
        return activation.current_integration(shop_id, system), activation.outcome_from_error(system, error), []

    integration = _draft(shop_id, system)
    token_cache = calls.MemoryTokenCache()
    config = {**(integration.config or {}), "auth_method": "oauth"}
    connector, log = calls.build(
        system, shop_id=shop_id, config=config, secrets={}, integration=integration, token_cache=token_cache
    )
    try:
        new_secrets = connector.exchange_code(args["code"], redirect_uri)
        accounts = connector.list_accounts()
    except ConnectorError as failure:
        log_id = log.flush_to_db()
        db.session.commit()
        return integration, activation.outcome_from_error(system, failure, log_id), []
    log.flush_to_db()
    # Tokens are kept on the row right away, encrypted; the integration stays a draft (or keeps
    # its status) until an account is chosen and verified.
    pending = {
        "config": config,
        "secrets": new_secrets,
        "token": token_cache.load() or {},
        "accounts": [list(a) for a in accounts],
    }
    integration.choices = {**(integration.choices or {}), "_pending_oauth": box().encrypt(pending)}
    db.session.commit()
    if not accounts:
        error = ConnectorError(codes.ACCOUNT_NOT_FOUND, detail="This user has no account to connect.")
        return integration, activation.outcome_from_error(system, error), []
    return integration, None, accounts


def pending_accounts(integration: Integration | None) -> list[tuple[str, str]]:
    blob = (integration.choices or {}).get("_pending_oauth") if integration is not None else None
    return [tuple(a) for a in box().decrypt(blob).get("accounts", [])] if blob else []


def choose_account(shop_id: int, system: str, slug: str):
    integration = activation.current_integration(shop_id, system)
    blob = (integration.choices or {}).get("_pending_oauth") if integration is not None else None
    if integration is None or not blob:
        error = ConnectorError(codes.CONSENT_DENIED, detail="The authorization has expired; connect again.")
        return integration, activation.outcome_from_error(system, error)
    pending = box().decrypt(blob)
    if slug not in {a[0] for a in pending["accounts"]}:
        return integration, activation.Outcome(
            ok=False,
            code=codes.VALIDATION,
            message="pick_account",
            params={"system_key": system},
            fields={"slug": [N_("Pick one of the offered values.")]},
        )
    config = {**pending["config"], registry.require(system).oauth_account_key: slug}  # declared by the connector
    token_cache = calls.MemoryTokenCache()
    if pending.get("token"):
        token_cache.save(pending["token"])
    connector, log = calls.build(
        system,
        shop_id=shop_id,
        config=config,
        secrets=pending["secrets"],
        integration=integration,
        token_cache=token_cache,
    )
    try:
        with connector.http.deadline(activation.INTERACTIVE_SECONDS):
            identity = connector.verify()
            choices = activation.fetch_choices(connector)
    except ConnectorError as error:
        log_id = log.flush_to_db()
        calls.remember_error(integration, error)
        db.session.commit()
        return integration, activation.outcome_from_error(system, error, log_id)
    return integration, activation.complete(
        integration, connector, log, identity, choices, config, dict(pending["secrets"]), token_cache
    )
