"""Input schemas of the directory and the good-practice registry (API and forms share them).

Every free text refuses control characters; addresses must be http(s); codes follow their
vocabularies, so a bad field answers 422 naming the field, before anything is written.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, model_validator

from observatorio.cases.schemas import _In
from observatorio.validation_text import refusal

# No control characters except tab and newline (multi-line descriptions).
_TEXT = r"^[^\x00-\x08\x0b-\x1f\x7f]*$"
_LINE = r"^[^\x00-\x1f\x7f]*$"
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")]  # audit record ids hold 40
Iso3 = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Line = Annotated[str, Field(min_length=1, max_length=300, pattern=_LINE)]
OptLine = Annotated[str | None, Field(default=None, max_length=300, pattern=_LINE)]
LongText = Annotated[str, Field(max_length=8000, pattern=_TEXT)]
Url = Annotated[str, Field(max_length=500, pattern=r"^https?://[^\s<>\"'\x00-\x1f]+$")]
Period = Annotated[str | None, Field(default=None, pattern=r"^\d{4}(-(0[1-9]|1[0-2]))?$")]

OrgKind = Literal["state_institution", "civil_society", "international"]
MechanismKind = Literal["regional_process", "crm_working_group", "national_roundtable", "network"]
Population = Literal["children", "unaccompanied_children", "returnees", "in_transit",
                     "asylum_seekers_refugees", "women", "migrant_workers", "families", "host_communities"]
POPULATIONS: tuple[str, ...] = Population.__args__  # type: ignore[attr-defined]


class _Strict(_In):
    """The cases side's input rules (unknown fields, NUL and lone surrogates refused), trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OrganisationIn(_Strict):
    slug: Slug
    kind: OrgKind
    country: Iso3 | None = None  # None for international organisations
    name_es: Line
    name_en: Line
    acronym: Annotated[str | None, Field(default=None, max_length=40, pattern=_LINE)] = None
    description_es: LongText = ""
    description_en: LongText = ""
    website: Url | None = None
    # an institutional mailbox for submission reminders (not a person's; never published)
    data_contact: Annotated[str | None, Field(default=None, max_length=200,
                                              pattern=r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[A-Za-z]{2,}$")] = None
    sources: list[Annotated[str, Field(pattern=r"^[a-z0-9_.*-]{2,120}$")]] = Field(default_factory=list,
                                                                                  max_length=50)


class MemberIn(_Strict):
    """A member: a directory organisation (by slug) or a member state (ISO3), not both."""

    organisation: Slug | None = None
    country: Iso3 | None = None

    @model_validator(mode="after")
    def _one(self) -> MemberIn:
        if (self.organisation is None) == (self.country is None):
            raise refusal("member_one_of")
        return self


class MechanismIn(_Strict):
    slug: Slug
    kind: MechanismKind
    country: Iso3 | None = None
    name_es: Line
    name_en: Line
    description_es: LongText = ""
    description_en: LongText = ""
    members: list[MemberIn] = Field(default_factory=list, max_length=200)


class PracticeIn(_Strict):
    """A practice as an organisation submits it: one language is enough, the editor may add the
    other; title and summary go together in each language."""

    country: Iso3
    theme: Annotated[str, Field(pattern=r"^[a-z_]+\.[a-z_]+\.[a-z_]+$")]
    populations: list[Population] = Field(min_length=1, max_length=len(POPULATIONS))
    title_es: OptLine = None
    title_en: OptLine = None
    summary_es: Annotated[str | None, Field(default=None, max_length=2000, pattern=_TEXT)] = None
    summary_en: Annotated[str | None, Field(default=None, max_length=2000, pattern=_TEXT)] = None
    description: Annotated[str, Field(min_length=1, max_length=8000, pattern=_TEXT)]
    results: LongText = ""
    period_start: Period = None
    period_end: Period = None
    contact: Annotated[str, Field(max_length=300, pattern=_LINE)] = ""
    documents: list[Url] = Field(default_factory=list, max_length=10)
    organisations: list[Slug] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _languages(self) -> PracticeIn:
        pairs = [(self.title_es, self.summary_es), (self.title_en, self.summary_en)]
        if not any(t and s for t, s in pairs):
            raise refusal("practice_title_and_summary")
        if any(bool(t) != bool(s) for t, s in pairs):
            raise refusal("practice_language_incomplete")
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise refusal("period_end_before_start")
        return self


class PracticeTranslation(_Strict):
    """An editor completes or corrects the texts (``version``: the one the editor read)."""

    version: int
    title_es: OptLine = None
    title_en: OptLine = None
    summary_es: Annotated[str | None, Field(default=None, max_length=2000, pattern=_TEXT)] = None
    summary_en: Annotated[str | None, Field(default=None, max_length=2000, pattern=_TEXT)] = None


class Moderation(_Strict):
    decision: Literal["publish", "reject"]
    note: Annotated[str, Field(max_length=2000, pattern=_TEXT)] = ""
