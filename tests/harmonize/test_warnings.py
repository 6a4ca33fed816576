"""Warnings: findings users must see that never block a load, on the real bundled files.

UNHCR's asylum decisions publish 174 rows whose "Total decisions" is not the sum of the four
decisions, and 21 country-years reported partly in cases and partly in persons; the IOM digest's
irregular entries leave out three Honduras months copied from its regular entries; UNHCR's
applications do not say which figures are cases. Each is a warning: reported with file, row and
column in Spanish and English, kept in ``load_warnings`` with the load, and never a reason not to
load — while an error still blocks the load and a broken file reports both.

Where the counts come from (recomputed from the raw files, 2026-12-04):

* 174: rows of ``unhcr_refugee_data_finder/asylum-decisions.csv`` whose "Total decisions" is not
  the sum of Recognized decisions, Complementary protection, Rejected decisions and Otherwise
  closed (read with pandas, ``NA`` kept as a stage code). ``mismatch_rows`` re-reads them.
* 21: (Country of asylum (ISO), Year) pairs of that file with both ``C`` and ``P`` in
  "Cases / Persons"; 195 = 174 + 21.
* 334: rows of ``iom_amerdigest/irreg.rda`` with ``geo`` HND and ``t`` in Feb–Apr 2025, the three
  months the digest copied from its regular entries (data/SOURCES.md §8).
* 1: ``unhcr_asylum_applications/asylum-applications.csv`` states no unit, reported once on
  its first row.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from observatorio.cli import app
from observatorio.harmonize.problems import (
    MAX_WARNINGS_PER_RULE,
    WARNINGS_SHOWN,
    Problem,
    Problems,
    ValidationFailed,
)
from observatorio.loading import harmonize_file, load_file, load_file_checked
from observatorio.sources.adapters.unhcr import TOTAL_DECISIONS, total_mismatches
from observatorio.sources.base import get_adapter
from observatorio.sources.readers import ROW, read_csv
from observatorio.store import Store

from .test_broken_files import store_snapshot

runner = CliRunner()

DECISIONS = "unhcr_refugee_data_finder.asylum-decisions"
APPLICATIONS = "unhcr_asylum_applications"
IRREGULAR = "iom_amerdigest.irreg"


@pytest.fixture(scope="module")
def decisions_path(data_dir: Path) -> Path:
    return get_adapter(DECISIONS).bundled_path(data_dir)


@pytest.fixture(scope="module")
def mismatch_rows(decisions_path: Path) -> set[int]:
    """The rows whose published total is not the sum of its parts (read independently)."""
    raw = read_csv(decisions_path, Problems(decisions_path.name))
    assert raw is not None
    return set(raw.loc[total_mismatches(raw), ROW].astype(int))


@pytest.fixture(scope="module")
def decisions_problems(decisions_path: Path) -> Problems:
    _, problems, _ = harmonize_file(get_adapter(DECISIONS), decisions_path)
    return problems


@pytest.fixture(scope="module")
def broken_decisions(decisions_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real decisions file with two errors: an unknown country (row 10) and an unknown
    unit (row 20); neither row is one of the 174 whose total disagrees."""
    with decisions_path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    rows[10 - 1][header.index("Country of asylum (ISO)")] = "ZZZ"
    rows[20 - 1][header.index("Cases / Persons")] = "X"
    path = tmp_path_factory.mktemp("broken_warnings") / decisions_path.name
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


# -- the report -----------------------------------------------------------------------------


def test_decision_total_mismatches_are_warnings_with_rows(
    decisions_problems: Problems, mismatch_rows: set[int]
) -> None:
    problems = decisions_problems
    assert not problems and len(problems) == 0  # no error: the file loads
    mismatches = [w for w in problems.warnings if w.rule == "total_mismatch"]
    assert len(mismatches) == 174 == len(mismatch_rows)
    assert {w.row for w in mismatches} == mismatch_rows
    assert all(w.column == TOTAL_DECISIONS and w.file == "asylum-decisions.csv" for w in mismatches)
    assert all(w.is_warning and w.as_dict()["severity"] == "warning" for w in mismatches)
    first = min(mismatches, key=lambda w: w.row or 0)
    assert first.what("es").startswith(f"el total publicado ({first.value}) no es la suma")
    assert first.what("en").startswith(f"the published total ({first.value}) is not the sum")
    # Warnings flag no row: the contract checks still ran on every row.
    assert not problems.flagged_rows


def test_mixed_cases_and_persons_are_warnings(decisions_problems: Problems) -> None:
    mixed = [w for w in decisions_problems.warnings if w.rule == "mixed_units"]
    assert len(mixed) == 21
    details = {(dict(w.details)["country"], dict(w.details)["year"]) for w in mixed}
    assert ("USA", "2019") in details and ("GBR", "2023") in details
    assert all(w.column == "Cases / Persons" and w.value == "C" and w.row for w in mixed)
    assert decisions_problems.warning_counts() == {"total_mismatch": 174, "mixed_units": 21}


def test_other_adapters_warn_too(data_dir: Path) -> None:
    adapter = get_adapter(IRREGULAR)
    _, problems, _ = harmonize_file(adapter, adapter.bundled_path(data_dir))
    assert not problems
    copied = problems.warnings
    assert [(w.rule, dict(w.details)["country"], w.value) for w in copied] == [
        ("copied_months", "HND", "2025-02"), ("copied_months", "HND", "2025-03"),
        ("copied_months", "HND", "2025-04")]
    assert sum(dict(w.details)["rows"] for w in copied) == 334  # the rows left out
    assert all(w.row and w.column == "t" for w in copied)
    adapter = get_adapter(APPLICATIONS)
    _, problems, _ = harmonize_file(adapter, adapter.bundled_path(data_dir))
    assert not problems
    assert [(w.rule, w.row, w.column) for w in problems.warnings] == [("unit_unstated", 1, "applied")]


def test_report_counts_then_lists_the_first_few_in_both_languages(decisions_problems: Problems) -> None:
    for lang, title, row, more in (
        ("es", "195 avisos en asylum-decisions.csv (no impiden la carga", "fila", "y 185 avisos más"),
        ("en", "195 warnings in asylum-decisions.csv (they do not block the load", "row",
         "and 185 more warnings"),
    ):
        text = decisions_problems.render_warnings(lang)
        lines = text.splitlines()
        assert lines[0].startswith(title) and "total_mismatch × 174" in lines[0]
        assert len(lines) == 1 + WARNINGS_SHOWN + 1 and more in lines[-1]
        # The first few take each rule in turn: the 21 mixed-unit warnings are not hidden.
        assert any("Cases / Persons" in line for line in lines[1:-1])
        assert all(line.startswith(f"- asylum-decisions.csv, {row} ") for line in lines[1:-1])
        everything = decisions_problems.render_warnings(lang, limit=None).splitlines()
        assert len(everything) == 1 + 195


def test_warnings_are_capped_per_rule_and_counted() -> None:
    problems = Problems("f.csv")
    for row in range(MAX_WARNINGS_PER_RULE + 5):
        problems.warn("total_mismatch", row=row + 2, column="c", value=1, parts="2")
    assert len(problems.warnings) == MAX_WARNINGS_PER_RULE
    assert problems.warning_count() == MAX_WARNINGS_PER_RULE + 5
    assert "5 more of the same kind (total_mismatch)" in problems.render_warnings("en", None)
    assert not problems and problems.as_json("en")["suppressed"]["warnings"] == {"total_mismatch": 5}


# -- loading --------------------------------------------------------------------------------


def test_bundled_store_keeps_the_warnings_with_the_load(
    bundled_store: Store, mismatch_rows: set[int]
) -> None:
    """The session store (tests/conftest.py, every bundled file) loaded despite its warnings."""
    # The CSV download's load (the R package release of the same dataset is loaded after it).
    load_id = bundled_store.con.execute(
        "SELECT load_id FROM loads WHERE source = ? AND source_file = 'asylum-decisions.csv'",
        [DECISIONS]).fetchone()[0]
    rows = bundled_store.query_df(
        "SELECT * FROM load_warnings WHERE load_id = ? AND rule = 'total_mismatch' ORDER BY seq",
        [load_id])
    assert len(rows) == 174 and set(rows["source_row"]) == mismatch_rows
    assert set(rows["source_column"]) == {TOTAL_DECISIONS}
    assert rows["message_es"].str.contains("no es la suma").all()
    assert rows["message_en"].str.contains("is not the sum").all()
    first = rows.iloc[0]
    assert json.loads(first["details"])["parts"]
    by_source = dict(bundled_store.con.execute(
        "SELECT l.source, count(*) FROM load_warnings w JOIN loads l USING (load_id) "
        "WHERE l.source_file NOT IN ('asylum_decisions.rda', 'asylum_applications.rda') GROUP BY 1"  # not the UNHCR package
    ).fetchall())
    assert by_source[DECISIONS] == 195 and by_source[IRREGULAR] == 3 and by_source[APPLICATIONS] == 1
    # The flagged rows themselves are loaded, with the published total as an attribute.
    flagged = bundled_store.query_df(
        "SELECT DISTINCT source_row FROM observations_history WHERE load_id = ? "
        "AND attributes->>'total_decisions_published' IS NOT NULL", [load_id])
    assert set(flagged["source_row"]) == mismatch_rows


def test_load_returns_the_warnings_and_a_reload_gives_them_back(
    decisions_path: Path, tmp_path: Path
) -> None:
    adapter = get_adapter(DECISIONS)
    with Store.open(tmp_path / "s.duckdb") as store:
        result, problems = load_file_checked(store, adapter, decisions_path)
        assert not result.skipped and result.rows > 0
        again, stored = load_file_checked(store, adapter, decisions_path)
        assert again.skipped and again.load_id == result.load_id
    assert problems.warning_count() == stored.warning_count() == 195
    assert [(w.rule, w.row, w.column, w.value, w.details) for w in stored.warnings] == [
        (w.rule, w.row, w.column, w.value, w.details) for w in problems.warnings]


def test_errors_still_block_and_a_broken_file_reports_both(
    broken_decisions: Path, mismatch_rows: set[int], tmp_path: Path
) -> None:
    path = tmp_path / "store.duckdb"
    with Store.open(path):
        pass
    before = store_snapshot(path)
    with pytest.raises(ValidationFailed) as caught, Store.open(path) as store:
        load_file(store, get_adapter(DECISIONS), broken_decisions)
    problems = caught.value.problems
    assert {(p.rule, p.row) for p in problems.items} == {("unknown_country", 10), ("unknown_code", 20)}
    assert {w.row for w in problems.warnings if w.rule == "total_mismatch"} == mismatch_rows
    assert store_snapshot(path) == before  # nothing loaded, no warning kept
    for lang, errors, warnings in (("es", "2 problemas", " aviso"), ("en", "2 problems", " warning")):
        text = caught.value.message(lang)
        assert text.startswith(errors) and "174, mixed_units" in text and warnings in text
        assert text.index(errors) < text.index(warnings)


# -- the command line -----------------------------------------------------------------------


def _flat(output: str) -> str:
    return " ".join(output.split())  # Rich wraps long lines


def test_cli_validate_shows_warnings_after_the_summary(
    decisions_path: Path, mismatch_rows: set[int], tmp_path: Path
) -> None:
    db = tmp_path / "none.duckdb"
    args = ["--db", str(db), "validate", "--source", DECISIONS, "--file", str(decisions_path)]
    result = runner.invoke(app, ["--lang", "es", *args])
    assert result.exit_code == 0, result.output
    text = _flat(result.output)
    assert text.startswith("asylum-decisions.csv: sin errores (observaciones: 182.564); 195 avisos")
    assert "195 avisos en asylum-decisions.csv" in text and "use --all-warnings" in text
    assert f"fila {min(mismatch_rows)}, columna «Total decisions»" in text
    everything = _flat(runner.invoke(app, ["--lang", "en", *args, "--all-warnings"]).output)
    assert "--all-warnings" not in everything
    assert everything.count("- asylum-decisions.csv, row ") == 195
    as_json = runner.invoke(app, ["--lang", "en", *args, "--format", "json"])
    assert as_json.exit_code == 0
    report = json.loads(as_json.stdout)
    assert report["errors"] == [] and len(report["warnings"]) == 195
    assert {w["rule"] for w in report["warnings"]} == {"total_mismatch", "mixed_units"}
    assert all(w["severity"] == "warning" and w["row"] and w["column"] and w["message"]
               for w in report["warnings"])
    assert not db.exists()


def test_cli_validate_json_keeps_errors_and_warnings_apart(broken_decisions: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["--db", str(tmp_path / "x.duckdb"), "validate", "--source", DECISIONS,
                                 "--file", str(broken_decisions), "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert {(e["rule"], e["row"]) for e in report["errors"]} == {("unknown_country", 10),
                                                                  ("unknown_code", 20)}
    assert all(e["severity"] == "error" for e in report["errors"])
    assert sum(w["rule"] == "total_mismatch" for w in report["warnings"]) == 174


def test_cli_load_succeeds_with_warnings_and_fails_on_errors(
    decisions_path: Path, broken_decisions: Path, tmp_path: Path
) -> None:
    db = tmp_path / "cli.duckdb"
    base = ["--db", str(db), "--lang", "en", "load", DECISIONS]
    broken = runner.invoke(app, [*base, "--file", str(broken_decisions)])
    assert broken.exit_code == 1
    text = _flat(broken.output)
    assert "2 problems in asylum-decisions.csv: nothing was loaded" in text
    assert "warnings in asylum-decisions.csv (they do not block the load" in text
    assert "row 10, column 'Country of asylum (ISO)'" in text
    everything = _flat(runner.invoke(app, [*base, "--file", str(broken_decisions), "--all-warnings"]).output)
    assert everything.count("column 'Total decisions'") == 174
    loaded = runner.invoke(app, [*base, "--file", str(decisions_path)])
    assert loaded.exit_code == 0, loaded.output
    text = _flat(loaded.output)
    assert text.index("observations loaded") < text.index("195 warnings in asylum-decisions.csv")
    with Store.open(db, read_only=True) as store:
        assert store.con.execute("SELECT count(*) FROM load_warnings").fetchone() == (195,)
    again = _flat(runner.invoke(app, [*base, "--file", str(decisions_path)]).output)
    assert "already loaded" in again and "195 warnings kept with that load" in again


def test_every_kept_warning_belongs_to_a_load(bundled_store: Store) -> None:
    orphans = bundled_store.con.execute(
        "SELECT count(*) FROM load_warnings WHERE load_id NOT IN (SELECT load_id FROM loads)"
    ).fetchone()
    assert orphans == (0,)


def test_counts_in_a_warning_follow_the_language() -> None:
    """UNHCR's unplaced persons were written "12,345" in the Spanish sentence too."""
    warning = Problem(rule="unresolved_location", file="f.csv", value="MEX", severity="warning",
                      details=(("rows", 1200), ("persons", 12345.0), ("levels", "Dispersed"), ("admin1", "—")))
    assert "1.200 filas de MEX (12.345 personas)" in warning.what("es")
    assert "1,200 rows of MEX (12,345 persons)" in warning.what("en")
