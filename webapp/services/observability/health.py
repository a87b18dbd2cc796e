"""Health of an integration: is it working, and how close is it to a limit?

- last successful call (an answer below 400 without an error code);
- error rate over the last 24 hours (calls that failed / all calls);
- quota left: from the vendor's rate-limit headers on the newest answer that carried them
  (SuperFaktura's X-RateLimit-DailyRemaining/-MonthlyRemaining, Fakturoid's `X-RateLimit:
  ...;r=<remaining>`, a generic X-RateLimit-Remaining), and our own limiter's share used in its
  window (`rate_limit.usage("integration:<id>", window)`);
- documents waiting (pending or being created).
Read-only; every query is scoped to one integration of one shop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app

from ...extensions import db
from ...models import ApiCall, Document, DocumentState, Integration, utcnow


@dataclass
class Quota:
    label: str  # "daily", "monthly", "window"
    remaining: int
    limit: int | None = None


@dataclass
class Health:
    integration: Integration
    last_success: datetime | None
    calls_24h: int
    errors_24h: int
    waiting: int
    vendor_quota: list[Quota] = field(default_factory=list)
    our_quota: Quota | None = None

    @property
    def error_rate(self) -> float:
        return (self.errors_24h / self.calls_24h) if self.calls_24h else 0.0

    @property
    def error_percent(self) -> int:
        return round(self.error_rate * 100)


def _int(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def quota_from_headers(headers: dict) -> list[Quota]:
    """The vendor's remaining quota from one answer's headers (names compared case-insensitively)."""
    lower = {str(k).lower(): v for k, v in (headers or {}).items()}
    found: list[Quota] = []
    for period in ("daily", "monthly"):
        remaining = _int(lower.get(f"x-ratelimit-{period}remaining"))
        if remaining is not None:
            found.append(Quota(period, remaining, _int(lower.get(f"x-ratelimit-{period}limit"))))
    combined = lower.get("x-ratelimit")  # Fakturoid: "default;r=398;t=55"
    if combined:
        match = re.search(r"(?:^|;)\s*r=(-?\d+)", str(combined))
        policy = re.search(r"(?:^|;)\s*q=(\d+)", str(lower.get("x-ratelimit-policy", "")))
        if match:
            found.append(Quota("window", int(match.group(1)), int(policy.group(1)) if policy else None))
    remaining = _int(lower.get("x-ratelimit-remaining") or lower.get("ratelimit-remaining"))
    if remaining is not None and not found:
        found.append(Quota("window", remaining, _int(lower.get("x-ratelimit-limit") or lower.get("ratelimit-limit"))))
    return found


def _our_quota(integration: Integration) -> Quota | None:
    from ..connections import calls

    quota = calls.rate_limit_for(integration.system)
    if not quota or not current_app.config.get("RATE_LIMITING", True):
        return None
    limit, window = quota
    try:
        from .. import rate_limit

        used = rate_limit.limiter_from_app(current_app).usage(calls.limiter_key(integration), window)
    except Exception:  # the limiter's store is down: health still answers
        current_app.logger.warning("rate limiter usage unavailable for integration %s", integration.id)
        return None
    return Quota("ours", max(0, limit - used), limit)


def for_integration(integration: Integration, now: datetime | None = None) -> Health:
    now = now or utcnow()
    since = now - timedelta(hours=24)
    mine = (ApiCall.shop_id == integration.shop_id, ApiCall.integration_id == integration.id)
    last_success = db.session.scalar(db.select(db.func.max(ApiCall.created_at)).where(*mine, db.not_(ApiCall.failed)))
    calls_24h = db.session.scalar(db.select(db.func.count(ApiCall.id)).where(*mine, ApiCall.created_at >= since)) or 0
    errors_24h = (
        db.session.scalar(
            db.select(db.func.count(ApiCall.id)).where(*mine, ApiCall.created_at >= since, ApiCall.failed)
        )
        or 0
    )
    waiting = (
        db.session.scalar(
            db.select(db.func.count(Document.id)).where(
                Document.shop_id == integration.shop_id,
                Document.integration_id == integration.id,
                Document.state.in_(DocumentState.OPEN),
            )
        )
        or 0
    )
    vendor: list[Quota] = []
    recent = db.session.scalars(
        db.select(ApiCall.response_headers)
        .where(*mine, ApiCall.status.is_not(None))
        .order_by(ApiCall.id.desc())
        .limit(20)
    )
    for headers in recent:
        vendor = quota_from_headers(headers or {})
        if vendor:
            break
    return Health(
        integration=integration,
        last_success=last_success,
        calls_24h=calls_24h,
        errors_24h=errors_24h,
        waiting=waiting,
        vendor_quota=vendor,
        our_quota=_our_quota(integration),
    )


def for_shop(shop_id: int) -> Health | None:
    """Health of the shop's current integration, or None when none is chosen."""
    integration = db.session.scalar(
        db.select(Integration).where(Integration.shop_id == shop_id, Integration.current.is_(True))
    )
    return for_integration(integration) if integration is not None else None
