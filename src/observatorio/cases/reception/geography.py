"""Where a returnee is going: the department (ISO 3166-2, from pycountry) and the municipality.

Municipalities come from a national code list loaded as data (``load_municipalities``), never
from this code: there is no official list in the repository. The file is a CSV (UTF-8, comma)
with the header ``code,name,department``: ``code`` the national statistics office's
municipality code (unique, at most 20 characters), ``name`` its name, ``department`` the ISO
3166-2 code of the department it belongs to (``HN-CR``). A file replaces the list of the
countries it covers, all or nothing. Without a list for a department the municipality is free
text (the intake form says so)."""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd
import pycountry
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from observatorio.cases.errors import Invalid
from observatorio.cases.reception.models import Municipality
from observatorio.cases.reception.problems import invalid_rows, problem

MUNICIPALITY_COLUMNS = ("code", "name", "department")


@dataclass(frozen=True)
class Department:
    code: str  # ISO 3166-2
    name_es: str
    name_en: str


@cache
def departments(country: str) -> tuple[Department, ...]:
    """First-level subdivisions of ``country`` (ISO 3166-1 alpha-3), sorted by code."""
    found = pycountry.countries.get(alpha_3=country)
    if found is None:
        return ()
    es = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["es"], fallback=True)
    subs = pycountry.subdivisions.get(country_code=found.alpha_2) or []
    return tuple(sorted((Department(s.code, es.gettext(s.name), s.name) for s in subs
                         if getattr(s, "parent_code", None) is None), key=lambda d: d.code))


def check_department(country: str, code: str) -> str:
    """``code`` upper-cased if it is a department of ``country``; otherwise a bilingual 422."""
    code = code.strip().upper()
    if code in {d.code for d in departments(country)}:
        return code
    raise Invalid(key="refusal.reception.bad_department", code=code[:10], country=country, example=departments(country)[0].code if departments(country) else "HN-CR", detail={"field": "department"})


def municipalities(session: Session, department: str) -> list[Municipality]:
    return list(session.scalars(select(Municipality).where(Municipality.department == department)
                                .order_by(Municipality.name)))


def has_municipality_list(session: Session, country: str) -> bool:
    return session.scalar(select(Municipality.code).where(Municipality.country == country).limit(1)) is not None


def read_municipalities(path: Path) -> list[Municipality]:
    """The rows of a municipality list file, or an Invalid listing every problem (row, column)."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise Invalid(key="refusal.reception.municipality_file_unreadable", path_name=path.name, error=type(exc).__name__) from None
    missing = [c for c in MUNICIPALITY_COLUMNS if c not in frame.columns]
    if missing:
        raise Invalid(key="refusal.reception.municipality_columns_missing", path_name=path.name, missing=missing)
    problems: list[dict[str, object]] = []
    rows: list[Municipality] = []
    seen: set[str] = set()
    all_departments = {d.code: c.alpha_3 for c in pycountry.countries for d in departments(c.alpha_3)}
    for n, (code, name, dept) in enumerate(frame[list(MUNICIPALITY_COLUMNS)].itertuples(index=False), start=2):
        code, name, dept = code.strip(), name.strip(), dept.strip().upper()
        if any(ord(c) < 32 for c in code + name):
            problems.append(problem(n, "name", "refusal.reception.problem.control_characters"))
            continue
        if not code or len(code) > 20:
            problems.append(problem(n, "code", "refusal.reception.problem.bad_code"))
        elif code in seen:
            problems.append(problem(n, "code", "refusal.reception.problem.repeated_code", code=code))
        seen.add(code)
        if not name or len(name) > 200:
            problems.append(problem(n, "name", "refusal.reception.problem.bad_name"))
        if dept not in all_departments:
            problems.append(problem(n, "department", "refusal.reception.problem.bad_department",
                                    department=dept[:10]))
        else:
            rows.append(Municipality(code=code, name=name, department=dept, country=all_departments[dept]))
    if problems:
        raise invalid_rows(path.name, problems)
    return rows


def load_municipalities(session: Session, path: Path) -> dict[str, int]:
    """Replace the lists of the countries the file covers; all or nothing. Rows per country."""
    rows = read_municipalities(path)
    countries = sorted({m.country for m in rows})
    session.execute(delete(Municipality).where(Municipality.country.in_(countries)))
    session.add_all(rows)
    session.commit()
    return {c: sum(1 for m in rows if m.country == c) for c in countries}
