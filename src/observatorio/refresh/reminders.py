"""Remind each providing organisation, by e-mail, of its sources that are due or overdue in the
submission calendar. One message per organisation, Spanish then English, sent to the
institutional mailbox the directory holds for it (``data_contact``). The body names sources,
periods and dates only: no person, no personal data.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage

from observatorio.errors import ObservatorioError
from observatorio.i18n import LANGS, fmt_date, fmt_month, t
from observatorio.settings import Settings
from observatorio.sources.catalogue import all_source_infos
from observatorio.sources.submission_calendar import CURRENT, Slot

PUBLIC_CALENDAR = {"es": "/es/calendario/", "en": "/en/calendar/"}


@dataclass(frozen=True)
class Provider:
    slug: str
    name: dict[str, str]
    mailbox: str | None


def providers(settings: Settings, slugs: set[str]) -> dict[str, Provider]:
    """The directory's organisations for these slugs (none when the app database is absent).
    SQLAlchemy and the models are imported here, by the reminder command only (the public calendar
    reads the names without them: publish/web/public_case_reads.py)."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session

    from observatorio.cases.db import database_exists, make_engine
    from observatorio.cases.directory_models import DirectoryOrganisation

    url = settings.cases_db_url
    if not database_exists(url):
        return {}
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = session.scalars(select(DirectoryOrganisation).where(DirectoryOrganisation.slug.in_(slugs)))
            return {o.slug: Provider(o.slug, {"es": o.name_es, "en": o.name_en}, o.data_contact) for o in rows}
    except SQLAlchemyError:
        return {}
    finally:
        engine.dispose()


def reminder_mail(provider: Provider, slots: list[Slot], settings: Settings, site: str = "") -> EmailMessage:
    """The reminder for one organisation's due and overdue sources."""
    titles = {info.id: {"es": info.title_es, "en": info.title_en} for info in all_source_infos()}
    parts = []
    for lang in LANGS:
        lines = [t("calendar.mail.intro", lang, provider=provider.name[lang]), ""]
        for s in slots:
            lines.append(t("calendar.mail.line", lang, title=titles.get(s.source, {}).get(lang, s.source),
                           source=s.source, period=_period(s, lang), due=fmt_date(s.due_on, lang),
                           status=t(f"calendar.status.{s.status}", lang)))
        lines += ["", t("calendar.mail.outro", lang, url=f"{site}{PUBLIC_CALENDAR[lang]}")]
        parts.append("\n".join(lines))
    mail = EmailMessage()
    mail["Subject"] = " / ".join(t("calendar.mail.subject", lang, count=len(slots)) for lang in LANGS)
    mail["From"] = settings.smtp_from
    mail["To"] = provider.mailbox or ""
    mail.set_content("\n\n---\n\n".join(parts))
    return mail


def _period(s: Slot, lang: str) -> str:
    return str(s.next_period.year) if s.cadence == "annual" else fmt_month(s.next_period, lang)


def pending_by_provider(slots: list[Slot]) -> dict[str, list[Slot]]:
    out: dict[str, list[Slot]] = {}
    for s in slots:
        if s.status != CURRENT:
            out.setdefault(s.provider, []).append(s)
    return out


@dataclass
class Outcome:
    sent: list[str]  # provider slugs reminded
    missing: list[str]  # providers with something due but no mailbox in the directory


def send_reminders(slots: list[Slot], settings: Settings, dry_run: bool = False, site: str = "") -> Outcome:
    """Send one reminder per organisation with something due (all mails composed before the
    first is sent, so a bad entry stops the run before anyone is mailed)."""
    pending = pending_by_provider(slots)
    known = providers(settings, set(pending))
    mails = [(slug, reminder_mail(known[slug], items, settings, site)) for slug, items in sorted(pending.items())
             if slug in known and known[slug].mailbox]
    outcome = Outcome([slug for slug, _ in mails], sorted(set(pending) - {slug for slug, _ in mails}))
    if dry_run or not mails:
        return outcome
    if not settings.smtp_host:
        raise ReminderError()
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        for _, mail in mails:
            smtp.send_message(mail)
    return outcome


class ReminderError(ObservatorioError):
    """No SMTP server configured although reminders are to be sent."""

    key = "calendar.remind.no_smtp"


def today_utc() -> date:
    from datetime import UTC, datetime

    return datetime.now(UTC).date()
