"""Run sandboxes as real HTTP servers on loopback, in threads of one process."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from werkzeug.serving import BaseWSGIServer, make_server

from . import SANDBOXES, load
from .core import Sandbox


@dataclass
class RunningSandbox:
    key: str
    sandbox: Sandbox
    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start(key: str, port: int | None = None, host: str = "127.0.0.1") -> RunningSandbox:
    """Start one sandbox in a background thread. port=0 picks a free port."""
    sandbox = load(key)()
    server = make_server(host, SANDBOXES[key][2] if port is None else port, sandbox.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"sandbox-{key}", daemon=True)
    thread.start()
    return RunningSandbox(key, sandbox, server, thread)


def start_all(ports: dict[str, int] | None = None) -> dict[str, RunningSandbox]:
    ports = ports or {}
    return {key: start(key, ports.get(key)) for key in SANDBOXES}
