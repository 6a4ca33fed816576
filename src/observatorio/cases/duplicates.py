"""Possible duplicates of a person about to be registered: same or similar name and date of
birth, among the people the officer may read — never anyone else.

Names are compared without accents, case or word order (rapidfuzz's token sort ratio), so
"José Pérez López" finds "Lopez Jose Perez". A date of birth counts as similar when it differs in
one part only (a typo) or has day and month swapped. Only candidates that pass the one policy
function are shown, and each shown candidate is audited as read (``person.duplicates``).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz
from sqlalchemy import select

from observatorio.cases.models import Case, Person
from observatorio.cases.policy import authorize, person_resource, person_scope_clause
from observatorio.cases.use_context import Ctx, holds

# Name score (0-100) a candidate needs, by how its date of birth compares.
MIN_SCORE = {"same": 70.0, "similar": 85.0, "unknown": 90.0}
MAX_SHOWN = 10
SHOWN_FIELDS = ("given_names", "family_names", "date_of_birth", "nationality")


@dataclass(frozen=True)
class Candidate:
    person_id: int
    given_names: str | None
    family_names: str | None
    date_of_birth: dt.date | None
    nationality: str | None
    score: int
    dob: str  # "same", "similar" or "unknown"


def normalise(name: str) -> str:
    """Lower case, accents and punctuation removed, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    return " ".join(letters.split())


def dob_relation(a: dt.date | None, b: dt.date | None) -> str | None:
    """"same", "similar" (one part differs, or day and month swapped), "unknown" (either
    missing), or None (different)."""
    if a is None or b is None:
        return "unknown"
    if a == b:
        return "same"
    differing = (a.year != b.year) + (a.month != b.month) + (a.day != b.day)
    swapped = a.year == b.year and a.month == b.day and a.day == b.month
    return "similar" if differing == 1 or swapped else None


def possible_duplicates(ctx: Ctx, given_names: str, family_names: str | None,
                        date_of_birth: dt.date | None) -> list[Candidate]:
    """People the user may read whose name and date of birth resemble the ones typed."""
    typed = normalise(f"{given_names} {family_names or ''}")
    if not typed or not holds(ctx.principal, "person.read"):
        return []
    # Only names and dates are read to compare (nothing is shown unless it matches and passes
    # the policy below); erased people have no name left to match.
    rows = ctx.session.execute(
        select(Person.id, Person.given_names, Person.family_names, Person.date_of_birth)
        .where(person_scope_clause(ctx.principal, "person.read"), Person.erased_at.is_(None))).all()
    scored: list[tuple[float, int, str]] = []
    for row in rows:
        relation = dob_relation(date_of_birth, row.date_of_birth)
        if relation is None:
            continue
        score = fuzz.token_sort_ratio(typed, normalise(f"{row.given_names or ''} {row.family_names or ''}"))
        if score >= MIN_SCORE[relation]:
            scored.append((score, row.id, relation))
    scored.sort(key=lambda s: (-s[0], s[1]))
    out: list[Candidate] = []
    for score, person_id, relation in scored[:MAX_SHOWN]:
        person = ctx.session.get(Person, person_id)
        assert person is not None  # just read
        cases = ctx.session.scalars(select(Case).where(Case.person_id == person_id)).unique().all()
        d = authorize(ctx.principal, "person.read", person_resource(person, cases))
        if not d.allowed:  # the SQL filter and the policy must agree; never show on doubt
            continue
        out.append(Candidate(person.id, person.given_names, person.family_names, person.date_of_birth,
                             person.nationality, round(score), relation))
        ctx.log(d, "person.duplicates", "person", person.id, SHOWN_FIELDS)
    ctx.commit()
    return out
