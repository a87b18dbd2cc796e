"""Benchmark: drain a backlog of paid orders into one system's sandbox with N worker processes,
within the vendor's quota.

    .venv/bin/python bench/drain.py --system fakturoid --orders 300 --quota 120/10 --workers 2

It starts its own sandbox (`python -m sandboxes serve <system>` on a free port, driven only
through its HTTP control API), its own database (a temporary SQLite file migrated with
`flask create-db`, or `--database-url` for a dedicated PostgreSQL database) and Huey storage (a
temporary SQLite file, or `--redis-url` with keys under a namespace of its own), so it runs
beside a running app. Set-up happens in this process with the same environment as the workers:
a shop, the sandbox's valid account activated, the presets confirmed, and the backlog of card
orders, each with a `paid` event (the card preset: an invoice when paid) queued before any worker
starts. Timing starts when the workers (`huey_consumer webapp.tasks.huey -w 1`, one process
each) start and ends when every invoice is created.

The last line printed is one JSON object:
  system, orders, workers, seconds, documents_per_minute, limit_per_minute,
  quota_share            requests sent per second / (limit / window)
  requests_per_document  requests the vendor received / documents created
  responses_429          the vendor's "too many requests" answers
  cpu_ms_per_document    CPU of the worker processes (user + system, start-up subtracted) / documents
  duplicates             orders with more than one invoice in the sandbox
  lost                   orders without a created invoice (in the sandbox or in our database)

`--quota LIMIT/WINDOW` sets the sandbox's limit (POST /_sandbox/quota) and ours
(RATE_LIMIT_<SYSTEM> for the workers), so a short run measures quota use. `--steps create`
(default) switches the rule's PDF archive and e-mail off, so a document costs what creating it
costs; `--steps all` keeps the preset's PDF archive and e-mail (two more requests each).
`--returning-customers 0.8`: that share of orders comes from customers invoiced before the
backlog (a warm-up, not timed, creates their records in the system), so their invoice reuses
the customer record.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import ROOT, Sandbox, SandboxClient, Stack

SYSTEMS = ("superfaktura", "fakturoid", "idoklad")
MARKETS = {
    "superfaktura": ("SK", "EUR", Decimal("23")),
    "fakturoid": ("CZ", "CZK", Decimal("21")),
    "idoklad": ("CZ", "CZK", Decimal("21")),
}


def parse_quota(text: str) -> tuple[int, int]:
    limit, _, window = text.partition("/")
    try:
        parsed = int(limit), int(window)
    except ValueError:
        raise argparse.ArgumentTypeError("--quota is LIMIT/WINDOW_SECONDS, e.g. 120/10") from None
    if parsed[0] < 1 or parsed[1] < 1:
        raise argparse.ArgumentTypeError("--quota needs a positive limit and window")
    return parsed


def share(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("--returning-customers is a share between 0 and 1")
    return value


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--system", choices=SYSTEMS, default="fakturoid")
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--quota", type=parse_quota, help="LIMIT/WINDOW_SECONDS for the sandbox and for us")
    parser.add_argument("--returning-customers", type=share, default=0.0)
    parser.add_argument(
        "--steps",
        choices=("create", "all"),
        default="create",
        help="create: the invoice only; all: also archive its PDF and e-mail it",
    )
    parser.add_argument("--database-url", default="", help="a dedicated PostgreSQL database (default: temp SQLite)")
    parser.add_argument("--redis-url", default="", help="Huey and the rate limiter on Redis (default: SQLite)")
    parser.add_argument("--timeout", type=float, default=0, help="seconds to wait for the drain (default: derived)")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (logs, database)")
    args = parser.parse_args(argv)
    if args.orders < 1 or args.workers < 1:
        parser.error("--orders and --workers are at least 1")
    return args


# -- set-up in this process --------------------------------------------------------------------
class Setup:
    """The app in this process, on the stack's database and queue."""

    def __init__(self, stack: Stack | None = None) -> None:
        """With a stack: take its environment first (else this process was started in it)."""
        if stack is not None:
            os.environ.update(stack.env)
            for name in [n for n in os.environ if n.startswith("RATE_LIMIT_") and n not in stack.env]:
                del os.environ[name]
            if not stack.redis_url:
                os.environ.pop("REDIS_URL", None)
        from webapp import create_app

        self.app = create_app()
        self.context = self.app.app_context()
        self.context.push()

    def shop(self, system: str, sandbox: SandboxClient, steps: str) -> tuple[int, int]:
        from webapp.extensions import db
        from webapp.models import DocumentRule, Shop
        from webapp.services.connections import activation
        from webapp.services.documents import rules

        country, currency, _rate = MARKETS[system]
        shop = Shop(name=f"Bench {system}", country=country, currency=currency)
        db.session.add(shop)
        db.session.commit()
        credentials = {k: str(v) for k, v in sandbox.account("valid")["credentials"].items()}
        integration, outcome = activation.activate(shop.id, system, credentials)
        if not outcome.ok:
            raise SystemExit(f"activation failed: {outcome.code} {outcome.detail}")
        rules.confirm_presets(integration)
        if steps == "create":
            query = db.select(DocumentRule).where(DocumentRule.integration_id == integration.id)
            for rule in db.session.scalars(query):
                rule.options = {**(rule.options or {}), "archive_pdf": False, "send_email": False}
            db.session.commit()
        return shop.id, integration.id

    def orders(self, shop_id: int, system: str, numbers: list[str], customers: list[int]) -> list[int]:
        """Card orders, each with its `paid` event recorded through the orders service (the event
        and its invoice row in one transaction, the task queued after the commit)."""
        from webapp.extensions import db
        from webapp.models import Order, OrderLine
        from webapp.services.orders.events import record_event
        from webapp.services.orders.totals import order_totals

        country, currency, rate = MARKETS[system]
        ids = []
        at = datetime(2026, 11, 24, 9, 0)
        for number, customer in zip(numbers, customers):
            order = Order(
                shop_id=shop_id,
                number=number,
                status="new",
                currency=currency,
                language="en",
                prices_include_vat=True,
                customer={
                    "type": "person",
                    "name": f"Customer {customer}",
                    "email": f"customer{customer}@bench.example",
                    "billing_address": {
                        "street": f"Street {customer}",
                        "city": "Brno",
                        "zip": "60200",
                        "country": country,
                    },
                },
                shipping={"method": "courier", "name": "Courier", "price": "3.90", "vat_rate": str(rate)},
                payment={"method": "card", "fee": "0.00", "vat_rate": str(rate)},
            )
            order.lines = [
                OrderLine(
                    shop_id=shop_id,
                    position=1,
                    sku="TEA-01",
                    name="Green tea 100 g",
                    quantity=Decimal("2"),
                    unit="ks",
                    unit_price=Decimal("12.30"),
                    vat_rate=rate,
                ),
                OrderLine(
                    shop_id=shop_id,
                    position=2,
                    sku="CUP-01",
                    name="Tea cup",
                    quantity=Decimal("1"),
                    unit="ks",
                    unit_price=Decimal("8.00"),
                    vat_rate=rate,
                ),
            ]
            order.total = order_totals(order).gross
            record_event(order, "paid", at, reference=f"pay-{number}", amount=order.total)
            ids.append(order.id)
            db.session.expunge_all()
        return ids

    def warm_up(self, integration_id: int) -> int:
        """Issue the documents queued so far in this process (not timed), then empty the queue."""
        from webapp.extensions import db
        from webapp.models import Document, DocumentState
        from webapp.services.documents import worker
        from webapp.tasks import huey

        huey.flush()
        ids = list(db.session.scalars(db.select(Document.id).where(Document.integration_id == integration_id)))
        for document_id in ids:
            worker.process(document_id)
        db.session.expire_all()
        left = list(
            db.session.execute(
                db.select(Document.id, Document.state, Document.last_error_code, Document.last_error_detail).where(
                    Document.integration_id == integration_id, Document.state != DocumentState.CREATED
                )
            )
        )
        if left:
            raise SystemExit(f"warm-up: {len(left)} documents were not created: {left[:3]}")
        return len(ids)

    def progress(self, order_ids: list[int], steps: str) -> int:
        """How many of the backlog's invoices are done (created, and with `--steps all` archived
        and e-mailed)."""
        from webapp.extensions import db
        from webapp.models import Document, DocumentState, PostStep

        db.session.remove()
        query = db.select(db.func.count(Document.id)).where(
            Document.order_id.in_(order_ids), Document.state == DocumentState.CREATED
        )
        if steps == "all":
            query = query.where(
                Document.archive_state.not_in((PostStep.PENDING,)), Document.email_state.not_in((PostStep.PENDING,))
            )
        return int(db.session.scalar(query) or 0)

    def created_orders(self, order_ids: list[int]) -> Counter:
        from webapp.extensions import db
        from webapp.models import Document, DocumentState

        db.session.remove()
        return Counter(
            db.session.scalars(
                db.select(Document.order_number).where(
                    Document.order_id.in_(order_ids),
                    Document.state == DocumentState.CREATED,
                    Document.kind == "invoice",
                )
            )
        )

    def close(self) -> None:
        from webapp.extensions import db

        db.session.remove()
        self.context.pop()


def startup_cpu(stack: Stack) -> float:
    """CPU a worker spends before its first task (imports, building the app), measured in a
    process doing just that; subtracted from each worker's total."""
    code = (
        "import resource\nfrom webapp.tasks import app_context\nwith app_context():\n    pass\n"
        "usage = resource.getrusage(resource.RUSAGE_SELF)\nprint(usage.ru_utime + usage.ru_stime)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=stack.process_env(), capture_output=True, text=True, timeout=120
    )
    return float(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 and out.stdout.strip() else 0.0


# -- the run -----------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> dict:
    from connectors import registry

    system = args.system
    folder = Path(tempfile.mkdtemp(prefix="fynode-bench-"))
    stack = sandbox = setup = None
    try:
        limit, window = args.quota if args.quota else registry.get(system).rate_limit
        limit, window = int(limit), int(window)
        extra = {f"RATE_LIMIT_{system.upper()}": f"{limit}/{window}"} if args.quota else {}
        sandbox = Sandbox(system, folder)
        sandbox.quota(limit, window)
        stack = Stack(
            system,
            sandbox.url,
            database_url=args.database_url,
            redis_url=args.redis_url,
            extra_env=extra,
            keep=args.keep,
            folder=folder,
        )
        stack.migrate()
        setup = Setup(stack)
        shop_id, integration_id = setup.shop(system, sandbox, args.steps)

        def settle() -> None:
            """Activation is interactive (not throttled) and the warm-up spends quota: let the
            vendor's window pass, so the timed run starts with the whole quota."""
            if window <= 120:
                time.sleep(window + 1)

        settle()

        # Who orders: a share of returning customers (invoiced before, in the warm-up).
        rng = random.Random(7)
        returning = [rng.random() < args.returning_customers for _ in range(args.orders)]
        pool = list(range(1, min(50, max(1, sum(returning))) + 1)) if any(returning) else []
        customers = [rng.choice(pool) if r else 1000 + i for i, r in enumerate(returning)]
        run_id = stack.namespace[-6:]
        if pool:
            setup.orders(shop_id, system, [f"W-{run_id}-{c:03d}" for c in pool], pool)
            setup.warm_up(integration_id)
            settle()
        already = len(sandbox.requests())
        numbers = [f"B-{run_id}-{i:05d}" for i in range(1, args.orders + 1)]
        order_ids = setup.orders(shop_id, system, numbers, customers)
        base_cpu = startup_cpu(stack)

        expected = args.orders * (1 + (1 if pool else 0)) * 3600 / limit / 60  # requests per doc <= 2
        timeout = args.timeout or max(120.0, expected * window * 1.5 + 60)
        started = time.monotonic()
        for _ in range(args.workers):
            stack.start_worker()
        done = 0
        while time.monotonic() - started < timeout:
            done = setup.progress(order_ids, args.steps)
            if done >= args.orders:
                break
            if all(w.process.poll() is not None for w in stack.workers):
                break
            time.sleep(0.2)
        seconds = time.monotonic() - started
        cpu = sum(max(w.cpu() - base_cpu, 0.0) for w in stack.workers)
        stack.stop_workers()

        received = sandbox.requests()[already:]
        in_run = len(received)
        responses_429 = sum(1 for r in received if r.get("status") == 429)

        def operation(r: dict) -> str:
            return f"{r['method']} {re.sub(r'/[0-9]+(?=/|[.]|$)', '/{id}', r['path'])}"

        by_operation = Counter(operation(r) for r in received)
        refused = Counter(
            f"{operation(r)} {r.get('status')}"
            for r in received
            if not (isinstance(r.get("status"), int) and r["status"] < 400)
        )
        remote = sandbox.invoices_per_order()
        ours = setup.created_orders(order_ids)
        duplicates = sum(1 for n in numbers if remote.get(n, 0) > 1 or ours.get(n, 0) > 1)
        lost = sum(1 for n in numbers if remote.get(n, 0) == 0 or ours.get(n, 0) == 0)
        documents = sum(1 for n in numbers if ours.get(n, 0) >= 1)
        allowed_per_second = limit / window
        return {
            "system": system,
            "orders": args.orders,
            "workers": args.workers,
            "seconds": round(seconds, 2),
            "documents_per_minute": round(documents / seconds * 60, 1) if seconds else 0,
            "limit_per_minute": round(allowed_per_second * 60, 1),
            "quota_share": round(in_run / seconds / allowed_per_second, 3) if seconds else 0,
            "requests_per_document": round(in_run / documents, 3) if documents else None,
            "responses_429": responses_429,
            "cpu_ms_per_document": round(cpu * 1000 / documents, 2) if documents else None,
            "duplicates": duplicates,
            "lost": lost,
            "returning_customers": args.returning_customers,
            "steps": args.steps,
            "database": "postgresql" if args.database_url else "sqlite",
            "queue": "redis" if args.redis_url else "sqlite",
            "requests": dict(by_operation.most_common()),
            "refused": dict(refused.most_common()),
        }
    finally:
        if setup is not None:
            setup.close()
        if sandbox is not None:
            sandbox.stop()
        if stack is not None:
            stack.cleanup()
        if args.keep:
            print(f"kept: {folder}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    import logging

    logging.basicConfig(level=logging.WARNING)
    args = arguments(argv)
    result = run(args)
    print(json.dumps(result))
    return 0 if result["lost"] == 0 and result["duplicates"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
