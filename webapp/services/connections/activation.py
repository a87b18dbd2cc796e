"""Activate, update, deactivate and re-authenticate a shop's accounting-system connection.

Activation verifies live before anything is saved: the previous credentials stay in force
until the new ones have worked. A compare-and-set on `busy_until` makes a double submit (two
tabs, a double click without JavaScript) run the verification once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _

from connectors import errors as codes
from connectors import fields as schema_fields
from connectors import registry
from connectors.errors import ConnectorError
from connectors.i18n import N_
from webapp.models.types import changed_rows

from ...extensions import db
from ...models import Document, DocumentState, Integration, IntegrationStatus, utcnow
from ..accounts.encryption import box
from ..observability import audit
from . import calls

BUSY = "busy"
BLOCKED = "blocked"  # verified, but the account cannot issue documents until the merchant fixes it
BUSY_SECONDS = 30
# The settings page answers within 15 s even when the system hangs.
INTERACTIVE_SECONDS = 13.0


@dataclass
class Outcome:
    """What happened, as a message key with parameters (the sentences live in the view layer,
    webapp/integrations/messages.py, so they are said in the language of whoever reads them),
    the error code, field message ids, and folded details: the same shape on every screen."""

    ok: bool
    message: str = "error"
    params: dict[str, Any] = field(default_factory=dict)
    code: str | None = None
    detail: str = ""
    fields: dict[str, list[str]] = field(default_factory=dict)  # msgids, with `params` for placeholders
    identity: dict[str, Any] | None = None
    log_id: int | None = None
    at: datetime = field(default_factory=utcnow)


def outcome_to_dict(outcome: Outcome) -> dict[str, Any]:
    """For carrying an outcome across a redirect (it holds no secrets)."""
    data = {
        k: getattr(outcome, k) for k in ("ok", "message", "params", "code", "detail", "fields", "identity", "log_id")
    }
    data["at"] = outcome.at.isoformat()
    return data


def outcome_from_dict(data: dict[str, Any] | None) -> Outcome | None:
    if not data:
        return None
    return Outcome(**{**data, "at": datetime.fromisoformat(data["at"])})


def current_integration(shop_id: int, system: str) -> Integration | None:
    return db.session.scalar(
        db.select(Integration)
        .where(Integration.shop_id == shop_id, Integration.system == system)
        .order_by(Integration.id.desc())
    )


def shop_integrations(shop_id: int) -> dict[str, Integration]:
    rows = db.session.scalars(
        db.select(Integration).where(Integration.shop_id == shop_id).order_by(Integration.id)
    ).all()
    return {row.system: row for row in rows}


def current_connection(shop_id: int) -> Integration | None:
    return db.session.scalar(
        db.select(Integration).where(Integration.shop_id == shop_id, Integration.current.is_(True))
    )


RETRY_KEY = "_retry_secrets"
RETRY_SECONDS = 300


def _typed_secrets(system: str, raw: dict[str, Any]) -> dict[str, str]:
    cls = registry.require(system)
    return {f.key: str(raw[f.key]).strip() for f in cls.schema if f.secret and str(raw.get(f.key) or "").strip()}


def remember_typed_secrets(integration: Integration | None, system: str, raw: dict[str, Any]) -> None:
    """Keep what the merchant just typed into secret fields for the retry after a failure, so
    the key need not be pasted again: encrypted on the row (server-side, never in the page or
    the cookie), for a few minutes. The caller commits."""
    typed = _typed_secrets(system, raw)
    if integration is None or not typed:
        return
    until = (utcnow() + timedelta(seconds=RETRY_SECONDS)).isoformat()
    integration.choices = {**(integration.choices or {}), RETRY_KEY: box().encrypt({"secrets": typed, "until": until})}


def forget_typed_secrets(integration: Integration | None, keys: set[str]) -> None:
    """Drop what was kept for a retry in these fields: the system refused those very values, so
    offering to reuse them would only fail again. The caller commits."""
    kept = retry_secrets(integration)
    if integration is None or not (set(kept) & keys):
        return
    left = {k: v for k, v in kept.items() if k not in keys}
    choices = {k: v for k, v in (integration.choices or {}).items() if k != RETRY_KEY}
    integration.choices = choices
    if left:
        until = (utcnow() + timedelta(seconds=RETRY_SECONDS)).isoformat()
        integration.choices = {**choices, RETRY_KEY: box().encrypt({"secrets": left, "until": until})}


def retry_secrets(integration: Integration | None) -> dict[str, str]:
    """What the merchant typed in the last failed attempt, while still fresh."""
    blob = (integration.choices or {}).get(RETRY_KEY) if integration is not None else None
    if not blob:
        return {}
    kept = box().decrypt(blob)
    until = datetime.fromisoformat(kept.get("until", "1970-01-01T00:00:00+00:00"))
    if until.tzinfo is None:
        until = until.replace(tzinfo=utcnow().tzinfo)
    return dict(kept.get("secrets") or {}) if until > utcnow() else {}


def validate(system: str, raw: dict[str, Any], integration: Integration | None):
    cls = registry.require(system)
    stored = calls.stored_secrets(integration) if integration and integration.secrets_encrypted else {}
    # A blank secret field reuses what was typed in the failed attempt just before, else the stored value.
    stored = {**stored, **retry_secrets(integration)}
    config, secrets, errors = schema_fields.validate_values(cls.schema, raw, stored)
    # Secrets the form does not show (an OAuth refresh token) stay as they are.
    schema_secrets = schema_fields.secret_keys(cls.schema)
    secrets = {**{k: v for k, v in stored.items() if k not in schema_secrets}, **secrets}
    return config, secrets, {k: list(v) for k, v in errors.errors.items()}


def _claim(integration: Integration) -> bool:
    now = utcnow()
    claimed = changed_rows(
        db.session.execute(
            db.update(Integration)
            .where(
                Integration.id == integration.id, db.or_(Integration.busy_until.is_(None), Integration.busy_until < now)
            )
            .values(busy_until=now + timedelta(seconds=BUSY_SECONDS))
            .execution_options(synchronize_session=False)
        )
    )
    db.session.commit()
    return claimed == 1


def _release(integration: Integration) -> None:
    integration.busy_until = None


SUSPECT_CREDENTIALS = N_("%(system)s did not accept the credentials: copy this value again from %(system)s.")
SUSPECT_ACCOUNT = N_("This user has no account or company with this value in %(system)s.")
# Messages of fields the system did not name itself, only suspected from the error code.
SUSPECT_MESSAGES = (SUSPECT_CREDENTIALS, SUSPECT_ACCOUNT)
REFUSED_FIELDS = "refused_fields"


def _suspect_fields(cls, error: ConnectorError) -> dict[str, list[str]]:
    """Fields to highlight when the system does not say which one is wrong, each with what is
    wrong with it (one message per field, shown next to it)."""
    keys: list[str] = []
    message = ""
    if error.code == codes.INVALID_CREDENTIALS:
        keys = [
            f.key
            for f in cls.schema
            if f.section == schema_fields.CONNECTION
            and (f.secret or f.kind == schema_fields.EMAIL or f.key.endswith("client_id"))
        ]
        message = SUSPECT_CREDENTIALS
    elif error.code == codes.ACCOUNT_NOT_FOUND:
        # The connector says which settings this error points at (company id, slug, subdomain...).
        wanted = cls.error_fields.get(error.code, ())
        keys = [f.key for f in cls.schema if f.key in wanted]
        message = SUSPECT_ACCOUNT
    return {k: [message] for k in keys}


VENDOR_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]*$")


def _field_messages(cls, error: ConnectorError) -> dict[str, list[str]]:
    """Field messages for the merchant. A vendor's bare code ("invalid_client") or its raw
    answer is never one of them: those stay in the folded details (`detail`)."""
    suspects = _suspect_fields(cls, error) if cls is not None else {}
    fields: dict[str, list[str]] = {}
    for key, messages in (error.fields or {}).items():
        kept = [m for m in messages if m and m != error.detail and not VENDOR_CODE.match(m.strip())]
        fields[key] = kept or suspects.get(key) or [N_("%(system)s did not accept this value.")]
    return fields or suspects


def outcome_from_error(system: str, error: ConnectorError, log_id: int | None = None) -> Outcome:
    cls = registry.get(system)
    params: dict[str, Any] = {"system_key": system, "hint_key": error.hint_key}
    if error.code == codes.RATE_LIMITED and error.retry_at:
        params["retry_at"] = error.retry_at.isoformat()
    message = "error"
    if error.code == codes.VALIDATION and error.http_status is None and log_id is None:
        # Caught before any request (a required value missing): nothing was sent, so nothing
        # was "rejected" by the system.
        message = "fields_need_attention"
    return Outcome(
        ok=False,
        message=message,
        params=params,
        code=error.code,
        detail=error.detail,
        fields=_field_messages(cls, error),
        log_id=log_id,
    )


def identity_record(identity) -> dict[str, Any]:
    return {
        "company_name": identity.company_name,
        "account_id": identity.account_id,
        "plan": identity.plan,
        "user_email": identity.user_email,
        "allows": list(identity.allows),
        "warnings": list(identity.warnings),
        "blockers": list(getattr(identity, "blockers", ()) or ()),
        "country": identity.country,
        "currency": identity.currency,
    }


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


OAUTH_METHOD = "oauth"


def signed_in(integration: Integration) -> bool:
    """Made with the vendor's sign-in (OAuth), rather than with keys pasted into the form."""
    return (integration.config or {}).get("auth_method") == OAUTH_METHOD


def _pasted_method(system: str, raw: dict[str, Any]) -> dict[str, Any]:
    """Whatever the merchant pastes is what gets verified: a secret typed into the form of a
    connection made by signing in (auth_method "oauth") switches it to the pasted-keys method
    instead of being ignored in favour of the stored sign-in."""
    cls = registry.require(system)
    method = next((f for f in cls.schema if f.key == "auth_method"), None)
    if method is None or raw.get("auth_method") != OAUTH_METHOD:
        return raw
    pasted = any(
        str(raw.get(f.key) or "").strip() for f in cls.schema if f.secret and f.section == schema_fields.CONNECTION
    )
    other = next((c.value for c in method.choices if c.value != OAUTH_METHOD), None)
    return {**raw, "auth_method": other} if pasted and other else raw


def activate(shop_id: int, system: str, raw: dict[str, Any]) -> tuple[Integration | None, Outcome]:
    """Verify the submitted settings live; save them only when the system accepts them."""
    integration = current_integration(shop_id, system)
    raw = _pasted_method(system, raw)
    config, secrets, field_errors = validate(system, raw, integration)
    if field_errors:
        if _typed_secrets(system, raw):
            if integration is None:  # a draft row holds the typed secret for the retry
                integration = Integration(shop_id=shop_id, system=system, status=IntegrationStatus.DRAFT, config={})
                db.session.add(integration)
            remember_typed_secrets(integration, system, raw)
            db.session.commit()
        return integration, Outcome(
            ok=False,
            message="fields_need_attention",
            params={"system_key": system},
            code=codes.VALIDATION,
            fields=field_errors,
        )
    if integration is None:
        integration = Integration(
            shop_id=shop_id, system=system, status=IntegrationStatus.DRAFT, config={k: v for k, v in config.items()}
        )
        db.session.add(integration)
        db.session.commit()
    if not _claim(integration):
        return integration, Outcome(ok=False, code=BUSY, message="activation_busy", params={"system_key": system})
    unchanged = (
        integration.secrets_encrypted
        and secrets == calls.stored_secrets(integration)
        and config == (integration.config or {})
    )
    token_cache = None if unchanged else calls.MemoryTokenCache()
    connector, log = calls.build(
        system, shop_id=shop_id, config=config, secrets=secrets, integration=integration, token_cache=token_cache
    )
    try:
        with connector.http.deadline(INTERACTIVE_SECONDS):
            identity = connector.verify()
            choices = fetch_choices(connector)
    except ConnectorError as error:
        log_id = log.flush_to_db()
        _release(integration)
        if unchanged and error.is_auth and integration.status == IntegrationStatus.ACTIVE:
            integration.status = IntegrationStatus.NEEDS_ATTENTION
        calls.remember_error(integration, error)
        # A secret the system refused (its field is marked) is never offered for reuse: it would
        # only fail again. One not in question (a wrong company id or subdomain, a passing
        # problem) is kept for the retry, so it need not be pasted again.
        refused = set(_field_messages(registry.get(system), error))
        forget_typed_secrets(integration, refused)
        remember_typed_secrets(integration, system, {k: v for k, v in raw.items() if k not in refused})
        audit.record("integration.activation_failed", shop_id, system=system, code=error.code)
        db.session.commit()
        outcome = outcome_from_error(system, error, log_id)
        if outcome.fields and outcome.message == "error":
            # The form marks the refused values, each with its message: the result box says
            # only what the refusal means for the connection.
            outcome.message = REFUSED_FIELDS
        if not unchanged and integration.status == IntegrationStatus.ACTIVE:
            # A failed change never touches a working connection: say so before anything else.
            outcome.params["kept_previous"] = True
        return integration, outcome
    except BaseException:
        # Whatever went wrong, the next attempt must not wait for the lock to expire.
        db.session.rollback()
        _release(integration)
        db.session.commit()
        raise

    choice_errors = schema_fields.check_fetched_choices(type(connector).schema, config, choices)
    if choice_errors:
        # A value the system did not list (a bank account id "abc", a foreign series) would fail
        # every document later: refuse it now, on the field.
        log.flush_to_db()
        _release(integration)
        db.session.commit()
        return integration, Outcome(
            ok=False,
            message="fields_need_attention",
            params={"system_key": system},
            code=codes.VALIDATION,
            fields={k: [_(m) for m in v] for k, v in choice_errors.errors.items()},
        )
    return integration, complete(integration, connector, log, identity, choices, config, secrets, token_cache)


def complete(integration: Integration, connector, log, identity, choices, config, secrets, token_cache) -> Outcome:
    """The connection verified: store what was verified. It becomes the shop's current connection
    only when the shop has no working one yet; replacing a working one is an explicit switch
    (`switch_to`). An account that cannot issue (a blocker) is stored but never made active."""
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
    now = utcnow()
    integration.verified_at = now
    blockers = list(integration.verified_as.get("blockers") or [])
    if blockers:
        hold_for_blockers(integration)
        _release(integration)
        audit.record(
            "integration.blocked", integration.shop_id, system=integration.system, company=identity.company_name
        )
        db.session.commit()
        return Outcome(
            ok=False,
            code=BLOCKED,
            message="blocked",
            params={"system_key": integration.system, "blockers": blockers},
            identity=integration.verified_as,
            log_id=log_id,
        )
    integration.status = IntegrationStatus.ACTIVE
    clear_error(integration)
    integration.activated_at = integration.activated_at or now
    in_use = current_connection(integration.shop_id)
    if in_use is None or in_use.id == integration.id or not _is_working(in_use):
        _make_current(integration)
    _release(integration)
    audit.record(
        "integration.activated" if first_time else "integration.credentials_updated",
        integration.shop_id,
        system=integration.system,
        company=identity.company_name,
    )
    db.session.commit()
    if not integration.current and in_use is not None:
        return Outcome(
            ok=True,
            message="connected_beside",
            params={"name": identity.company_name, "system_key": integration.system, "current_key": in_use.system},
            identity=integration.verified_as,
            log_id=log_id,
        )
    return Outcome(
        ok=True,
        message="connected",
        params={"name": identity.company_name, "system_key": integration.system},
        identity=integration.verified_as,
        log_id=log_id,
    )


def hold_for_blockers(integration: Integration) -> None:
    """The credentials work, but documents would fail (a user without the right to issue, no bank
    account): not active until fixed. A current connection keeps its documents waiting (the
    worker sends only for active ones); another one goes back to a draft."""
    integration.status = IntegrationStatus.NEEDS_ATTENTION if integration.current else IntegrationStatus.DRAFT
    integration.last_error_code = BLOCKED
    integration.last_error_detail = None
    integration.last_error_hint_key = None


def clear_error(integration: Integration) -> None:
    integration.last_error_code = integration.last_error_detail = integration.last_error_hint_key = None


def _system_name(key: str) -> str:
    cls = registry.get(key)
    return cls.name if cls else key


def _is_working(integration: Integration) -> bool:
    return integration.status in (IntegrationStatus.ACTIVE, IntegrationStatus.NEEDS_ATTENTION)


def _make_current(integration: Integration) -> None:
    """One current connection per shop. The others keep their status, settings and history: a
    connection switched away from still sends the documents already waiting for it."""
    others = db.session.scalars(
        db.select(Integration).where(
            Integration.shop_id == integration.shop_id, Integration.id != integration.id, Integration.current.is_(True)
        )
    ).all()
    for other in others:
        other.current = False
        audit.record("integration.switched_away", other.shop_id, system=other.system)
    integration.current = True


def waiting_documents(integration: Integration) -> int:
    """Documents planned for this connection that have not gone out yet."""
    return (
        db.session.scalar(
            db.select(db.func.count(Document.id)).where(
                Document.shop_id == integration.shop_id,
                Document.integration_id == integration.id,
                Document.is_test.is_(False),
                Document.state.in_(DocumentState.OPEN),
            )
        )
        or 0
    )


def switch_blockers(integration: Integration) -> list[str]:
    """Why this connection cannot become the shop's current one (translated), or nothing."""
    if integration.current:
        return [_("This is already your shop's accounting system.")]
    reasons = [_(b) for b in ((integration.verified_as or {}).get("blockers") or [])]
    if integration.status != IntegrationStatus.ACTIVE and not reasons:
        reasons.append(
            _(
                "%(system)s is not active: activate it and make sure it verifies first.",
                system=_system_name(integration.system),
            )
        )
    return reasons


def switch_to(integration: Integration) -> bool:
    """Make a verified, working connection the shop's current one. The previous one stays
    connected (not current) so that the documents already waiting for it go out there, exactly
    once: nothing is moved between systems (a document in creation may already exist in the old
    system, so moving it could issue it twice). New orders use the new connection, whose
    document rules start empty until the merchant confirms the presets."""
    if switch_blockers(integration):
        return False
    previous = current_connection(integration.shop_id)
    _make_current(integration)
    audit.record(
        "integration.switched",
        integration.shop_id,
        system=integration.system,
        previous=previous.system if previous is not None else "",
    )
    db.session.commit()
    return True


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
