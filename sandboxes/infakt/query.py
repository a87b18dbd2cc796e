"""List parameters of inFakt API v3 (readme "Filtrowanie", "Stronicowanie", "Sortowanie",
"Zawężanie pól"):

- `q[<field>_<modifier>]=value`; modifiers `_eq`, `_cont` (text), `_lt`, `_gt`, `_lteq`, `_gteq`
  (dates; numbers too here), `_null` (true/false). The field names are those of the resource's
  definition; for invoices `clean_client_nip` is a filter-only field (digits of the buyer's NIP).
  The docs warn that not every modifier works with every field. A field or modifier outside the
  lists below answers 400 (UNCONFIRMED what the real server does; the stricter reading is taken,
  so a client cannot believe it filtered by something that was ignored).
- `offset` / `limit` (limit at most 100; more is clamped; default 10, UNCONFIRMED); the reply is
  `{"metainfo": {"count", "total_count", "next", "previous"}, "entities": [...]}`.
- `order=<field> asc|desc`; default newest first (UNCONFIRMED).
- `fields=number,services(name,tax_symbol)` narrows each entity.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode

DEFAULT_LIMIT = 10
MAX_LIMIT = 100
MODIFIERS = ("_lteq", "_gteq", "_null", "_cont", "_eq", "_lt", "_gt")


class QueryError(ValueError):
    """Bad list parameter: 400 with {"error": ...}."""


def _truthy(value: str) -> bool:
    if value.lower() in ("true", "1", "t"):
        return True
    if value.lower() in ("false", "0", "f"):
        return False
    raise QueryError("Nieprawidłowa wartość parametru: oczekiwano true lub false")


def _compare(kind: str, left: Any, right: str) -> Any:
    if kind == "date":
        try:
            return date.fromisoformat(str(left)[:10]), date.fromisoformat(right[:10])
        except ValueError:
            raise QueryError(f"Nieprawidłowa wartość parametru: {right}") from None
    if kind == "int":
        try:
            return int(left), int(right)
        except ValueError:
            raise QueryError(f"Nieprawidłowa wartość parametru: {right}") from None
    return str(left), right


def filter_rows(rows: list[dict[str, Any]], args, fields: dict[str, tuple[str, Callable[[dict], Any]]]) -> list[dict]:
    """fields: name -> (kind "text"|"date"|"int", getter)."""
    conditions = []
    for key, value in args.items(multi=True):
        match = re.fullmatch(r"q\[(\w+)\]", key)
        if not match:
            if key.startswith("q"):
                raise QueryError(f"Nieprawidłowy parametr: {key}")
            continue
        name = match.group(1)
        modifier = next((m for m in MODIFIERS if name.endswith(m)), None)
        field = name[: -len(modifier)] if modifier else None
        if modifier is None or field not in fields:
            raise QueryError(f"Nieprawidłowy parametr wyszukiwania: {key}")
        kind, getter = fields[field]
        if modifier == "_cont" and kind != "text" or modifier in ("_lt", "_gt", "_lteq", "_gteq") and kind == "text":
            raise QueryError(f"Modyfikator {modifier} nie jest dostępny dla pola {field}")
        conditions.append((modifier, kind, getter, value))

    def keep(row: dict[str, Any]) -> bool:
        for modifier, kind, getter, value in conditions:
            current = getter(row)
            if modifier == "_null":
                if (current in (None, "")) != _truthy(value):
                    return False
                continue
            if current in (None, ""):
                return False
            if modifier == "_cont":
                if value.lower() not in str(current).lower():
                    return False
                continue
            left, right = _compare(kind, current, value)
            ok = {
                "_eq": left == right,
                "_lt": left < right,
                "_gt": left > right,
                "_lteq": left <= right,
                "_gteq": left >= right,
            }[modifier]
            if not ok:
                return False
        return True

    return [row for row in rows if keep(row)]


def order_rows(
    rows: list[dict[str, Any]], args, sortable: dict[str, Callable[[dict], Any]], default: str
) -> list[dict]:
    text = (args.get("order") or default).strip()
    parts = text.split()
    direction_ok = len(parts) == 1 or (len(parts) == 2 and parts[1].lower() in ("asc", "desc"))
    if not parts or parts[0] not in sortable or not direction_ok:
        raise QueryError(f"Nieprawidłowa wartość parametru order: {text}")
    getter = sortable[parts[0]]
    reverse = len(parts) == 2 and parts[1].lower() == "desc"
    return sorted(rows, key=lambda r: (getter(r) is None, getter(r) or 0, r["id"]), reverse=reverse)


def page(rows: list[dict[str, Any]], args, base_url: str) -> tuple[list[dict], dict[str, Any]]:
    try:
        offset = int(args.get("offset", 0))
        limit = int(args.get("limit", DEFAULT_LIMIT))
    except ValueError:
        raise QueryError("Nieprawidłowa wartość parametru offset lub limit") from None
    if offset < 0 or limit < 1:
        raise QueryError("Nieprawidłowa wartość parametru offset lub limit")
    limit = min(limit, MAX_LIMIT)
    chosen = rows[offset : offset + limit]
    kept = [(k, v) for k, v in args.items(multi=True) if k not in ("offset", "limit")]

    def link(new_offset: int) -> str:
        return f"{base_url}?{urlencode(kept + [('offset', new_offset), ('limit', limit)])}"

    meta = {
        "count": len(chosen),
        "total_count": len(rows),
        "next": link(offset + limit) if offset + limit < len(rows) else None,
        "previous": link(max(0, offset - limit)) if offset > 0 else None,
    }
    return chosen, meta


def parse_fields(text: str) -> dict[str, Any]:
    """ "number,services(name,tax_symbol)" -> {"number": None, "services": {"name": None, ...}}."""
    result: dict[str, Any] = {}
    pos = 0
    while pos < len(text):
        match = re.match(r"\s*(\w+)\s*", text[pos:])
        if not match:
            raise QueryError(f"Nieprawidłowa wartość parametru fields: {text}")
        name = match.group(1)
        pos += match.end()
        if pos < len(text) and text[pos] == "(":
            depth, end = 0, pos
            while end < len(text):
                depth += {"(": 1, ")": -1}.get(text[end], 0)
                if depth == 0:
                    break
                end += 1
            if depth:
                raise QueryError(f"Nieprawidłowa wartość parametru fields: {text}")
            result[name] = parse_fields(text[pos + 1 : end])
            pos = end + 1
        else:
            result[name] = None
        if pos < len(text):
            if text[pos] != ",":
                raise QueryError(f"Nieprawidłowa wartość parametru fields: {text}")
            pos += 1
    return result


def narrow(entity: Any, spec: dict[str, Any] | None) -> Any:
    if spec is None:
        return entity
    if isinstance(entity, list):
        return [narrow(e, spec) for e in entity]
    if not isinstance(entity, dict):
        return entity
    return {k: narrow(entity[k], sub) for k, sub in spec.items() if k in entity}
