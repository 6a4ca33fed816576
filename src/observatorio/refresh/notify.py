"""Tell the operators by e-mail (SMTP) when a refresh leaves sources failed."""

from __future__ import annotations

import smtplib
import socket
from email.message import EmailMessage

from observatorio.i18n import LANGS, t
from observatorio.refresh.run import Outcome
from observatorio.refresh.state import FAILED
from observatorio.settings import Settings


def recipients(settings: Settings) -> list[str]:
    return [a.strip() for a in (settings.alert_to or "").split(",") if a.strip()]


def failure_mail(outcomes: list[Outcome], settings: Settings) -> EmailMessage | None:
    """The alert (Spanish, then English) listing every failed source; None if none failed."""
    failed = [o for o in outcomes if o.result == FAILED]
    if not failed:
        return None
    host = socket.gethostname()
    parts = []
    for lang in LANGS:
        parts.append("\n".join([t("refresh.mail_intro", lang, host=host), "",
                                *(f"- {o.message[lang]}" for o in failed)]))
    mail = EmailMessage()
    mail["Subject"] = " / ".join(t("refresh.mail_subject", lang, count=len(failed)) for lang in LANGS)
    mail["From"] = settings.smtp_from
    mail["To"] = ", ".join(recipients(settings))
    mail.set_content("\n\n---\n\n".join(parts))
    return mail


def send_failure_mail(outcomes: list[Outcome], settings: Settings) -> bool:
    """Send the alert when SMTP and recipients are configured; True if one was sent."""
    mail = failure_mail(outcomes, settings)
    if mail is None or not settings.smtp_host or not recipients(settings):
        return False
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(mail)
    return True
