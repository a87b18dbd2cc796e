"""Jinja filters: money, numbers and dates formatted with Babel for the user's locale."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import Flask
from flask_babel import format_currency, format_date, format_datetime, format_decimal, get_locale

LANGUAGE_NAMES = {"en": "English", "pl": "Polski", "cs": "Čeština", "sk": "Slovenčina"}


def money(amount, currency: str | None = None) -> str:
    if amount is None:
        return "—"
    amount = Decimal(str(amount))
    return format_currency(amount, currency or "EUR") if currency else format_decimal(amount, format="#,##0.00")


def number(value) -> str:
    return "—" if value is None else format_decimal(Decimal(str(value)))


def day(value) -> str:
    if not value:
        return "—"
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    return format_date(value, "medium")


def moment(value) -> str:
    if not value:
        return "—"
    return format_datetime(value, "short") if isinstance(value, datetime) else str(value)


def init_app(app: Flask) -> None:
    app.add_template_filter(money)
    app.add_template_filter(number)
    app.add_template_filter(day)
    app.add_template_filter(moment)

    from .documents import wording as document_words

    app.add_template_filter(document_words.document_kind, "document_kind")
    app.add_template_filter(document_words.document_state, "document_state")
    app.add_template_filter(lambda state: document_words.STATE_BADGES.get(state, "badge-off"), "state_badge")

    @app.context_processor
    def inject_view_names():
        return {"view_names": app.view_functions}

    @app.context_processor
    def inject_language():
        return {"language_names": LANGUAGE_NAMES, "current_locale": str(get_locale())}
