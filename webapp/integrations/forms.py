"""The settings form is generated from the connector's field schema (connectors/fields.py);
this module turns schema fields into what the template renders."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from connectors import fields as f


@dataclass
class RenderedField:
    key: str
    label: str
    help: str
    kind: str
    input_type: str
    required: bool
    value: Any
    has_stored_secret: bool
    choices: list[tuple[str, str]]
    choices_error: str | None
    errors: list[str]
    autocomplete: str
    inputmode: str | None
    placeholder: str
    section: str
    max_length: int | None
    has_retry_secret: bool = False  # typed in the failed attempt just before; blank reuses it

    @property
    def describedby(self) -> str:
        ids = [f"{self.key}-help"] if self.help else []
        if self.errors:
            ids.append(f"{self.key}-error")
        return " ".join(ids)


INPUT_TYPES = {
    f.TEXT: "text",
    f.EMAIL: "email",
    f.SECRET: "password",
    f.URL: "url",
    f.NUMBER: "text",
    f.SELECT: "select",
    f.CHECKBOX: "checkbox",
}


def render_fields(
    schema,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    stored_secret_keys: set[str],
    fetched: dict[str, Any] | None,
    retry_secret_keys: AbstractSet[str] = frozenset(),
) -> list[RenderedField]:
    rendered = []
    fetched = fetched or {}
    for field in schema:
        choices: list[tuple[str, str]] = [(c.value, _(c.label)) for c in field.choices]
        choices_error = None
        if field.choices_from:
            got = fetched.get(field.choices_from)
            if isinstance(got, dict):
                choices_error = got.get("error")
            elif got:
                choices = [(str(v), str(label)) for v, label in got]
        value = values.get(field.key, field.default)
        if field.secret:
            value = ""  # never rendered back
        rendered.append(
            RenderedField(
                key=field.key,
                label=_(field.label),
                help=_(field.help) if field.help else "",
                kind=field.kind,
                input_type=INPUT_TYPES[field.kind],
                required=field.required,
                value=value,
                has_stored_secret=field.key in stored_secret_keys,
                choices=choices,
                choices_error=choices_error,
                errors=errors.get(field.key, []),
                autocomplete=field.autocomplete,
                inputmode=field.inputmode or ("numeric" if field.kind == f.NUMBER else None),
                placeholder=field.placeholder,
                section=field.section,
                max_length=field.max_length,
                has_retry_secret=field.key in retry_secret_keys,
            )
        )
    return rendered
