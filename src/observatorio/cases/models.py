"""Storage rows of the cases database (SQLAlchemy 2.0 declarative). API schemas live in schemas.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Explicit constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Timezone-aware now; every stored instant is UTC."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    country: Mapped[str] = mapped_column(String(3), index=True)  # ISO 3166 alpha-3 of the state it serves
    host_country: Mapped[str | None] = mapped_column(String(3))  # consulates: where they sit
    city: Mapped[str | None] = mapped_column(String(120))
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", lazy="selectin", cascade="all, delete-orphan"
    )
    # Deleting a user through the ORM removes its sessions too (the database cascades as well).
    sessions: Mapped[list[AuthSession]] = relationship(
        lazy="select", cascade="all, delete-orphan", passive_deletes=True
    )


class Membership(Base):
    """A user's role in one organisation; a user may hold several."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(lazy="joined")


class Person(Base):
    """The migrant: only the data needed to assist them (data minimisation)."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    given_names: Mapped[str | None] = mapped_column(String(200))
    family_names: Mapped[str | None] = mapped_column(String(200))
    date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    estimated_age: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str] = mapped_column(String(10), default="unknown")
    nationality: Mapped[str | None] = mapped_column(String(3))
    documents: Mapped[list[Any]] = mapped_column(JSON, default=list)
    contacts: Mapped[list[Any]] = mapped_column(JSON, default=list)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    pseudonym: Mapped[str | None] = mapped_column(String(40))  # set once erased
    erased_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    organisation: Mapped[Organisation] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class FamilyLink(Base):
    __tablename__ = "family_link"
    __table_args__ = (UniqueConstraint("person_id", "relative_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    relative_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # mother, father, child, sibling, guardian…


class Case(Base):
    __tablename__ = "case_file"
    __table_args__ = (
        Index("ix_case_file_org_status", "organisation_id", "status"),
        Index("ix_case_file_country_status", "country", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    case_type: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="open")
    risk_level: Mapped[str] = mapped_column(String(10), default="medium")
    summary: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(200))
    # Sensitive field groups (policy.yaml: field_groups): visible only to roles granted them.
    health_details: Mapped[str | None] = mapped_column(Text)
    trafficking_details: Mapped[str | None] = mapped_column(Text)
    child_protection_details: Mapped[str | None] = mapped_column(Text)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    # Denormalised from the organisation so country scope filters without a join.
    country: Mapped[str] = mapped_column(String(3))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    erased_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # The homologated protocol the case follows, fixed at opening ("<case_type>@<version>") and
    # the country whose national variant applies (None: the regional base). See cases/protocols.
    protocol_version: Mapped[str | None] = mapped_column(String(60))
    protocol_variant: Mapped[str | None] = mapped_column(String(3))

    # The policy needs organisation and shares on every check: load them in the same query.
    person: Mapped[Person] = relationship(lazy="select")
    organisation: Mapped[Organisation] = relationship(lazy="joined")
    shares: Mapped[list[CaseShare]] = relationship(lazy="joined", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}


class CaseShare(Base):
    """An explicit grant of a case to another organisation (the referral issue builds on this)."""

    __tablename__ = "case_share"
    __table_args__ = (UniqueConstraint("case_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class CaseStep(Base):
    """A completed step of the case's protocol, with what the step requires to be recorded."""

    __tablename__ = "case_step"
    __table_args__ = (UniqueConstraint("case_id", "step_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    step_id: Mapped[str] = mapped_column(String(40))
    record: Mapped[dict[str, Any]] = mapped_column(JSON)  # record field id -> text
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    completed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class CaseRevision(Base):
    """What each write changed, so a conflicting editor can be shown exactly what moved."""

    __tablename__ = "case_revision"
    __table_args__ = (UniqueConstraint("case_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)  # the version this write produced
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)  # field -> [old, new]
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CaseNote(Base):
    __tablename__ = "case_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    body: Mapped[str | None] = mapped_column(Text)
    # None, or a sensitive field group name: then only roles granted it read the body.
    sensitivity: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CaseService(Base):
    __tablename__ = "case_service"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    service_type: Mapped[str] = mapped_column(String(60))  # legal, medical, shelter, repatriation…
    provider_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    delivered_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CaseTask(Base):
    __tablename__ = "case_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    due_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEntry(Base):
    """One access to personal data, granted or refused. Append-only (database triggers) and
    hash-chained.

    The log is several interleaved chains (``chain``): each entry links to the previous
    entry of its own chain, so concurrent writers contend for one of many tips instead of one.
    ``id`` gives the global order for queries; ``(chain, seq)`` the order within a chain.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        UniqueConstraint("chain", "seq"),
        Index("ix_audit_log_record", "record_type", "record_id"),
        CheckConstraint("outcome IN ('granted', 'denied')", name="outcome"),
        # Refusals are few among many grants: a partial index finds them without slowing appends.
        Index("ix_audit_log_denied", "id", sqlite_where=text("outcome = 'denied'"),
              postgresql_where=text("outcome = 'denied'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    ts: Mapped[str] = mapped_column(String(32), index=True)  # ISO-8601 UTC text: hashed verbatim
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor: Mapped[str] = mapped_column(String(80))
    organisation_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    record_type: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[str | None] = mapped_column(String(40))
    fields: Mapped[str] = mapped_column(Text)  # canonical JSON list of field names (never values)
    source_ip: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # "granted" (the access happened) or "denied" (refused by the policy, or the record is
    # missing or out of reach). Covered by the hash; see audit.entry_hash.
    outcome: Mapped[str] = mapped_column(String(10), default="granted", server_default="granted")


class AuditHead(Base):
    """The tip of each chain; locking one row serialises appends to that chain only."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # the chain number
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64))


class AuditAnchor(Base):
    """A snapshot of every chain's tip at a time (cases/anchors.py). Its ``digest`` is meant to
    be kept outside the system: then a cut tail with a rewritten head no longer verifies."""

    __tablename__ = "audit_anchor"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    at: Mapped[str] = mapped_column(String(32))  # ISO-8601 UTC text: hashed verbatim
    heads: Mapped[str] = mapped_column(Text)  # canonical JSON [[chain, seq, hash], …]


class AuthSession(Base):
    """One issued token (API bearer or browser session), so it can be revoked server-side.

    A token is honoured only while its row exists, names the same user and is not revoked:
    logout revokes one row, a password change or a deactivation every row of the user, and
    deleting a user deletes its rows (so its tokens never pass for a later user given its id).
    ``last_used_at`` (kept to the minute) ends a session left idle (CasesConfig.session_idle_minutes).
    """

    __tablename__ = "auth_session"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # the token's jti
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # "access" (API) or "session" (browser)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LoginFailure(Base):
    """Recent failed logins, shared by all workers, for brute-force throttling."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    source_ip: Mapped[str | None] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

