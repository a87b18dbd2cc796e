"""What the support console reads: finding shops, a shop's state, and the diagnostics bundle.

Only support agents reach these (webapp.access). Nothing here decrypts a secret: the bundle
holds the integration's configuration (secret-looking keys redacted on structure), health,
documents and the log rows, whose bodies were redacted of secrets and personal data before they
were stored and are redacted again here, so an older row cannot leak either.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import ngettext

from connectors.http import REDACTED, redact_structure

from ...extensions import db
from ...models import (
    ApiCall,
    AuditEvent,
    Document,
    DocumentState,
    Integration,
    IntegrationStatus,
    Order,
    Shop,
    User,
    utcnow,
)
from ..documents import rules
from . import health, log_queries, operations, redaction

SEARCH_LIMIT = 50


def _row(shop: Shop) -> dict:
    integration = db.session.scalar(
        db.select(Integration).where(Integration.shop_id == shop.id, Integration.current.is_(True))
    )
    return {"shop": shop, "integration": integration}


def search(text: str) -> list[dict]:
    """Shops matching a name, an owner's e-mail, an order number or a document number."""
    text = text.strip()
    if not text:
        return []
    like = f"%{text.lower()}%"
    ids = set(db.session.scalars(db.select(Shop.id).where(db.func.lower(Shop.name).like(like)).limit(SEARCH_LIMIT)))
    ids |= set(
        db.session.scalars(
            db.select(User.shop_id)
            .where(db.func.lower(User.email).like(like), User.shop_id.is_not(None))
            .limit(SEARCH_LIMIT)
        )
    )
    ids |= set(db.session.scalars(db.select(Order.shop_id).where(Order.number == text).limit(SEARCH_LIMIT)))
    ids |= set(
        db.session.scalars(
            db.select(Document.shop_id)
            .where(db.or_(Document.number == text, Document.order_number == text))
            .limit(SEARCH_LIMIT)
        )
    )
    shops = db.session.scalars(db.select(Shop).where(Shop.id.in_(ids)).order_by(Shop.name)).all() if ids else []
    return [_row(s) for s in shops]


def _problems(integration: Integration | None, failed_documents: int, failed_calls: int) -> list[str]:
    """Why a shop is listed among the shops with problems, in plain words (empty: not listed)."""
    reasons: list[str] = []
    if integration is not None and integration.status == IntegrationStatus.NEEDS_ATTENTION:
        from ...integrations.messages import attention_hint  # here: the messages import the services

        if attention_hint(integration):
            reasons.append(_("connection paused: something must be fixed in the accounting system"))
        else:
            reasons.append(_("connection paused: re-authentication needed"))
    if failed_documents:
        reasons.append(ngettext("%(num)s document failed", "%(num)s documents failed", failed_documents))
    if failed_calls:
        reasons.append(ngettext("%(num)s failed call in 24 h", "%(num)s failed calls in 24 h", failed_calls))
    if (
        integration is not None
        and integration.status == IntegrationStatus.ACTIVE
        and rules.presets_pending(integration)
    ):
        reasons.append(_("no rules confirmed: no documents are created"))
    return reasons


def failing_shops(limit: int = 20) -> list[dict]:
    """Shops with a real problem of their current integration, each with its reasons: the
    connection paused, documents failed, calls failed in the last 24 h, or active without a
    confirmed rule. Failed calls of another integration (a trial of another system, a
    deactivated one) are not the current one's problem and list nobody."""
    since = utcnow() - timedelta(hours=24)
    current = {i.shop_id: i for i in db.session.scalars(db.select(Integration).where(Integration.current.is_(True)))}
    if not current:
        return []
    current_ids = [i.id for i in current.values()]
    failed_calls = dict(
        db.session.execute(
            db.select(ApiCall.integration_id, db.func.count(ApiCall.id))
            .where(ApiCall.integration_id.in_(current_ids), ApiCall.created_at >= since, ApiCall.failed)
            .group_by(ApiCall.integration_id)
        ).all()
    )
    failed_documents = dict(
        db.session.execute(
            db.select(Document.integration_id, db.func.count(Document.id))
            .where(
                Document.integration_id.in_(current_ids),
                Document.state == DocumentState.FAILED,
                Document.is_test.is_(False),
            )
            .group_by(Document.integration_id)
        ).all()
    )
    listed: dict[int, list[str]] = {}
    for shop_id, integration in current.items():
        reasons = _problems(integration, failed_documents.get(integration.id, 0), failed_calls.get(integration.id, 0))
        if reasons:
            listed[shop_id] = reasons
    if not listed:
        return []
    shops = db.session.scalars(db.select(Shop).where(Shop.id.in_(listed)).order_by(Shop.name).limit(limit)).all()
    return [{"shop": s, "integration": current[s.id], "reasons": listed[s.id]} for s in shops]


def shop_details(shop_id: int) -> dict | None:
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        return None
    owner = db.session.scalar(db.select(User).where(User.shop_id == shop_id, User.role == "owner").order_by(User.id))
    errors = db.session.scalars(
        db.select(ApiCall).where(ApiCall.shop_id == shop_id, ApiCall.failed).order_by(ApiCall.id.desc()).limit(10)
    ).all()
    current = db.session.scalar(
        db.select(Integration).where(Integration.shop_id == shop_id, Integration.current.is_(True))
    )
    recent = db.session.scalars(
        db.select(ApiCall).where(ApiCall.shop_id == shop_id).order_by(ApiCall.id.desc()).limit(25)
    ).all()
    documents = db.session.scalars(
        db.select(Document)
        .where(
            Document.shop_id == shop_id,
            Document.is_test.is_(False),
            Document.state.in_((*DocumentState.OPEN, DocumentState.FAILED)),
        )
        .order_by(Document.id.desc())
        .limit(25)
    ).all()
    return {
        "shop": shop,
        "owner": owner,
        "health": health.for_shop(shop_id),
        "errors": errors,
        "error_groups": error_groups(errors, current),
        "recent": recent,
        "documents": documents,
    }


def error_groups(errors: Sequence[ApiCall], current: Integration | None) -> list[dict]:
    """Failed calls grouped by the integration they belong to, the current one first: a trial
    of another system (failed credentials while choosing) or a deactivated connection shows
    under its own system's name, never under the current connection's."""
    groups: dict[tuple[str, int | None], dict] = {}
    if current is not None:
        groups[(current.system, current.id)] = {"system": current.system, "current": True, "calls": []}
    for call in errors:
        is_current = current is not None and call.integration_id == current.id
        key = (call.system, current.id if is_current and current else call.integration_id)
        group = groups.setdefault(key, {"system": call.system, "current": is_current, "calls": []})
        group["calls"].append(call)
    return list(groups.values())


def _call(c: ApiCall) -> dict:
    return {
        "id": c.id,
        "time_utc": c.created_at.isoformat(timespec="seconds"),
        "system": c.system,
        "operation": c.operation,
        "label": operations.label(c.system, c.operation, c.method, c.url),
        "method": c.method,
        "url": redaction.redact_url(c.url, c.system),
        "status": c.status,
        "duration_ms": c.duration_ms,
        "error_code": c.error_code,
        "order_id": c.order_id,
        "document_id": c.document_id,
        "request_headers": redact_structure(c.request_headers or {}),
        "response_headers": redact_structure(c.response_headers or {}),
        "request_body": redaction.redact_text(c.request_body, c.system),
        "response_body": redaction.redact_text(c.response_body, c.system),
    }


def diagnostics_bundle(shop_id: int) -> dict | None:
    """A JSON-ready picture of the shop's integration for engineering, without secrets or
    personal data (no e-mails, customer names or addresses; ids and codes only)."""
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        return None
    integrations = db.session.scalars(db.select(Integration).where(Integration.shop_id == shop_id)).all()
    calls = db.session.scalars(
        db.select(ApiCall).where(ApiCall.shop_id == shop_id).order_by(ApiCall.id.desc()).limit(200)
    ).all()
    documents = db.session.scalars(
        db.select(Document).where(Document.shop_id == shop_id).order_by(Document.id.desc()).limit(100)
    ).all()
    current = health.for_shop(shop_id)
    return {
        "generated_at_utc": utcnow().isoformat(timespec="seconds"),
        "shop": {
            "id": shop.id,
            "country": shop.country,
            "currency": shop.currency,
            "log_retention_days": log_queries.retention_days(shop),
        },
        "integrations": [
            {
                "id": i.id,
                "system": i.system,
                "status": i.status,
                "current": i.current,
                "config": redaction.redact_data(redact_structure(i.config or {}), redaction.fields_for(i.system)),
                "secrets": REDACTED if i.secrets_encrypted else None,
                "has_token": bool(i.token_encrypted),
                "last_error_code": i.last_error_code,
                "verified_at": i.verified_at,
                "activated_at": i.activated_at,
                # Payments by webhook: when the key was made and the last delivery came (the key
                # itself exists nowhere; not even its hash goes out).
                "webhook_key_created_at": i.webhook_key_created_at,
                "webhook_received_at": i.webhook_received_at,
            }
            for i in integrations
        ],
        "health": None
        if current is None
        else {
            "integration_id": current.integration.id,
            "last_success_utc": current.last_success,
            "calls_24h": current.calls_24h,
            "errors_24h": current.errors_24h,
            "waiting": current.waiting,
            "vendor_quota": [vars(q) for q in current.vendor_quota],
            "our_quota": vars(current.our_quota) if current.our_quota else None,
        },
        "documents": [
            {
                "id": d.id,
                "kind": d.kind,
                "state": d.state,
                "is_test": d.is_test,
                "attempts": d.attempts,
                "integration_id": d.integration_id,
                "order_id": d.order_id,
                "last_error_code": d.last_error_code,
                "created_at_utc": d.created_at,
            }
            for d in documents
        ],
        "api_calls": [_call(c) for c in calls],
        "support_events": [
            {
                "action": e.action,
                "at_utc": e.created_at,
                "agent_id": e.acting_user_id,
                "detail": {k: v for k, v in (e.detail or {}).items() if k not in ("owner", "agent")},
            }
            for e in db.session.scalars(
                db.select(AuditEvent).where(AuditEvent.shop_id == shop_id).order_by(AuditEvent.id.desc()).limit(50)
            )
        ],
    }
