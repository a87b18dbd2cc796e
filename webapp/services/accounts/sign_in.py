"""Signing in and out: throttling of failed attempts, and sessions bound to the account.

Throttling is exponential backoff, counted in the database (`LoginAttempt`) so that every web
process sees the same numbers, on three keys:

- this address on this account: a guesser at one address slows down fast, up to 15 minutes;
- this address on any account: credential stuffing from one address, the same;
- this account from any address: many addresses on one account, but only up to a short delay,
  so strangers can never lock the real owner out.

A refused attempt is not recorded (it checked no password) and so does not extend the wait.
Unknown accounts cost the same time as known ones (a dummy password hash is checked), so the
answer time does not tell which e-mails have an account.

Sessions: `User.get_id()` carries the account's `session_token`; the user loader accepts a
session or remember-me cookie only while that token is unchanged. It is rotated at sign-in
and cleared at sign-out and on a password or role change.
"""

from __future__ import annotations

import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app, session
from flask_login import current_user, login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash

from ...extensions import db
from ...models import LoginAttempt, User, utcnow
from ...urls import MAX_ID
from .. import demo

IMPERSONATOR_KEY = "impersonator_id"


@dataclass(frozen=True)
class Backoff:
    """After `free` failures, each further failure doubles the wait (from 1 s) up to `cap`."""

    free: int
    cap: int  # seconds

    def wait_after(self, failures: int) -> int:
        if failures < self.free:
            return 0
        return min(self.cap, 2 ** min(failures - self.free, 30))


# Keys and their limits; LOGIN_THROTTLE in the config ({name: Backoff}) may override them.
THROTTLE = {
    "pair": Backoff(free=3, cap=15 * 60),
    "address": Backoff(free=20, cap=15 * 60),
    "account": Backoff(free=10, cap=30),
}
WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    reason: str | None = None  # "throttled" or "invalid"
    retry_after: int = 0  # seconds, when throttled


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Same method and cost as real passwords (werkzeug's default), hashed once per process.
    return generate_password_hash(secrets.token_urlsafe(16))


def _limits() -> dict[str, Backoff]:
    return {**THROTTLE, **current_app.config.get("LOGIN_THROTTLE", {})}


def _failures(*conditions, reset_on_success: bool) -> tuple[int, datetime | None]:
    """Failed attempts matching `conditions` in the window (after the last success, when asked)
    and the time of the latest one."""
    since = utcnow() - WINDOW
    if reset_on_success:
        last_ok = db.session.scalar(
            db.select(db.func.max(LoginAttempt.at)).where(
                *conditions, LoginAttempt.success.is_(True), LoginAttempt.at >= since
            )
        )
        since = max(since, last_ok) if last_ok else since
    count, latest = db.session.execute(
        db.select(db.func.count(LoginAttempt.id), db.func.max(LoginAttempt.at)).where(
            *conditions, LoginAttempt.success.is_(False), LoginAttempt.at >= since
        )
    ).one()
    return count, latest


def seconds_to_wait(email: str, ip: str) -> int:
    """How long this address must wait before trying this account again (0: go ahead)."""
    limits = _limits()
    now = utcnow()
    keys = {
        # A success from this address on this account clears its own count; an address's count
        # over all accounts is not cleared by signing in to the attacker's own account.
        "pair": _failures(LoginAttempt.email == email, LoginAttempt.ip == ip, reset_on_success=True),
        "address": _failures(LoginAttempt.ip == ip, reset_on_success=False),
        "account": _failures(LoginAttempt.email == email, reset_on_success=True),
    }
    wait = 0
    for name, (count, latest) in keys.items():
        pause = limits[name].wait_after(count)
        if pause and latest is not None:
            wait = max(wait, math.ceil(pause - (now - latest).total_seconds()))
    return max(wait, 0)


def authenticate(email: str, password: str, ip: str) -> SignInResult:
    """Check an e-mail and password, within the throttling limits. Records the attempt."""
    email = email.strip().lower()[:255]
    ip = (ip or "")[:64]
    wait = seconds_to_wait(email, ip)
    if wait > 0:
        return SignInResult(None, "throttled", wait)
    user = db.session.scalar(db.select(User).where(User.email == email))
    if user is not None and demo.is_demo_login(user.email) and not current_app.config["LOCAL_MODE"]:
        user = None  # demo logins exist in local mode only
    if user is None:
        check_password_hash(_dummy_hash(), password)  # the same cost as a real account
        ok = False
    else:
        ok = user.check_password(password)
    db.session.add(LoginAttempt(email=email, ip=ip, success=ok))
    db.session.commit()
    return SignInResult(user, None) if ok else SignInResult(None, "invalid")


def choose_language(lang: str) -> None:
    """The language the signed-in person chose: for this session, and remembered on their account
    so that a new browser or phone opens in it too. A support agent acting as a merchant changes
    only the session, never the merchant's own choice."""
    from ...access import STARTED_KEY

    session["lang"] = lang
    if getattr(current_user, "is_authenticated", False) and STARTED_KEY not in session:
        current_user.locale = lang
        db.session.commit()


def start_session(user: User, remember: bool = False) -> None:
    """Sign `user` in with a fresh session token: any cookie from an earlier sign-in stops working."""
    lang = session.get("lang")
    session.clear()
    if lang:  # chosen on the sign-in page: the person's latest choice
        session["lang"] = lang
        user.locale = lang
    user.session_token = secrets.token_urlsafe(32)
    db.session.commit()
    login_user(user, remember=remember)


def end_session() -> None:
    """Sign out server-side: the token of whoever signed in (the agent, while acting as a shop)
    is cleared, so a copied session or remember-me cookie stops working too."""
    holder = _user(session.get(IMPERSONATOR_KEY)) or (current_user if current_user.is_authenticated else None)
    if holder is not None:
        holder.session_token = None
        db.session.commit()
    logout_user()
    session.clear()


def act_as(user: User, holder: User) -> None:
    """Switch the session to `user` while the sign-in of `holder` (a support agent) stays the
    credential: the session carries the agent's token, so it ends when the agent's does."""
    login_user(user)
    session["_user_id"] = f"{user.id}:{holder.session_token or ''}"
    session[IMPERSONATOR_KEY] = holder.id


def _user(user_id) -> User | None:
    """The user with this id, or None for anything that is not an id a row can have."""
    text = str(user_id) if isinstance(user_id, int) else user_id
    if not isinstance(text, str) or not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    if int(text) > MAX_ID:
        return None
    return db.session.get(User, int(text))


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader: "<id>:<session token>" from the session or remember-me cookie."""
    user_part, _sep, token = (user_id or "").partition(":")
    user = _user(user_part) if token else None
    if user is None:
        return None
    holder = user
    impersonator = session.get(IMPERSONATOR_KEY)
    if impersonator is not None:
        agent = _user(impersonator)
        if agent is None or not agent.is_support:
            return None
        holder = agent
    if not holder.session_token or not hmac.compare_digest(holder.session_token, token):
        return None
    if demo.is_demo_login(holder.email) and not current_app.config["LOCAL_MODE"]:
        return None
    return user
