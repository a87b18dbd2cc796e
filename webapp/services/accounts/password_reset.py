"""Forgotten passwords: a signed, expiring, single-use link sent by e-mail.

The token (itsdangerous) carries the user id and a fingerprint of the current password hash:
once the password changes, every earlier link stops working, so a link works once. It expires
after PASSWORD_RESET_MAX_AGE seconds. Whether or not the e-mail has an account, the request
gets the same answer and takes about the same time. Setting the new password ends every session
of the account (User.set_password clears its session token).
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ...extensions import db
from ...models import User
from .. import demo
from ..observability import audit
from . import mail

SALT = "fynode-password-reset"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _fingerprint(user: User) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, user.password_hash.encode(), hashlib.sha256).hexdigest()[:32]


def make_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "p": _fingerprint(user)})


def user_for(token: str | None) -> User | None:
    """The account a link is for, or None when it is forged, expired or already used."""
    if not token or not isinstance(token, str) or len(token) > 500:
        return None
    try:
        data = _serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except BadSignature:  # SignatureExpired is a BadSignature too
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("p"), str):
        return None
    user = db.session.get(User, data["u"]) if 0 < data["u"] < 2**31 else None
    if user is None or not hmac.compare_digest(_fingerprint(user), data["p"]):
        return None
    if demo.is_demo_login(user.email) and not current_app.config["LOCAL_MODE"]:
        return None
    return user


def request_reset(email: str) -> None:
    """E-mail a reset link if `email` has an account; say and do nothing different otherwise."""
    email = email.strip().lower()[:255]
    user = db.session.scalar(db.select(User).where(User.email == email))
    if user is None or (demo.is_demo_login(user.email) and not current_app.config["LOCAL_MODE"]):
        return
    link = current_app.config["PUBLIC_URL"].rstrip("/") + url_for("auth.reset_password", token=make_token(user))
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    body = "\n\n".join(
        [
            _("Someone (we hope you) asked to set a new password for your Fynode Accounting Connect account."),
            _(
                "Open this link to choose a new password. It works once and expires in %(minutes)s minutes:",
                minutes=minutes,
            ),
            link,
            _("If you did not ask for this, ignore this e-mail: your password stays as it is."),
        ]
    )
    mail.send(mail.Mail(to=user.email, subject=_("Set a new password for Fynode Accounting Connect"), body=body))


def set_new_password(user: User, password: str) -> None:
    """Set the password; the link and every session of the account stop working."""
    user.set_password(password)
    audit.record("user.password_reset", user.shop_id, email=user.email)
    db.session.commit()
