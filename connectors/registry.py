"""The catalogue of connectors. Adding a system: create `connectors/<key>/` whose `__init__.py`
ends with `register(<Class>)`, and add its key to `SYSTEM_MODULES` (catalogue order)."""

from __future__ import annotations

import importlib

from .base import Connector

SYSTEM_MODULES: tuple[str, ...] = ("superfaktura", "fakturoid", "idoklad", "fakturownia", "infakt")

_registry: dict[str, type[Connector]] = {}
_loaded = False


def register(cls: type[Connector]) -> type[Connector]:
    _registry[cls.key] = cls
    return cls


def _load() -> None:
    global _loaded
    if not _loaded:
        for module in SYSTEM_MODULES:
            importlib.import_module(f"connectors.{module}")
        _loaded = True


def all_connectors() -> list[type[Connector]]:
    _load()
    return [_registry[key] for key in SYSTEM_MODULES if key in _registry]


def get(key: str) -> type[Connector] | None:
    _load()
    return _registry.get(key)


def require(key: str) -> type[Connector]:
    """Like `get`, for callers that need the connector to exist."""
    cls = get(key)
    if cls is None:
        raise LookupError(f"unknown accounting system: {key!r}")
    return cls
