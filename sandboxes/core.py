"""What every sandbox shares: seeded accounts, the request log, fault injection, quotas and the
control API under `/_sandbox/`. A vendor sandbox subclasses `Sandbox`, seeds its accounts in
`seed()`, registers its vendor routes in `register_routes()` and describes its documents in the
neutral shape in `neutral_documents()`."""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from flask import Flask, Response, abort, g, jsonify, request

FAULT_KINDS = ("timeout", "error_500", "rate_limit", "drop_after_create", "delay")


@dataclass
class Fault:
    kind: str
    probability: float = 1.0
    operations: tuple[str, ...] = ()
    seconds: float = 0.0

    def applies_to(self, operation: str) -> bool:
        return not self.operations or operation in self.operations


@dataclass
class Quota:
    limit: int
    window_seconds: int
    used: dict[str, list[float]] = field(default_factory=dict)

    def consume(self, account_id: str) -> tuple[int, datetime, bool]:
        """Count one request; returns (remaining, reset time, exceeded)."""
        now = time.time()
        hits = [t for t in self.used.get(account_id, []) if t > now - self.window_seconds]
        exceeded = len(hits) >= self.limit
        hits.append(now)
        self.used[account_id] = hits
        reset = datetime.fromtimestamp(hits[0] + self.window_seconds, tz=timezone.utc)
        return self.limit - len(hits), reset, exceeded


class DropConnection(Exception):
    """Close the client connection without sending any answer."""


class Sandbox:
    key = "sandbox"
    default_quota = (1000, 86400)

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.random = random.Random(7)
        self.app = Flask(f"sandbox_{self.key}")
        self.app.config["JSON_SORT_KEYS"] = False
        self.app.json.ensure_ascii = False
        self.app.json.sort_keys = False
        self._install_hooks()
        self._install_control_api()
        self.register_routes(self.app)
        self.reset()

    # -- to implement ---------------------------------------------------------------------
    def seed(self) -> None:
        """Create accounts (self.accounts) and any seeded documents."""
        raise NotImplementedError

    def register_routes(self, app: Flask) -> None:
        raise NotImplementedError

    def neutral_documents(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def rate_limit_response(self, reset_at: datetime) -> Response:
        resp = jsonify({"error": "rate_limited"})
        resp.status_code = 429
        return resp

    def server_error_response(self) -> Response:
        resp = jsonify({"error": "Internal Server Error"})
        resp.status_code = 500
        return resp

    # -- state ----------------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.accounts: list[dict[str, Any]] = []
            self.requests_log: list[dict[str, Any]] = []
            self.faults: list[Fault] = []
            self.quota = Quota(*self.default_quota)
            # The dice of probabilistic faults start over too: what a fault of probability p
            # does after a reset never depends on how many requests earlier tests made.
            self.random = random.Random(7)
            self.seed()

    def account_by_id(self, account_id: str) -> dict[str, Any] | None:
        return next((a for a in self.accounts if a["id"] == account_id), None)

    # -- faults ---------------------------------------------------------------------------
    def before_operation(self, operation: str) -> Response | None:
        """Apply injected faults before the vendor logic runs. Returns a response to send instead."""
        g.sandbox_operation = operation
        for fault in list(self.faults):
            if fault.kind == "drop_after_create" or not fault.applies_to(operation):
                continue
            if self.random.random() >= fault.probability:
                continue
            if fault.kind == "delay":
                time.sleep(fault.seconds)
            elif fault.kind == "timeout":
                time.sleep(fault.seconds or 30)
                raise DropConnection()
            elif fault.kind == "error_500":
                return self.server_error_response()
            elif fault.kind == "rate_limit":
                return self.rate_limit_response(datetime.now(timezone.utc) + timedelta(seconds=fault.seconds or 60))
        return None

    def after_create(self, operation: str) -> None:
        """Call once a document is stored: a drop_after_create fault closes the connection now."""
        for fault in self.faults:
            if (
                fault.kind == "drop_after_create"
                and fault.applies_to(operation)
                and self.random.random() < fault.probability
            ):
                raise DropConnection()

    # -- hooks and control API ------------------------------------------------------------
    def _install_hooks(self) -> None:
        app = self.app

        @app.before_request
        def _log_request() -> None:
            if request.path.startswith("/_sandbox/"):
                return
            body = request.get_data(cache=True)
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text = f"<{len(body)} bytes>"
            entry = {
                "method": request.method,
                "path": request.path,
                "query": request.query_string.decode("latin-1"),
                "headers": {k: v for k, v in request.headers.items()},
                "body": text,
                "status": None,
                "time": datetime.now(timezone.utc).isoformat(),
            }
            g.sandbox_log_entry = entry
            with self.lock:
                self.requests_log.append(entry)

        @app.after_request
        def _log_status(response: Response) -> Response:
            entry = g.get("sandbox_log_entry")
            if entry is not None:
                entry["status"] = response.status_code
            return response

        @app.errorhandler(DropConnection)
        def _drop(_exc: DropConnection):
            entry = g.get("sandbox_log_entry")
            if entry is not None:
                entry["status"] = "dropped"
            sock = request.environ.get("werkzeug.socket")
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            return Response(status=500)

    def _install_control_api(self) -> None:
        app = self.app

        @app.get("/_sandbox/accounts")
        def _accounts():
            return jsonify([{k: a[k] for k in ("id", "state", "label", "credentials")} for a in self.accounts])

        @app.post("/_sandbox/reset")
        def _reset():
            self.reset()
            return jsonify({"ok": True})

        @app.get("/_sandbox/requests")
        def _requests():
            with self.lock:
                return jsonify(list(self.requests_log))

        @app.get("/_sandbox/documents")
        def _documents():
            with self.lock:
                return jsonify(self.neutral_documents())

        @app.post("/_sandbox/faults")
        def _faults():
            data = request.get_json(silent=True) or {}
            kind = data.get("kind")
            if kind == "none":
                self.faults = []
                return jsonify({"faults": []})
            if kind not in FAULT_KINDS:
                abort(
                    Response(
                        json.dumps({"error": f"kind must be one of {FAULT_KINDS} or none"}),
                        400,
                        mimetype="application/json",
                    )
                )
            try:
                probability = float(data.get("probability", 1.0))
                seconds = float(data.get("seconds", 0) or 0)
            except (TypeError, ValueError):
                abort(
                    Response('{"error": "probability and seconds must be numbers"}', 400, mimetype="application/json")
                )
            if not 0 <= probability <= 1:
                abort(Response('{"error": "probability must be between 0 and 1"}', 400, mimetype="application/json"))
            self.faults.append(Fault(kind, probability, tuple(data.get("operations") or ()), seconds))
            return jsonify({"faults": [f.__dict__ for f in self.faults]})

        @app.post("/_sandbox/quota")
        def _quota():
            data = request.get_json(silent=True) or {}
            try:
                self.quota = Quota(int(data["limit"]), int(data.get("window_seconds", 86400)))
            except (KeyError, TypeError, ValueError):
                abort(
                    Response(
                        '{"error": "limit (int) and window_seconds (int) are required"}',
                        400,
                        mimetype="application/json",
                    )
                )
            return jsonify({"limit": self.quota.limit, "window_seconds": self.quota.window_seconds})
