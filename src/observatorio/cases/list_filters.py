"""The case list's filters as typed in the page's query string, checked, and the choices the
filter form offers. Every choice comes from the cases the user may read (the same SQL scope as
the list), so the form never names an organisation, country or officer outside the user's reach;
they are kept per user for a short while (``CHOICES_TTL``).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

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
    filters for ``service.case_query``; ``errors``: one bilingual text per refused parameter."""

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


# The filter form's choices, kept a short while per database and per principal (issue 14): the
# statement scans every case in the user's reach, on every view of the list, for a form that
# changes only when a case changes holder, country or officer. The key is the whole principal
# (user and every membership, read afresh on each request), so nothing is shared between users
# and a changed membership asks the database again; a case moved meanwhile shows in the choices
# at most CHOICES_TTL seconds late (the list itself is never cached).
CHOICES_TTL = 30.0
CHOICES_KEPT = 1024  # principals per database; the oldest entry goes first
_kept: weakref.WeakKeyDictionary[Engine, OrderedDict[Principal, tuple[float, Choices]]] = \
    weakref.WeakKeyDictionary()
_kept_lock = threading.Lock()


def choices(session: Session, principal: Principal) -> Choices:
    """Countries, organisations and officers of the cases the user may read (``CHOICES_TTL``)."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    now = time.monotonic()
    with _kept_lock:
        kept = _kept.get(engine)
        hit = kept.get(principal) if kept is not None else None
    if hit is not None and now - hit[0] < CHOICES_TTL:
        return hit[1]
    found = read_choices(session, principal)
    with _kept_lock:
        kept = _kept.setdefault(engine, OrderedDict())
        kept[principal] = (now, found)
        kept.move_to_end(principal)
        while len(kept) > CHOICES_KEPT:
            kept.popitem(last=False)
    return found


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
