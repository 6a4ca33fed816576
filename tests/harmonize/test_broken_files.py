"""The validation corpus: broken copies of the real bundled files, one failure kind each.

For every case the report must name file, row, column, value and rule in Spanish and English,
list ALL the failures of the file at once, and leave the store byte-for-byte unchanged — both
through ``observatorio.loading.load_file`` and through the ``observatorio`` command line.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from observatorio.cli import app
from observatorio.harmonize.problems import Problems, ValidationFailed
from observatorio.loading import harmonize_file, load_file
from observatorio.sources.base import Adapter, get_adapter, unregister
from observatorio.sources.mapping import MappingAdapter, MappingInvalid, load_mapping
from observatorio.store import Store

from . import broken_files as bf

runner = CliRunner()


# -- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> dict[str, bf.Case]:
    folder = tmp_path_factory.mktemp("broken")
    before = _data_fingerprint(data_dir)
    cases = bf.cbp_cases(data_dir, folder) + bf.mapping_cases(data_dir, folder)
    assert _data_fingerprint(data_dir) == before  # the helper never writes under data/
    return {c.name: c for c in cases}


@pytest.fixture(scope="module")
def base_store(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """A store that already holds one real release (CBP), so "unchanged" means something."""
    path = tmp_path_factory.mktemp("base") / "base.duckdb"
    with Store.open(path) as store:
        adapter = get_adapter(bf.CBP_SOURCE)
        load_file(store, adapter, adapter.bundled_path(data_dir))
    return path


@pytest.fixture()
def store_copy(base_store: Path, tmp_path: Path) -> Path:
    path = tmp_path / "store.duckdb"
    shutil.copy(base_store, path)
    return path


@pytest.fixture()
def cleanup_ids() -> Iterator[list[str]]:
    ids: list[str] = []
    yield ids
    for source_id in ids:
        unregister(source_id)


def _data_fingerprint(data_dir: Path) -> dict[str, str]:
    return {str(p.relative_to(data_dir)): f"{p.stat().st_size}:{p.stat().st_mtime_ns}"
            for p in sorted(data_dir.rglob("*")) if p.is_file()}


def store_snapshot(path: Path) -> tuple[str, list, list, list, list]:
    """File bytes and every table's content (compared before and after a failed load)."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with Store.open(path, read_only=True) as store:
        tables = [store.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()  # noqa: S608
                  for t in ("observations_history", "loads", "load_warnings", "sources", "store_meta")]
    return (digest, *tables)  # type: ignore[return-value]


def _adapter(case: bf.Case) -> Adapter:
    if case.mapping is not None:
        return MappingAdapter(load_mapping(case.mapping), case.mapping)
    assert case.source is not None
    return get_adapter(case.source)


def _problems(case: bf.Case) -> Problems:
    try:
        adapter = _adapter(case)
    except MappingInvalid as exc:
        return exc.problems
    _, problems, _ = harmonize_file(adapter, case.path)
    return problems


def assert_report(case: bf.Case, problems: Problems) -> None:
    """Every expected problem is there, with place and value, in both languages and as dict."""
    assert problems, f"{case.name}: no problem reported"
    for want in case.expected:
        matches = [
            p for p in problems.items
            if p.rule == want.rule
            and (want.row is None or p.row == want.row)
            and (want.column is None or p.column == want.column)
            and (want.value is None or (p.value is not None and want.value in p.value))
        ]
        assert matches, f"{case.name}: expected {want} in {[(p.rule, p.row, p.column, p.value) for p in problems.items]}"
        found = matches[0]
        for lang in ("es", "en"):
            text = problems.render(lang)
            assert found.file in text
            assert found.file == (case.mapping.name if found.rule == "bad_mapping" and case.mapping
                                  else case.path.name)
            if found.row is not None:
                assert (f"fila {found.row}" if lang == "es" else f"row {found.row}") in text
            if found.column is not None:
                assert (f"«{found.column}»" if lang == "es" else f"'{found.column}'") in text
            if want.value is not None:
                assert want.value in text or repr(want.value)[1:-1] in text
            as_dict = found.as_dict(lang)
            assert as_dict["rule"] == want.rule and as_dict["file"] == found.file
            assert (as_dict["row"], as_dict["column"]) == (found.row, found.column)
            assert as_dict["message"] and as_dict["todo"]
        assert "problema" in problems.render("es") and "problem" in problems.render("en")
    if case.exact_rules:
        assert problems.rules() == {w.rule for w in case.expected}, problems.render("en")
    # All failures at once: at least one reported problem per expected one.
    assert len(problems) >= len(case.expected)
    for key, wanted in case.extra.items():
        assert any(str(wanted) in p.what("en") or str(wanted) in p.what("es") for p in problems.items), key


# -- the corpus ----------------------------------------------------------------------------------

CBP_CASES = [
    "cbp_missing_header", "cbp_renamed_header", "cbp_not_numeric", "cbp_negative", "cbp_fractional",
    "cbp_duplicate_row", "cbp_impossible_month", "cbp_year_1850", "cbp_unknown_citizenship",
    "cbp_unknown_encounter_type", "cbp_blank_count", "cbp_truncated", "cbp_header_only",
    "cbp_empty_file", "cbp_wrong_encoding", "cbp_semicolons", "cbp_html_page", "cbp_binary",
    "cbp_three_errors", "cbp_nul_in_count", "cbp_nul_in_country", "cbp_escape_in_text",
    "khsm_nul_in_cell",
]
MAPPING_CASES = [
    "mapping_mmp_declared_utf8", "mapping_file_with_errors", "mapping_xlsx_missing_sheet", "mapping_xlsx_control_character",
    "mapping_worldbank_two_errors",
]


def test_corpus_is_complete(corpus: dict[str, bf.Case]) -> None:
    assert sorted(corpus) == sorted(CBP_CASES + MAPPING_CASES)
    assert len(corpus) >= 20
    assert len({c.path.name for c in corpus.values() if c.source}) == len(CBP_CASES)


@pytest.mark.parametrize("name", CBP_CASES + MAPPING_CASES)
def test_report_names_file_row_column_value_rule(corpus: dict[str, bf.Case], name: str) -> None:
    assert_report(corpus[name], _problems(corpus[name]))


@pytest.mark.parametrize("name", CBP_CASES + MAPPING_CASES)
def test_failed_load_leaves_store_unchanged(corpus: dict[str, bf.Case], store_copy: Path, name: str) -> None:
    case = corpus[name]
    before = store_snapshot(store_copy)
    # MappingInvalid is a ValidationFailed too.
    with pytest.raises(ValidationFailed) as caught, Store.open(store_copy) as store:
        load_file(store, _adapter(case), case.path)
    assert_report(case, caught.value.problems)
    assert store_snapshot(store_copy) == before


@pytest.mark.parametrize("name", CBP_CASES + MAPPING_CASES)
def test_cli_load_fails_with_the_report_and_changes_nothing(
    corpus: dict[str, bf.Case], store_copy: Path, name: str, cleanup_ids: list[str]
) -> None:
    case = corpus[name]
    before = store_snapshot(store_copy)
    if case.mapping is not None:
        args = ["load", "--mapping", str(case.mapping), "--file", str(case.path)]
        spec = case.mapping.read_text(encoding="utf-8")
        cleanup_ids.append(spec.split("id:", 1)[1].split()[0])
    else:
        args = ["load", str(case.source), "--file", str(case.path)]
    for lang, title in (("es", "no se cargó nada"), ("en", "nothing was loaded")):
        result = runner.invoke(app, ["--db", str(store_copy), "--lang", lang, *args])
        assert result.exit_code == 1, result.output
        output = " ".join(result.output.split())  # Rich wraps long lines
        if case.expected[0].rule != "bad_mapping":
            assert title in output
        assert case.expected[0].rule == "bad_mapping" or case.path.name in output
    assert store_snapshot(store_copy) == before


def test_three_errors_are_all_reported(corpus: dict[str, bf.Case]) -> None:
    problems = _problems(corpus["cbp_three_errors"])
    assert [(p.rule, p.row) for p in sorted(problems.items, key=lambda p: p.row or 0)] == [
        ("not_numeric", 20), ("unknown_country", 30), ("negative", 40)]
    assert len(problems) == 3
    assert problems.render("es").startswith("3 problemas en cbp_three_errors.csv")
    assert problems.render("en").startswith("3 problems in cbp_three_errors.csv")


def test_unknown_citizenship_suggests_the_closest_country(corpus: dict[str, bf.Case]) -> None:
    problem = _problems(corpus["cbp_unknown_citizenship"]).items[0]
    assert problem.what("es").startswith("país no reconocido «Guatemal»; ¿quiso decir Guatemala (GTM)")
    assert problem.what("en").startswith("unknown country 'Guatemal'; did you mean Guatemala (GTM)")


def test_duplicate_row_names_both_rows(corpus: dict[str, bf.Case]) -> None:
    problem = _problems(corpus["cbp_duplicate_row"]).items[0]
    assert "(también en la fila 2)" in problem.what("es")
    assert "(also at row 2)" in problem.what("en")


def test_validate_exit_code_and_json(corpus: dict[str, bf.Case], tmp_path: Path) -> None:
    case = corpus["cbp_three_errors"]
    db = tmp_path / "none.duckdb"
    result = runner.invoke(app, ["--db", str(db), "--lang", "en", "validate", "--source", bf.CBP_SOURCE,
                                 "--file", str(case.path)])
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "3 problems in cbp_three_errors.csv" in text
    assert "row 30, column 'Citizenship Grouping'" in text
    result = runner.invoke(app, ["--db", str(db), "--lang", "es", "validate", "--source", bf.CBP_SOURCE,
                                 "--file", str(case.path), "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert set(report) == {"file", "errors", "warnings", "suppressed"}
    assert report["file"] == "cbp_three_errors.csv" and report["warnings"] == []
    assert {(p["rule"], p["row"], p["column"], p["value"]) for p in report["errors"]} == {
        ("not_numeric", 20, "Encounter Count", "x12"),
        ("unknown_country", 30, "Citizenship Grouping", "Atlantis"),
        ("negative", 40, "value", "-3.0"),
    }
    assert all(p["file"] == "cbp_three_errors.csv" and p["message"] and p["todo"]
               and p["severity"] == "error" for p in report["errors"])
    assert not db.exists()  # validate never creates or touches a store


def test_validate_mapping_file_errors_json(corpus: dict[str, bf.Case], tmp_path: Path) -> None:
    case = corpus["mapping_file_with_errors"]
    result = runner.invoke(app, ["--db", str(tmp_path / "x.duckdb"), "--lang", "en", "validate",
                                 "--mapping", str(case.mapping), "--file", str(case.path)])
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "3 problems in mapping file broken_mapping.yaml" in text
    assert "'file.encodng'" in text and "'dimensions.flow'" in text


def test_good_file_validates(data_dir: Path, tmp_path: Path) -> None:
    path = get_adapter(bf.CBP_SOURCE).bundled_path(data_dir)
    result = runner.invoke(app, ["--db", str(tmp_path / "x.duckdb"), "--lang", "en", "validate",
                                 "--source", bf.CBP_SOURCE, "--file", str(path), "--format", "json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert (report["errors"], report["warnings"]) == ([], [])


# -- broken files of the other adapters (an unregistered adapter fails: UnknownSource) ------------


def _assert_other(path: Path, source: str, rules: set[str], store_copy: Path,
                  row: int | None = None) -> Problems:
    adapter = get_adapter(source)
    before = store_snapshot(store_copy)
    with pytest.raises(ValidationFailed) as caught, Store.open(store_copy) as store:
        load_file(store, adapter, path)
    problems = caught.value.problems
    assert problems.rules() & rules, problems.render("en")
    if row is not None:
        assert any(p.row == row for p in problems.items), problems.render("en")
    for lang in ("es", "en"):
        assert path.name in problems.render(lang)
    result = runner.invoke(app, ["--db", str(store_copy), "load", source, "--file", str(path)])
    assert result.exit_code == 1
    assert store_snapshot(store_copy) == before
    return problems


def test_khsm_corrupt_workbook(tmp_path: Path, store_copy: Path) -> None:
    _assert_other(bf.corrupt_xlsx(tmp_path), "ohss_cbp_usbp_encounters", {"unreadable"}, store_copy)


def test_khsm_workbook_with_a_sheet_missing(data_dir: Path, tmp_path: Path, store_copy: Path) -> None:
    path = bf.khsm_missing_sheet(data_dir, tmp_path)
    _assert_other(path, "ohss_cbp_usbp_encounters", {"missing_sheet", "missing_column", "empty"}, store_copy)


def test_rda_truncated_bzip2(data_dir: Path, tmp_path: Path, store_copy: Path) -> None:
    _assert_other(bf.truncated_rda(data_dir, tmp_path), "iom_gdidata.irreg_honduras", {"unreadable"},
                  store_copy)


def test_unhcr_population_header_removed(data_dir: Path, tmp_path: Path, store_copy: Path) -> None:
    _assert_other(bf.unhcr_header_removed(data_dir, tmp_path), "unhcr_refugee_data_finder.population",
                  {"unreadable", "missing_column"}, store_copy)


def test_unhcr_population_reencoded_latin1(data_dir: Path, tmp_path: Path, store_copy: Path) -> None:
    path, first_non_ascii = bf.unhcr_latin1(data_dir, tmp_path)
    problems = _assert_other(path, "unhcr_refugee_data_finder.population", {"encoding"}, store_copy,
                             row=first_non_ascii)
    assert problems.rules() == {"encoding"}


def test_unhcr_population_preamble_removed_still_loads(data_dir: Path, tmp_path: Path) -> None:
    # Without its preamble the file is still a valid table; it only loses its "Last updated"
    # line, so the release falls back to the bundled copy's (the adapter's declared release).
    adapter = get_adapter("unhcr_refugee_data_finder.population")
    path = bf.unhcr_preamble_removed(data_dir, tmp_path)
    frame, problems, release = harmonize_file(adapter, path)
    assert not problems, problems.render("en")
    assert release == adapter.info.release
    assert len(frame)


def test_worldbank_value_not_numeric(data_dir: Path, tmp_path: Path, store_copy: Path) -> None:
    problems = _assert_other(bf.worldbank_not_numeric(data_dir, tmp_path), "worldbank_population",
                             {"not_numeric"}, store_copy, row=3)
    assert any(p.value and "55.578 hab." in p.value for p in problems.items)


def test_missing_migrants_renamed_header(data_dir: Path, tmp_path: Path, store_copy: Path) -> None:
    problems = _assert_other(bf.mmp_renamed_header(data_dir, tmp_path), "iom_missing_migrants",
                             {"missing_column"}, store_copy, row=1)
    assert any(p.column == "Number of Dead" for p in problems.items)
