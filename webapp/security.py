"""Security headers (a strict Content-Security-Policy: our own scripts and styles only; nothing
but static files cached) and the login manager's user loader."""

from __future__ import annotations

from flask import Flask, request

from .extensions import login_manager

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-src 'self'; frame-ancestors 'self'; form-action 'self'; "
    "base-uri 'self'; object-src 'none'"
)


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"

    from .services.accounts.sign_in import load_user

    login_manager.user_loader(load_user)

    @app.after_request
    def set_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint != "static":
            # Pages, partials, PDFs and /healthz may carry account data or a live state: no
            # browser or proxy keeps a copy. Only our own static files are cacheable.
            response.headers["Cache-Control"] = "no-store"
            response.headers.pop("Expires", None)
        return response
