"""`python -m sandboxes serve all`, `python -m sandboxes serve superfaktura --port 5101`, or
`python -m sandboxes ports` (every sandbox's standard port, one line, for scripts/run.sh)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from . import SANDBOXES, ports
from .server import start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandboxes")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve one sandbox or all of them on loopback")
    serve.add_argument("system", choices=[*SANDBOXES, "all"])
    serve.add_argument("--port", type=int, help="port (one system only; default: its standard port)")
    sub.add_parser("ports", help="print every sandbox's standard port on one line")
    args = parser.parse_args(argv)
    if args.command == "ports":
        print(" ".join(str(port) for port in ports().values()))
        return 0
    if args.system == "all" and args.port:
        parser.error("--port goes with one system, not with all")
    keys = list(SANDBOXES) if args.system == "all" else [args.system]
    running = [start(key, args.port if args.system != "all" else None) for key in keys]
    for r in running:
        print(f"sandbox {r.key}: {r.url}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    for r in running:
        r.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
