"""UNHCR's R package `refugees` 2025.12.1: newer releases of the UNHCR datasets already in the
store (one identity, several layouts), and the new demographics and solutions datasets. Check
values of data/SOURCES.md section 11, read back out of a real store."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from observatorio.cli import app
from observatorio.loading import load_bundled, load_file
from observatorio.sources.base import get_adapter
from observatorio.store import Store

POPULATION = "unhcr_refugee_data_finder.population"
APPLICATIONS = "unhcr_asylum_applications"
DECISIONS = "unhcr_refugee_data_finder.asylum-decisions"
SOLUTIONS = "unhcr_refugees_package.solutions"
DEMOGRAPHICS = "unhcr_refugees_package.demographics"
PACKAGE, DOWNLOAD_2024, APPLICATIONS_DOWNLOAD = date(2025, 12, 1), date(2024, 6, 13), date(2025, 1, 3)


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    path = tmp_path_factory.mktemp("unhcr_package") / "store.duckdb"
    adapters = [get_adapter(s) for s in (POPULATION, APPLICATIONS, DECISIONS, SOLUTIONS, DEMOGRAPHICS)]
    with Store.open(path) as store:
        load_bundled(store, adapters, data_dir=data_dir)
    return path


@pytest.fixture()
def store(store_path: Path) -> Iterator[Store]:
    with Store.open(store_path, read_only=True) as opened:
        yield opened


def _sum(store: Store, where: str, params: list[object], relation: str = "observations") -> float:
    row = store.con.execute(f"SELECT sum(value) FROM {relation} WHERE {where}", params).fetchone()  # noqa: S608
    return float(row[0])


def test_each_dataset_has_one_identity_and_one_release_per_layout(store: Store) -> None:
    releases = dict(store.con.execute(
        "SELECT source, list(release ORDER BY release) FROM loads GROUP BY source").fetchall())
    assert releases[POPULATION] == [DOWNLOAD_2024, PACKAGE]
    assert releases[DECISIONS] == [DOWNLOAD_2024, PACKAGE]
    assert releases[APPLICATIONS] == [APPLICATIONS_DOWNLOAD, PACKAGE]
    # observations holds the latest release only: nothing is counted twice.
    assert store.con.execute(
        "SELECT count(DISTINCT release) FROM observations WHERE source IN (?, ?, ?)",
        [POPULATION, DECISIONS, APPLICATIONS]).fetchone()[0] == 1


@pytest.mark.parametrize(("asylum", "year", "expected"), [
    ("MEX", 2022, 118_735), ("MEX", 2023, 140_979), ("CRI", 2022, 129_482), ("CAN", 2023, 146_739)])
def test_new_asylum_applications(store: Store, asylum: str, year: int, expected: int) -> None:
    assert _sum(store, "source = ? AND ref_area = ? AND year(period) = ? "
                "AND json_extract_string(attributes, '$.application_type') = 'N'",
                [APPLICATIONS, asylum, year]) == expected


@pytest.mark.parametrize("release", [APPLICATIONS_DOWNLOAD, PACKAGE])
def test_honduras_to_usa_2018_from_either_release(store: Store, release: date) -> None:
    # All application types; the USA reports part of them as cases (UNHCR adds both, as here).
    assert _sum(store, "source = ? AND citizenship = 'HND' AND ref_area = 'USA' AND year(period) = 2018 "
                "AND release = ?", [APPLICATIONS, release], "observations_history") == 26_241


@pytest.mark.parametrize("release", [DOWNLOAD_2024, PACKAGE])
def test_population_venezuela_to_panama_asylum_seekers(store: Store, release: date) -> None:
    assert _sum(store, "source = ? AND citizenship = 'VEN' AND ref_area = 'PAN' AND year(period) = 2022 "
                "AND flow = 'ASYLUM_SEEKER_STOCK' AND release = ?", [POPULATION, release],
                "observations_history") == 860
    assert _sum(store, "source = ? AND citizenship = 'HND' AND ref_area = 'USA' AND year(period) = 2020 "
                "AND flow = 'ASYLUM_SEEKER_STOCK'", [POPULATION]) == 101_617


def test_resettlement_to_canada_2024(store: Store) -> None:
    assert _sum(store, "source = ? AND ref_area = 'CAN' AND year(period) = 2024 AND flow = 'RESETTLEMENT'",
                [SOLUTIONS]) == 49_261


def test_demographics_mexico(store: Store) -> None:
    children = _sum(store, "source = ? AND \"table\" = 'country of asylum, by sex and age' AND ref_area = 'MEX' "
                    "AND sex IN ('F', 'M') AND age IN ('Y_LT5', 'Y5T11', 'Y12T17')", [DEMOGRAPHICS])
    assert children == 131_128
    by_type = dict(store.con.execute(
        """SELECT flow, sum(value) FROM observations WHERE source = ? AND "table" = 'country of asylum, total'
           AND ref_area = 'MEX' GROUP BY flow""", [DEMOGRAPHICS]).fetchall())
    assert by_type["REFUGEE_STOCK"] == 152_002
    assert by_type["ASYLUM_SEEKER_STOCK"] == 173_532


def test_demographics_admin1_resolved_and_never_mixed_with_countries(store: Store) -> None:
    states = dict(store.con.execute(
        """SELECT ref_area, sum(value) FROM observations WHERE source = ? AND "table" = 'Admin-1 location, total'
           AND ref_area LIKE 'MX-%' GROUP BY ref_area""", [DEMOGRAPHICS]).fetchall())
    assert len(states) == 32  # every state of Mexico, Coahuila de Zaragoza and Ciudad de México included
    assert states["MX-CHP"] > 0
    # The Admin-1 table never holds a country code, the country tables never a subdivision.
    assert store.con.execute(
        """SELECT count(*) FROM observations WHERE source = ? AND
             (("table" LIKE 'Admin-1%') <> (ref_area LIKE '%-%'))""", [DEMOGRAPHICS]).fetchone()[0] == 0
    # What could not be placed is counted in the country table and reported, not dropped.
    dispersed = _sum(store, "source = ? AND \"table\" = 'country of asylum, total' AND ref_area = 'MEX'", [DEMOGRAPHICS])
    assert dispersed > sum(states.values())
    warned = dict(store.con.execute(
        """SELECT source_value, details FROM load_warnings w JOIN loads l USING (load_id)
           WHERE l.source = ? AND w.rule = 'unresolved_location'""", [DEMOGRAPHICS]).fetchall())
    assert "Planification Region" in warned["CRI"]  # Costa Rica's planning regions are not provinces
    assert '"rows": 162' in warned["MEX"]


def test_query_layer_refuses_to_add_a_country_and_its_states(store: Store) -> None:
    from observatorio.store.query import ObservationQuery, QueryError

    query = ObservationQuery.build(filters={"source": [DEMOGRAPHICS], "flow": ["REFUGEE_STOCK"]},
                                   group_by=["flow"])
    with pytest.raises(QueryError) as caught:
        query.run(store)
    assert caught.value.code == "double_count" and caught.value.closest == ["table"]


def _old_download(data_dir: Path, tmp: Path) -> Path:
    """The 2023 layout of the Refugee Data Finder population download: no preamble, 10 columns
    (no Host Community, no Others of concern)."""
    text = (data_dir / "unhcr_refugee_data_finder" / "population.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Year,"))
    rows = list(csv.reader(lines[header:]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow(row[:10])
    assert rows[0][10:] == ["Host Community", "Others of concern"]
    path = tmp / "population-2023.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_older_ten_column_download_loads_as_a_release(data_dir: Path, tmp_path: Path) -> None:
    old = _old_download(data_dir, tmp_path)
    db = tmp_path / "store.duckdb"
    result = CliRunner().invoke(app, ["--db", str(db), "--lang", "en", "load", POPULATION,
                                      "--file", str(old), "--release", "2023-04-03"])
    assert result.exit_code == 0, result.output
    with Store.open(db) as store:
        load_file(store, get_adapter(POPULATION), data_dir / "unhcr_refugee_data_finder" / "population.csv")
        flows = {r[0] for r in store.con.execute(
            "SELECT DISTINCT flow FROM observations_history WHERE release = DATE '2023-04-03'").fetchall()}
        assert "HOST_COMMUNITY_STOCK" not in flows and "REFUGEE_STOCK" in flows  # absent = not published
        same = store.con.execute(
            """SELECT count(*) FROM observations_history o JOIN observations_history n
               USING (period, ref_area, citizenship, flow, attributes)
               WHERE o.release = DATE '2023-04-03' AND n.release = ? AND o.value IS DISTINCT FROM n.value""",
            [DOWNLOAD_2024]).fetchone()[0]
        assert same == 0  # the same figures, two releases: comparable cell by cell
