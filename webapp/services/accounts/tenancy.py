"""Tenant scoping: every query for tenant-owned rows goes through these helpers, so a merchant
can never reach another shop's rows by guessing ids (a wrong id is simply "not found")."""
from __future__ import annotations

from typing import TypeVar

from flask import abort
from flask_login import current_user

from ...extensions import db

T = TypeVar("T")


def current_shop_id() -> int:
    shop_id = getattr(current_user, "shop_id", None)
    if shop_id is None:
        abort(403)
    return shop_id


def scoped(model: type[T]):
    """A select() of `model` limited to the current shop."""
    return db.select(model).where(model.shop_id == current_shop_id())


def get_or_404(model: type[T], ident: int) -> T:
    row = db.session.scalar(scoped(model).where(model.id == ident))
    if row is None:
        abort(404)
    return row
