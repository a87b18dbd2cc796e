"""HTTP calls to Fakturownia: the account's subdomain, the token, JSON bodies, reply checks.

Auth: the token goes in the query string (`?api_token=`), the one form the README shows for every
resource (reads, deletes, `send_by_email`, `change_status`, and POST /invoices.json in KSeF.md).
The transport redacts it from the logged URL and from replies that echo it (401 bodies).

Host: the account is picked by the subdomain `{subdomain}.fakturownia.pl`. Every request carries
that `Host` header, so the same request works against production and against a local stand-in
reached at another origin (the sandbox on 127.0.0.1:5104 reads the account from `Host`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import requests

from .. import errors
from ..errors import ConnectorError
from ..http import Transport
from .errors import error_for

JSON_TYPE = "application/json"


class FakturowniaClient:
    def __init__(self, http: Transport, base_url: str, *, subdomain: str, api_token: str) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.host = f"{subdomain}.fakturownia.pl"
        self.api_token = api_token

    def url(self, path: str, params: Mapping[str, Any] | list[tuple[str, Any]] | None = None) -> str:
        query: list[tuple[str, Any]] = list(params.items() if isinstance(params, Mapping) else params or [])
        query.append(("api_token", self.api_token))
        return f"{self.base_url}{path}?{urlencode(query)}"

    def _send(self, method: str, path: str, operation: str, params=None, **kwargs: Any) -> requests.Response:
        headers = {"Host": self.host, "Accept": JSON_TYPE, **kwargs.pop("headers", {})}
        return self.http.request(method, self.url(path, params), operation=operation, headers=headers, **kwargs)

    @staticmethod
    def _json(response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            return None

    def _check(self, response: requests.Response, *, creating: bool = False) -> Any:
        body = self._json(response)
        failure = error_for(response.status_code, response.headers, body, redact=self.http.redact, creating=creating)
        if failure:
            # HTTP 200 may carry a refusal too: the log marks the exchange as failed either way.
            raise self.http.refused(failure, response)
        return body

    def get(self, path: str, operation: str, params=None) -> Any:
        return self._check(self._send("GET", path, operation, params))

    def post(
        self, path: str, payload: Mapping[str, Any] | None, operation: str, params=None, *, creating: bool = False
    ) -> Any:
        response = self._send(
            "POST",
            path,
            operation,
            params,
            json=dict(payload or {}),
            headers={"Content-Type": JSON_TYPE},
            safe_to_retry=False,
        )
        return self._check(response, creating=creating)

    def delete(self, path: str, operation: str) -> Any:
        # No automatic repeat: after a lost answer a repeat would say "not found" about a delete
        # that worked.
        response = self._send("DELETE", path, operation, safe_to_retry=False)
        if response.status_code in (200, 204) and not response.content.strip():
            return None
        return self._check(response)

    def download(self, path: str, operation: str, params=None) -> requests.Response:
        response = self._send("GET", path, operation, params, headers={"Accept": "application/pdf"})
        if response.status_code >= 400 or "json" in response.headers.get("Content-Type", ""):
            body = self._json(response)
            failure = error_for(response.status_code, response.headers, body, redact=self.http.redact)
            raise self.http.refused(
                failure
                or ConnectorError(errors.REMOTE_ERROR, detail="no PDF in the reply", http_status=response.status_code),
                response,
            )
        return response
