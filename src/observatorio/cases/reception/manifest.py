"""Reading and checking a manifest: the list of people the returning country sends (CSV or XLSX).

Columns (header on the first row, Spanish or English, any order, other columns ignored):
``given_names``/``nombres``, ``family_names``/``apellidos``, ``date_of_birth``/``fecha_nacimiento``
(YYYY-MM-DD or DD/MM/YYYY, or a date cell; empty when not known), ``sex``/``sexo`` (F/M,
female/male, mujer/hombre…; empty or «sin dato» when not known, as the intake form allows).
Every bad row is reported at once with its row number (as a spreadsheet shows it: the header
is row 1) and column; a file with any problem imports nothing. pandas reads the file (CSV with
the C parser, XLSX with calamine), nothing is parsed by hand."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass

import pandas as pd

from observatorio.cases.errors import Invalid
from observatorio.cases.reception.problems import invalid_rows, problem

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 20_000

#: canonical column → accepted header spellings (compared lower-cased, spaces as underscores)
HEADERS: dict[str, tuple[str, ...]] = {
    "given_names": ("given_names", "nombres", "nombre", "first_name", "given_name"),
    "family_names": ("family_names", "apellidos", "apellido", "last_name", "surname"),
    "date_of_birth": ("date_of_birth", "fecha_nacimiento", "fecha_de_nacimiento", "birth_date", "dob"),
    "sex": ("sex", "sexo"),
}
SEXES = {"f": "female", "female": "female", "mujer": "female", "femenino": "female",
         "m": "male", "male": "male", "hombre": "male", "masculino": "male", "h": "male",
         "x": "other", "other": "other", "otro": "other",
         # not known: a transport list often leaves it blank; the intake form offers "no data"
         "": "unknown", "unknown": "unknown", "desconocido": "unknown", "sin dato": "unknown",
         "sin datos": "unknown", "nd": "unknown", "n/d": "unknown", "?": "unknown"}
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00:00(?:\.0+)?)?$")
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


@dataclass(frozen=True)
class ManifestRow:
    row_number: int
    given_names: str
    family_names: str
    date_of_birth: dt.date | None
    sex: str


def _frame(name: str, content: bytes) -> pd.DataFrame:
    lowered = name.lower()
    try:
        if lowered.endswith(".xlsx"):
            return pd.read_excel(io.BytesIO(content), dtype=str, engine="calamine", keep_default_na=False)
        if lowered.endswith(".csv"):
            text = content.decode("utf-8-sig")
            header = text.split("\n", 1)[0]
            # spreadsheets in Spanish locales save CSV with semicolons: the header tells which
            sep = ";" if header.count(";") > header.count(",") else ","
            return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=sep)
    except UnicodeDecodeError:
        raise Invalid(key="refusal.reception.manifest_not_utf8", name=name) from None
    except Exception as exc:  # the readers raise many types for a damaged file
        raise Invalid(key="refusal.reception.manifest_unreadable", name=name, error=type(exc).__name__) from None
    raise Invalid(key="refusal.reception.manifest_format", name=name, detail={"field": "file"})


def _columns(name: str, frame: pd.DataFrame) -> dict[str, str]:
    found: dict[str, str] = {}
    for header in frame.columns:
        key = str(header).strip().lower().replace(" ", "_")
        for canonical, spellings in HEADERS.items():
            if key in spellings and canonical not in found:
                found[canonical] = str(header)
    missing = [c for c in HEADERS if c not in found]
    if missing:
        raise Invalid(key="refusal.reception.manifest_columns_missing", name=name, missing=missing, detail={"field": "file"})
    return found


def parse_date(text: str) -> dt.date | None:
    """A date of birth as a manifest writes it; None when it is not one."""
    text = text.strip()
    try:
        if m := _ISO.match(text):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := _DMY.match(text):
            return dt.date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError:
        return None
    return None


def read_manifest(name: str, content: bytes, today: dt.date) -> list[ManifestRow]:
    """The people of a manifest file, or an Invalid naming every bad row and column."""
    if len(content) > MAX_BYTES:
        raise Invalid(key="refusal.reception.manifest_too_large", name=name, megabytes=MAX_BYTES // 2**20, detail={"field": "file"})
    frame = _frame(name, content)
    columns = _columns(name, frame)
    if frame.empty:
        raise Invalid(key="refusal.reception.manifest_no_rows", name=name, detail={"field": "file"})
    if len(frame) > MAX_ROWS:
        raise Invalid(key="refusal.reception.manifest_too_many_rows", name=name, max_rows=MAX_ROWS, detail={"field": "file"})
    problems: list[dict[str, object]] = []
    rows: list[ManifestRow] = []
    picked = frame[[columns[c] for c in HEADERS]].astype(str)
    for n, (given, family, born, sex) in enumerate(picked.itertuples(index=False), start=2):
        given, family, born, sex = given.strip(), family.strip(), born.strip(), sex.strip().lower()
        bad = len(problems)
        for column, value in (("given_names", given), ("family_names", family)):
            if not value or len(value) > 200 or any(ord(c) < 32 for c in value):
                problems.append(problem(n, column, "refusal.reception.problem.bad_name_text"))
        birth = parse_date(born) if born else None
        if born and (birth is None or birth > today or birth.year < 1900):
            problems.append(problem(n, "date_of_birth", "refusal.reception.problem.bad_birth_date"))
        if sex not in SEXES:
            problems.append(problem(n, "sex", "refusal.reception.problem.bad_sex"))
        if len(problems) == bad:
            rows.append(ManifestRow(n, given, family, birth, SEXES[sex]))
    if problems:
        raise invalid_rows(name, problems)
    return rows
