"""The app's side of a drill, run as a process of its own in a stack's environment (so the
caller's process never builds an app on the drill's database and queue):

    python bench/app_steps.py setup SYSTEM SANDBOX_URL ORDERS   -> JSON {"shop_id", "numbers"}
    python bench/app_steps.py sweep SECONDS                      -> the sweep every SECONDS until
                                                                    SIGTERM; prints the totals
    python bench/app_steps.py report NUMBERS...                  -> JSON {number: [states of its
                                                                    invoices]}
"""

from __future__ import annotations

import json
import signal
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.drain import Setup
from bench.harness import SandboxClient


def setup(system: str, url: str, orders: int) -> dict:
    steps = Setup()
    try:
        shop_id, _integration_id = steps.shop(system, SandboxClient(system, url), "create")
        run = uuid.uuid4().hex[:6]
        numbers = [f"D-{run}-{i:03d}" for i in range(1, orders + 1)]
        steps.orders(shop_id, system, numbers, list(range(1, orders + 1)))
        return {"shop_id": shop_id, "numbers": numbers}
    finally:
        steps.close()


def sweep(every: float) -> dict:
    from webapp.services.documents import worker

    steps = Setup()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    totals = {"sweeps": 0, "reclaimed": 0, "queued": 0, "finishing": 0}
    try:
        while not stop:
            for key, value in worker.sweep().items():
                totals[key] += value
            totals["sweeps"] += 1
            print(json.dumps(totals), flush=True)
            time.sleep(every)
        return totals
    finally:
        steps.close()


def report(numbers: list[str]) -> dict:
    from webapp.extensions import db
    from webapp.models import Document

    steps = Setup()
    try:
        found: dict[str, list[str]] = {n: [] for n in numbers}
        for number, state in db.session.execute(
            db.select(Document.order_number, Document.state).where(
                Document.order_number.in_(numbers), Document.kind == "invoice", Document.is_test.is_(False)
            )
        ):
            found[number].append(state)
        return found
    finally:
        steps.close()


def main(argv: list[str]) -> int:
    command, *rest = argv
    if command == "setup":
        result = setup(rest[0], rest[1], int(rest[2]))
    elif command == "sweep":
        result = sweep(float(rest[0]))
    elif command == "report":
        result = report(rest)
    else:
        raise SystemExit(__doc__)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
