"""HTTP calls and auth for Fakturoid API v3 (authorization page, facts file section 1).

Tokens: `POST /oauth/token` with the client id and secret in HTTP Basic auth, either
- "client_credentials": the merchant's own Client ID / Client Secret, body
  ``grant_type=client_credentials``; there is no refresh token, a new token is simply requested;
- "oauth": Fynode's registered app id / secret, body ``grant_type=refresh_token`` with the
  merchant's refresh token (from the Authorization Code flow).

One access token per integration lives in the TokenCache, shared by web and worker processes:
Fakturoid invalidates the previous client-credentials token whenever a new one is issued, so a
token per process would make the processes log each other out. The token is renewed 10 s before
`expires_in` runs out, under `token_cache.lock()`, and once more when a call answers 401 (unless
another process renewed it meanwhile). If the token endpoint returns a new `refresh_token`, it
is saved in the cache next to the access token: the web app must persist `refresh_token` from the
token cache as the integration's secret (the documented refresh reply has none, so today the
original one stays valid).
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import requests

from ..base import TokenCache
from ..errors import ConnectorError
from ..http import Exchange, Transport
from .errors import body_of, error_for

EARLY_RENEWAL = 10  # seconds before expiry, as the official Ruby and PHP clients do
TOKEN_FIELDS = ("access_token", "refresh_token")


class TokenGrant:
    """How this integration obtains an access token."""

    def __init__(self, client_id: str, client_secret: str, grant_type: str, refresh_token: str = "") -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.grant_type = grant_type
        self.refresh_token = refresh_token

    @property
    def owner(self) -> str:
        """Which credentials a cached token belongs to (changed credentials: the token is not reused)."""
        return hashlib.sha256(f"{self.grant_type}:{self.client_id}".encode()).hexdigest()[:16]

    def body(self, cached: dict[str, Any]) -> dict[str, str]:
        if self.grant_type == "refresh_token":
            return {"grant_type": "refresh_token", "refresh_token": cached.get("refresh_token") or self.refresh_token}
        return {"grant_type": "client_credentials"}


class FakturoidClient:
    def __init__(self, http: Transport, base_url: str, token_cache: TokenCache, grant: TokenGrant, slug: str) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.cache = token_cache
        self.grant = grant
        self.slug = slug
        _redact_token_replies(http)

    # -- tokens ---------------------------------------------------------------------------
    def _cached(self) -> dict[str, Any]:
        data = self.cache.load() or {}
        self.http.add_secrets(str(data[k]) for k in TOKEN_FIELDS if data.get(k))
        return data

    def _usable(self, data: dict[str, Any]) -> bool:
        return (
            bool(data.get("access_token"))
            and data.get("owner") == self.grant.owner
            and float(data.get("expires_at") or 0) > time.time()
        )

    def access_token(self, stale: str | None = None) -> str:
        data = self._cached()
        if self._usable(data) and data["access_token"] != stale:
            return data["access_token"]
        with self.cache.lock():
            data = self._cached()  # another process may have renewed it while we waited
            if self._usable(data) and data["access_token"] != stale:
                return data["access_token"]
            return self.request_token(self.grant.body(data), data)["access_token"]

    def request_token(
        self, body: dict[str, str], cached: dict[str, Any] | None = None, basic: tuple[str, str] | None = None
    ) -> dict[str, Any]:
        """POST /oauth/token; stores the new access token (and any new refresh token) in the cache."""
        self.http.add_secrets(v for k, v in body.items() if k in ("refresh_token", "code"))
        # Asking again for a client-credentials or refresh token is harmless (the newest one wins);
        # an authorization code works only once, so that exchange is never repeated.
        response = self.http.request(
            "POST",
            f"{self.base_url}/oauth/token",
            operation="token",
            safe_to_retry=body.get("grant_type") != "authorization_code",
            headers={"Accept": "application/json"},
            json=body,
            auth=basic or (self.grant.client_id, self.grant.client_secret),
        )
        if response.status_code != 200:
            raise self.http.refused(error_for(response, operation="token"), response)
        reply = body_of(response) or {}
        if not reply.get("access_token"):
            raise ConnectorError(
                "remote_error",
                detail="The token endpoint answered without an access token.",
                http_status=response.status_code,
            )
        self.http.add_secrets(str(reply[k]) for k in TOKEN_FIELDS if reply.get(k))
        data = {
            "access_token": reply["access_token"],
            "owner": self.grant.owner,
            "expires_at": time.time() + int(reply.get("expires_in") or 7200) - EARLY_RENEWAL,
        }
        refresh_token = reply.get("refresh_token") or (cached or {}).get("refresh_token") or body.get("refresh_token")
        if refresh_token:
            data["refresh_token"] = refresh_token
        self.cache.save(data)
        return data

    def forget_tokens(self) -> None:
        self.cache.save({})

    # -- API calls ------------------------------------------------------------------------
    def call(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        account: bool = True,
        accept: str = "application/json",
        **kwargs: Any,
    ) -> requests.Response:
        """One API call with the Bearer token; renews the token once on a 401 and tries again.

        Repeating after a 401 is safe even for a create: Fakturoid refused the request unread.
        """
        if account:
            if not self.slug:
                raise ConnectorError(
                    "validation",
                    detail="No Fakturoid account is selected.",
                    fields={"slug": ["This field is required."]},
                )
            path = f"/accounts/{self.slug}{path}"
        stale = None
        for attempt in (1, 2):
            token = self.access_token(stale=stale)
            response = self.http.request(
                method,
                self.base_url + path,
                operation=operation,
                headers={"Accept": accept, "Authorization": f"Bearer {token}"},
                **kwargs,
            )
            if response.status_code == 401 and attempt == 1:
                stale = token
                continue
            break
        if response.status_code >= 400:
            raise self.http.refused(error_for(response, operation=operation), response)
        return response

    def get_json(self, path: str, *, operation: str, account: bool = True, params: dict | None = None) -> Any:
        response = self.call("GET", path, operation=operation, account=account, params=params)
        return body_of(response)

    def post_json(self, path: str, body: dict[str, Any], *, operation: str) -> requests.Response:
        return self.call("POST", path, operation=operation, json=body)

    def revoke(self, refresh_token: str, app: tuple[str, str]) -> None:
        response = self.http.request(
            "POST",
            f"{self.base_url}/oauth/revoke",
            operation="revoke",
            headers={"Accept": "application/json"},
            json={"token": refresh_token},
            auth=app,
        )
        if response.status_code != 200:
            raise self.http.refused(error_for(response, operation="revoke"), response)


def _redact_token_replies(http: Transport) -> None:
    """Token replies carry new tokens the transport cannot know yet: redact them before logging."""
    original = http.on_exchange
    if original is None or getattr(original, "redacts_token_replies", False):
        return

    def report(exchange: Exchange) -> None:
        if exchange.operation == "token":
            try:
                reply = json.loads(exchange.response_body or "{}")
            except ValueError:
                reply = None
            if isinstance(reply, dict):
                http.add_secrets(str(reply[k]) for k in TOKEN_FIELDS if reply.get(k))
                exchange.response_body = http.redact(exchange.response_body)
        original(exchange)

    report.redacts_token_replies = True  # type: ignore[attr-defined]
    http.on_exchange = report
