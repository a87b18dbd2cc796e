"""One HTTP transport for every connector.

- A `requests.Session` per integration, with connect and read timeouts on every call.
- Retries only where repeating is safe (idempotent methods, or a connect error before anything
  was sent); never a blind retry of a create.
- Every exchange is reported to `on_exchange` with secrets redacted: the web app stores these
  records as the integration log. Redaction covers auth headers and every secret value the
  integration holds, wherever it appears (URL, headers, body).
"""
from __future__ import annotations

import json
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable
from urllib.parse import quote, quote_plus

import requests

from . import errors

REDACTED = "•••"
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie",
                               "x-api-key", "x-infakt-apikey", "accesskey", "secretkey",
                               "authentication"})
# Credentials some vendors take in the query string or a JSON body (Fakturownia's `api_token`): their
# values are redacted wherever they appear, even when the transport was not told the value (a
# vendor echoing a token in an error page, a token obtained at run time).
SENSITIVE_PARAMS = ("api_token", "access_token", "refresh_token", "client_secret", "apikey", "api_key")
_PARAM_RE = re.compile(r"([?&;](?:%s)=)[^&#\s\"'<>]+" % "|".join(SENSITIVE_PARAMS), re.IGNORECASE)
_JSON_PARAM_RE = re.compile(r"(\"(?:%s)\"\s*:\s*\")[^\"]+" % "|".join(SENSITIVE_PARAMS), re.IGNORECASE)
BODY_LOG_LIMIT = 4000
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


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
        self.add_secrets(self.secrets)

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

    def _remaining(self) -> float | None:
        return None if self._deadline is None else self._deadline - time.monotonic()

    def add_secrets(self, values: Iterable[str]) -> None:
        """Remember more values to redact (e.g. an access token obtained at run time)."""
        for value in values:
            if value and len(str(value)) >= 4 and str(value) not in self._secrets:
                self._secrets.append(str(value))
        # Longest first so a secret containing another is redacted whole.
        self._secrets.sort(key=len, reverse=True)

    def redact(self, text: str) -> str:
        if not text:
            return text
        for value in self._secrets:
            for form in {value, quote(value, safe=""), quote_plus(value)}:
                text = text.replace(form, REDACTED)
        text = _PARAM_RE.sub(lambda m: m.group(1) + REDACTED, text)
        return _JSON_PARAM_RE.sub(lambda m: m.group(1) + REDACTED, text)

    def _redact_headers(self, headers: Any) -> dict[str, str]:
        clean = {}
        for name, value in (headers or {}).items():
            if name.lower() in SENSITIVE_HEADERS:
                scheme = str(value).split(" ", 1)[0] if " " in str(value) else ""
                clean[name] = f"{scheme} {REDACTED}".strip()
            else:
                clean[name] = self.redact(str(value))
        return clean

    def _body_text(self, body: Any) -> str:
        if body is None:
            return ""
        if isinstance(body, bytes):
            try:
                body = body.decode("utf-8")
            except UnicodeDecodeError:
                return f"<{len(body)} bytes>"
        return self.redact(str(body))[:BODY_LOG_LIMIT]

    def request(self, method: str, url: str, *, operation: str, safe_to_retry: bool | None = None,
                timeout: float | None = None, **kwargs: Any) -> requests.Response:
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
                    raise errors.ConnectorError(errors.TIMEOUT, detail="The time for this operation ran out.",
                                                ambiguous=False)
                read_timeout, connect_timeout = min(read_timeout, remaining), min(connect_timeout, remaining)
            if self.throttle is not None:
                self.throttle(operation)
            started = time.monotonic()
            try:
                response = self.session.request(method, url, headers=headers,
                                                timeout=(connect_timeout, read_timeout), **kwargs)
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
            self._report(operation, method, url, response.status_code, started, headers, kwargs, response,
                         None, attempt)
            if response.status_code >= 500 and safe_to_retry and attempt <= self.retries:
                time.sleep(self.backoff * attempt)
                continue
            return response

    def _report(self, operation, method, url, status, started, headers, kwargs, response, code, attempt):
        if not self.on_exchange:
            return
        body = kwargs.get("json", kwargs.get("data"))
        if isinstance(body, dict) or isinstance(body, list):
            body = json.dumps(body, ensure_ascii=False, default=str)
        response_body = ""
        if response is not None:
            ctype = response.headers.get("Content-Type", "")
            if "pdf" in ctype or "octet-stream" in ctype:
                response_body = f"<{len(response.content)} bytes {ctype}>"
            else:
                response_body = self._body_text(response.content)
        self.on_exchange(Exchange(
            operation=operation, method=method, url=self.redact(url), status=status,
            duration_ms=int((time.monotonic() - started) * 1000),
            request_headers=self._redact_headers(headers), request_body=self._body_text(body),
            response_headers=self._redact_headers(response.headers) if response is not None else {},
            response_body=response_body, error_code=code, attempt=attempt))


def _before_send(exc: Exception) -> bool:
    return isinstance(exc, requests.exceptions.ConnectTimeout) or (
        isinstance(exc, requests.exceptions.ConnectionError)
        and not isinstance(exc, requests.exceptions.ReadTimeout)
        and "RemoteDisconnected" not in str(exc) and "Connection aborted" not in str(exc))


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
