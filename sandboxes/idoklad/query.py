"""The iDoklad v3 list query syntax for the sandbox (../shared/api/idoklad.md §5):

- `filter`: atoms `(Field~op~value)` with ops eq, !eq, lt, lte, gt, gte, ct, !ct; a string value
  may be base64-encoded with the operator marked `eq:base64`; atoms combine as `(A~and~B)` /
  `(A~or~B)`, nestable. Dates `yyyy-MM-dd HH:mm:ss.fff`, booleans `true/false`, `null`.
- `sort`: `Field~Asc|Other~Desc`.
- `page` / `pageSize` (defaults 1 / 20).

A field outside an entity's filterable list is rejected with 400 (the SDK offers no such field;
what the real server does with one is UNCONFIRMED, the stricter reading is taken here).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

OPERATORS = ("eq", "!eq", "lt", "lte", "gt", "gte", "ct", "!ct")
DEFAULT_PAGE_SIZE = 20
# UNCONFIRMED (3rd-party figure): the largest page the sandbox serves; larger asks are clamped.
MAX_PAGE_SIZE = 200


class QueryError(ValueError):
    """A malformed or unsupported query: the API answers 400."""


Atom = tuple[str, str, str, bool]  # field, operator, raw value, base64-marked


def parse_filter(text: str) -> Any:
    """Parse into a tree: ("and"|"or", [children]) or ("atom", Atom)."""
    text = text.strip()
    if not (text.startswith("(") and text.endswith(")")):
        raise QueryError(f"Filter '{text}' must be enclosed in parentheses.")
    inner = text[1:-1]
    if not inner.startswith("("):
        return ("atom", _parse_atom(inner))
    parts, joiners, pos = [], [], 0
    while pos < len(inner):
        end = _closing(inner, pos)
        parts.append(parse_filter(inner[pos : end + 1]))
        pos = end + 1
        if pos >= len(inner):
            break
        for joiner in ("~and~", "~or~"):
            if inner.startswith(joiner, pos):
                joiners.append(joiner.strip("~"))
                pos += len(joiner)
                break
        else:
            raise QueryError(f"Expected ~and~ or ~or~ in filter at '{inner[pos:]}'.")
        if not inner.startswith("(", pos):
            raise QueryError("Each side of ~and~/~or~ must be enclosed in parentheses.")
    if len(set(joiners)) > 1:
        raise QueryError("Mixing ~and~ and ~or~ needs explicit parentheses.")
    return (joiners[0] if joiners else "and", parts)


def _closing(text: str, start: int) -> int:
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    raise QueryError("Unbalanced parentheses in filter.")


def _parse_atom(inner: str) -> Atom:
    bits = inner.split("~", 2)
    if len(bits) != 3 or not bits[0]:
        raise QueryError(f"Filter atom '({inner})' must look like (Field~operator~value).")
    field, op, value = bits
    encoded = op.endswith(":base64")
    op = op[: -len(":base64")] if encoded else op
    if op not in OPERATORS:
        raise QueryError(f"Unknown filter operator '{op}'.")
    if encoded:
        try:
            value = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise QueryError(f"Value of {field} is not valid base64.") from None
    return field, op, value, encoded


def compile_filter(tree: Any, fields: dict[str, Callable[[dict], Any]]) -> Callable[[dict], bool]:
    """Turn a parsed filter into a predicate over stored entities; unknown fields raise QueryError."""
    kind, payload = tree
    if kind == "atom":
        field, op, raw, _encoded = payload
        getter = next((g for name, g in fields.items() if name.lower() == field.lower()), None)
        if getter is None:
            raise QueryError(f"Filtering by '{field}' is not supported.")
        return lambda entity: _compare(getter(entity), op, raw)
    children = [compile_filter(child, fields) for child in payload]
    if kind == "and":
        return lambda entity: all(c(entity) for c in children)
    return lambda entity: any(c(entity) for c in children)


def _coerce(sample: Any, raw: str) -> Any:
    if raw == "null":
        return None
    if isinstance(sample, bool):
        if raw.lower() not in ("true", "false"):
            raise QueryError(f"'{raw}' is not a boolean.")
        return raw.lower() == "true"
    if isinstance(sample, int):
        try:
            return int(raw)
        except ValueError:
            raise QueryError(f"'{raw}' is not a number.") from None
    if isinstance(sample, Decimal):
        try:
            return Decimal(raw)
        except InvalidOperation:
            raise QueryError(f"'{raw}' is not a number.") from None
    if isinstance(sample, (date, datetime)):
        return parse_datetime(raw)
    return raw


def parse_datetime(raw: str) -> datetime:
    text = raw.strip().replace("T", " ").rstrip("Z")
    for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise QueryError(f"'{raw}' is not a date (yyyy-MM-dd HH:mm:ss.fff).")


def _compare(value: Any, op: str, raw: str) -> bool:
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if op in ("ct", "!ct"):
        if isinstance(value, int) and not isinstance(value, bool):
            found = str(value) in [v.strip() for v in raw.split(",")]
        else:
            found = raw.lower() in str(value or "").lower()
        return found if op == "ct" else not found
    target = _coerce(value, raw) if value is not None else (None if raw == "null" else raw)
    if op == "eq":
        return value == target
    if op == "!eq":
        return value != target
    if value is None or target is None:
        return False
    return {"lt": value < target, "lte": value <= target, "gt": value > target, "gte": value >= target}[op]


def sort_entities(entities: list[dict], sort: str, fields: dict[str, Callable[[dict], Any]]) -> list[dict]:
    result = list(entities)
    for part in reversed([p for p in sort.split("|") if p]):
        name, _, direction = part.partition("~")
        getter = next((g for key, g in fields.items() if key.lower() == name.lower()), None)
        if getter is None or direction.lower() not in ("asc", "desc", ""):
            raise QueryError(f"Sorting by '{part}' is not supported.")
        result.sort(key=lambda e: (getter(e) is None, getter(e)), reverse=direction.lower() == "desc")
    return result


def page_args(args: Any) -> tuple[int, int]:
    lowered = {k.lower(): v for k, v in args.items()}
    try:
        page = int(lowered.get("page", 1))
        size = int(lowered.get("pagesize", DEFAULT_PAGE_SIZE))
    except ValueError:
        raise QueryError("page and pageSize must be whole numbers.") from None
    if page < 1 or size < 1:
        raise QueryError("page and pageSize must be positive.")
    return page, min(size, MAX_PAGE_SIZE)


def select_fields(entity: dict, select: str) -> dict:
    """`select=Id,DocumentNumber,Items.Name`: keep the named properties (dot paths keep the parent)."""
    wanted = {part.split(".", 1)[0].strip().lower() for part in select.split(",") if part.strip()}
    return {k: v for k, v in entity.items() if k.lower() in wanted or k == "Id"}
