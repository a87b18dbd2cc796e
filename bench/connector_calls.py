"""Benchmark: how long each connector's verification and a full import of the seeded invoices take
against its sandbox over loopback HTTP, and how many requests they cost (vendors meter them).

Run: .venv/bin/python bench/connector_calls.py [--rounds N]
Numbers measure our code plus the local sandbox, not the vendor: they show regressions in our
request count and overhead, and the quota an activation or import spends.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors import registry
from connectors.base import AppIdentity, ConnectionSettings, MemoryTokenCache, resolve_endpoints
from connectors.http import Transport
from sandboxes import SANDBOXES
from sandboxes.server import start

# Fynode's registrations as each connector declares them (the values its sandbox knows).
REGISTRATIONS = {name: value for cls in registry.all_connectors() for name, value in cls.registrations.items()}


def connector_for(key: str, url: str, credentials: dict, exchanges: list):
    cls = registry.get(key)
    config = {k: v for k, v in credentials.items()}
    secrets = {f.key: str(config.pop(f.key)) for f in cls.schema if f.secret and f.key in config}
    settings = ConnectionSettings(
        config=config,
        secrets=secrets,
        endpoints=resolve_endpoints(cls, config, {f"{key.upper()}_API_URL": url}),
        transport=Transport(user_agent=AppIdentity().user_agent, on_exchange=exchanges.append),
        token_cache=MemoryTokenCache(),
        app=AppIdentity(registrations=REGISTRATIONS),
    )
    return cls(settings)


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    print(f"{'system':<14}{'verify median':>15}{'p95':>9}{'requests':>10}{'import all':>12}{'docs':>6}{'requests':>10}")
    for key in SANDBOXES:
        if registry.get(key) is None:  # a sandbox whose connector is not registered yet
            continue
        running = start(key, port=0)
        try:
            requests.post(f"{running.url}/_sandbox/quota", json={"limit": 100000, "window_seconds": 60}, timeout=5)
            account = next(
                a for a in requests.get(f"{running.url}/_sandbox/accounts", timeout=5).json() if a["state"] == "valid"
            )
            times, counts = [], []
            for _ in range(args.rounds):
                exchanges: list = []
                conn = connector_for(key, running.url, account["credentials"], exchanges)
                started = time.perf_counter()
                conn.verify()
                times.append((time.perf_counter() - started) * 1000)
                counts.append(len(exchanges))
            exchanges = []
            conn = connector_for(key, running.url, account["credentials"], exchanges)
            started, page, docs = time.perf_counter(), 1, 0
            while True:
                result = conn.list_documents(page)
                docs += len(result.documents)
                if not result.has_more:
                    break
                page += 1
            import_ms = (time.perf_counter() - started) * 1000
            p95 = sorted(times)[max(0, int(len(times) * 0.95) - 1)]
            print(
                f"{key:<14}{statistics.median(times):>12.1f} ms{p95:>6.1f} ms{statistics.median(counts):>10.0f}"
                f"{import_ms:>9.0f} ms{docs:>6}{len(exchanges):>10}"
            )
        finally:
            running.stop()


if __name__ == "__main__":
    main()
