"""API schemas (pydantic), kept apart from the storage rows: requests, updates and public views."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from observatorio.api_texts import api_text
from observatorio.cases.bounds import RecordId, Version
from observatorio.cases.transition_models import MAX_REASON
from observatorio.cases.vocab import CaseStatus, CaseType, OrgKind, RiskLevel, Sex
from observatorio.validation_text import refusal

Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(max_length=20000)]
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
# Sane bounds on lists stored with a person (each item is bounded too): enough for real use,
# far from the megabytes an unbounded list let a client store and every read return.
MAX_DOCUMENTS = 20
MAX_CONTACTS = 20


def _plausible_date(value: dt.date) -> dt.date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise refusal("date_out_of_range", earliest=str(EARLIEST_DATE), latest=str(LATEST_DATE))
    return value


def _past_date(value: dt.date) -> dt.date:
    _plausible_date(value)
    if value > dt.date.today():
        raise refusal("birth_date_future")
    return value


SaneDate = Annotated[dt.date, AfterValidator(_plausible_date)]  # due dates, delivery dates
BirthDate = Annotated[dt.date, AfterValidator(_past_date)]
SensitiveGroup = Literal["health", "trafficking", "child_protection"]
Outcome = Literal["granted", "denied"]  # of an audit entry


def _reject_nul(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise refusal("nul_character")
    # A lone surrogate (JSON "\\ud800") is no character: neither database can store it.
    if isinstance(value, str) and not value.isascii() and any("\ud800" <= c <= "\udfff" for c in value):
        raise refusal("lone_surrogate")
    if isinstance(value, dict):
        for v in value.values():
            _reject_nul(v)
    elif isinstance(value, list):
        for v in value:
            _reject_nul(v)
    return value


class _In(BaseModel):
    # Unknown fields are an error, so a typo never silently drops data.
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        # PostgreSQL cannot store NUL in text, SQLite can: refuse it on both, uniformly.
        return _reject_nul(data)


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class PasswordChange(_In):
    """A user's own password change: every session of theirs ends, this one too."""

    current_password: Annotated[str, StringConstraints(max_length=200)]
    new_password: Annotated[str, StringConstraints(min_length=12, max_length=200)]


class OrganisationIn(_In):
    name: Name
    kind: OrgKind
    country: Country
    host_country: Country | None = None
    city: Annotated[str, StringConstraints(max_length=120)] | None = None


class OrganisationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    kind: str
    country: str
    host_country: str | None
    city: str | None


class MembershipOut(BaseModel):
    organisation: OrganisationOut
    role: str


class MeOut(BaseModel):
    id: int
    username: str
    full_name: str
    memberships: list[MembershipOut]


class Document(_In):
    kind: Annotated[str, StringConstraints(min_length=1, max_length=40)]  # passport, national_id, birth_certificate…
    number: Annotated[str, StringConstraints(min_length=1, max_length=60)]
    issuing_country: Country | None = None


class Contact(_In):
    kind: Annotated[str, StringConstraints(min_length=1, max_length=20)]  # phone, email, address, relative
    value: Annotated[str, StringConstraints(min_length=1, max_length=300)]


class PersonCreate(_In):
    given_names: Name
    family_names: Name | None = None
    date_of_birth: BirthDate | None = None
    estimated_age: Annotated[int, Field(ge=0, le=120)] | None = None
    sex: Sex = Sex.UNKNOWN
    nationality: Country | None = None
    documents: Annotated[list[Document], Field(max_length=MAX_DOCUMENTS)] = []
    contacts: Annotated[list[Contact], Field(max_length=MAX_CONTACTS)] = []
    organisation_id: RecordId | None = None  # defaults to the acting user's organisation


class PersonUpdate(_In):
    version: Version
    given_names: Name | None = None
    family_names: Name | None = None
    date_of_birth: BirthDate | None = None
    estimated_age: Annotated[int, Field(ge=0, le=120)] | None = None
    sex: Sex | None = None
    nationality: Country | None = None
    documents: Annotated[list[Document], Field(max_length=MAX_DOCUMENTS)] | None = None
    contacts: Annotated[list[Contact], Field(max_length=MAX_CONTACTS)] | None = None


class FamilyLinkIn(_In):
    relative_id: RecordId
    kind: Literal["mother", "father", "parent", "child", "sibling", "spouse", "guardian", "other"]


class FamilyLinkOut(BaseModel):
    relative_id: int
    kind: str


class PersonOut(BaseModel):
    id: int
    given_names: str | None
    family_names: str | None
    date_of_birth: dt.date | None
    estimated_age: int | None
    sex: str
    nationality: str | None
    documents: list[dict[str, Any]]
    contacts: list[dict[str, Any]]
    organisation_id: int
    family_links: list[FamilyLinkOut] = []
    pseudonym: str | None
    erased: bool
    version: int


class CaseCreate(_In):
    case_type: CaseType
    person_id: RecordId
    risk_level: RiskLevel = RiskLevel.MEDIUM
    summary: Text | None = None
    location: Annotated[str, StringConstraints(max_length=200)] | None = None
    health_details: Text | None = None
    trafficking_details: Text | None = None
    child_protection_details: Text | None = None
    organisation_id: RecordId | None = None
    officer_id: RecordId | None = None


class CaseUpdate(_In):
    """Only the fields sent are changed; ``version`` is the one the editor loaded."""

    version: Version
    risk_level: RiskLevel | None = None
    summary: Text | None = None
    location: Annotated[str, StringConstraints(max_length=200)] | None = None
    health_details: Text | None = None
    trafficking_details: Text | None = None
    child_protection_details: Text | None = None


class CaseTransition(_In):
    version: Version
    to: CaseStatus
    # stored with the revision and shown in the case history (transitions.py)
    reason: Annotated[str, StringConstraints(max_length=MAX_REASON)] | None = None


class CaseAssign(_In):
    version: Version
    organisation_id: RecordId | None = None
    officer_id: RecordId | None = None


class CaseShareIn(_In):
    organisation_id: RecordId
    reason: Text | None = None


class CaseOut(BaseModel):
    id: int
    reference: str
    case_type: str
    status: str
    risk_level: str
    summary: str | None
    location: str | None
    health_details: str | None = None
    trafficking_details: str | None = None
    child_protection_details: str | None = None
    person_id: int
    organisation_id: int
    country: str
    officer_id: int | None
    shared_with: list[int]
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    version: int
    hidden_fields: list[str] = Field(
        description=api_text("api.doc.field.case.hidden_fields")
    )


class CasePage(BaseModel):
    items: list[CaseOut]
    total: int
    limit: int
    offset: int


class PersonPage(BaseModel):
    items: list[PersonOut]
    total: int
    limit: int
    offset: int


class NoteIn(_In):
    body: Annotated[str, StringConstraints(min_length=1, max_length=20000)]
    sensitivity: SensitiveGroup | None = None


class NoteOut(BaseModel):
    id: int
    case_id: int
    author_id: int | None
    body: str | None
    sensitivity: str | None
    hidden: bool
    created_at: dt.datetime


class TaskIn(_In):
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    due_date: SaneDate | None = None
    assignee_id: RecordId | None = None


class TaskUpdate(_In):
    done: bool


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    case_id: int
    title: str
    due_date: dt.date | None
    assignee_id: int | None
    done: bool


class ServiceIn(_In):
    service_type: Annotated[str, StringConstraints(min_length=1, max_length=60)]
    provider_organisation_id: RecordId | None = None
    description: Text | None = None
    status: Literal["planned", "in_progress", "delivered", "cancelled"] = "planned"
    delivered_on: SaneDate | None = None


class ServiceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    case_id: int
    service_type: str
    provider_organisation_id: int | None
    description: str | None
    status: str
    delivered_on: dt.date | None


class AuditOut(BaseModel):
    id: int
    chain: int
    seq: int
    ts: str
    actor_id: int | None
    actor: str
    organisation_id: int | None
    action: str
    record_type: str
    record_id: str | None
    fields: list[str]
    source_ip: str | None
    outcome: Outcome
    hash: str


class VerifyOut(BaseModel):
    ok: bool
    checked: int
    broken_at: int | None
    message: dict[str, str]


class ErasureOut(BaseModel):
    person_id: int
    pseudonym: str
    cases: int = Field(description=api_text("api.doc.field.erasure.cases"))
    person_erased: bool = Field(
        description=api_text("api.doc.field.erasure.person_erased"))
