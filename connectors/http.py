"""One HTTP transport for every connector.

- A `requests.Session` per integration, with connect and read timeouts on every call.
- Retries only where repeating is safe (idempotent methods, or a connect error before anything
  was sent); never a blind retry of a create.
- Every exchange is reported to `on_exchange` with secrets redacted: the web app stores these
  records as the integration log. Redaction works two ways, so that neither alone has to be
  perfect:
  - on structure: values under secret-looking names (`client_secret`, `access_token`,
    `password`, `apiKey`...) in JSON bodies, form bodies and query strings, and sensitive
    headers, whatever their value;
  - on value: every secret the integration holds (and tokens learned at run time), in every
    encoding it can take on the wire or in a body: raw, URL-quoted (both ways), JSON-escaped
    (ASCII or not, with PHP's escaped slashes, upper- or lower-case hex), HTML-escaped and
    base64.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import re
import time
import weakref
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit

import requests

from . import errors

REDACTED = "•••"
# The standard headers that carry credentials; a vendor's own ones (e.g. inFakt's
# `X-inFakt-ApiKey`) are declared by its connector (`Connector.sensitive_headers`) and added per
# transport with `Transport.add_sensitive_headers`.
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})
# A field, parameter or header whose name (lower-cased, punctuation dropped) is one of these or
# ends with one of these holds a secret.
SECRET_NAMES = frozenset({"secret", "password", "passwd", "token", "apikey", "authorization", "code_verifier"})
SECRET_NAME_ENDINGS = (
    "secret",
    "password",
    "passwd",
    "token",
    "apikey",
    "privatekey",
    "secretkey",
    "accesskey",
    "codeverifier",
)
MIN_SECRET_LENGTH = 4
AUTH_SCHEMES = frozenset({"basic", "bearer", "digest", "token", "sfapi", "negotiate", "hmac"})
# Credentials some vendors take in the query string or a JSON body (Fakturownia's `api_token`): their
# values are redacted wherever they appear, even when the transport was not told the value (a
# vendor echoing a token in an error page, a token obtained at run time).
SENSITIVE_PARAMS = ("api_token", "access_token", "refresh_token", "client_secret", "apikey", "api_key")
_PARAM_RE = re.compile(r"([?&;](?:%s)=)[^&#\s\"'<>]+" % "|".join(SENSITIVE_PARAMS), re.IGNORECASE)
_JSON_PARAM_RE = re.compile(r"(\"(?:%s)\"\s*:\s*\")[^\"]+" % "|".join(SENSITIVE_PARAMS), re.IGNORECASE)
_WHITESPACE = re.compile(r"\s")  # what str.isspace() calls whitespace, found in one pass
BODY_LOG_LIMIT = 4000
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


def is_secret_name(name: Any) -> bool:
    return _is_secret_name(str(name))


@functools.lru_cache(maxsize=4096)
def _is_secret_name(name: str) -> bool:
    # Cached: every logged body asks about the same few hundred field names again and again.
    plain = re.sub(r"[^a-z0-9]", "", name.lower())
    return plain in SECRET_NAMES or plain.endswith(SECRET_NAME_ENDINGS)


def redact_structure(value: Any) -> Any:
    """A copy of parsed JSON with every value under a secret-looking name replaced."""
    if isinstance(value, dict):
        return {
            k: (
                REDACTED
                if is_secret_name(k) and isinstance(v, (str, int, float)) and not isinstance(v, bool) and v != ""
                else redact_structure(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact_structure(v) for v in value]
    return value


def redact_pairs(text: str) -> str:
    """`a=1&client_secret=x` with the values of secret-looking names replaced, the rest untouched."""
    parts = []
    for part in text.split("&"):
        name, sep, _value = part.partition("=")
        parts.append(f"{name}={REDACTED}" if sep and is_secret_name(unquote_plus(name)) else part)
    return "&".join(parts)


def _upper_hex(text: str) -> str:
    return re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m.group(1).upper(), text)


def encodings(value: str) -> set[str]:
    """The forms a secret can take in a URL, header or body."""
    forms = {
        value,
        quote(value, safe=""),
        quote(value),
        quote_plus(value),
        html.escape(value),
        html.escape(value, quote=False),
    }
    for ascii_only in (True, False):
        escaped = json.dumps(value, ensure_ascii=ascii_only)[1:-1]
        forms |= {
            escaped,
            escaped.replace("/", "\\/"),
            _upper_hex(escaped),
            # .NET and others escape HTML-sensitive characters too
            _upper_hex(re.sub(r"[<>&'+]", lambda m: "\\u%04x" % ord(m.group()), escaped)),
            re.sub(r"[<>&'+]", lambda m: "\\u%04x" % ord(m.group()), escaped),
        }
    forms |= {f.lower() for f in list(forms) if "%" in f}  # lower-case percent escapes
    raw = value.encode("utf-8", "surrogatepass")
    if len(raw) >= MIN_SECRET_LENGTH:
        for b64 in (base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()):
            forms |= {b64, b64.rstrip("=")}
    return {f for f in forms if len(f) >= MIN_SECRET_LENGTH}


@dataclass
class Exchange:
    """One request and its answer, secret-free, as the integration log keeps it."""

    operation: str
    method: str
    url: str
    status: int | None
    duration_ms: int
    request_headers: dict[str, str]
    request_body: str
    response_headers: dict[str, str]
    response_body: str
    error_code: str | None = None
    attempt: int = 1
    # The connector's own hint for the error (`ConnectorError.hint_key`), when it read the answer
    # as a refusal (see Transport.refused).
    hint_key: str | None = None


@dataclass
class Transport:
    user_agent: str
    on_exchange: Callable[[Exchange], None] | None = None
    secrets: Iterable[str] = ()
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    retries: int = 2
    backoff: float = 0.3
    session: requests.Session = field(default_factory=requests.Session)
    # Called with the operation before every attempt: waits for a slot of the vendor's quota
    # (shared by every worker process), or raises ConnectorError(rate_limited) when none frees
    # in time. Several vendors count refused requests too, so the wait comes before sending.
    throttle: Callable[[str], None] | None = None

    def __post_init__(self) -> None:
        self._secrets: list[str] = []
        self._deadline: float | None = None
        # The exchange last reported and (weakly: a PDF is not kept alive) the answer it carried.
        self._last: tuple[Exchange, weakref.ref[requests.Response] | None] | None = None
        # Proxy and CA-bundle settings from the environment, read once per origin instead of on
        # every request (requests scans the whole environment for each one). The session then
        # no longer reads the environment itself, so a ~/.netrc cannot add credentials either.
        self._environment: dict[str, dict[str, Any]] = {}
        self._trust_env = self.session.trust_env
        self.session.trust_env = False
        self.sensitive_headers: set[str] = set(SENSITIVE_HEADERS)
        self.add_secrets(self.secrets)

    def refused(self, error: errors.ConnectorError, response: requests.Response | None = None) -> errors.ConnectorError:
        """The connector read the answer it just got as this error: the exchange that carried it
        gets the error's code and hint in the log, whatever its HTTP status (SuperFaktura,
        Fakturownia and iDoklad answer some refusals with HTTP 200 and an error in the body).
        Returns the error, for `raise transport.refused(error, response)`.

        Only the exchange last reported is marked, and only when it carried `response` (when given):
        an error found before anything was sent marks nothing."""
        exchange = self._last_exchange(response)
        if exchange is not None and exchange.status is not None:
            exchange.error_code, exchange.hint_key = error.code, error.hint_key
        return error

    def not_refused(self, response: requests.Response | None = None) -> None:
        """Undo `refused` for the last answer: the connector expected this refusal, it proves
        nothing wrong (SuperFaktura's right-to-issue check). A failure on the wire keeps its code."""
        exchange = self._last_exchange(response)
        if exchange is not None and exchange.status is not None:
            exchange.error_code = exchange.hint_key = None

    def _last_exchange(self, response: requests.Response | None) -> Exchange | None:
        if self._last is None:
            return None
        carried = self._last[1]() if self._last[1] is not None else None
        if response is not None and carried is not response:
            return None
        return self._last[0]

    def add_sensitive_headers(self, names: Iterable[str]) -> None:
        """Redact these headers (any case) in every recorded exchange, whatever their value."""
        self.sensitive_headers.update(name.lower() for name in names)

    @contextmanager
    def deadline(self, seconds: float):
        """Bound every request made inside (retries and multi-call operations included) by one
        overall time budget, so an interactive page answers in time even when the system hangs."""
        previous = self._deadline
        self._deadline = time.monotonic() + seconds
        try:
            yield
        finally:
            self._deadline = previous

    def _environment_for(self, url: str) -> dict[str, Any]:
        origin = urlsplit(url)[:2]
        key = f"{origin[0]}://{origin[1]}"
        settings = self._environment.get(key)
        if settings is None:
            settings = {"proxies": dict(self.session.proxies), "verify": self.session.verify, "cert": self.session.cert}
            if self._trust_env:
                probe = requests.Session()
                try:
                    settings = dict(probe.merge_environment_settings(url, dict(self.session.proxies), None, None, None))
                finally:
                    probe.close()
                settings.pop("stream", None)
                if self.session.verify is not True:
                    settings["verify"] = self.session.verify
                settings["cert"] = settings.get("cert") or self.session.cert
            self._environment[key] = settings
        return settings

    def close(self) -> None:
        """Close the session's kept-alive connections."""
        self.session.close()

    def _remaining(self) -> float | None:
        return None if self._deadline is None else self._deadline - time.monotonic()

    def add_secrets(self, values: Iterable[str]) -> None:
        """Remember more values to redact (e.g. an access token obtained at run time)."""
        added = False
        for value in values:
            if value and len(str(value)) >= MIN_SECRET_LENGTH and str(value) not in self._secrets:
                self._secrets.append(str(value))
                added = True
        if added or not hasattr(self, "_forms"):
            # Longest first so a secret containing another is redacted whole.
            self._forms = sorted({f for value in self._secrets for f in encodings(value)}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        if not text:
            return text
        for form in self._forms:
            if form in text:
                text = text.replace(form, REDACTED)
        text = _PARAM_RE.sub(lambda m: m.group(1) + REDACTED, text)
        return _JSON_PARAM_RE.sub(lambda m: m.group(1) + REDACTED, text)

    def redact_url(self, url: str) -> str:
        base, sep, query = url.partition("?")
        query, hash_sep, fragment = query.partition("#")
        return self.redact(base + sep + redact_pairs(query) + hash_sep + fragment) if sep else self.redact(url)

    def _redact_headers(self, headers: Any) -> dict[str, str]:
        clean = {}
        for name, value in (headers or {}).items():
            if name.lower() in self.sensitive_headers or is_secret_name(name):
                # Only a known auth scheme survives ("Bearer •••"): any other first word may be
                # part of the secret itself.
                scheme = str(value).split(" ", 1)[0] if " " in str(value) else ""
                scheme = scheme if scheme.lower() in AUTH_SCHEMES else ""
                clean[name] = f"{scheme} {REDACTED}".strip()
            else:
                clean[name] = self.redact(str(value))
        return clean

    def _body_text(self, body: Any) -> str:
        if body is None:
            return ""
        if isinstance(body, (dict, list)):
            # Redacted on structure here already: no need to parse the text again.
            text = json.dumps(redact_structure(body), ensure_ascii=False, default=str)
            return self.redact(text)[:BODY_LOG_LIMIT]
        if isinstance(body, bytes):
            try:
                body = body.decode("utf-8")
            except UnicodeDecodeError:
                return f"<{len(body)} bytes>"
        text = _redact_text_structure(str(body))
        return self.redact(text)[:BODY_LOG_LIMIT]

    def request(
        self,
        method: str,
        url: str,
        *,
        operation: str,
        safe_to_retry: bool | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one request. Raises ConnectorError(unreachable/timeout) on transport failure.

        A timeout or a dropped connection on a request that is not safe to retry is raised as
        `ambiguous`: the caller must look the document up before trying again.
        """
        method = method.upper()
        if safe_to_retry is None:
            safe_to_retry = method in IDEMPOTENT_METHODS
        headers = {"User-Agent": self.user_agent, **kwargs.pop("headers", {})}
        attempt = 0
        while True:
            attempt += 1
            read_timeout, connect_timeout = timeout or self.read_timeout, self.connect_timeout
            remaining = self._remaining()
            if remaining is not None:
                if remaining <= 0.05:
                    raise errors.ConnectorError(
                        errors.TIMEOUT, detail="The time for this operation ran out.", ambiguous=False
                    )
                read_timeout, connect_timeout = min(read_timeout, remaining), min(connect_timeout, remaining)
            if self.throttle is not None:
                self.throttle(operation)
            started = time.monotonic()
            try:
                response = self.session.request(
                    method,
                    url,
                    headers=headers,
                    timeout=(connect_timeout, read_timeout),
                    **{**self._environment_for(url), **kwargs},
                )
            except UnicodeError:
                # A header or Basic-auth value with characters HTTP cannot carry (Latin-1 only):
                # nothing was sent. Connectors validate their fields first; this is the safety net.
                raise errors.ConnectorError(
                    errors.VALIDATION,
                    ambiguous=False,
                    detail="A value contains characters that cannot be sent in an "
                    "HTTP header (for example accented letters in a key).",
                ) from None
            except requests.exceptions.RequestException as exc:
                code, ambiguous = _classify(exc, safe_to_retry)
                self._report(operation, method, url, None, started, headers, kwargs, None, code, attempt)
                # A read timeout is not retried: the system is hanging, and the caller's page or
                # the worker's backoff decides what happens next.
                retry = code == errors.UNREACHABLE if not safe_to_retry else code != errors.TIMEOUT
                if attempt <= self.retries and retry and (safe_to_retry or _before_send(exc)):
                    time.sleep(self.backoff * attempt)
                    continue
                raise errors.ConnectorError(code, detail=_describe(exc), ambiguous=ambiguous) from None
            self._report(
                operation, method, url, response.status_code, started, headers, kwargs, response, None, attempt
            )
            if response.status_code >= 500 and safe_to_retry and attempt <= self.retries:
                time.sleep(self.backoff * attempt)
                continue
            return response

    def _report(self, operation, method, url, status, started, headers, kwargs, response, code, attempt):
        self._last = None
        if not self.on_exchange:
            return
        body = kwargs.get("json", kwargs.get("data"))
        response_body = ""
        if response is not None:
            ctype = response.headers.get("Content-Type", "")
            if "pdf" in ctype or "octet-stream" in ctype:
                response_body = f"<{len(response.content)} bytes {ctype}>"
            else:
                response_body = self._body_text(response.content)
        exchange = Exchange(
            operation=operation,
            method=method,
            url=self.redact_url(url),
            status=status,
            duration_ms=int((time.monotonic() - started) * 1000),
            request_headers=self._redact_headers(headers),
            request_body=self._body_text(body),
            response_headers=self._redact_headers(response.headers) if response is not None else {},
            response_body=response_body,
            error_code=code,
            attempt=attempt,
        )
        # The log keeps this very object until it is written: a refusal read from the answer
        # afterwards (`refused`) reaches the stored row.
        self._last = (exchange, weakref.ref(response) if response is not None else None)
        self.on_exchange(exchange)


def _redact_text_structure(text: str) -> str:
    """A JSON or form body as text, with secret-looking fields replaced; other text unchanged."""
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        try:
            parsed = json.loads(stripped)
        except ValueError:
            return text
        redacted = redact_structure(parsed)
        return text if redacted == parsed else json.dumps(redacted, ensure_ascii=False)
    if "=" in text and not _WHITESPACE.search(stripped):
        return redact_pairs(text)
    return text


def _before_send(exc: Exception) -> bool:
    return isinstance(exc, requests.exceptions.ConnectTimeout) or (
        isinstance(exc, requests.exceptions.ConnectionError)
        and not isinstance(exc, requests.exceptions.ReadTimeout)
        and "RemoteDisconnected" not in str(exc)
        and "Connection aborted" not in str(exc)
    )


def _classify(exc: Exception, safe_to_retry: bool) -> tuple[str, bool]:
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return errors.UNREACHABLE, False
    if isinstance(exc, requests.exceptions.Timeout):
        return errors.TIMEOUT, not safe_to_retry
    if isinstance(exc, requests.exceptions.ConnectionError):
        sent = not _before_send(exc)
        return (errors.TIMEOUT if sent else errors.UNREACHABLE), (sent and not safe_to_retry)
    return errors.UNREACHABLE, False


def _describe(exc: Exception) -> str:
    if isinstance(exc, requests.exceptions.Timeout):
        return "The system did not answer in time."
    if isinstance(exc, requests.exceptions.SSLError):
        return "The secure connection (TLS) could not be established."
    if isinstance(exc, requests.exceptions.ConnectionError):
        text = str(exc)
        if "Name or service not known" in text or "getaddrinfo" in text or "NameResolution" in text:
            return "The host name could not be resolved."
        if "RemoteDisconnected" in text or "Connection aborted" in text:
            return "The connection was closed before an answer arrived."
        return "The connection was refused or could not be opened."
    return exc.__class__.__name__
