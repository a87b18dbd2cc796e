"""The shared transport redacts secrets everywhere and classifies transport failures."""

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from connectors.errors import TIMEOUT, UNREACHABLE, ConnectorError
from connectors.http import Transport


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self):
        body = f'{{"echo": "{self.path}", "auth": "{self.headers.get("Authorization")}"}}'.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        import time

        time.sleep(1.0)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def echo_url():
    server = HTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_secrets_are_redacted_in_url_headers_and_bodies(echo_url):
    seen = []
    t = Transport(user_agent="Test (t@example.com)", on_exchange=seen.append, secrets=["s3cr3t+key@x"])
    t.request(
        "GET",
        f"{echo_url}/path?apikey=s3cr3t%2Bkey%40x",
        operation="verify",
        headers={"Authorization": "SFAPI apikey=s3cr3t%2Bkey%40x"},
    )
    text = repr(seen)
    assert "s3cr3t" not in text
    assert seen[0].request_headers["Authorization"] == "SFAPI •••"
    assert seen[0].status == 200


def test_connection_refused_is_unreachable_and_not_ambiguous():
    t = Transport(user_agent="Test", retries=0)
    with pytest.raises(ConnectorError) as exc:
        t.request("GET", "http://127.0.0.1:9/", operation="verify")
    assert exc.value.code == UNREACHABLE and not exc.value.ambiguous


def test_read_timeout_on_a_create_is_ambiguous_and_not_retried(echo_url):
    seen = []
    t = Transport(user_agent="Test", read_timeout=0.3, on_exchange=seen.append)
    with pytest.raises(ConnectorError) as exc:
        t.request("POST", f"{echo_url}/create", operation="create_invoice", json={"a": 1})
    assert exc.value.code == TIMEOUT and exc.value.ambiguous
    assert len(seen) == 1  # never blindly repeated


def test_a_deadline_bounds_several_requests_together(echo_url):
    import time

    t = Transport(user_agent="Test", read_timeout=5.0)
    started = time.monotonic()
    with pytest.raises(ConnectorError) as exc, t.deadline(1.5):
        for _ in range(5):  # each POST takes 1 s on the server
            t.request("POST", f"{echo_url}/slow", operation="create_invoice", json={})
    assert time.monotonic() - started < 2.5
    assert exc.value.code == TIMEOUT


def test_a_read_timeout_on_a_get_is_not_repeated(echo_url):
    seen = []
    t = Transport(user_agent="Test", read_timeout=0.2, on_exchange=seen.append)
    with pytest.raises(ConnectorError):
        t.request("POST", f"{echo_url}/slow", operation="verify", safe_to_retry=True, json={})
    assert len(seen) == 1


def test_a_refusal_read_from_an_answer_marks_the_exchange_that_carried_it(echo_url):
    """HTTP 200 with an error in the body: the connector's reading reaches the logged exchange."""
    seen = []
    transport = Transport(user_agent="t", on_exchange=seen.append, retries=0)
    first = transport.request("GET", f"{echo_url}/first", operation="verify")
    second = transport.request("GET", f"{echo_url}/second", operation="create_invoice")
    error = ConnectorError("validation", detail="Incorrect currency", hint_key="x.validation")
    assert transport.refused(error, first) is error
    assert seen[0].error_code is None and seen[1].error_code is None  # not the last answer: nothing marked
    transport.refused(error, second)
    assert (seen[1].status, seen[1].error_code, seen[1].hint_key) == (200, "validation", "x.validation")
    transport.not_refused(second)  # an expected refusal (SuperFaktura's right-to-issue check)
    assert seen[1].error_code is None and seen[1].hint_key is None
