"""Local stand-ins for the accounting systems' APIs, written from the vendors' documentation.

Each sandbox is a real HTTP server speaking its vendor's documented contract (paths, auth,
envelopes, status codes, numbering, totals, PDF, rate limits, plan states) plus the common
control API under `/_sandbox/` (see ../shared/design/SANDBOX_API.md). Sandboxes never import
`connectors`: they are held to the docs, not to our client.
"""

# key -> (module, class name, default port)
SANDBOXES: dict[str, tuple[str, str, int]] = {
    "superfaktura": ("sandboxes.superfaktura", "SuperFakturaSandbox", 5101),
    "fakturoid": ("sandboxes.fakturoid", "FakturoidSandbox", 5102),
    "idoklad": ("sandboxes.idoklad", "IDokladSandbox", 5103),
    "fakturownia": ("sandboxes.fakturownia", "FakturowniaSandbox", 5104),
    "infakt": ("sandboxes.infakt", "InfaktSandbox", 5105),
}


def load(key: str):
    import importlib

    module, cls_name, _port = SANDBOXES[key]
    return getattr(importlib.import_module(module), cls_name)
