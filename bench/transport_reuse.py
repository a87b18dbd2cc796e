"""What keeping one transport (one `requests.Session`) per integration saves per request.

    .venv/bin/python bench/transport_reuse.py --requests 300

The sandboxes close the connection after every answer (Werkzeug's development server) and speak
plain HTTP, so `bench/drain.py` cannot show what a kept connection saves against a real vendor.
This starts a small keep-alive server in a process of its own, on loopback, over HTTP and over
HTTPS (a self-signed certificate made for the run), and sends the same small JSON create through
`connectors.http.Transport`: once with a new transport per request (what every document did
before connectors were kept per integration), once with one kept transport. Prints one JSON
object: client CPU and wall milliseconds per request for each case.
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SERVER = r"""
import http.server, json, ssl, sys, threading

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"id": 1, "number": "2026-0001", "lines": [{"name": "Tea", "price": "12.30"}] * 6}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
if len(sys.argv) > 1:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[1], sys.argv[2])
    server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def certificate(folder: Path) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1, valid for a day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_path), str(key_path)


def measure(url: str, count: int, verify: str | bool, kept: bool) -> dict[str, float]:
    from connectors.http import Transport

    transport = Transport(user_agent="FynodeBench/1.0 (bench@fynode.example)")
    transport.request("POST", url, operation="warm_up", json={"a": 1}, verify=verify)
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(count):
        if not kept:
            transport.close()
            transport = Transport(user_agent="FynodeBench/1.0 (bench@fynode.example)")
        transport.request("POST", url, operation="create", json={"order": "1001"}, verify=verify)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    transport.close()
    return {"cpu_ms": round(cpu * 1000 / count, 2), "wall_ms": round(wall * 1000 / count, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args(argv)
    results: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="fynode-transport-") as folder:
        cert, key = certificate(Path(folder))
        for scheme, extra, verify in (("http", [], False), ("https", [cert, key], cert)):
            server = subprocess.Popen([sys.executable, "-c", SERVER, *extra], stdout=subprocess.PIPE, text=True)
            try:
                assert server.stdout is not None
                url = f"{scheme}://127.0.0.1:{int(server.stdout.readline())}/invoices"
                results[scheme] = {
                    "new_transport_per_request": measure(url, args.requests, verify, kept=False),
                    "kept_transport": measure(url, args.requests, verify, kept=True),
                }
            finally:
                server.terminate()
                server.wait(10)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
