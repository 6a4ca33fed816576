"""Manifest files for the reception tests and benchmarks: generated, fictitious people."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

import openpyxl

HEADER = ["nombres", "apellidos", "fecha_nacimiento", "sexo"]
GIVEN = ["Ana", "José", "María", "Luis", "Carmen", "Jorge", "Rosa", "Carlos", "Elena", "Mario"]
FAMILY = ["López", "Martínez", "Hernández", "García", "Reyes", "Flores", "Castro", "Mejía"]


def people(n: int, seed: int = 7, children: int = 0) -> list[list[str]]:
    """``n`` fictitious rows (the first ``children`` born 2012, the rest adults)."""
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        year = 2012 if i < children else rnd.randint(1960, 2004)
        born = dt.date(year, rnd.randint(1, 12), rnd.randint(1, 28))
        rows.append([f"{rnd.choice(GIVEN)} {i}", rnd.choice(FAMILY), born.isoformat(), rnd.choice("FM")])
    return rows


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        born = dt.date.fromisoformat(row[2]) if row[2][:4].isdigit() and len(row[2]) == 10 else row[2]
        sheet.append([row[0], row[1], born, row[3]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_bad_rows(rows: list[list[str]]) -> list[list[str]]:
    """Three rows broken in three ways: data rows 5, 12 and 30 (file rows 6, 13 and 31)."""
    bad = [list(r) for r in rows]
    bad[4][3] = "Z"  # unknown sex
    bad[11][2] = "31/02/1990"  # no such date
    bad[29][0] = ""  # no given names
    return bad
