"""What the support console reads: finding shops, a shop's state, and the diagnostics bundle.

Only support agents reach these (webapp.access). Nothing here decrypts a secret: the bundle
holds the integration's configuration (secret-looking keys redacted on structure), health,
documents and the log rows, whose bodies were redacted of secrets and personal data before they
were stored and are redacted again here, so an older row cannot leak either.
"""

from __future__ import annotations

from datetime import timedelta

from connectors.http import REDACTED, redact_structure

from ...extensions import db
from ...models import ApiCall, AuditEvent, Document, DocumentState, Integration, Order, Shop, User, utcnow
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


def failing_shops(limit: int = 20) -> list[dict]:
    """Shops whose current integration needs attention or whose calls failed in the last 24 h."""
    since = utcnow() - timedelta(hours=24)
    ids = set(
        db.session.scalars(
            db.select(Integration.shop_id).where(Integration.current.is_(True), Integration.status == "needs_attention")
        )
    )
    ids |= set(
        db.session.scalars(db.select(ApiCall.shop_id).where(ApiCall.created_at >= since, log_queries.FAILED).distinct())
    )
    ids |= set(
        db.session.scalars(
            db.select(Document.shop_id)
            .where(Document.state == DocumentState.FAILED, Document.is_test.is_(False))
            .distinct()
        )
    )
    shops = (
        db.session.scalars(db.select(Shop).where(Shop.id.in_(ids)).order_by(Shop.name).limit(limit)).all()
        if ids
        else []
    )
    return [_row(s) for s in shops]


def shop_details(shop_id: int) -> dict | None:
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        return None
    owner = db.session.scalar(db.select(User).where(User.shop_id == shop_id, User.role == "owner").order_by(User.id))
    errors = db.session.scalars(
        db.select(ApiCall).where(ApiCall.shop_id == shop_id, log_queries.FAILED).order_by(ApiCall.id.desc()).limit(10)
    ).all()
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
        "recent": recent,
        "documents": documents,
    }


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
