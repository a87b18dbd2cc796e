"""The catalogue of merchant-facing hints, keyed by error code (Home Assistant's strings.json).

Code never builds sentences: an outcome carries an error code (and optionally a system-specific
hint key from the connector), and this module turns it into a translated title and hint.
"""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from connectors import errors as codes
from connectors import registry

TITLES = {
    codes.INVALID_CREDENTIALS: _l("The system did not accept these credentials"),
    codes.SUBSCRIPTION_INACTIVE: _l("The subscription in the accounting system is not active"),
    codes.PLAN_LACKS_API: _l("Your plan does not include API access"),
    codes.PERMISSION_DENIED: _l("The user has no permission for this"),
    codes.ACCOUNT_NOT_FOUND: _l("The account or company was not found"),
    codes.UNREACHABLE: _l("The accounting system could not be reached"),
    codes.TIMEOUT: _l("The accounting system did not answer in time"),
    codes.RATE_LIMITED: _l("Too many requests to the accounting system"),
    codes.VALIDATION: _l("The accounting system rejected some data"),
    codes.CONFLICT: _l("This document already exists"),
    codes.NOT_FOUND: _l("The document was not found in the accounting system"),
    codes.NOT_READY: _l("The document is not ready yet"),
    codes.CONSENT_DENIED: _l("Access was not granted"),
    codes.NOT_SUPPORTED: _l("This system does not support this"),
    codes.REMOTE_ERROR: _l("The accounting system reported an error"),
}

HINTS = {
    codes.INVALID_CREDENTIALS: _l(
        "Check the login e-mail and copy the API key again from the accounting "
        "system's API settings; if it was regenerated there, the old one stopped working."
    ),
    codes.SUBSCRIPTION_INACTIVE: _l("Renew or pay the subscription in the accounting system, then activate again."),
    codes.PLAN_LACKS_API: _l(
        "API access needs a higher plan. Upgrade the plan in the accounting system, then activate again."
    ),
    codes.PERMISSION_DENIED: _l(
        "Give the user whose credentials you entered the right to issue invoices "
        "(an administrator role), or use another user's credentials."
    ),
    codes.ACCOUNT_NOT_FOUND: _l("Check the company id, account or subdomain: it must be one this user can access."),
    codes.UNREACHABLE: _l("Check the address; if it is right, the system may be down. Try again in a few minutes."),
    codes.TIMEOUT: _l(
        "Nothing was changed on our side. Try again in a few minutes; if a document was being "
        "created, we check for it before trying again, so it will not be duplicated."
    ),
    codes.RATE_LIMITED: _l(
        "The accounting system limits how many requests an account may send. We will try again after the limit resets."
    ),
    codes.VALIDATION: _l("Correct the values listed below and try again."),
    codes.CONFLICT: _l("The document was created earlier; we linked the existing one instead of issuing a second."),
    codes.NOT_FOUND: _l("It may have been deleted in the accounting system."),
    codes.NOT_READY: _l("The accounting system is still preparing it. Try again in a moment."),
    codes.CONSENT_DENIED: _l(
        "You cancelled or refused the access request. Start the connection again and allow access."
    ),
    codes.NOT_SUPPORTED: _l("Choose another option; this one is not available for this system."),
    codes.REMOTE_ERROR: _l("Try again later. If it keeps happening, contact support with the details below."),
}


def title_for(code: str) -> str:
    return str(TITLES.get(code, TITLES[codes.REMOTE_ERROR]))


def hint_for(code: str, system: str | None = None, hint_key: str | None = None) -> str:
    """The most specific hint: the connector's own for this code, else the general one."""
    cls = registry.get(system) if system else None
    if cls is not None:
        key = hint_key or cls.hint_overrides.get(code)
        text = getattr(cls, "hints", {}).get(key) if key else None
        if text:
            return gettext(text)
    return str(HINTS.get(code, HINTS[codes.REMOTE_ERROR]))
