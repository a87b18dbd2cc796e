"""Sending e-mail to users (password-reset links).

Production: SMTP from the MAIL_* settings. Local mode without MAIL_SERVER: each message is
written as a file to the outbox folder (instance/outbox), readable in the browser at
/dev/outbox, so the flow works on a laptop with no mail server.
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import threading
import uuid
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app

from ...models import utcnow

log = logging.getLogger(__name__)


@dataclass
class Mail:
    to: str
    subject: str
    body: str
    sent_at: str = ""


def outbox_path() -> Path:
    return Path(current_app.config["MAIL_OUTBOX_PATH"])


def uses_outbox() -> bool:
    return bool(current_app.config["LOCAL_MODE"]) and not current_app.config.get("MAIL_SERVER")


def send(mail: Mail) -> None:
    """Deliver `mail`: to the local outbox, or by SMTP in the background (the answer to the
    request must not take longer when an e-mail goes out: that would tell who has an account)."""
    mail.sent_at = utcnow().isoformat(timespec="seconds")
    if uses_outbox():
        folder = outbox_path()
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{utcnow().strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:8]}.json"
        (folder / name).write_text(json.dumps(asdict(mail), ensure_ascii=False))
        return
    settings = {
        k: current_app.config.get(k)
        for k in (
            "MAIL_SERVER",
            "MAIL_PORT",
            "MAIL_USERNAME",
            "MAIL_PASSWORD",
            "MAIL_USE_TLS",
            "MAIL_USE_SSL",
            "MAIL_DEFAULT_SENDER",
        )
    }
    if not settings["MAIL_SERVER"]:
        log.error("An e-mail to a user was not sent: MAIL_SERVER is not configured.")
        return
    threading.Thread(target=_deliver, args=(mail, settings), daemon=True).start()


def _deliver(mail: Mail, settings: dict) -> None:
    message = EmailMessage()
    message["From"] = settings["MAIL_DEFAULT_SENDER"]
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid()
    message.set_content(mail.body)
    try:
        factory = smtplib.SMTP_SSL if settings["MAIL_USE_SSL"] else smtplib.SMTP
        with factory(settings["MAIL_SERVER"], int(settings["MAIL_PORT"]), timeout=20) as smtp:
            if settings["MAIL_USE_TLS"] and not settings["MAIL_USE_SSL"]:
                smtp.starttls(context=ssl.create_default_context())
            if settings["MAIL_USERNAME"]:
                smtp.login(settings["MAIL_USERNAME"], settings["MAIL_PASSWORD"] or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.error("An e-mail to a user could not be sent: %s", exc.__class__.__name__)


def outbox() -> list[Mail]:
    """Messages in the local outbox, newest first."""
    folder = outbox_path()
    if not folder.is_dir():
        return []
    mails = []
    for path in sorted(folder.glob("*.json"), reverse=True)[:50]:
        try:
            mails.append(Mail(**json.loads(path.read_text())))
        except (ValueError, TypeError):
            continue
    return mails
