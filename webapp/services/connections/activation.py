"""Activate, update, deactivate and re-authenticate a shop's accounting-system connection.

Activation verifies live before anything is saved: the previous credentials stay in force
until the new ones have worked. A compare-and-set on `busy_until` makes a double submit (two
tabs, a double click without JavaScript) run the verification once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _

from connectors import errors as codes
from connectors import fields as schema_fields
from connectors import registry
from connectors.errors import ConnectorError

from ...extensions import db
from ...models import Integration, IntegrationStatus, utcnow
from ..observability import audit
from . import calls
from ..accounts.encryption import box
from .hints import hint_for, title_for

BUSY = "busy"
BUSY_SECONDS = 30
# The settings page answers within 15 s even when the system hangs.
INTERACTIVE_SECONDS = 13.0


@dataclass
class Outcome:
    """What happened, what to do, and folded details: the same shape on every screen."""

    ok: bool
    title: str
    hint: str = ""
    code: str | None = None
    detail: str = ""
    fields: dict[str, list[str]] = field(default_factory=dict)
    identity: dict[str, Any] | None = None
    log_id: int | None = None
    at: datetime = field(default_factory=utcnow)


def outcome_to_dict(outcome: Outcome) -> dict[str, Any]:
    """For carrying an outcome across a redirect (it holds no secrets)."""
    data = {k: getattr(outcome, k) for k in ("ok", "title", "hint", "code", "detail", "fields", "identity", "log_id")}
    data["at"] = outcome.at.isoformat()
    return data


def outcome_from_dict(data: dict[str, Any] | None) -> Outcome | None:
    if not data:
        return None
    return Outcome(**{**data, "at": datetime.fromisoformat(data["at"])})


def current_integration(shop_id: int, system: str) -> Integration | None:
    return db.session.scalar(db.select(Integration).where(
        Integration.shop_id == shop_id, Integration.system == system).order_by(Integration.id.desc()))


def shop_integrations(shop_id: int) -> dict[str, Integration]:
    rows = db.session.scalars(db.select(Integration).where(Integration.shop_id == shop_id)
                              .order_by(Integration.id)).all()
    return {row.system: row for row in rows}


def current_connection(shop_id: int) -> Integration | None:
    return db.session.scalar(db.select(Integration).where(
        Integration.shop_id == shop_id, Integration.current.is_(True)))


def validate(system: str, raw: dict[str, Any], integration: Integration | None):
    cls = registry.get(system)
    stored = calls.stored_secrets(integration) if integration and integration.secrets_encrypted else {}
    config, secrets, errors = schema_fields.validate_values(cls.schema, raw, stored)
    # Secrets the form does not show (an OAuth refresh token) stay as they are.
    schema_secrets = schema_fields.secret_keys(cls.schema)
    secrets = {**{k: v for k, v in stored.items() if k not in schema_secrets}, **secrets}
    return config, secrets, {k: [_(m) for m in v] for k, v in errors.errors.items()}


def _claim(integration: Integration) -> bool:
    now = utcnow()
    claimed = db.session.execute(
        db.update(Integration)
        .where(Integration.id == integration.id,
               db.or_(Integration.busy_until.is_(None), Integration.busy_until < now))
        .values(busy_until=now + timedelta(seconds=BUSY_SECONDS))
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return claimed == 1


def _release(integration: Integration) -> None:
    integration.busy_until = None


def _suspect_fields(cls, error: ConnectorError) -> dict[str, list[str]]:
    """Fields to highlight when the system does not say which one is wrong."""
    keys: list[str] = []
    if error.code == codes.INVALID_CREDENTIALS:
        keys = [f.key for f in cls.schema if f.section == schema_fields.CONNECTION
                and (f.secret or f.kind == schema_fields.EMAIL or f.key.endswith("client_id"))]
    if error.code in cls.error_fields:  # the connector says which settings this error points at
        keys = [f.key for f in cls.schema if f.key in cls.error_fields[error.code]]
    return {k: [_("Check this value.")] for k in keys}


def outcome_from_error(system: str, error: ConnectorError, log_id: int | None = None) -> Outcome:
    cls = registry.get(system)
    hint = hint_for(error.code, system, error.hint_key)
    if error.code == codes.RATE_LIMITED and error.retry_at:
        hint = f"{hint} " + _("The limit resets at %(time)s.", time=error.retry_at.strftime("%Y-%m-%d %H:%M %Z").strip())
    fields = {k: [_(m) for m in v] for k, v in (error.fields or {}).items()}
    if not fields and cls is not None:
        fields = _suspect_fields(cls, error)
    return Outcome(ok=False, title=title_for(error.code), hint=hint, code=error.code, detail=error.detail,
                   fields=fields, log_id=log_id)


def identity_record(identity) -> dict[str, Any]:
    return {"company_name": identity.company_name, "account_id": identity.account_id, "plan": identity.plan,
            "user_email": identity.user_email, "allows": list(identity.allows),
            "warnings": list(identity.warnings), "country": identity.country, "currency": identity.currency}


def fetch_choices(connector) -> dict[str, Any]:
    """Values for selects that live in the accounting system (series, bank accounts...)."""
    choices: dict[str, Any] = {}
    for f in type(connector).schema:
        if f.choices_from and f.choices_from not in choices:
            try:
                choices[f.choices_from] = [list(c) for c in connector.list_choices(f.choices_from)]
            except ConnectorError as exc:
                choices[f.choices_from] = {"error": exc.code}
    return choices


def activate(shop_id: int, system: str, raw: dict[str, Any]) -> tuple[Integration | None, Outcome]:
    """Verify the submitted settings live; save them only when the system accepts them."""
    integration = current_integration(shop_id, system)
    config, secrets, field_errors = validate(system, raw, integration)
    if field_errors:
        return integration, Outcome(ok=False, title=_("Some fields need your attention"),
                                    hint=_("Correct the marked fields and activate again."),
                                    code=codes.VALIDATION, fields=field_errors)
    if integration is None:
        integration = Integration(shop_id=shop_id, system=system, status=IntegrationStatus.DRAFT,
                                  config={k: v for k, v in config.items()})
        db.session.add(integration)
        db.session.commit()
    if not _claim(integration):
        return integration, Outcome(ok=False, code=BUSY, title=_("Activation is already running"),
                                    hint=_("Wait for the result of the first attempt; it appears here in a few seconds."))
    unchanged = (integration.secrets_encrypted and secrets == calls.stored_secrets(integration)
                 and config == (integration.config or {}))
    token_cache = None if unchanged else calls.MemoryTokenCache()
    connector, log = calls.build(system, shop_id=shop_id, config=config, secrets=secrets,
                                       integration=integration, token_cache=token_cache)
    try:
        with connector.http.deadline(INTERACTIVE_SECONDS):
            identity = connector.verify()
            choices = fetch_choices(connector)
    except ConnectorError as error:
        log_id = log.flush_to_db()
        _release(integration)
        if unchanged and error.is_auth and integration.status == IntegrationStatus.ACTIVE:
            integration.status = IntegrationStatus.NEEDS_ATTENTION
        integration.last_error_code = error.code
        integration.last_error_detail = error.detail[:2000]
        audit.record("integration.activation_failed", shop_id, system=system, code=error.code)
        db.session.commit()
        return integration, outcome_from_error(system, error, log_id)
    except BaseException:
        # Whatever went wrong, the next attempt must not wait for the lock to expire.
        db.session.rollback()
        _release(integration)
        db.session.commit()
        raise

    return integration, complete(integration, connector, log, identity, choices, config, secrets, token_cache)


def complete(integration: Integration, connector, log, identity, choices, config, secrets, token_cache) -> Outcome:
    """The connection verified: store what was verified, make it the shop's current one."""
    log_id = log.flush_to_db()
    first_time = integration.activated_at is None
    if token_cache is not None:
        token = token_cache.load() or {}
        integration.token_encrypted = box().encrypt(token) if token else None
        if token.get("refresh_token"):
            secrets = {**secrets, "refresh_token": token["refresh_token"]}
    integration.config = config
    integration.secrets_encrypted = box().encrypt(secrets)
    integration.verified_as = identity_record(identity)
    integration.choices = choices
    integration.status = IntegrationStatus.ACTIVE
    integration.last_error_code = None
    integration.last_error_detail = None
    now = utcnow()
    integration.verified_at = now
    integration.activated_at = integration.activated_at or now
    _make_current(integration)
    _release(integration)
    audit.record("integration.activated" if first_time else "integration.credentials_updated",
                 integration.shop_id, system=integration.system, company=identity.company_name)
    db.session.commit()
    return Outcome(ok=True, title=_("Connected as %(name)s", name=identity.company_name),
                   hint=_("The connection works. Next, import your existing invoices and issue a test invoice."),
                   identity=integration.verified_as, log_id=log_id)


def _make_current(integration: Integration) -> None:
    """One current connection per shop; switching systems keeps the others' history."""
    others = db.session.scalars(db.select(Integration).where(
        Integration.shop_id == integration.shop_id, Integration.id != integration.id,
        Integration.current.is_(True))).all()
    for other in others:
        other.current = False
        if other.status in (IntegrationStatus.ACTIVE, IntegrationStatus.NEEDS_ATTENTION):
            other.status = IntegrationStatus.DISABLED
            audit.record("integration.switched_away", other.shop_id, system=other.system)
    integration.current = True


def refresh_choices(integration: Integration) -> None:
    """Fetch again the lists that live in the accounting system (series, bank accounts...)."""
    connector, log = calls.for_integration(integration)
    with connector.http.deadline(INTERACTIVE_SECONDS):
        integration.choices = fetch_choices(connector)
    log.flush_to_db()
    db.session.commit()


def deactivate(integration: Integration) -> None:
    """Stop using the connection; keep its settings and history so it can be reconnected."""
    connector, log = calls.for_integration(integration)
    try:
        connector.disconnect()
    except ConnectorError:
        pass  # Revocation is a courtesy; the credentials are dropped on our side regardless.
    log.flush_to_db()
    integration.status = IntegrationStatus.DISABLED
    integration.current = False
    integration.token_encrypted = None
    audit.record("integration.deactivated", integration.shop_id, system=integration.system)
    db.session.commit()


note_auth_failure = calls.note_auth_failure  # kept under its old name for the journey views
