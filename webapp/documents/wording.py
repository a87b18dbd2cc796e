"""Documents in the merchant's words: kinds, states, notices and the hint for a failure."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from ..formatting import money
from ..models import Document, DocumentState
from ..services.connections.hints import hint_for, title_for
from ..services.documents import issuing, planning, worker

KIND_NAMES = {"invoice": _l("Invoice"), "proforma": _l("Proforma invoice"), "credit_note": _l("Credit note")}
STATE_NAMES = {
    DocumentState.PENDING: _l("Waiting"),
    DocumentState.CREATING: _l("Being issued"),
    DocumentState.CREATED: _l("Issued"),
    DocumentState.FAILED: _l("Failed"),
    DocumentState.CANCELLED: _l("Cancelled"),
    DocumentState.DELETED: _l("Deleted"),
    DocumentState.IMPORTED: _l("Imported"),
}
STATE_BADGES = {
    DocumentState.CREATED: "badge-ok",
    DocumentState.FAILED: "badge-error",
    DocumentState.PENDING: "badge-warn",
    DocumentState.CREATING: "badge-warn",
}
NOTICES = {
    planning.PROFORMA_LEFT: _l(
        "The order was cancelled after this proforma was issued. Proformas are not tax "
        "documents, so no credit note is needed; the proforma stays in your accounting "
        "system. Cancel it there if you wish."
    ),
    planning.CANCELLED_BEFORE_ISSUE: _l(
        "The order was cancelled before this document was issued, so it was never sent to your accounting system."
    ),
    worker.RELATED_MISSING: _l(
        "The invoice this credit note corrects was never issued, so there is nothing to credit."
    ),
}
KSEF_NAMES = {
    "not_applicable": _l("not needed"),
    "waiting": _l("waiting to be sent"),
    "sent": _l("sent, waiting for the number"),
    "accepted": _l("accepted"),
    "rejected": _l("rejected"),
    "offline": _l("issued offline, to be sent"),
}
INTERNAL_TITLE = _l("Something went wrong on our side")
INTERNAL_HINT = _l("Nothing was lost. Try again; if it happens again, our support team has the details.")
PAUSED_HINT = _l(
    "Your accounting system no longer accepts the stored credentials. The document waits and is "
    "issued as soon as you re-authenticate."
)
RETRY_HINT = _l("We try again by ourselves at %(time)s.")


CHANGE_SENTENCES: dict[tuple[str, ...], LazyString] = {
    ("issue", "credit_note"): _l(
        "A credit note for %(amount)s will be issued in %(system)s, correcting invoice %(number)s."
    ),
    ("issue", "credit_note", "waiting"): _l(
        "A credit note for %(amount)s will be issued in %(system)s once the invoice it corrects is issued."
    ),
    ("issue", "invoice"): _l("An invoice for %(amount)s will be issued in %(system)s."),
    ("issue", "proforma"): _l("A proforma invoice for %(amount)s will be issued in %(system)s."),
    ("not_issued", "invoice"): _l("The invoice still waiting to be issued will never be sent to %(system)s."),
    ("not_issued", "proforma"): _l("The proforma still waiting to be issued will never be sent to %(system)s."),
    ("not_issued", "credit_note"): _l("The credit note still waiting to be issued will never be sent to %(system)s."),
    ("kept", "proforma"): _l(
        "Proforma %(number)s stays in %(system)s: proformas are not tax documents and need no credit "
        "note. Cancel it there if you wish."
    ),
}


def change_sentence(change, system: str) -> str:
    """What confirming an order event will do to one document (`events.DocumentChange`), in words."""
    key: tuple[str, ...] = (change.action, change.kind)
    if change.action == "issue" and change.kind == "credit_note" and not change.corrects:
        key += ("waiting",)
    sentence = CHANGE_SENTENCES.get(key)
    if sentence is None:
        return document_kind(change.kind)
    # A credit note's amount as merchants say it ("a credit note for 20 €"), whatever its sign.
    amount = money(abs(change.total), change.currency) if change.total is not None else ""
    return str(sentence % {"amount": amount, "system": system, "number": change.number or change.corrects})


RETRY_STARTED = {
    "invoice": _l("We are issuing the invoice for order %(order)s again."),
    "proforma": _l("We are issuing the proforma invoice for order %(order)s again."),
    "credit_note": _l("We are issuing the credit note for order %(order)s again."),
}


def retry_started(document: Document) -> str:
    """What the retry button did, in a sentence of its own for each kind (languages inflect the
    kind's name), with the order's number: a failed document has no number of its own yet."""
    order = document.order.number if document.order is not None else ""
    if document.number:
        return gettext("We are issuing %(number)s again.", number=document.number)
    return str(RETRY_STARTED.get(document.kind, RETRY_STARTED["invoice"])) % {"order": order}


def document_kind(kind: str) -> str:
    return str(KIND_NAMES.get(kind, kind))


def document_state(state: str) -> str:
    return str(STATE_NAMES.get(state, state))


def field_messages(document: Document) -> list[str]:
    """The system's field messages, translated where they are our msgids. Plain strings (never
    Markup): they may carry the vendor's own words and are escaped like any text."""
    return [
        str(gettext(str(m)))
        for messages in (document.last_error_fields or {}).values()
        for m in (messages if isinstance(messages, list) else [messages])
    ]


def problem(document: Document) -> dict[str, object] | None:
    """Title, hint and field messages for a document that waits with an error or failed, in the
    viewer's language."""
    code = document.last_error_code
    if not code or document.state not in (DocumentState.PENDING, DocumentState.FAILED, DocumentState.CREATING):
        return None
    system = document.integration.system if document.integration is not None else None
    if code == issuing.INTERNAL:
        return {"title": str(INTERNAL_TITLE), "hint": str(INTERNAL_HINT), "code": code, "messages": []}
    hint = hint_for(code, system, document.last_error_hint_key)
    if (
        document.state == DocumentState.PENDING
        and document.integration is not None
        and document.integration.status != "active"
    ):
        hint = str(PAUSED_HINT)
    elif document.state == DocumentState.PENDING and document.next_attempt_at is not None:
        from ..formatting import moment

        hint = f"{hint} {RETRY_HINT % {'time': moment(document.next_attempt_at)}}"
    return {"title": title_for(code), "hint": hint, "code": code, "messages": field_messages(document)}


def ksef(document: Document) -> dict[str, object] | None:
    """KSeF for this document in words: the state, the number, a rejection's reasons."""
    if not document.ksef_status or document.ksef_status == "not_applicable":
        return None
    reasons = [str(r) for r in (document.snapshot or {}).get("ksef_errors") or []]
    return {
        "state": document.ksef_status,
        "label": str(KSEF_NAMES.get(document.ksef_status, document.ksef_status)),
        "number": document.ksef_number or "",
        "reasons": reasons,
        "badge": {"accepted": "badge-ok", "rejected": "badge-error"}.get(document.ksef_status, "badge-warn"),
    }
