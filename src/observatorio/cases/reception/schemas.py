"""Request and answer schemas of returnee reception (rows are never returned as such)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from observatorio.cases.bounds import RecordId
from observatorio.cases.schemas import BirthDate, Country, Name, SaneDate, _In
from observatorio.cases.vocab import Sex

Mode = Literal["flight", "bus"]
#: the contract's accompaniment codes a reception officer chooses from
Accompaniment = Literal["UNACCOMPANIED", "ACCOMPANIED", "FAMILY_UNIT", "SINGLE_ADULT", "_U"]
Code = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_]{0,39}$")]


class ArrivalIn(_In):
    mode: Mode
    arrival_date: SaneDate
    arriving_from: Country
    expected_count: Annotated[int, Field(ge=1, le=5000)]
    organisation_id: RecordId | None = None  # defaults to the officer's centre


class ArrivalOut(BaseModel):
    id: int
    reference: str
    organisation_id: int
    mode: str
    arrival_date: dt.date
    arriving_from: str
    expected_count: int
    on_manifest: int
    received: int


class ManifestEntryOut(BaseModel):
    """One manifest row. A received row whose person the reader may not read (the child cap)
    comes with ``identity_hidden`` and no identity fields (arrivals.get_arrival)."""

    id: int
    row_number: int
    given_names: str | None = None
    family_names: str | None = None
    date_of_birth: dt.date | None = None
    sex: str | None = None
    intake_id: int | None
    identity_hidden: bool = False


class ArrivalDetail(BaseModel):
    arrival: ArrivalOut
    manifest: list[ManifestEntryOut]


class ManifestImportOut(BaseModel):
    arrival_id: int
    imported: int


class IntakeIn(_In):
    """One person received. With ``manifest_entry_id`` the identity fields left out are taken
    from the manifest; any that differ make the check ``corrected``; without it the person was
    not on the manifest (``not_on_manifest``) and ``given_names`` is required."""

    manifest_entry_id: RecordId | None = None
    given_names: Name | None = None
    family_names: Name | None = None
    date_of_birth: BirthDate | None = None
    sex: Sex | None = None
    department: Annotated[str, StringConstraints(strip_whitespace=True, max_length=6)] | None = None
    municipality_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None
    municipality_text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] | None = None
    accompaniment: Accompaniment = "_U"
    vulnerabilities: Annotated[list[Code], Field(max_length=20)] = []
    services: Annotated[list[Code], Field(max_length=20)] = []


class RequiredReferralOut(BaseModel):
    flag: str
    organisation_kind: str
    protocol: str | None
    step_id: str | None
    es: str
    en: str
    task_id: int | None = None  # the open task on the case, when no mandate covers the referral
    referral_id: int | None = None  # the referral record, when a legal mandate made it
    to_organisation: str | None = None  # its receiver


class IntakeOut(BaseModel):
    id: int
    arrival_id: int
    person_id: int
    case_id: int
    identity_check: str
    required_referrals: list[RequiredReferralOut]
