"""What the app reads from addresses, bounded so that no value can break a query.

- `<int:...>` in every route is `DatabaseId`: digits beyond what our integer columns hold make
  the route not match (404) instead of an OverflowError in SQLite or "integer out of range" in
  PostgreSQL (a 500). Registered app-wide as the `int` converter, so new routes get it too.
- `page_number()` reads `?page=` the same way: junk, zero, negative or huge values fall back to
  a page that exists.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping

from werkzeug.routing import IntegerConverter, ValidationError

# The primary keys are `Integer` columns: 32-bit signed in PostgreSQL (SQLite's are 64-bit), so
# no row can have a larger id.
MAX_ID = 2**31 - 1
MAX_PAGE = 100_000


class DatabaseId(IntegerConverter):
    def __init__(
        self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID, signed: bool = False
    ) -> None:
        bound = MAX_ID if max is None else builtins.min(max, MAX_ID)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=bound, signed=signed)

    def to_python(self, value: str):
        # Refuse absurdly long digit strings before int() has to read them.
        if len(value) > len(str(MAX_ID)) + 2:
            raise ValidationError()
        return super().to_python(value)


def page_number(args: Mapping[str, str], name: str = "page") -> int:
    """A 1-based page number from the query string; anything unusable is page 1, anything past
    MAX_PAGE is MAX_PAGE."""
    raw = (args.get(name) or "").strip()
    if not raw.isdigit() or not raw.isascii():
        return 1
    if len(raw) > len(str(MAX_PAGE)):
        return MAX_PAGE
    return min(max(int(raw), 1), MAX_PAGE)


def init_app(app) -> None:
    """Before any blueprint is registered: its rules are built with the converters known then."""
    app.url_map.converters["int"] = DatabaseId
