"""HTTP calls for inFakt API v3: every request carries the API key in `X-inFakt-ApiKey`
(a header the transport always redacts) and asks for JSON; an error status becomes a
ConnectorError (see `errors.error_for`)."""

from __future__ import annotations

from typing import Any

import requests

from ..errors import ConnectorError
from ..http import Transport
from .errors import body_of, error_for

API_KEY_HEADER = "X-inFakt-ApiKey"


class InfaktClient:
    def __init__(self, http: Transport, base_url: str, api_key: str) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key

    def call(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        accept: str = "application/json",
        safe_to_retry: bool | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        if not self.api_key:
            raise ConnectorError(
                "validation", detail="No inFakt API key.", fields={"api_key": ["This field is required."]}
            )
        headers = {API_KEY_HEADER: self.api_key, "Accept": accept}
        response = self.http.request(
            method, self.base_url + path, operation=operation, headers=headers, safe_to_retry=safe_to_retry, **kwargs
        )
        if response.status_code >= 400:
            raise self.http.refused(error_for(response, operation=operation), response)
        return response

    def get_json(self, path: str, *, operation: str, params: dict | None = None) -> Any:
        return body_of(self.call("GET", path, operation=operation, params=params))

    def post_json(self, path: str, body: dict[str, Any] | None, *, operation: str) -> Any:
        """A POST is never repeated blindly: inFakt has no idempotency key."""
        return body_of(
            self.call("POST", path, operation=operation, json=body if body is not None else {}, safe_to_retry=False)
        )
