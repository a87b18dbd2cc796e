"""Fakturoid's OAuth 2 endpoints (authorization page): sign-in and consent page, token, revoke.

- ``GET /api/v3/oauth?client_id&redirect_uri&response_type=code&state`` shows one page that
  signs a seeded user in and asks for consent; Allow redirects to
  ``redirect_uri?code=…&state=…`` (the code lives 5 minutes and is single-use), Deny redirects
  with ``error=access_denied&state=…``.
- ``POST /api/v3/oauth/token``: client auth only by HTTP Basic (credentials in the body: the
  documented 400). Personal credentials (Settings → User account) may only use
  ``client_credentials``; an app registered under "OAuth 2 for app developers" only the
  Authorization Code flow (Fakturoid support, as quoted in the facts file).
- ``POST /api/v3/oauth/revoke`` with ``{"token": <refresh_token>}`` deletes the refresh token and
  its access tokens; 200.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from flask import Flask, Response, redirect, request

ACCESS_TOKEN_LIFETIME = 7200
CODE_LIFETIME = 300
INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client authentication included, "
    "or unsupported authentication method."
)
INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not match the redirection "
    "URI used in the authorization request, or was issued to another client."
)


def redirect_allowed(app: dict[str, Any], redirect_uri: str) -> bool:
    """The sandbox app's registered "URL for redirect" is any path on http://127.0.0.1:<any port>.

    Fakturoid refuses `localhost` as a redirect host, and the local web app runs on whichever
    port the developer picks, so the sandbox registration accepts the loopback IP on any port
    (and nothing else: no localhost, no other hosts).
    """
    parts = urlsplit(redirect_uri or "")
    return (
        parts.scheme == "http"
        and parts.hostname == "127.0.0.1"
        and not parts.fragment
        and app["client_id"] == "fynode-sandbox-oauth-client"
    )


def _json(status: int, body: dict[str, Any]) -> Response:
    resp = Response(json.dumps(body), status=status, mimetype="application/json")
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _error(status: int, error: str, description: str) -> Response:
    return _json(status, {"error": error, "error_description": description})


def _basic_credentials() -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("basic "):
        return None
    encoded = header[6:].strip()
    for decode in (base64.urlsafe_b64decode, base64.b64decode):
        try:
            text = decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        if ":" in text:
            client_id, client_secret = text.split(":", 1)
            return client_id, client_secret
    return None


def _with_query(uri: str, params: dict[str, str]) -> str:
    return uri + ("&" if "?" in uri else "?") + urlencode({k: v for k, v in params.items() if v is not None})


PAGE = """<!doctype html>
<html lang="cs"><head><meta charset="utf-8"><title>Fakturoid (sandbox): přihlášení</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem}}
label{{display:block;margin:.8rem 0 .2rem}}input{{width:100%;padding:.5rem;font-size:1rem}}
button{{margin:1rem .5rem 0 0;padding:.6rem 1.2rem;font-size:1rem}}.error{{color:#b00020}}</style></head>
<body><h1>Fakturoid <small>(sandbox)</small></h1>
<p>Aplikace <strong>{app}</strong> žádá o přístup k vašemu účtu Fakturoid.</p>
{error}<form method="post" action="{action}">
<input type="hidden" name="client_id" value="{client_id}">
<input type="hidden" name="redirect_uri" value="{redirect_uri}">
<input type="hidden" name="response_type" value="code">
<input type="hidden" name="state" value="{state}">
<label for="email">E-mail</label><input id="email" name="email" type="email" autocomplete="username" value="{email}">
<label for="password">Heslo</label><input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit" name="decision" value="allow">Povolit přístup</button>
<button type="submit" name="decision" value="deny">Zamítnout</button>
</form>
<details><summary>Sandbox: přihlašovací údaje</summary><ul>{logins}</ul></details>
</body></html>"""


def register(app: Flask, sandbox) -> None:
    def page(params, error: str = "", status: int = 200) -> Response:
        client = sandbox.apps[params["client_id"]]
        body = PAGE.format(
            app=html.escape(client["name"]),
            action=html.escape(request.path),
            client_id=html.escape(params["client_id"]),
            redirect_uri=html.escape(params["redirect_uri"]),
            state=html.escape(params.get("state") or ""),
            email=html.escape(params.get("email") or ""),
            error=f'<p class="error" role="alert">{html.escape(error)}</p>' if error else "",
            logins="".join(f"<li>{html.escape(u['email'])} / {html.escape(u['password'])}</li>" for u in sandbox.users),
        )
        return Response(body, status=status, mimetype="text/html")

    def check(params) -> Response | None:
        client = sandbox.apps.get(params.get("client_id") or "")
        if client is None:
            return Response("<h1>Neznámá aplikace (client_id)</h1>", 400, mimetype="text/html")
        if not redirect_allowed(client, params.get("redirect_uri") or ""):
            # Never redirect to an unregistered URL (RFC 6749 4.1.2.1): show the error here.
            return Response("<h1>Neplatná adresa pro přesměrování (redirect_uri)</h1>", 400, mimetype="text/html")
        if params.get("response_type") != "code":
            return redirect(
                _with_query(
                    params["redirect_uri"], {"error": "unsupported_response_type", "state": params.get("state")}
                )
            )
        return None

    @app.get("/api/v3/oauth")
    def authorize_page():
        params = request.args.to_dict()
        return check(params) or page(params)

    @app.post("/api/v3/oauth")
    def authorize_decision():
        params = request.form.to_dict()
        problem = check(params)
        if problem is not None:
            return problem
        state = params.get("state") or None
        if params.get("decision") != "allow":
            return redirect(_with_query(params["redirect_uri"], {"error": "access_denied", "state": state}))
        user = next(
            (
                u
                for u in sandbox.users
                if u["email"].lower() == (params.get("email") or "").strip().lower()
                and u["password"] == params.get("password")
            ),
            None,
        )
        if user is None:
            return page(params, "Nesprávný e-mail nebo heslo.", 401)
        code = secrets.token_hex(40)
        with sandbox.lock:
            sandbox.codes[code] = {
                "client_id": params["client_id"],
                "redirect_uri": params["redirect_uri"],
                "user_id": user["id"],
                "expires_at": time.time() + CODE_LIFETIME,
            }
        return redirect(_with_query(params["redirect_uri"], {"code": code, "state": state}))

    @app.post("/api/v3/oauth/token")
    def token():
        sandbox.require_user_agent()
        fault = sandbox.before_operation("token")
        if fault is not None:
            return fault
        params = _params()
        if params is None:
            return _error(
                400, "invalid_request", "Content-Type must be application/json or application/x-www-form-urlencoded"
            )
        if "client_id" in params or "client_secret" in params:
            return _error(
                400, "invalid_request", "Client ID and Client Secret have to be sent via HTTP Basic Authorization"
            )
        credentials = _basic_credentials()
        if credentials is None:
            return _error(401, "invalid_client", INVALID_CLIENT)
        client_id, client_secret = credentials
        grant = params.get("grant_type")
        with sandbox.lock:
            oauth_app = sandbox.apps.get(client_id)
            user = next((u for u in sandbox.users if u["client_id"] == client_id), None)
            if oauth_app is not None and secrets.compare_digest(oauth_app["client_secret"], client_secret):
                return _app_grant(sandbox, oauth_app, grant, params)
            if user is not None and secrets.compare_digest(user["client_secret"], client_secret):
                if grant == "client_credentials":
                    return _issue(sandbox, user["id"], f"cc:{client_id}")
                if grant in ("authorization_code", "refresh_token"):
                    return _error(
                        400,
                        "unauthorized_client",
                        "The client is not authorized to perform this request using this method.",
                    )
                return _grant_type_error(grant)
            return _error(401, "invalid_client", INVALID_CLIENT)

    @app.post("/api/v3/oauth/revoke")
    def revoke():
        sandbox.require_user_agent()
        params = _params()
        credentials = _basic_credentials()
        with sandbox.lock:
            oauth_app = sandbox.apps.get(credentials[0]) if credentials else None
            if oauth_app is None or not secrets.compare_digest(oauth_app["client_secret"], credentials[1]):
                return _error(401, "invalid_client", INVALID_CLIENT)
            if params is None or not params.get("token"):
                return _error(400, "invalid_request", "The request is missing a required parameter: token.")
            refresh = sandbox.refresh_tokens.get(params["token"])
            if refresh is not None and refresh["client_id"] == oauth_app["client_id"]:
                del sandbox.refresh_tokens[params["token"]]
                _drop_tokens(sandbox, f"rt:{params['token']}")
        return _json(200, {})


def _params() -> dict[str, Any] | None:
    raw = request.get_data(as_text=True)
    if request.mimetype == "application/json":
        try:
            data = json.loads(raw or "{}")
        except ValueError:
            return None
        return data if isinstance(data, dict) else None
    if request.mimetype in ("application/x-www-form-urlencoded", "") and (raw or request.mimetype):
        return {k: v[-1] for k, v in parse_qs(raw).items()}
    return None


def _grant_type_error(grant: str | None) -> Response:
    if not grant:
        return _error(400, "invalid_request", "The request is missing a required parameter: grant_type.")
    return _error(400, "unsupported_grant_type", "The authorization grant type is not supported.")


def _app_grant(sandbox, oauth_app: dict[str, Any], grant: str | None, params: dict[str, Any]) -> Response:
    if grant == "authorization_code":
        code = sandbox.codes.pop(params.get("code") or "", None)  # single use, even when refused
        if (
            code is None
            or code["expires_at"] < time.time()
            or code["client_id"] != oauth_app["client_id"]
            or code["redirect_uri"] != params.get("redirect_uri")
        ):
            return _error(400, "invalid_grant", INVALID_GRANT)
        refresh_token = secrets.token_hex(40)
        sandbox.refresh_tokens[refresh_token] = {"client_id": oauth_app["client_id"], "user_id": code["user_id"]}
        return _issue(sandbox, code["user_id"], f"rt:{refresh_token}", refresh_token)
    if grant == "refresh_token":
        token = params.get("refresh_token") or ""
        refresh = sandbox.refresh_tokens.get(token)
        if refresh is None or refresh["client_id"] != oauth_app["client_id"]:
            return _error(400, "invalid_grant", INVALID_GRANT)
        return _issue(sandbox, refresh["user_id"], f"rt:{token}")
    if grant == "client_credentials":
        return _error(
            400, "unauthorized_client", "The client is not authorized to perform this request using this method."
        )
    return _grant_type_error(grant)


def _drop_tokens(sandbox, grant_key: str) -> None:
    for value in [t for t, r in sandbox.tokens.items() if r["grant_key"] == grant_key]:
        del sandbox.tokens[value]


def _issue(sandbox, user_id: int, grant_key: str, refresh_token: str | None = None) -> Response:
    """A new access token; the previous one issued for the same credentials stops working."""
    _drop_tokens(sandbox, grant_key)
    access_token = secrets.token_hex(40)
    sandbox.tokens[access_token] = {
        "user_id": user_id,
        "grant_key": grant_key,
        "expires_at": time.time() + ACCESS_TOKEN_LIFETIME,
    }
    body = {"access_token": access_token, "token_type": "Bearer", "expires_in": ACCESS_TOKEN_LIFETIME}
    if refresh_token:
        body["refresh_token"] = refresh_token
    return _json(200, body)
