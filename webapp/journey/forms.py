"""The test-invoice form: which order, which kind of document, and the merchant's consent before
a document that takes a real number from the invoice series."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, SelectField
from wtforms.validators import ValidationError

from ..auth.forms import TextForm
from ..services.documents import trial_invoice

NEW_ORDER = "new"


class TestInvoiceForm(TextForm):  # text fields only: a file posted as a value is no string
    order = SelectField(_l("Order"), default=NEW_ORDER)
    market = SelectField(_l("Market of a new test order"))
    kind = RadioField(_l("Document to issue"))
    confirm_real_number = BooleanField(
        _l("I understand that on a live account this invoice takes the next real number from my invoice series.")
    )

    def __init__(self, system: str, orders, *args, default_market: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.market.choices = [(m, f"{m} · {c}") for m, c in trial_invoice.MARKETS]
        if not self.market.data:
            self.market.data = default_market
        self.order.choices = [(NEW_ORDER, str(_l("Create a new test order")))] + [
            (str(o.id), o.number + (" (" + str(_l("test order")) + ")" if o.is_test else "")) for o in orders
        ]
        kinds = trial_invoice.kind_choices(system)
        self.kind.choices = [(k, str(trial_invoice.KIND_LABELS[k])) for k in kinds]
        if not self.kind.data and kinds:
            self.kind.data = kinds[0]

    def validate_confirm_real_number(self, field) -> None:
        if trial_invoice.takes_real_number(self.kind.data or "") and not field.data:
            raise ValidationError(
                _l("Confirm that you want a real invoice, or choose a document that takes no number from the series.")
            )
