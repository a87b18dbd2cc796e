"""Real processes for the benchmark (`bench/drain.py`) and the reliability drills
(`tests/reliability/`): a sandbox served by `python -m sandboxes serve`, a database migrated
with `flask create-db`, Huey storage, and `huey_consumer` worker processes, all on free ports and
in a temporary folder of their own, so they run beside a running app and beside each other.

Nothing here imports the app: the caller sets `Stack.env` into its own environment before
importing `webapp` when it wants to work in-process with the same database and queue.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
INVOICE_TYPES = ("invoice", "regular")  # the sandboxes' neutral document type of an invoice


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (Linux /proc), threads included."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14 and 15)


class SandboxClient:
    """A running sandbox, driven through its control API only."""

    def __init__(self, system: str, url: str) -> None:
        self.system = system
        self.url = url.rstrip("/")

    def get(self, what: str) -> Any:
        response = requests.get(f"{self.url}/_sandbox/{what}", timeout=30)
        response.raise_for_status()
        return response.json()

    def post(self, what: str, body: dict[str, Any]) -> Any:
        response = requests.post(f"{self.url}/_sandbox/{what}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def account(self, state: str = "valid") -> dict[str, Any]:
        return next(a for a in self.get("accounts") if a["state"] == state)

    def requests(self) -> list[dict[str, Any]]:
        """What the vendor API received (the control API is not logged), oldest first."""
        return [r for r in self.get("requests") if not r["path"].startswith("/_sandbox")]

    def documents(self) -> list[dict[str, Any]]:
        return self.get("documents")

    def invoices_per_order(self) -> Counter:
        """How many invoices the system holds for each order number (SuperFaktura calls an
        invoice "regular")."""
        return Counter(d.get("order_no") for d in self.documents() if d.get("type") in INVOICE_TYPES)

    def quota(self, limit: int, window_seconds: int) -> None:
        self.post("quota", {"limit": limit, "window_seconds": window_seconds})

    def fault(self, kind: str, **params: Any) -> None:
        self.post("faults", {"kind": kind, **params})


class Sandbox(SandboxClient):
    """One accounting-system sandbox in a process of its own (`python -m sandboxes serve`)."""

    def __init__(self, system: str, folder: Path) -> None:
        self.port = free_port()
        super().__init__(system, f"http://127.0.0.1:{self.port}")
        self.log = open(folder / f"sandbox-{system}.log", "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sandboxes", "serve", system, "--port", str(self.port)],
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{self.url}/_sandbox/accounts", timeout=2).raise_for_status()
                break
            except requests.RequestException:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the {system} sandbox did not start (see {self.log.name})") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


@dataclass
class Worker:
    """One `huey_consumer` process."""

    process: subprocess.Popen
    log_path: Path
    cpu_at_exit: float | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu(self) -> float:
        if self.process.poll() is None:
            try:
                return cpu_seconds(self.process.pid)
            except (FileNotFoundError, ProcessLookupError):
                pass
        return self.cpu_at_exit or 0.0

    def kill(self) -> None:
        """SIGKILL: no cleanup, whatever the worker held stays held (the drill's point)."""
        self.cpu_at_exit = self.cpu()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout: float = 15) -> None:
        """Graceful: SIGINT lets the running task finish (huey's default graceful signal)."""
        if self.process.poll() is not None:
            return
        self.cpu_at_exit = self.cpu()
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Stack:
    """The database, queue and environment of one run; workers started on demand."""

    system: str
    sandbox_url: str
    database_url: str = ""
    redis_url: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)
    keep: bool = False
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="fynode-bench-")))

    def __post_init__(self) -> None:
        self.namespace = f"fynode-bench-{uuid.uuid4().hex[:10]}"  # Huey's name and limiter keys in Redis
        self.database_url = self.database_url or f"sqlite:///{self.folder / 'fynode.sqlite3'}"
        self.env = {
            "FYNODE_INSTANCE_PATH": str(self.folder / "instance"),
            "FYNODE_LOCAL": "1",  # local mode: no public URL needed, sandbox registrations allowed
            "SECRET_KEY": secrets.token_hex(32),
            "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "DATABASE_URL": self.database_url,
            "ACCOUNTING_SANDBOX": "1",
            f"{self.system.upper()}_API_URL": self.sandbox_url,
            "HUEY_IMMEDIATE": "0",
            "HUEY_SQLITE_PATH": str(self.folder / "huey.sqlite3"),
            "REDIS_NAMESPACE": self.namespace,
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        if self.redis_url:
            self.env["REDIS_URL"] = self.redis_url
        else:
            self.env.pop("REDIS_URL", None)
        self.workers: list[Worker] = []

    def process_env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("REDIS_URL", "DATABASE_URL", "HUEY_IMMEDIATE") and not k.startswith("RATE_LIMIT_")
        }
        env.update(self.env)
        return env

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """A Python command in the stack's environment (for steps that need the app)."""
        return subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=self.process_env(), capture_output=True, text=True, timeout=timeout
        )

    def start(self, *args: str, name: str) -> subprocess.Popen:
        """A long-running Python command in the stack's environment, logging to the folder."""
        with open(self.folder / f"{name}.log", "ab") as log:
            return subprocess.Popen(
                [sys.executable, *args], cwd=ROOT, env=self.process_env(), stdout=log, stderr=subprocess.STDOUT
            )

    def migrate(self) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "webapp:create_app", "create-db"],
            cwd=ROOT,
            env=self.process_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(f"flask create-db failed:\n{done.stdout}{done.stderr}")

    def start_worker(self, *, periodic: bool = True, env: dict[str, str] | None = None) -> Worker:
        """`huey_consumer webapp.tasks.huey -w 1`: one worker thread in a process of its own."""
        log_path = self.folder / f"worker-{len(self.workers) + 1}.log"
        command = [
            sys.executable,
            "-m",
            "huey.bin.huey_consumer",
            "webapp.tasks.huey",
            "-w",
            "1",
            "-d",
            "0.05",
            "-m",
            "0.5",
            "-C",
        ]
        if not periodic:
            command.append("-n")
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                command, cwd=ROOT, env={**self.process_env(), **(env or {})}, stdout=log, stderr=subprocess.STDOUT
            )
        worker = Worker(process, log_path)
        self.workers.append(worker)
        return worker

    def stop_workers(self) -> None:
        for worker in self.workers:
            worker.stop()

    def cleanup(self) -> None:
        self.stop_workers()
        if self.redis_url:
            import redis

            client = redis.Redis.from_url(self.redis_url)
            for key in client.scan_iter(f"*{self.namespace}*"):
                client.delete(key)
        if not self.keep:
            shutil.rmtree(self.folder, ignore_errors=True)
