"""Profile the worker's per-document path in this process (no Huey, no quota waits).

    .venv/bin/python bench/profile_documents.py --system fakturoid --orders 200 --returning-customers 1
    .venv/bin/python bench/profile_documents.py --system idoklad --orders 100 --profile 30

Starts the system's sandbox and a temporary SQLite database like `bench/drain.py`, queues the
orders the same way (a warm-up creates the returning customers' records first), then calls
`worker.process` for every document in a loop, in this process. The quota is set far above what
the loop can use, so nothing waits for the limiter. Prints one JSON object: CPU milliseconds per
document spent in this process (the sandbox runs in its own process and is not counted), wall
milliseconds per document and requests per document. `--profile N` runs the loop under cProfile
and prints the N most expensive functions (own time and cumulative) before the JSON.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.drain import SYSTEMS, Setup, share
from bench.harness import Sandbox, Stack

QUOTA = (100000, 10)


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--system", choices=SYSTEMS, default="fakturoid")
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--returning-customers", type=share, default=1.0)
    parser.add_argument("--profile", type=int, default=0, help="print the N most expensive functions")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> dict:
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="fynode-profile-"))
    sandbox = stack = setup = None
    try:
        sandbox = Sandbox(args.system, folder)
        sandbox.quota(*QUOTA)
        stack = Stack(
            args.system,
            sandbox.url,
            extra_env={f"RATE_LIMIT_{args.system.upper()}": f"{QUOTA[0]}/{QUOTA[1]}"},
            folder=folder,
        )
        stack.migrate()
        setup = Setup(stack)
        shop_id, integration_id = setup.shop(args.system, sandbox, "create")
        rng = random.Random(7)
        returning = [rng.random() < args.returning_customers for _ in range(args.orders)]
        pool = list(range(1, min(50, max(1, sum(returning))) + 1)) if any(returning) else []
        customers = [rng.choice(pool) if r else 1000 + i for i, r in enumerate(returning)]
        if pool:
            setup.orders(shop_id, args.system, [f"W-{c:03d}" for c in pool], pool)
            setup.warm_up(integration_id)
        order_ids = setup.orders(shop_id, args.system, [f"P-{i:05d}" for i in range(args.orders)], customers)

        from webapp.extensions import db
        from webapp.models import Document
        from webapp.services.documents import worker
        from webapp.tasks import huey

        huey.flush()
        ids = list(db.session.scalars(db.select(Document.id).where(Document.order_id.in_(order_ids))))
        db.session.remove()
        already = len(sandbox.requests())
        # CPU time, not wall time: waiting for the sandbox's answer is not our cost.
        profiler = cProfile.Profile(time.process_time) if args.profile else None
        cpu, wall = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        results = []
        for document_id in ids:
            results.append(worker.process(document_id))
            db.session.remove()  # what the task's app context does when it ends
        if profiler:
            profiler.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        if profiler:
            for order, pattern in (("tottime", ""), ("cumulative", ""), ("cumulative", "webapp|connectors")):
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(pattern, args.profile)
                print(out.getvalue())
        requests = len(sandbox.requests()) - already
        return {
            "system": args.system,
            "documents": len(ids),
            "results": {r: results.count(r) for r in set(results)},
            "cpu_ms_per_document": round(cpu * 1000 / len(ids), 2),
            "wall_ms_per_document": round(wall * 1000 / len(ids), 2),
            "requests_per_document": round(requests / len(ids), 3),
            "profiled": bool(profiler),
        }
    finally:
        if setup is not None:
            setup.close()
        if sandbox is not None:
            sandbox.stop()
        if stack is not None:
            stack.cleanup()


def main(argv: list[str] | None = None) -> int:
    print(json.dumps(run(arguments(argv))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
