"""Rules in the merchant's words: "When a card or PayPal order is paid, issue an invoice from
series OF, mark it paid and e-mail it to the customer." Built from translated fragments, so each
language orders its own sentence."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from connectors import registry

from ..models import DocumentRule, Integration

KINDS = {"invoice": _l("an invoice"), "proforma": _l("a proforma invoice"), "credit_note": _l("a credit note")}
KIND_NAMES = {"invoice": _l("Invoice"), "proforma": _l("Proforma invoice"), "credit_note": _l("Credit note")}
PAYMENTS = {
    "bank_transfer": _l("bank transfer"),
    "card": _l("card"),
    "cod": _l("cash on delivery"),
    "cash": _l("cash"),
    "paypal": _l("PayPal"),
    "other": _l("other payment"),
}
SHIPPING = {
    "courier": _l("courier"),
    "post": _l("post"),
    "pickup_point": _l("pickup point"),
    "personal": _l("personal collection"),
    "other": _l("other delivery"),
}
STATUSES = {
    "new": _l("new"),
    "processing": _l("processing"),
    "paid": _l("paid"),
    "shipped": _l("shipped"),
    "completed": _l("completed"),
    "cancelled": _l("cancelled"),
    "on_hold": _l("on hold"),
    "refunded": _l("refunded"),
}
TRIGGERS = {
    "order_created": _l("When %(order)s is placed"),
    "paid": _l("When %(order)s is paid"),
    "shipped": _l("When %(order)s is shipped"),
    "cancelled": _l("When %(order)s is cancelled"),
    "refunded": _l("When %(order)s is refunded"),
    "status_changed": _l("When %(order)s changes to “%(status)s”"),
}
TRIGGER_NAMES = {
    "order_created": _l("Order placed"),
    "paid": _l("Payment received"),
    "shipped": _l("Shipped"),
    "cancelled": _l("Cancelled"),
    "refunded": _l("Refunded"),
    "status_changed": _l("Status changed to"),
}


def _join(words: list[str]) -> str:
    if len(words) < 2:
        return "".join(words)
    return _("%(first)s or %(last)s", first=", ".join(words[:-1]), last=words[-1])


def _order_phrase(conditions: dict[str, Any]) -> str:
    payments = [str(PAYMENTS.get(m, m)) for m in conditions.get("payment_methods") or []]
    shipping = [str(SHIPPING.get(m, m)) for m in conditions.get("shipping_methods") or []]
    phrase = _("a %(methods)s order", methods=_join(payments)) if payments else _("an order")
    if shipping:
        phrase += " " + _("sent by %(methods)s", methods=_join(shipping))
    if conditions.get("countries"):
        phrase += " " + _("to %(countries)s", countries=", ".join(conditions["countries"]))
    if conditions.get("customer_type") == "company":
        phrase += " " + _("from a company")
    elif conditions.get("customer_type") == "person":
        phrase += " " + _("from a private person")
    return phrase


def series_choices(integration: Integration | None, kind: str) -> list[tuple[str, str]]:
    """The number series fetched from the system at activation (empty when it has none)."""
    fetched = (integration.choices or {}).get(f"number_series:{kind}") if integration is not None else None
    return [(str(value), str(label)) for value, label in fetched] if isinstance(fetched, list) else []


def series_name(integration: Integration | None, kind: str, series_id: str) -> str:
    return dict(series_choices(integration, kind)).get(str(series_id), str(series_id))


def describe(rule: DocumentRule | Any, integration: Integration | None = None) -> str:
    """One sentence saying when the rule acts and what it does."""
    conditions = rule.conditions or {}
    options = rule.options or {}
    when = TRIGGERS.get(rule.trigger, TRIGGERS["paid"])
    sentence = str(when) % {
        "order": _order_phrase(conditions),
        "status": STATUSES.get(conditions.get("status", ""), conditions.get("status", "")),
    }
    action = _("issue %(kind)s", kind=KINDS.get(rule.kind, rule.kind))
    if rule.kind == "credit_note" and rule.trigger == "refunded":
        action = _("issue a credit note for exactly the refunded lines, linked to the invoice")
    elif rule.kind == "credit_note" and rule.trigger == "cancelled":
        action = _("issue a credit note for the rest of the invoice, linked to it")
    if options.get("series_id"):
        action += " " + _("from series %(series)s", series=series_name(integration, rule.kind, options["series_id"]))
    steps = [action]
    if options.get("paid") and rule.kind == "invoice":
        steps.append(_("mark it paid"))
    polish = integration is not None and "PL" in getattr(registry.get(integration.system), "markets", ())
    if polish and options.get("send_to_ksef", True) and rule.kind != "proforma":
        steps.append(_("send it to KSeF when the buyer is a company"))
    if options.get("send_email"):
        steps.append(
            _("e-mail it to the customer")
            if not polish
            else _("e-mail it to the customer (after KSeF gave its number)")
        )
    if options.get("delay_minutes"):
        steps.append(_("wait %(minutes)s minutes first", minutes=options["delay_minutes"]))
    # Translated on its own line: pybabel does not extract a call nested in another's arguments.
    joiner = " " + _("and") + " "
    text = _(
        "%(when)s, %(what)s.",
        when=sentence,
        what=", ".join(steps[:-1]) + (joiner if len(steps) > 1 else "") + steps[-1],
    )
    if rule.kind == "credit_note" and rule.trigger == "cancelled":
        text += " " + _("An order with only a proforma gets no credit note: the proforma stays, and the order says so.")
    return text
