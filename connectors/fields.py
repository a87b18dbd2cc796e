"""The per-system form schema (Redash's `configuration_schema`, Home Assistant's config flow).

A connector lists its `Field`s; the web app renders the settings form from them, validates
input with `validate_values`, stores non-secret values as configuration and secret values
encrypted. Secrets are never rendered back: the form shows them masked with "leave blank to
keep the stored value".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .i18n import N_

TEXT, EMAIL, SECRET, URL, SELECT, NUMBER, CHECKBOX = ("text", "email", "secret", "url", "select", "number", "checkbox")
KINDS = (TEXT, EMAIL, SECRET, URL, SELECT, NUMBER, CHECKBOX)

# Where a field sits on the settings page.
CONNECTION = "connection"  # needed to verify the connection
DOCUMENTS = "documents"  # choices that shape documents (series, bank account...)

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL_RE = re.compile(r"^https?://[^\s/$.?#].[^\s]*$", re.IGNORECASE)


@dataclass(frozen=True)
class Choice:
    value: str
    label: str  # marked with N_ where it is a sentence; brand names stay as they are


@dataclass(frozen=True)
class Field:
    """One input of a system's settings form.

    label/help are English msgids marked with N_; the web app translates them.
    choices_from names a list fetched from the system after verification (see
    `Connector.list_choices`), e.g. "number_series:invoice" or "bank_accounts".
    """

    key: str
    label: str
    kind: str = TEXT
    help: str = ""
    required: bool = False
    default: Any = None
    choices: tuple[Choice, ...] = ()
    choices_from: str | None = None
    pattern: str | None = None
    pattern_message: str = N_("The value does not have the expected format.")
    max_length: int | None = 255
    section: str = CONNECTION
    autocomplete: str = "off"
    inputmode: str | None = None
    placeholder: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown field kind {self.kind!r} for {self.key}")

    @property
    def secret(self) -> bool:
        return self.kind == SECRET


@dataclass
class FieldErrors:
    """Field key -> list of msgids (untranslated; marked with N_)."""

    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.errors)


def secret_keys(fields: Iterable[Field]) -> set[str]:
    return {f.key for f in fields if f.secret}


def validate_values(
    fields: Iterable[Field], raw: dict[str, Any], stored_secrets: dict[str, str] | None = None
) -> tuple[dict[str, Any], dict[str, str], FieldErrors]:
    """Clean submitted values against the schema.

    Returns (config, secrets, errors). A blank secret keeps the stored one, so a merchant who
    only changes the company id need not retype the API key. Choice-backed fields fetched from
    the system are checked against the fetched lists by `check_fetched_choices`.
    """
    stored_secrets = stored_secrets or {}
    config: dict[str, Any] = {}
    secrets: dict[str, str] = {}
    errors = FieldErrors()
    for f in fields:
        value = raw.get(f.key)
        if f.kind == CHECKBOX:
            config[f.key] = value in (True, "1", "on", "true", "y", "yes")
            continue
        value = "" if value is None else str(value).strip()
        if f.secret and not value and f.key in stored_secrets:
            secrets[f.key] = stored_secrets[f.key]
            continue
        if not value:
            if f.required:
                errors.add(f.key, N_("This field is required."))
            elif f.default is not None:
                config[f.key] = f.default
            continue
        if f.max_length and len(value) > f.max_length:
            errors.add(f.key, N_("This value is too long."))
            continue
        if f.kind == EMAIL and not _EMAIL_RE.match(value):
            errors.add(f.key, N_("Enter an e-mail address like name@example.com."))
            continue
        if f.kind == URL and not _URL_RE.match(value):
            errors.add(f.key, N_("Enter a full address starting with https://."))
            continue
        if f.kind == NUMBER and not re.fullmatch(r"\d+", value):
            errors.add(f.key, N_("Enter digits only."))
            continue
        if f.kind == SELECT and f.choices and value not in {c.value for c in f.choices}:
            errors.add(f.key, N_("Pick one of the offered values."))
            continue
        if f.pattern and not re.fullmatch(f.pattern, value):
            errors.add(f.key, f.pattern_message)
            continue
        if f.secret:
            secrets[f.key] = value
        else:
            config[f.key] = value
    return config, secrets, errors


def check_fetched_choices(fields: Iterable[Field], config: dict[str, Any], fetched: dict[str, Any]) -> FieldErrors:
    """Every select whose values come from the system (`choices_from`) holds one of the values the
    system listed. `fetched` maps a `choices_from` name to [[value, label], ...], or to
    {"error": code} when the list could not be read: then a chosen value cannot be confirmed and
    is refused too (a value the system does not know fails every document later)."""
    errors = FieldErrors()
    for f in fields:
        value = config.get(f.key)
        if not f.choices_from or value in (None, "") or value == f.default:
            continue
        listed = fetched.get(f.choices_from)
        if not isinstance(listed, list):
            errors.add(
                f.key, N_("The list of values could not be loaded from the system. Leave this empty or try again.")
            )
        elif str(value) not in {str(item[0]) for item in listed}:
            errors.add(f.key, N_("Pick one of the offered values."))
    return errors
