"""No secret reaches an integration-log record in any encoding, whatever characters it has.

A fake adapter plays the accounting system: it echoes the secret back in the ways real systems
do (JSON with and without ASCII escapes, PHP's escaped slashes, form and query encodings, base64,
HTML error pages), while the request carries it in a JSON body, a form body, a query string and
headers. Every text field of every reported exchange is then searched for every encoding of the
secret, computed here independently of the transport."""

import base64
import html
import json
from urllib.parse import quote, quote_plus, urlencode

import requests
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from connectors.http import REDACTED, Transport

PRINTABLE = st.characters(blacklist_categories=("Cc", "Cs"))  # every printable character, Unicode too
SECRETS = st.text(alphabet=PRINTABLE, min_size=8, max_size=40).filter(lambda s: s.strip() == s and s.strip())


def _forms(secret: str) -> set[str]:
    raw = secret.encode()
    forms = {
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        html.escape(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        json.dumps(secret)[1:-1].replace("/", "\\/"),
        json.dumps(secret, ensure_ascii=False)[1:-1].replace("/", "\\/"),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }
    return {f for f in forms if len(f) >= 4}


class _System(requests.adapters.BaseAdapter):
    """Answers every request by echoing the secret in many encodings."""

    def __init__(self, secret: str, style: int) -> None:
        super().__init__()
        self.secret, self.style = secret, style

    def send(self, request, **kwargs):
        s = self.secret
        reply = requests.Response()
        reply.status_code = 400 if self.style == 3 else 200
        reply.request, reply.url = request, request.url
        if self.style == 0:  # a JSON token reply, ASCII-escaped (Python, Ruby)
            body = json.dumps({"access_token": s, "token_type": "Bearer", "echo": {"client_secret": s, "note": s}})
        elif self.style == 1:  # PHP's json_encode: non-ASCII kept, slashes escaped
            body = json.dumps(
                {"error": "invalid", "message": f"bad secret {s}", "items": [s]}, ensure_ascii=False
            ).replace("/", "\\/")
        elif self.style == 2:  # a form-encoded echo and base64 of the value
            body = urlencode({"apikey": s, "b64": base64.b64encode(s.encode()).decode()}) + "&raw=" + quote(s)
        else:  # an HTML error page quoting the input
            body = f"<html><body><p>Unknown key &quot;{html.escape(s)}&quot;</p></body></html>"
        reply._content = body.encode("utf-8")
        reply.headers["Content-Type"] = "text/html" if self.style == 3 else "application/json"
        reply.headers["X-Echo-Token"] = quote(s, safe="")
        return reply

    def close(self):
        pass


def _exchanges(secret: str, style: int, learned: bool):
    seen = []
    transport = Transport(
        user_agent="Test (t@example.com)", on_exchange=seen.append, secrets=[] if learned else [secret], retries=0
    )
    transport.session.mount("https://", _System(secret, style))
    api = "https://api.example"
    transport.request(
        "POST",
        f"{api}/oauth/token?client_secret={quote_plus(secret)}",
        operation="token",
        json={"grant_type": "client_credentials", "client_id": "id", "client_secret": secret},
        headers={"Authorization": f"Bearer {secret}", "X-Api-Key": secret},
    )
    transport.request(
        "POST",
        f"{api}/connect/token",
        operation="token",
        data={"grant_type": "client_credentials", "client_secret": secret, "password": secret},
    )
    transport.request(
        "POST",
        f"{api}/raw",
        operation="token",
        data=urlencode({"client_id": "id", "client_secret": secret}),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    return seen


def _texts(exchange) -> list[str]:
    return [
        exchange.url,
        exchange.request_body,
        exchange.response_body,
        json.dumps(exchange.request_headers, ensure_ascii=False),
        json.dumps(exchange.response_headers, ensure_ascii=False),
        *exchange.request_headers.values(),
        *exchange.response_headers.values(),
    ]


SCAFFOLD = "\n".join(
    t
    for e in _exchanges("NEUTRALVALUE", 0, False)
    + _exchanges("NEUTRALVALUE", 1, False)
    + _exchanges("NEUTRALVALUE", 2, False)
    + _exchanges("NEUTRALVALUE", 3, False)
    for t in _texts(e)
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(secret=SECRETS, style=st.integers(min_value=0, max_value=3))
def test_a_known_secret_appears_in_no_exchange_in_any_encoding(secret, style):
    assume(not any(form in SCAFFOLD for form in _forms(secret)))
    for exchange in _exchanges(secret, style, learned=False):
        for text in _texts(exchange):
            leaked = [form for form in _forms(secret) if form in text]
            assert not leaked, (exchange.operation, text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(secret=SECRETS, style=st.sampled_from([0, 1]))
def test_secret_fields_are_redacted_by_name_even_when_the_value_is_not_known(secret, style):
    """Structure alone: the transport was never told the secret (a token issued just now)."""
    assume(not any(form in SCAFFOLD for form in _forms(secret)))
    token_exchange = _exchanges(secret, style, learned=True)
    first = token_exchange[0]
    request_body = json.loads(first.request_body)
    assert request_body["client_secret"] == REDACTED and request_body["client_id"] == "id"
    if style == 0:
        reply = json.loads(first.response_body)
        assert reply["access_token"] == REDACTED and reply["echo"]["client_secret"] == REDACTED
        assert reply["token_type"] == "Bearer"
    assert first.request_headers["Authorization"] == f"Bearer {REDACTED}"
    assert first.request_headers["X-Api-Key"] == REDACTED
    assert f"client_secret={REDACTED}" in first.url
    assert f"client_secret={REDACTED}" in token_exchange[2].request_body
    form = json.loads(token_exchange[1].request_body)
    assert form["client_secret"] == REDACTED and form["password"] == REDACTED


def test_an_idoklad_secret_with_quote_backslash_and_tab_is_redacted_in_the_json_logged_body():
    secret = 'ab"c\\d\te-12345'
    for exchange in _exchanges(secret, 0, learned=False):
        assert not any(json.dumps(secret)[1:-1] in text or secret in text for text in _texts(exchange))


def test_ordinary_fields_stay_readable():
    seen = _exchanges("a-secret-value", 0, learned=False)
    assert '"grant_type": "client_credentials"' in seen[0].request_body
    assert '"token_type": "Bearer"' in seen[0].response_body
