"""Storage of the reason an officer gives for moving a case along its lifecycle: one row per
transition that carried one, keyed by the case version the transition produced (so the case
history shows it beside that revision). Free text about the case: erased with the case's text."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from observatorio.cases.models import Base, utcnow

#: The longest reason kept (a few sentences; notes are for anything longer).
MAX_REASON = 2000


class CaseTransitionReason(Base):
    __tablename__ = "case_transition_reason"
    __table_args__ = (UniqueConstraint("case_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"))
    version: Mapped[int]  # the case version the transition produced
    reason: Mapped[str | None] = mapped_column(String(MAX_REASON))  # None once erased
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
