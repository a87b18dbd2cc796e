"""Signing in, with a limit on repeated failed attempts per e-mail and per address."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app

from ...extensions import db
from ...models import LoginAttempt, User, utcnow


def too_many_failures(email: str, ip: str) -> bool:
    since = utcnow() - timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    by_email = db.session.scalar(db.select(db.func.count(LoginAttempt.id)).where(
        LoginAttempt.email == email, LoginAttempt.success.is_(False), LoginAttempt.at >= since))
    by_ip = db.session.scalar(db.select(db.func.count(LoginAttempt.id)).where(
        LoginAttempt.ip == ip, LoginAttempt.success.is_(False), LoginAttempt.at >= since))
    return by_email >= limit or by_ip >= limit * 4


def authenticate(email: str, password: str, ip: str) -> tuple[User | None, str | None]:
    """Returns (user, None) or (None, reason) with reason "locked" or "invalid"."""
    email = email.strip().lower()
    if too_many_failures(email, ip):
        return None, "locked"
    user = db.session.scalar(db.select(User).where(User.email == email))
    ok = user is not None and user.check_password(password)
    db.session.add(LoginAttempt(email=email, ip=ip, success=ok))
    db.session.commit()
    return (user, None) if ok else (None, "invalid")
