"""Request size limit, caching, the OAuth redirect URI's origin, and what production's web server
tells the world."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def test_a_body_over_the_limit_gets_a_translated_413_page(client):
    response = client.post(
        "/login", data={"email": "a@b.sk", "password": "x" * (3 * 1024 * 1024)}, headers={"Accept-Language": "pl"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert 'lang="pl"' in html and "2 MB" in html and "<h1>" in html


def test_a_body_under_the_limit_is_read(client):
    assert client.post("/login", data={"email": "a@b.sk", "password": "x" * 100_000}).status_code == 401


@pytest.mark.parametrize("path", ["/healthz", "/login", "/settings/accounting/", "/settings/accounting/log/"])
def test_pages_and_healthz_are_never_stored(owner_client, path):
    response = owner_client.get(path)
    assert response.headers["Cache-Control"] == "no-store", path


def test_static_files_stay_cacheable(client):
    response = client.get("/static/app.css")
    assert response.status_code == 200 and "no-store" not in response.headers.get("Cache-Control", "")


def test_oauth_redirect_uri_comes_from_the_public_url_never_the_host_header(app, owner_client, sandbox, monkeypatch):
    sandbox("fakturoid")
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://connect.fynode.example")
    owner_client.set_cookie("session", owner_client.get_cookie("session").value, domain="evil.example")
    response = owner_client.get("/settings/accounting/fakturoid/connect", headers={"Host": "evil.example"})
    assert response.status_code == 302
    redirect_uri = parse_qs(urlsplit(response.headers["Location"]).query)["redirect_uri"][0]
    assert redirect_uri == "https://connect.fynode.example/settings/accounting/fakturoid/oauth/callback"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_production_web_server_sends_no_server_header_and_logs_no_query_strings(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "FYNODE_LOCAL": "1",
        "FYNODE_INSTANCE_PATH": str(tmp_path),
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
    }
    env.pop("DATABASE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "webapp:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:  # the worker loads the app after the port is open: allow it a while
                response = requests.get(f"http://127.0.0.1:{port}/healthz?code=one-time-secret", timeout=10)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    pytest.fail("gunicorn did not start")
                time.sleep(0.2)
        assert response.status_code == 200
        assert "Server" not in response.headers
        assert response.headers["Cache-Control"] == "no-store"
    finally:
        server.terminate()
        try:
            output = server.communicate(timeout=30)[0]
        except subprocess.TimeoutExpired:  # a slow graceful stop on a busy machine
            server.kill()
            output = server.communicate()[0]
    assert "GET /healthz HTTP/1.1" in output
    assert "one-time-secret" not in output
