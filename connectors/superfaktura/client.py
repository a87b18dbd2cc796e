"""HTTP calls to SuperFaktura: the SFAPI header, the documented body format, reply checks.

Auth header (intro.md): ``Authorization: SFAPI `` + the URL-encoded attributes email, apikey,
company_id and module, built like the official clients' ``http_build_query`` ("@" -> %40,
"+" -> %2B, spaces -> "+"). POST bodies are the documented form field ``data`` holding JSON.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import requests

from .. import errors
from ..errors import ConnectorError
from ..http import Transport
from .errors import error_for

FORM_TYPE = "application/x-www-form-urlencoded;charset=UTF-8"


def dumps(payload: Any) -> str:
    """JSON with Decimal amounts written as exact JSON numbers (never through float)."""
    exact: dict[str, str] = {}

    def mark(value: Any) -> Any:
        if isinstance(value, Decimal):
            token = f"\x00dec{len(exact)}\x00"
            exact[token] = format(value, "f")
            return token
        if isinstance(value, dict):
            return {k: mark(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [mark(v) for v in value]
        return value

    text = json.dumps(mark(payload), ensure_ascii=False)
    for token, number in exact.items():
        text = text.replace(json.dumps(token), number)
    return text


class SuperFakturaClient:
    def __init__(
        self, http: Transport, base_url: str, *, email: str, api_key: str, company_id: str, module: str
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self._authorization = "SFAPI " + urlencode(
            {"email": email, "apikey": api_key, "company_id": company_id, "module": module}
        )
        self.quota: dict[str, str] = {}  # the latest X-RateLimit-* headers

    def _send(self, method: str, path: str, operation: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": self._authorization, "Accept": "application/json", **kwargs.pop("headers", {})}
        response = self.http.request(method, self.base_url + path, operation=operation, headers=headers, **kwargs)
        limits = {k: v for k, v in response.headers.items() if k.lower().startswith("x-ratelimit-")}
        if limits:
            self.quota = limits
        return response

    @staticmethod
    def _json(response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            return None

    def get(self, path: str, operation: str) -> Any:
        response = self._send("GET", path, operation)
        body = self._json(response)
        failure = error_for(response.status_code, response.headers, body)
        if failure:
            # HTTP 200 with `"error": 1` is a refusal too: the log marks the exchange as failed.
            raise self.http.refused(failure, response)
        return body

    def post(self, path: str, payload: dict, operation: str, *, creating: bool = False) -> Any:
        response = self._send(
            "POST",
            path,
            operation,
            data=urlencode({"data": dumps(payload)}),
            headers={"Content-Type": FORM_TYPE},
            safe_to_retry=False,
        )
        body = self._json(response)
        failure = error_for(response.status_code, response.headers, body, writing=True, creating=creating)
        if failure:
            # HTTP 200 with `"error": 1` is a refusal too: the log marks the exchange as failed.
            raise self.http.refused(failure, response)
        return body

    def delete(self, path: str, operation: str) -> Any:
        # Documented as GET /invoices/delete/{id}. No automatic repeat: after a lost answer a
        # repeat would say "not found" about a delete that worked.
        response = self._send("GET", path, operation, safe_to_retry=False)
        body = self._json(response)
        failure = error_for(response.status_code, response.headers, body, writing=True)
        if failure:
            # HTTP 200 with `"error": 1` is a refusal too: the log marks the exchange as failed.
            raise self.http.refused(failure, response)
        return body

    def download(self, path: str, operation: str) -> requests.Response:
        response = self._send("GET", path, operation, headers={"Accept": "application/pdf"})
        if "json" in response.headers.get("Content-Type", "") or response.status_code >= 400:
            failure = error_for(response.status_code, response.headers, self._json(response))
            raise self.http.refused(
                failure
                or ConnectorError(errors.REMOTE_ERROR, detail="no PDF in the reply", http_status=response.status_code),
                response,
            )
        return response
