"""The sentences of connection and test-document results, in the viewer's language.

Services return an `Outcome` holding a message key and its parameters (plus the error code,
field message ids, identity, log id); this catalogue turns it into a title, a hint and field
messages when a page is rendered, so a result carried across a redirect, or made by a worker
without a request, is read in the language of whoever looks at it. Hints for error codes stay in
`services/connections/hints.py`, keyed by code. Everything is translated here, in Python:
vendor text never goes through `_()` inside a template.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _

from connectors import registry

from ..models import IntegrationStatus
from ..services.connections.activation import BLOCKED, REFUSED_FIELDS, SUSPECT_MESSAGES
from ..services.connections.calls import FIXED_IN_THE_SYSTEM
from ..services.connections.hints import hint_for, title_for


@dataclass
class Described:
    title: str
    hint: str = ""
    fields: dict[str, list[str]] = field(default_factory=dict)


def _name(key: str) -> str:
    cls = registry.get(key)
    return cls.name if cls else key


def _text(msgid: str, params: dict) -> str:
    """A message id translated, with its parameters when it has placeholders. A vendor's own
    text is not a message id: it comes back as it is (escaped by the template like any text)."""
    text = _(msgid)
    if "%(" in text:
        try:
            return text % params
        except (KeyError, TypeError, ValueError):
            return text
    return text


def _error_hint(code: str, p: dict) -> str:
    hint = hint_for(code, p.get("system_key"), p.get("hint_key"))
    if p.get("retry_at"):
        when = datetime.fromisoformat(p["retry_at"]).strftime("%Y-%m-%d %H:%M %Z").strip()
        hint = f"{hint} " + _("The limit resets at %(time)s.", time=when)
    return hint


def _kind(p: dict) -> str:
    from ..services.documents.trial_invoice import KIND_LABELS

    return str(KIND_LABELS.get(p.get("kind", ""), p.get("kind", "")))


def _describe(message: str, code: str | None, p: dict) -> tuple[str, str]:
    system = _name(p.get("system_key", "")) if p.get("system_key") else ""
    if message == "error":
        title, hint = title_for(code or ""), _error_hint(code or "", p)
        if p.get("kept_previous"):
            hint = " ".join(
                (
                    _(
                        "Your connection still uses the previous credentials and keeps working; the new ones "
                        "were not saved because %(system)s did not accept them.",
                        system=system,
                    ),
                    hint,
                )
            )
        return title, hint
    if message == REFUSED_FIELDS:
        # The refused values carry their messages next to them in the form: here only what the
        # refusal means for the connection.
        if p.get("kept_previous"):
            return (
                _("Your connection still uses the previous credentials"),
                _("The new values were not saved; the connection keeps working as before."),
            )
        return _("Not connected"), _("Nothing was saved. Correct the marked values and activate again.")
    if message == "fields_need_attention":
        return _("Some fields need your attention"), _("Correct the marked fields and activate again.")
    if message == "activation_busy":
        return (
            _("Activation is already running"),
            _("Wait for the result of the first attempt; it appears here in a few seconds."),
        )
    if message in ("blocked", "blocked_reverified"):
        hints = [_(b) for b in p.get("blockers", [])]
        if message == "blocked":
            hints.append(_("Fix this, then activate again; the credentials you entered are kept."))
        return _("%(system)s cannot issue documents yet", system=system), " ".join(hints)
    if message == "connected":
        return (
            _("Connected as %(name)s", name=p.get("name", "")),
            _("The connection works. Next, import your existing invoices and issue a test invoice."),
        )
    if message == "connected_beside":
        return (
            _("Connected as %(name)s", name=p.get("name", "")),
            _(
                "%(current)s is still your shop's accounting system; nothing changed there. Try %(system)s first "
                "(import, test invoice), then switch when you are ready.",
                current=_name(p.get("current_key", "")),
                system=system,
            ),
        )
    if message == "reverified":
        return _("Connected as %(name)s", name=p.get("name", "")), ""
    if message == "resumed":
        return (
            _("Connected as %(name)s", name=p.get("name", "")),
            _("Document creation resumed: the documents that were waiting are created in a minute."),
        )
    if message == "reverified_inactive":
        return (
            _("The stored credentials still work for %(name)s", name=p.get("name", "")),
            _(
                "%(system)s is not active, so no documents are issued there. Activate it to use it again.",
                system=system,
            ),
        )
    if message == "oauth_link_used":
        return (
            _("This sign-in link was already used or has expired"),
            _("Your connection is unchanged. To connect again, use the Connect button."),
        )
    if message == "pick_account":
        return (_("Pick one of the offered accounts"), _("Choose the account this shop should issue documents in."))
    if message == "import_stopped":
        return _("The import stopped"), _("It was interrupted. Start it again; nothing is imported twice.")
    if message == "test_issued_already":
        return _("This test document was issued already"), _("Here it is again; nothing new was created.")
    if message == "test_busy":
        return (
            _("The test document is being issued"),
            _("Wait a moment and reload this page; the result appears here."),
        )
    if message == "test_issued":
        hint = _("Compare it with the order below.")
        if p.get("pdf_pending"):
            hint += " " + _("The PDF is not ready yet; open it in a moment.")
        return _("%(kind)s %(number)s was issued", kind=_kind(p), number=p.get("number", "")), hint
    if message == "nothing_to_remove":
        return (
            _("Nothing to remove"),
            _(
                "%(system)s does not let us remove this document. Leave it, or cancel it in %(system)s by hand.",
                system=system,
            ),
        )
    if message == "test_deleted":
        return (
            _(
                "%(kind)s %(number)s was deleted in %(system)s",
                kind=_kind(p),
                number=p.get("number", ""),
                system=system,
            ),
            _("Nothing of the test is left in your bookkeeping. The test order stays here, marked as a test."),
        )
    if message == "test_not_deleted":
        return (
            _("%(system)s did not delete %(number)s", system=system, number=p.get("number", "")),
            _("Systems allow deleting only some documents, for example a proforma or the last number of a series.")
            + " "
            + _error_hint(code or "", p),
        )
    if message == "test_credited":
        why = ""
        if p.get("delete_code"):
            why = (
                _("%(system)s did not allow deleting it (accounting rules keep issued invoice numbers).", system=system)
                + " "
                + hint_for(p["delete_code"], p.get("system_key"), p.get("delete_hint_key"))
                + " "
            )
        return (
            _(
                "Credit note %(credit)s cancels the test invoice %(number)s",
                credit=p.get("credit", ""),
                number=p.get("number", ""),
            ),
            why + _("Both stay in %(system)s; together they amount to zero.", system=system),
        )
    return title_for(code or ""), hint_for(code or "")


def attention_hint(integration) -> str:
    """For a connection paused by something to fix in the accounting system itself (a blocker
    found by verification, a user refused the right to issue, a plan): what to fix, in the
    viewer's language. Empty for any other connection, including one that needs new credentials
    (the pages say that in their own words)."""
    if integration is None or integration.status != IntegrationStatus.NEEDS_ATTENTION:
        return ""
    code = integration.last_error_code or ""
    if code == BLOCKED:
        return " ".join(_(b) for b in (integration.verified_as or {}).get("blockers") or [])
    if code in FIXED_IN_THE_SYSTEM:
        return hint_for(code, integration.system, integration.last_error_hint_key)
    return ""


def _specific_field_hint(outcome, params: dict, fields: dict[str, list[str]]) -> dict[str, list[str]]:
    """One field suspected from the error code (the system named none): its message is the
    system's own hint for that error (where to copy the value again), said once, next to it."""
    suspected = [key for key, messages in (outcome.fields or {}).items() if set(messages) & set(SUSPECT_MESSAGES)]
    cls = registry.get(params.get("system_key", ""))
    key = hint_key = None
    if cls is not None and len(suspected) == 1:
        key, hint_key = suspected[0], params.get("hint_key") or cls.hint_overrides.get(outcome.code or "")
    if key is None or not hint_key or not getattr(cls, "hints", {}).get(hint_key):
        return fields
    return {**fields, key: [hint_for(outcome.code or "", params.get("system_key"), params.get("hint_key"))]}


def describe(outcome) -> Described:
    """Title, hint and field messages of an outcome, in the current request's language."""
    if outcome is None:
        return Described(title="")
    params = dict(outcome.params or {})
    params.setdefault("system", _name(params.get("system_key", "")) if params.get("system_key") else "")
    title, hint = _describe(outcome.message or "error", outcome.code, params)
    fields = {key: [_text(m, params) for m in messages] for key, messages in (outcome.fields or {}).items()}
    if outcome.message == REFUSED_FIELDS:
        fields = _specific_field_hint(outcome, params, fields)
    return Described(title=title, hint=hint, fields=fields)
