"""Re-verifying stored connections (periodically, and on demand from the settings page)."""

from __future__ import annotations

from connectors.errors import ConnectorError

from ...extensions import db
from ...models import Integration, IntegrationStatus, utcnow
from ..observability import audit
from . import activation, calls


def reverify(integration: Integration) -> activation.Outcome:
    call = None
    try:
        with calls.connector_session(integration, seconds=activation.INTERACTIVE_SECONDS) as call:
            identity = call.connector.verify()
    except ConnectorError as error:
        return activation.outcome_from_error(integration.system, error, call.log_id if call else None)
    integration.verified_as = activation.identity_record(identity)
    integration.verified_at = utcnow()
    params = {"name": identity.company_name, "system_key": integration.system}
    if integration.verified_as.get("blockers"):
        if integration.status == IntegrationStatus.ACTIVE:
            audit.record("integration.blocked", integration.shop_id, system=integration.system)
        if integration.status in (IntegrationStatus.ACTIVE, IntegrationStatus.NEEDS_ATTENTION):
            # Found since activation (a role taken away): documents would fail, so they wait.
            activation.hold_for_blockers(integration)
        db.session.commit()
        return activation.Outcome(
            ok=False,
            code=activation.BLOCKED,
            message="blocked_reverified",
            params={**params, "blockers": integration.verified_as["blockers"]},
            identity=integration.verified_as,
        )
    if integration.status == IntegrationStatus.NEEDS_ATTENTION:
        # What paused it is fixed (a role given back, the plan renewed): the waiting documents
        # go out with the next sweep.
        integration.status = IntegrationStatus.ACTIVE
        activation.clear_error(integration)
        audit.record("integration.resumed", integration.shop_id, system=integration.system)
        db.session.commit()
        return activation.Outcome(ok=True, message="resumed", params=params)
    db.session.commit()
    if integration.status != IntegrationStatus.ACTIVE:
        # Never "Connected" beside "Disabled": the credentials work, the connection is not in use.
        return activation.Outcome(ok=True, message="reverified_inactive", params=params)
    return activation.Outcome(ok=True, message="reverified", params=params)


def reverify_all() -> int:
    rows = db.session.scalars(db.select(Integration).where(Integration.status == IntegrationStatus.ACTIVE)).all()
    for integration in rows:
        reverify(integration)
    return len(rows)
