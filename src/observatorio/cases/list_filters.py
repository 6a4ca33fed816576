"""The case list's filters as typed in the page's query string, checked, and the choices the
filter form offers. Every choice comes from the cases the user may read (the same SQL scope as
the list), so the form never names an organisation, country or officer outside the user's reach;
they are kept per user for a short while (``KEPT_CHOICES``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from observatorio.cases.kept import Kept
from observatorio.cases.models import Case, Organisation, User
from observatorio.cases.policy import Principal, case_scope_clause
from observatorio.cases.vocab import CaseStatus, CaseType, RiskLevel
from observatorio.publish.web.texts import text

TEXT_PARAMS = ("q", "case_type", "status", "risk_level", "country", "organisation_id", "officer",
               "opened_from", "opened_to")
_ISO3 = re.compile(r"^[A-Za-z]{3}$")


@dataclass
class ListFilters:
    """``shown``: the values as typed (for the form and the page links); ``query``: the checked
    filters for ``case_records.case_query``; ``errors``: one bilingual text per refused parameter."""

    shown: dict[str, str] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)

    def refuse(self, param: str, key: str, **values: Any) -> None:
        self.errors.append({lang: text(key, lang, param=param, **values) for lang in ("es", "en")})


def _clean(value: str | None, limit: int = 100) -> str | None:
    """Bounded, stripped, without control characters; empty as None."""
    if not value:
        return None
    value = value.strip()[:limit]
    return None if not value or any(ord(ch) < 32 for ch in value) else value


def parse(params: Mapping[str, str], user_id: int) -> ListFilters:
    """The filters of a query string; a malformed value is named in ``errors``, never guessed."""
    f = ListFilters()
    for name in TEXT_PARAMS:
        if (value := _clean(params.get(name))) is not None:
            f.shown[name] = value
    if "q" in f.shown:
        f.query["q"] = f.shown["q"]
    for name, vocab in (("case_type", CaseType), ("status", CaseStatus), ("risk_level", RiskLevel)):
        if name in f.shown:
            if f.shown[name] in {m.value for m in vocab}:
                f.query[name] = f.shown[name]
            else:
                f.refuse(name, "cases_forms.bad_choice")
    if "country" in f.shown:
        if _ISO3.match(f.shown["country"]):
            f.query["country"] = f.shown["country"].upper()
        else:
            f.refuse("country", "cases_forms.bad_country")
    if "organisation_id" in f.shown:
        org = f.shown["organisation_id"]
        if org.isdecimal() and len(org) < 10:
            f.query["organisation_id"] = int(org)
        else:
            f.refuse("organisation_id", "cases_forms.bad_choice")
    if "officer" in f.shown:
        officer = f.shown["officer"]
        if officer == "me":
            f.query["officer_id"] = user_id
        elif officer.isdecimal() and len(officer) < 10:
            f.query["officer_id"] = int(officer)
        else:
            f.refuse("officer", "cases_forms.bad_choice")
    for name in ("opened_from", "opened_to"):
        if name in f.shown:
            try:
                f.query[name] = dt.date.fromisoformat(f.shown[name])
            except ValueError:
                f.refuse(name, "cases_forms.bad_date")
    if "opened_from" in f.query and "opened_to" in f.query and f.query["opened_from"] > f.query["opened_to"]:
        f.refuse("opened_to", "cases_forms.dates_reversed")
    return f


@dataclass(frozen=True)
class Choices:
    countries: list[str]
    organisations: list[tuple[int, str]]
    officers: list[tuple[int, str]]


# The filter form's choices, kept a short while per user (cases/kept.py): the statement scans
# every case in the user's reach, for a form that changes only when a case changes holder,
# country or officer; such a change shows in the choices at most 30 s late (never the list).
KEPT_CHOICES: Kept[Choices] = Kept(ttl=30.0, size=1024)


def choices(session: Session, principal: Principal) -> Choices:
    """Countries, organisations and officers of the cases the user may read (kept 30 s)."""
    return KEPT_CHOICES.get(session, principal, "choices", lambda: read_choices(session, principal))


def read_choices(session: Session, principal: Principal) -> Choices:
    """The choices from the database: one statement (the distinct combinations over the list's
    scope), sorted here by code point."""
    rows = session.execute(
        select(Case.country, Organisation.id, Organisation.name, User.id, User.username)
        .join(Organisation, Organisation.id == Case.organisation_id)
        .outerjoin(User, User.id == Case.officer_id)
        .where(case_scope_clause(principal, "case.read")).distinct()).all()
    orgs = {(r[1], r[2]) for r in rows}
    officers = {(r[3], r[4]) for r in rows if r[3] is not None}
    return Choices(sorted({r[0] for r in rows}), sorted(orgs, key=lambda o: (o[1], o[0])),
                   sorted(officers, key=lambda o: (o[1], o[0])))
