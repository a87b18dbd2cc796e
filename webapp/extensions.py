"""Extensions created once here and bound to the app in `create_app`."""
from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from htmx_flask import Htmx
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


def is_htmx() -> bool:
    """Whether this request came from htmx (htmx-flask adds `request.htmx` at runtime, untyped)."""
    from flask import request
    return bool(getattr(request, "htmx", False))
