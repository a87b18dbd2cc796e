"""Re-verifying stored connections (periodically, and on demand from the settings page)."""
from __future__ import annotations

from flask_babel import gettext as _

from connectors.errors import ConnectorError

from ...extensions import db
from ...models import Integration, IntegrationStatus, utcnow
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
    db.session.commit()
    name = activation._system_name(integration.system)
    if integration.verified_as.get("blockers"):
        return activation.Outcome(ok=False, code=activation.BLOCKED,
                                  title=_("%(system)s cannot issue documents yet", system=name),
                                  hint=" ".join(_(b) for b in integration.verified_as["blockers"]),
                                  identity=integration.verified_as)
    if integration.status != IntegrationStatus.ACTIVE:
        # Never "Connected" beside "Disabled": the credentials work, the connection is not in use.
        return activation.Outcome(ok=True, title=_("The stored credentials still work for %(name)s",
                                                   name=identity.company_name),
                                  hint=_("%(system)s is not active, so no documents are issued there. Activate "
                                         "it to use it again.", system=name))
    return activation.Outcome(ok=True, title=_("Connected as %(name)s", name=identity.company_name))


def reverify_all() -> int:
    rows = db.session.scalars(db.select(Integration).where(Integration.status == IntegrationStatus.ACTIVE)).all()
    for integration in rows:
        reverify(integration)
    return len(rows)
