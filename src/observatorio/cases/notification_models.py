"""Storage rows of the in-app inbox. A notification holds no personal data: its kind, the record
it points to, and a key that makes it idempotent (the same overdue step is announced once)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from observatorio.cases.models import Base, utcnow


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # referral_new, step_overdue, case_assigned, …
    key: Mapped[str] = mapped_column(String(120))  # e.g. "step_overdue:12:identify"
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"))
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    emailed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class NotificationAddress(Base):
    """Where a user's notices are e-mailed (optional; without it the inbox alone)."""

    __tablename__ = "notification_address"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True,
                                         autoincrement=False)
    email: Mapped[str] = mapped_column(String(254))
