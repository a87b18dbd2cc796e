"""Extensions created once here and bound to the app in `create_app`."""

import sqlite3
from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import Engine, event
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)

# `db.Model` is built at runtime, so mypy cannot use it as a base class; models
# subclass `Model`, which is `db.Model` at runtime and `Base` for the type checker.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
htmx = Htmx()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite (local runs, tests): write-ahead logging, so the web app, the workers and the rate
    limiter read while one of them writes, and a commit costs one append instead of rewriting
    a journal; a writer waits for another instead of failing at once. PostgreSQL in production
    is untouched."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def is_htmx() -> bool:
    """Whether this request came from htmx (htmx-flask adds `request.htmx` at runtime, untyped)."""
    from flask import request

    return bool(getattr(request, "htmx", False))
