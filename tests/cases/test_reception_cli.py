"""``observatorio cases reception …`` and the municipality code list (loaded as data)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from observatorio.cases.cli import PASSWORD_ENV
from observatorio.cases.errors import Invalid
from observatorio.cases.reception import arrivals, intake
from observatorio.cases.reception.models import ManifestEntry, Municipality
from observatorio.cases.reception.schemas import ArrivalIn, IntakeIn
from observatorio.cases.runtime import Runtime
from observatorio.cli import app

from .conftest import PASSWORD, World, ctx_for
from .reception_files import csv_bytes, people, with_bad_rows

runner = CliRunner()
# Test codes only: no real national code list ships with the project.
MUNICIPALITIES = "code,name,department\nT-0101,Municipio de prueba uno,HN-CR\nT-0102,Municipio de prueba dos,HN-CR\n" \
                 "T-0801,Municipio de prueba tres,HN-FM\n"


def _municipalities(rt: Runtime) -> int:
    with rt.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(Municipality)) or 0)


def test_municipality_list_loads_all_or_nothing_and_then_codes_are_checked(
        rt: Runtime, world: World, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(MUNICIPALITIES + "T-0101,Repetido,HN-CR\nT-9,Sin departamento,XX-99\n,Sin código,HN-CR\n")
    r = runner.invoke(app, ["cases", "reception", "municipalities", "load", str(bad), "--url", rt.url])
    assert r.exit_code == 1
    assert "fila 5, columna code" in r.output and "fila 6, columna department" in r.output
    assert "fila 7, columna code" in r.output and _municipalities(rt) == 0, "nothing loaded"
    assert "row " not in r.output  # in the command line's language only (Spanish by default)
    good = tmp_path / "municipios.csv"
    good.write_text(MUNICIPALITIES)
    r = runner.invoke(app, ["cases", "reception", "municipalities", "load", str(good), "--url", rt.url])
    assert r.exit_code == 0 and "HND: 3" in r.output and _municipalities(rt) == 3
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "hnd_reception")
        arrival = arrivals.create_arrival(ctx, ArrivalIn(mode="bus", arrival_date=dt.date(2025, 8, 1),
                                                         arriving_from="MEX", expected_count=2))
        with pytest.raises(Invalid, match="not on the list of department HN-CR"):
            intake.record_intake(ctx, arrival.id, IntakeIn(given_names="A", department="HN-CR",
                                                           municipality_code="T-0801"), dt.date(2025, 8, 1))
        s.rollback()
        out = intake.record_intake(ctx, arrival.id, IntakeIn(given_names="A", department="HN-CR",
                                                             municipality_code="T-0102"), dt.date(2025, 8, 1))
    assert out.identity_check == "not_on_manifest"


def test_arrival_and_manifest_from_the_command_line(rt: Runtime, world: World, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    base = ["--url", rt.url, "--user", "hnd_reception"]
    r = runner.invoke(app, ["cases", "reception", "arrival", "add", "--mode", "flight", "--date", "2025-08-14",
                            "--from", "usa", "--expected", "40", *base])
    assert r.exit_code == 0, r.output
    arrival_id = r.output.split()[1]  # "Llegada 5 (REF)"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(with_bad_rows(people(40))))
    r = runner.invoke(app, ["cases", "reception", "manifest", "import", arrival_id, str(bad), *base])
    assert r.exit_code == 1 and "fila 13, columna date_of_birth" in r.output and "fila 6, columna sex" in r.output
    with rt.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ManifestEntry)) == 0
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(people(40)))
    r = runner.invoke(app, ["cases", "reception", "manifest", "import", arrival_id, str(good), *base])
    assert r.exit_code == 0 and "40 personas importadas" in r.output
    r = runner.invoke(app, ["cases", "reception", "arrival", "list", *base])
    assert r.exit_code == 0 and "\tmanifiesto 40\t" in r.output
    r = runner.invoke(app, ["cases", "reception", "arrival", "add", "--mode", "boat", "--date", "2025-08-14",
                            "--from", "USA", "--expected", "4", *base])
    assert r.exit_code == 1 and "«Medio»" in r.output and "«flight» o «bus»" in r.output
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    r = runner.invoke(app, ["cases", "reception", "manifest", "import", arrival_id, str(good),
                            "--url", rt.url, "--user", "gtm_officer"])
    assert r.exit_code == 5, "another country's officer: not found, as the API"


def test_reception_demo_needs_the_demo_world(rt: Runtime) -> None:
    r = runner.invoke(app, ["cases", "reception", "demo", "--url", rt.url])
    assert r.exit_code == 1 and "observatorio cases demo" in r.output
