"""The rule form: trigger, conditions and options of one document rule."""

from __future__ import annotations

from babel import Locale
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..auth.forms import TextForm
from . import wording

LANGUAGES = (
    ("", _l("The order's language")),
    ("en", "English"),
    ("pl", "Polski"),
    ("cs", "Čeština"),
    ("sk", "Slovenčina"),
    ("de", "Deutsch"),
    ("hu", "Magyar"),
)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RuleForm(TextForm):  # text fields only: a file posted as a value is no string
    kind = SelectField(_l("Document"), choices=list(wording.KIND_NAMES.items()))
    trigger = SelectField(_l("When"), choices=list(wording.TRIGGER_NAMES.items()))
    status = SelectField(
        _l("Order status (for “Status changed to”)"),
        choices=[("", "—")] + list(wording.STATUSES.items()),
        validators=[Optional()],
    )
    payment_methods = MultiCheckboxField(
        _l("Only for these payment methods (none ticked: any)"), choices=list(wording.PAYMENTS.items())
    )
    shipping_methods = MultiCheckboxField(
        _l("Only for these delivery methods (none ticked: any)"), choices=list(wording.SHIPPING.items())
    )
    countries = StringField(
        _l("Only for customers in these countries"),
        description=_l("Two-letter codes separated by commas, e.g. SK, CZ. Empty: any country."),
    )
    customer_type = SelectField(
        _l("Customer"),
        choices=[
            ("", _l("Companies and private persons")),
            ("company", _l("Companies only")),
            ("person", _l("Private persons only")),
        ],
    )
    series_id = SelectField(_l("Number series"), choices=[], validators=[Optional()], validate_choice=False)
    paid = BooleanField(_l("Create the invoice as paid"))
    send_email = BooleanField(_l("E-mail it to the customer through the accounting system"))
    language = SelectField(_l("Document language"), choices=LANGUAGES)
    variable_symbol = SelectField(
        _l("Variable symbol"), choices=[("order_number", _l("The order number's digits")), ("none", _l("None"))]
    )
    send_to_ksef = BooleanField(_l("Send B2B invoices to KSeF (Poland)"), default=True)
    archive_pdf = BooleanField(_l("Keep a copy of the PDF in the archive"), default=True)
    delay_minutes = IntegerField(
        _l("Wait before issuing (minutes)"), default=0, validators=[Optional(), NumberRange(min=0, max=1440)]
    )
    enabled = BooleanField(_l("Rule is on"), default=True)

    def __init__(self, *args, series: dict[str, list[tuple[str, str]]] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.series_by_kind = series or {}
        self.series_id.choices = [("", _l("The connection's default series"))] + [
            (value, f"{wording.KIND_NAMES[kind]}: {label}")
            for kind, rows in self.series_by_kind.items()
            for value, label in rows
        ]

    def validate_series_id(self, field) -> None:
        allowed = {value for value, _label in self.series_by_kind.get(self.kind.data, [])}
        if field.data and field.data not in allowed:
            raise ValidationError(_l("Pick one of the series your accounting system has for this document."))

    def validate_status(self, field) -> None:
        if self.trigger.data == "status_changed" and not field.data:
            raise ValidationError(_l("Pick the status that issues the document."))

    def validate_countries(self, field) -> None:
        territories = Locale("en").territories
        codes = [c.strip().upper() for c in (field.data or "").split(",") if c.strip()]
        wrong = [c for c in codes if len(c) != 2 or c not in territories]
        if wrong:
            raise ValidationError(
                _l("Not a country code: %(codes)s. Use two letters, e.g. SK.", codes=", ".join(wrong))
            )

    def validate_kind(self, field) -> None:
        if field.data == "credit_note" and self.trigger.data not in ("refunded", "cancelled"):
            raise ValidationError(_l("A credit note follows a refund or a cancellation."))

    def conditions(self) -> dict:
        return {
            key: value
            for key, value in {
                "status": self.status.data if self.trigger.data == "status_changed" else "",
                "payment_methods": list(self.payment_methods.data or []),
                "shipping_methods": list(self.shipping_methods.data or []),
                "countries": [c.strip().upper() for c in (self.countries.data or "").split(",") if c.strip()],
                "customer_type": self.customer_type.data or "",
            }.items()
            if value
        }

    def options(self) -> dict:
        return {
            "series_id": self.series_id.data or "",
            "paid": bool(self.paid.data) and self.kind.data == "invoice",
            "send_email": bool(self.send_email.data),
            "language": self.language.data or "",
            "variable_symbol": self.variable_symbol.data or "order_number",
            "archive_pdf": bool(self.archive_pdf.data),
            "delay_minutes": int(self.delay_minutes.data or 0),
            "send_to_ksef": bool(self.send_to_ksef.data),
        }

    def fill_from(self, rule) -> None:
        conditions, options = rule.conditions or {}, rule.options or {}
        self.kind.data, self.trigger.data, self.enabled.data = rule.kind, rule.trigger, rule.enabled
        self.status.data = conditions.get("status", "")
        self.payment_methods.data = conditions.get("payment_methods", [])
        self.shipping_methods.data = conditions.get("shipping_methods", [])
        self.countries.data = ", ".join(conditions.get("countries", []))
        self.customer_type.data = conditions.get("customer_type", "")
        self.series_id.data = str(options.get("series_id") or "")
        self.paid.data = bool(options.get("paid"))
        self.send_email.data = bool(options.get("send_email"))
        self.language.data = options.get("language", "")
        self.variable_symbol.data = options.get("variable_symbol", "order_number")
        self.archive_pdf.data = bool(options.get("archive_pdf", True))
        self.send_to_ksef.data = bool(options.get("send_to_ksef", True))
        self.delay_minutes.data = int(options.get("delay_minutes") or 0)
