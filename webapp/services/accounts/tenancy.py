"""Tenant scoping: every query for tenant-owned rows goes through these helpers, so a merchant
can never reach another shop's rows by guessing ids (a wrong id is simply "not found")."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import abort
from flask_login import current_user

from ...extensions import db

T = TypeVar("T")


def current_shop_id() -> int:
    shop_id = getattr(current_user, "shop_id", None)
    if shop_id is None:
        abort(403)
    return shop_id


def scoped(model: type[T]) -> Any:
    """A select() of `model` limited to the current shop (every tenant model has `shop_id`)."""
    columns: Any = model
    return db.select(model).where(columns.shop_id == current_shop_id())


def get_or_404(model: type[T], ident: int) -> T:
    columns: Any = model
    row = db.session.scalar(scoped(model).where(columns.id == ident))
    if row is None:
        abort(404)
    return row
