"""Fynode Accounting Connect: the web app. `create_app()` builds it (Flask's factory pattern)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, has_request_context, request, session
from flask_login import current_user

from .config import ROOT, Config
from .extensions import babel, csrf, db, htmx, login_manager, migrate


def select_locale() -> str:
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and worker: the default locale
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in languages:
        return str(chosen)
    if getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def translation_directories() -> str:
    dirs = [ROOT / "webapp" / "translations"]
    dirs += sorted(p for p in (ROOT / "connectors").glob("*/translations") if p.is_dir())
    return ";".join(str(d) for d in dirs)


def create_app(config: Config | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(Path(ROOT / "instance")),
    )
    app.config.from_object(config or Config())
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = translation_directories()
    if app.config.get("TRUSTED_PROXIES"):
        # Believe X-Forwarded-For/-Proto only for the hops our own proxies add: the client's
        # address then comes from the nearest untrusted hop, not from whatever a client sends.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    from . import urls

    urls.init_app(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    htmx.init_app(app)

    from . import security

    security.init_app(app)

    from .api.routes import bp as api_bp
    from .api_tokens.routes import bp as api_tokens_bp
    from .auth.routes import bp as auth_bp
    from .integrations.routes import bp as integrations_bp
    from .journey.routes import bp as journey_bp
    from .logs.routes import bp as logs_bp
    from .main.routes import bp as main_bp
    from .orders.routes import bp as orders_bp
    from .support.routes import bp as support_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(integrations_bp)
    app.register_blueprint(journey_bp)
    app.register_blueprint(support_bp)
    app.register_blueprint(logs_bp)
    app.register_blueprint(orders_bp)
    app.register_blueprint(api_tokens_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # token-authenticated JSON, no cookies: CSRF does not apply
    from .documents.routes import bp as documents_bp
    from .rules.routes import bp as rules_bp

    app.register_blueprint(documents_bp)
    app.register_blueprint(rules_bp)
    from .documents.webhooks import bp as webhooks_bp

    app.register_blueprint(webhooks_bp)
    csrf.exempt(webhooks_bp)  # vendors' deliveries, authenticated by their own header
    from .support.access_routes import bp as support_access_bp

    app.register_blueprint(support_access_bp)

    from . import access

    access.init_app(app)  # who may use which route, and read-only support sessions: one place

    from . import cli, formatting, navigation

    cli.init_app(app)
    formatting.init_app(app)
    navigation.init_app(app)

    from .tasks import init_huey

    init_huey(app)
    return app
