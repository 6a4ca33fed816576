"""The in-app inbox and its e-mail copy.

A notification says only that something needs the user (a new referral, an overdue protocol
step, a case assigned) and links to it; it holds no personal data, and neither does the e-mail,
whose body is the link alone. Following the link goes through the pages' login and policy
like any other visit. Keys make every notice idempotent: rescanning announces nothing twice.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from observatorio.cases.errors import not_found
from observatorio.cases.models import Case, CaseRevision, CaseStep, Membership, User, utcnow
from observatorio.cases.notification_models import Notification, NotificationAddress
from observatorio.cases.policy import get_policy
from observatorio.cases.protocols.loader import checklist, protocol_of
from observatorio.i18n import in_both
from observatorio.settings import Settings

ASSIGNMENT_LOOKBACK = dt.timedelta(days=7)
KINDS = ("referral_new", "referral_answered", "referral_withdrawn", "referral_case_transferred", "step_overdue",
         "case_assigned")


def receivers(session: Session, organisation_id: int) -> list[int]:
    """The users of an organisation whose role may respond to referrals sent to it."""
    policy = get_policy()
    rows = session.execute(select(Membership.user_id, Membership.role)
                           .join(User, User.id == Membership.user_id)
                           .where(Membership.organisation_id == organisation_id, User.active.is_(True))).all()
    return sorted({uid for uid, role in rows if policy.scope_of(role, "referral.respond")})


def announce(session: Session, user_ids: Iterable[int], kind: str, key: str, *, case_id: int | None = None,
             referral_id: int | None = None) -> int:
    """Add the notice to each user's inbox unless it is there already; how many were added.
    Runs in the caller's transaction (with the change it announces)."""
    assert kind in KINDS, kind
    users = sorted(set(user_ids))
    if not users:
        return 0
    have = set(session.scalars(select(Notification.user_id).where(Notification.key == key,
                                                                  Notification.user_id.in_(users))))
    fresh = [u for u in users if u not in have]
    session.add_all(Notification(user_id=u, kind=kind, key=key, case_id=case_id, referral_id=referral_id,
                                 created_at=utcnow()) for u in fresh)
    return len(fresh)


def link_of(n: Notification) -> str:
    """Where a notice leads (a path of the officer pages)."""
    if n.referral_id is not None:
        return f"/cases/referrals/{n.referral_id}"
    if n.case_id is not None:
        return f"/cases/c/{n.case_id}"
    return "/cases/work"


@dataclass(frozen=True)
class InboxItem:
    id: int
    kind: str
    link: str
    created_at: dt.datetime
    read: bool
    case_id: int | None = None  # the record the notice is about (the page adds its reference)
    referral_id: int | None = None


def inbox(session: Session, user_id: int, limit: int = 50) -> list[InboxItem]:
    """The user's own notices, newest first."""
    rows = session.scalars(select(Notification).where(Notification.user_id == user_id)
                           .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)).all()
    return [InboxItem(n.id, n.kind, link_of(n), n.created_at, n.read_at is not None, n.case_id, n.referral_id)
            for n in rows]


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def mark_read(session: Session, user_id: int, notification_id: int) -> None:
    """Mark one of the user's own notices read (another user's is as missing)."""
    n = session.get(Notification, notification_id)
    if n is None or n.user_id != user_id:
        raise not_found("notification", notification_id)
    n.read_at = n.read_at or utcnow()
    session.commit()


def _completed(session: Session, case_id: int) -> dict[str, dt.datetime]:
    rows = session.execute(select(CaseStep.step_id, CaseStep.completed_at).where(CaseStep.case_id == case_id))
    return {r.step_id: r.completed_at for r in rows}


def scan(session: Session, now: dt.datetime) -> int:
    """Announce what the database shows but nobody was told yet: overdue protocol steps (to the
    case's officer) and cases assigned to an officer (from the revision log). Idempotent."""
    added = 0
    cases = session.scalars(select(Case).where(Case.status != "closed", Case.protocol_version.is_not(None),
                                               Case.officer_id.is_not(None), Case.erased_at.is_(None))).unique().all()
    for case in cases:
        protocol = protocol_of(case.case_type, case.protocol_version, case.protocol_variant)
        if protocol is None or case.officer_id is None:
            continue
        for st in checklist(protocol, case.opened_at, _completed(session, case.id), now):
            if st.overdue:
                added += announce(session, [case.officer_id], "step_overdue",
                                  f"step_overdue:{case.id}:{st.step.id}", case_id=case.id)
    # Only recent writes: the scan runs every few minutes, and older assignments were announced.
    recent = select(CaseRevision).where(CaseRevision.created_at >= now - ASSIGNMENT_LOOKBACK)
    for rev in session.scalars(recent.order_by(CaseRevision.id)):
        officer = (rev.changes or {}).get("officer_id")
        if isinstance(officer, list) and len(officer) == 2 and isinstance(officer[1], int) \
                and officer[1] != rev.user_id:
            added += announce(session, [officer[1]], "case_assigned", f"case_assigned:{rev.case_id}:{rev.version}",
                              case_id=rev.case_id)
    session.commit()
    return added


def send_pending_mail(session: Session, settings: Settings, base_url: str) -> int:
    """E-mail each notice not sent yet to its user's notification address, through the SMTP
    server of the settings. The body is the link only: no name, reference or case detail.
    Nothing is sent without ``OBSERVATORIO_SMTP_HOST``; how many messages went out."""
    if not settings.smtp_host:
        return 0
    rows = session.execute(select(Notification, NotificationAddress.email)
                           .join(NotificationAddress, NotificationAddress.user_id == Notification.user_id)
                           .where(Notification.emailed_at.is_(None)).order_by(Notification.id)).all()
    if not rows:
        return 0
    sent = 0
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user and settings.smtp_password:
            smtp.login(settings.smtp_user, settings.smtp_password)
        for n, email in rows:
            msg = EmailMessage()
            msg["From"], msg["To"] = settings.smtp_from, email
            msg["Subject"] = in_both("cases_cli.mail_subject")
            msg.set_content(f"{base_url.rstrip('/')}{link_of(n)}\n")
            smtp.send_message(msg)
            n.emailed_at = utcnow()
            session.commit()  # one by one: a failure later does not resend those already sent
            sent += 1
    return sent


def set_address(session: Session, user_id: int, email: str | None) -> None:
    """Where the user's notices are e-mailed (None: in-app only)."""
    row = session.get(NotificationAddress, user_id)
    if email is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(NotificationAddress(user_id=user_id, email=email))
    else:
        row.email = email
    session.commit()
