"""HTTP calls to iDoklad API v3 and its identity server.

Auth is the client-credentials grant (SDK `ClientCredentialsTokenRequest`): a form POST of
grant_type, application_id (Fynode's developer-portal app), client_id, client_secret and
scope=idoklad_api to https://identity.idoklad.cz/server/v2/connect/token. There is no refresh
token for this grant: a new token is requested when the cached one is about to expire, and once
more when the API answers 401. The token lives in the shared `TokenCache`, so web and worker
processes use one token.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from decimal import Decimal
from typing import Any

from .. import errors as E
from ..base import TokenCache
from ..errors import ConnectorError
from ..http import REDACTED, Transport
from .errors import SEQUENCE_UNIQUENESS, api_error, parse_json, token_error

TOKEN_PATH = "/server/v2/connect/token"
SCOPE = "idoklad_api"
# Renew this long before `expires_in` runs out (the lifetime itself is UNCONFIRMED; we read it).
RENEW_MARGIN_SECONDS = 120
DEFAULT_LIFETIME_SECONDS = 3600
_TOKEN_VALUE = re.compile(r'("(?:access|refresh)_token"\s*:\s*")[^"]*"')


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # A JSON number with the same digits: floats repr() the shortest round-tripping form.
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(body: Any) -> str:
    return json.dumps(body, default=_json_default, ensure_ascii=False)


def token_claims(token: str) -> dict[str, Any]:
    """The JWT payload (license_status, user_rights), read without verifying the signature."""
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}


class IDokladClient:
    def __init__(
        self,
        http: Transport,
        endpoints: dict[str, str],
        client_id: str,
        client_secret: str,
        application_id: str,
        cache: TokenCache,
        app_name: str = "",
        app_version: str = "",
    ) -> None:
        self.http = http
        self.identity_url = endpoints["identity"].rstrip("/") + TOKEN_PATH
        self.api_url = endpoints["api"].rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.application_id = application_id
        self.cache = cache
        self.headers = {
            "Accept": "application/json",
            "Accept-Language": "en-US",
            "X-App": app_name.replace(" ", ""),
            "X-App-Version": app_version,
        }
        # Tokens issued for other credentials (the merchant changed them) must not be reused.
        self.fingerprint = hashlib.sha256(f"{client_id}\0{client_secret}".encode()).hexdigest()[:16]

    # -- token ----------------------------------------------------------------------------
    def token(self, stale: str | None = None) -> str:
        """A valid access token; `stale` is one the API has just refused (renew unless already done)."""
        cached = self._cached()
        if cached and cached != stale:
            return cached
        with self.cache.lock():
            cached = self._cached()
            if cached and cached != stale:
                return cached
            return self._request_token()

    def _cached(self) -> str | None:
        data = self.cache.load() or {}
        token = data.get("access_token")
        if (
            token
            and data.get("fingerprint") == self.fingerprint
            and float(data.get("expires_at", 0)) - RENEW_MARGIN_SECONDS > time.time()
        ):
            self.http.add_secrets([token])
            return token
        return None

    def _request_token(self) -> str:
        if not self.application_id:
            raise ConnectorError(
                E.REMOTE_ERROR, detail="Fynode's iDoklad application id (IDOKLAD_APPLICATION_ID) is not configured."
            )
        form = {
            "grant_type": "client_credentials",
            "application_id": self.application_id,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "scope": SCOPE,
        }
        response = self._post_form(form)
        body = parse_json(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        if response.status_code != 200 or not token:
            raise self.http.refused(token_error(response), response)
        self.http.add_secrets([token])
        lifetime = int(body.get("expires_in") or DEFAULT_LIFETIME_SECONDS)
        self.cache.save({"access_token": token, "expires_at": time.time() + lifetime, "fingerprint": self.fingerprint})
        return token

    def _post_form(self, form: dict[str, str]):
        """POST the token request; the token in the answer is masked before the exchange is logged
        (the transport learns that secret only after the answer arrived)."""
        report = self.http.on_exchange

        def masked(exchange: Any) -> None:
            exchange.response_body = _TOKEN_VALUE.sub(r"\1" + REDACTED + '"', exchange.response_body)
            if report is not None:
                report(exchange)

        self.http.on_exchange = masked if report else None
        try:
            return self.http.request(
                "POST",
                self.identity_url,
                operation="token",
                data=form,
                headers={"Accept": "application/json"},
                safe_to_retry=True,
            )
        finally:
            self.http.on_exchange = report

    # -- API ------------------------------------------------------------------------------
    def call(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
        safe_to_retry: bool | None = None,
    ) -> Any:
        """Send one API request and return the envelope's `Data`; failures raise ConnectorError."""
        url = self.api_url + path
        kwargs: dict[str, Any] = {"params": params or None}
        headers = dict(self.headers)
        if body is not None:
            kwargs["data"] = dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
        token = self.token()
        for attempt in (1, 2):
            response = self.http.request(
                method,
                url,
                operation=operation,
                safe_to_retry=safe_to_retry,
                headers={**headers, "Authorization": f"Bearer {token}"},
                **kwargs,
            )
            if response.status_code == 401 and attempt == 1:
                # The token expired or was revoked early: a 401 means nothing was done, so one
                # repeat with a new token is safe even for a create.
                token = self.token(stale=token)
                continue
            break
        envelope = parse_json(response)
        if response.status_code >= 300 or not isinstance(envelope, dict) or envelope.get("IsSuccess") is False:
            # `IsSuccess: false` with HTTP 200 is a refusal too: the log marks the exchange as failed.
            raise self.http.refused(api_error(response), response)
        return envelope.get("Data")

    def list_all(
        self,
        path: str,
        *,
        operation: str,
        params: dict[str, Any] | None = None,
        page_size: int = 100,
        max_pages: int = 10,
    ) -> list[dict]:
        """Every item of a (short) list, page by page."""
        items: list[dict] = []
        for page in range(1, max_pages + 1):
            data = self.call(
                "GET", path, operation=operation, params={**(params or {}), "page": page, "pageSize": page_size}
            )
            items.extend(data.get("Items") or [])
            if page >= int(data.get("TotalPages") or 0):
                break
        return items


def is_sequence_clash(error: ConnectorError) -> bool:
    """409 / ErrorCode 123: the serial number was taken meanwhile; nothing was created."""
    return error.code == E.CONFLICT and f"ErrorCode {SEQUENCE_UNIQUENESS}" in error.detail
