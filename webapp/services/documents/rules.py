"""Rules: when each kind of document is created, and how.

A rule has a trigger (order created, status changed to X, paid, shipped, cancelled, refunded),
conditions (payment methods, delivery methods, customer countries, company or person) and
options (number series, create as paid, e-mail through the accounting system, language,
variable symbol, archive the PDF, delay). Presets cover the common cases; they are proposed
after activation and switched on only when the merchant confirms them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connectors.documents import CREDIT_NOTE, INVOICE, PROFORMA

from ...extensions import db
from ...models import Document, DocumentRule, Integration, Order, OrderEvent

TRIGGERS = ("order_created", "status_changed", "paid", "shipped", "cancelled", "refunded")
EVENT_TRIGGER = {
    "created": "order_created",
    "status_changed": "status_changed",
    "paid": "paid",
    "shipped": "shipped",
    "cancelled": "cancelled",
    "refunded": "refunded",
}
DEFAULT_OPTIONS: dict[str, Any] = {
    "series_id": "",
    "paid": False,
    "send_email": False,
    "language": "",
    "variable_symbol": "order_number",
    "archive_pdf": True,
    "delay_minutes": 0,
    # Poland: B2B invoices go to KSeF when the system is asked to send them.
    "send_to_ksef": True,
}


@dataclass(frozen=True)
class Preset:
    key: str
    kind: str
    trigger: str
    conditions: dict[str, Any]
    options: dict[str, Any]


PRESETS: tuple[Preset, ...] = (
    Preset(
        "bank_transfer_proforma",
        PROFORMA,
        "order_created",
        {"payment_methods": ["bank_transfer"]},
        {"send_email": True},
    ),
    Preset(
        "bank_transfer_invoice",
        INVOICE,
        "paid",
        {"payment_methods": ["bank_transfer"]},
        {"paid": True, "send_email": True},
    ),
    Preset("cod_invoice", INVOICE, "shipped", {"payment_methods": ["cod"]}, {}),
    Preset(
        "card_invoice", INVOICE, "paid", {"payment_methods": ["card", "paypal"]}, {"paid": True, "send_email": True}
    ),
    Preset("refund_credit_note", CREDIT_NOTE, "refunded", {}, {"send_email": True}),
    Preset("cancel_credit_note", CREDIT_NOTE, "cancelled", {}, {"send_email": True}),
)


def rules_of(integration: Integration, *, enabled_only: bool = False) -> list[DocumentRule]:
    query = db.select(DocumentRule).where(
        DocumentRule.shop_id == integration.shop_id, DocumentRule.integration_id == integration.id
    )
    if enabled_only:
        query = query.where(DocumentRule.enabled.is_(True))
    return list(db.session.scalars(query.order_by(DocumentRule.position, DocumentRule.id)))


def presets_pending(integration: Integration) -> bool:
    """Presets are proposed until the merchant has confirmed them (or made rules of their own)."""
    return not rules_of(integration)


RULES_PENDING = "pending"  # no rule yet: the presets wait for the merchant's confirmation
RULES_OFF = "off"  # rules exist, every one switched off
RULES_ON = "on"


def rules_state(integration: Integration | None) -> str:
    """Whether the connection's rules create documents: nothing is issued for an order until at
    least one rule is switched on (presets are only proposed until the merchant confirms them)."""
    rows = rules_of(integration) if integration is not None else []
    if not rows:
        return RULES_PENDING
    return RULES_ON if any(rule.enabled for rule in rows) else RULES_OFF


def confirm_presets(
    integration: Integration, keys: list[str] | None = None, series: dict[str, str] | None = None
) -> list[DocumentRule]:
    """Switch on the chosen presets (all by default) as rules; confirming twice adds nothing."""
    existing = {rule.preset for rule in rules_of(integration) if rule.preset}
    added = []
    for position, preset in enumerate(PRESETS):
        if (keys is not None and preset.key not in keys) or preset.key in existing:
            continue
        options = {**DEFAULT_OPTIONS, **preset.options, "series_id": (series or {}).get(preset.kind, "")}
        rule = DocumentRule(
            shop_id=integration.shop_id,
            integration_id=integration.id,
            kind=preset.kind,
            trigger=preset.trigger,
            conditions=dict(preset.conditions),
            options=options,
            enabled=True,
            preset=preset.key,
            position=position,
        )
        db.session.add(rule)
        added.append(rule)
    db.session.commit()
    return added


def matches(rule: DocumentRule, order: Order, event: OrderEvent) -> bool:
    """Does this event of this order call for the rule's document?"""
    if not rule.enabled or EVENT_TRIGGER.get(event.type) != rule.trigger:
        return False
    conditions = rule.conditions or {}
    if rule.trigger == "status_changed" and conditions.get("status"):
        if (event.payload or {}).get("status") != conditions["status"]:
            return False
    payment = (order.payment or {}).get("method", "")
    if conditions.get("payment_methods") and payment not in conditions["payment_methods"]:
        return False
    shipping = (order.shipping or {}).get("method", "")
    if conditions.get("shipping_methods") and shipping not in conditions["shipping_methods"]:
        return False
    customer = order.customer or {}
    country = ((customer.get("billing_address") or {}).get("country") or "").upper()
    if conditions.get("countries") and country not in [c.upper() for c in conditions["countries"]]:
        return False
    if conditions.get("customer_type") and customer.get("type", "person") != conditions["customer_type"]:
        return False
    return True


def options_of(rule: DocumentRule) -> dict[str, Any]:
    return {**DEFAULT_OPTIONS, **(rule.options or {})}


def save(
    integration: Integration,
    rule: DocumentRule | None,
    *,
    kind: str,
    trigger: str,
    conditions: dict[str, Any],
    options: dict[str, Any],
    enabled: bool,
) -> DocumentRule:
    """Create or change a rule (the merchant's own, or a confirmed preset they adjust)."""
    if kind not in (INVOICE, PROFORMA, CREDIT_NOTE) or trigger not in TRIGGERS:
        raise ValueError("unknown kind or trigger")
    if rule is None:
        position = len(rules_of(integration))
        rule = DocumentRule(shop_id=integration.shop_id, integration_id=integration.id, position=position)
        db.session.add(rule)
    rule.kind, rule.trigger, rule.enabled = kind, trigger, enabled
    rule.conditions = dict(conditions)
    rule.options = {**DEFAULT_OPTIONS, **options}
    db.session.commit()
    return rule


def set_enabled(rule: DocumentRule, enabled: bool) -> None:
    rule.enabled = enabled
    db.session.commit()


def delete(rule: DocumentRule) -> None:
    """Documents the rule created keep their history; they only lose the link to it."""
    db.session.execute(db.update(Document).where(Document.rule_id == rule.id).values(rule_id=None))
    db.session.delete(rule)
    db.session.commit()
