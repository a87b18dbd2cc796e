"""Local stand-ins for the accounting systems' APIs, written from the vendors' documentation.

Each sandbox is a real HTTP server speaking its vendor's documented contract (paths, auth,
envelopes, status codes, numbering, totals, PDF, rate limits, plan states) plus the common
control API under `/_sandbox/` (see ../shared/design/SANDBOX_API.md). Sandboxes never import
`connectors`: they are held to the docs, not to our client.

Adding a sandbox: create the package `sandboxes/<key>/` declaring `PORT = 51xx` and one `Sandbox`
subclass whose `key` is `<key>`. Nothing else lists it: `SANDBOXES` is discovered from the
packages (ordered by port), `python -m sandboxes ports` prints the ports for scripts/run.sh, and
the connector's `sandbox_port` is checked equal to `PORT` by tests/connectors/test_contract_generic.py.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

_discovered: dict[str, tuple[str, str, int]] | None = None


def _discover() -> dict[str, tuple[str, str, int]]:
    """key -> (module, class name, default port), from every sandbox package."""
    global _discovered
    if _discovered is None:
        from .core import Sandbox

        found = {}
        for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
            if not info.ispkg:
                continue
            module = importlib.import_module(f"{__name__}.{info.name}")
            port = getattr(module, "PORT", None)
            classes = [
                v
                for v in vars(module).values()
                if isinstance(v, type)
                and issubclass(v, Sandbox)
                and v.__module__ == module.__name__
                and v.key == info.name
            ]
            if port is None or len(classes) != 1:
                raise RuntimeError(
                    f"sandboxes/{info.name} must declare PORT and one Sandbox subclass with key {info.name!r}"
                )
            found[info.name] = (module.__name__, classes[0].__name__, int(port))
        _discovered = dict(sorted(found.items(), key=lambda item: item[1][2]))
    return _discovered


def __getattr__(name: str):
    if name == "SANDBOXES":
        return _discover()
    raise AttributeError(name)


def load(key: str):
    module, cls_name, _port = _discover()[key]
    return getattr(importlib.import_module(module), cls_name)


def ports() -> dict[str, int]:
    return {key: port for key, (_module, _cls, port) in _discover().items()}
