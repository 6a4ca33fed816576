"""``observatorio refresh --all`` against imitated publishers serving the real files of data/.

One story in three runs: the first loads every source (through a 500, a cut download, paging);
then the publishers change a few things (a newer CBP file with a revised cell, a World Bank
answer with a revised value, a row gone and a new year, and a UNHCR API answering an HTML page
with status 200): exactly the changed sources get a new release, with a change report listing
the revised cells, and the broken one fails alone (exit code 3); a third run changes nothing.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from observatorio.cli import app
from observatorio.sources.base import all_adapters
from observatorio.sources.discovery import spec_for
from observatorio.store import Store

from .publishers import (
    CBP_FILES,
    CBP_NAME,
    MISSING,
    OHSS_FILES,
    OHSS_NAME,
    PACKAGE_FILE,
    UNHCR,
    Publishers,
    _read_csv,
    revise_csv,
)

runner = CliRunner()
CBP = "cbp_sw_land_border_encounters"
WB = "worldbank_population"
APPLICATIONS = "unhcr_asylum_applications"


def _refresh(db: Path, declarations: Path, *args: str, lang: str = "en") -> tuple[int, str]:
    result = runner.invoke(app, ["--db", str(db), "--lang", lang, "refresh", *args,
                                 "--discovery", str(declarations)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, " ".join(result.output.split())


def _loads(db: Path) -> dict[str, list[str]]:
    with Store.open(db, read_only=True) as store:
        rows = store.con.execute("SELECT source, load_id FROM loads ORDER BY source, loaded_at").fetchall()
    out: dict[str, list[str]] = {}
    for source, load_id in rows:
        out.setdefault(source, []).append(load_id)
    return out


def _history_digest(db: Path) -> tuple[int, float]:
    with Store.open(db, read_only=True) as store:
        count, total = store.con.execute(
            "SELECT count(*), sum(coalesce(value, 0)) FROM observations_history").fetchone()
    return int(count), float(total)


def test_refresh_all_loads_exactly_what_changed(
    localhost_only: None, publishers: tuple[Publishers, str], declarations: Path,
    tmp_path: Path, data_dir: Path,
) -> None:
    state, _ = publishers
    db = tmp_path / "store.duckdb"
    declared = sorted(a.info.id for a in all_adapters() if spec_for(a) is not None)
    iom_file = PACKAGE_FILE.format(package="gdidata", tag="v0.2.0", file="irreg_honduras.rda")
    state.fail_once = {MISSING: "500", iom_file: "cut"}

    # 1. Everything is new: every declared source loads, through the 500 and the cut download.
    code, out = _refresh(db, declarations, "--all")
    assert code == 0, out
    assert sorted(_loads(db)) == declared and len(declared) >= 24
    assert f"Summary — loaded: {len(declared)}; unchanged: 0; failed: 0" in out
    assert [s for p, s in state.requests if p == MISSING] == ["500", "200"]
    assert [s for p, s in state.requests if p == iom_file] == ["200-cut", "200"]
    unhcr_pages = [p for p, _ in state.requests if p == UNHCR.format(table="population")]
    assert len(unhcr_pages) > 1  # the API was read page by page
    with Store.open(db, read_only=True) as store:
        # API rows carry their request: every row of the UNHCR population load lies in a range.
        (orphans,) = store.con.execute(
            """SELECT count(*) FROM observations_history h JOIN loads l USING (load_id)
               WHERE l.source = 'unhcr_refugee_data_finder.population' AND NOT EXISTS (
                 SELECT 1 FROM load_requests r WHERE r.load_id = h.load_id
                   AND h.source_row BETWEEN r.first_row AND r.last_row)""").fetchone()
        pages = store.con.execute(
            "SELECT count(*) FROM load_requests r JOIN loads l USING (load_id) "
            "WHERE l.source = 'unhcr_refugee_data_finder.population' AND r.url LIKE '%page=%'").fetchone()
    assert orphans == 0 and pages[0] == len(unhcr_pages)
    first = _loads(db)
    before_failed = _history_digest(db)

    # 2. The publishers change: a newer CBP file (one cell revised), a revised World Bank answer,
    #    and a UNHCR API that answers an HTML page with status 200.
    original = (data_dir / "cbp_sw_land_border_encounters" / CBP_NAME).read_bytes()
    revised, old_cell = revise_csv(original, 2, "Encounter Count", "999999")
    state.publish_cbp({CBP_NAME: original, "sbo-encounters-fy22-fy25-sep.csv": revised})
    rows = _read_csv(data_dir / "worldbank_population" / "population.csv")
    hnd_2020 = next(r for r in rows if r["Country Code"] == "HND" and r["Year"] == "2020")
    hnd_2020["Value"] = str(int(hnd_2020["Value"]) + 1234)
    gone = next(i for i, r in enumerate(rows) if r["Country Code"] == "BLZ" and r["Year"] == "1960")
    del rows[gone]
    rows.append({"Country Name": "Honduras", "Country Code": "HND", "Year": "2025", "Value": "11000000"})
    state.publish_worldbank(rows, updated="2026-01-28")
    state.always_html.add(UNHCR.format(table="asylum-applications"))

    state.requests.clear()
    code, out = _refresh(db, declarations, "--all")
    assert code == 3, out  # some sources failed
    # Unchanged files were asked conditionally: ETag (OHSS, IOM packages), Last-Modified (IOM site).
    assert [s for p, s in state.requests if p == MISSING] == ["304"]
    assert f"{OHSS_FILES}/{OHSS_NAME}" in [p for p, s in state.requests if s == "304"]
    assert sum(s == "304" for _, s in state.requests) == len(declared) - 5  # all but the APIs and CBP
    second = _loads(db)
    changed = sorted(s for s in second if second[s] != first[s])
    assert changed == [CBP, WB], out
    assert all(len(second[s]) == 2 for s in changed)
    assert second[APPLICATIONS] == first[APPLICATIONS]
    assert f"{APPLICATIONS}: FAILED" in out and "returned a web page (text/html)" in out
    assert f"Summary — loaded: 2; unchanged: {len(declared) - 3}; failed: 1" in out
    assert "revised" in out and "999999" in out.replace(",", "")
    with Store.open(db, read_only=True) as store:
        report = {r[0]: r[1:] for r in store.con.execute(
            "SELECT source, previous_load_id, new_periods, added, revised, gone FROM release_changes "
            "WHERE load_id IN (SELECT load_id FROM loads WHERE is_latest)").fetchall()}
        cells = store.con.execute(
            """SELECT l.source, c.change, c.cell, c.old_value, c.new_value FROM release_change_cells c
               JOIN loads l USING (load_id) ORDER BY 1, 2, 3""").fetchall()
        failed = store.con.execute(
            "SELECT result, message_es, message_en FROM refresh_state WHERE source = ?",
            [APPLICATIONS]).fetchone()
    prev_wb = first[WB][0]
    assert report[WB][0] == prev_wb and report[WB][3] == 1 and report[WB][4] == 1
    assert [str(p) for p in report[WB][1]] == ["2025-01-01"] and report[WB][2] == 1
    wb_cells = [(c[1], json.loads(c[2]), c[3], c[4]) for c in cells if c[0] == WB]
    revised_wb = [c for c in wb_cells if c[0] == "revised"]
    assert len(revised_wb) == 1
    assert revised_wb[0][1]["ref_area"] == "HND" and revised_wb[0][1]["period"] == "2020-01-01"
    assert revised_wb[0][3] - revised_wb[0][2] == 1234
    assert [(c[1]["ref_area"], c[1]["period"]) for c in wb_cells if c[0] == "gone"] == [("BLZ", "1960-01-01")]
    cbp_cells = [(c[1], c[3], c[4]) for c in cells if c[0] == CBP]
    assert cbp_cells == [("revised", float(old_cell), 999999.0)]
    assert report[CBP][2:] == (0, 1, 0)
    assert failed[0] == "failed" and "página web" in failed[1] and "web page" in failed[2]
    assert _history_digest(db) != before_failed

    # 3. Nothing changed since: a run loads nothing and the store's releases stay as they are.
    state.always_html.clear()
    digest = _history_digest(db)
    code, out = _refresh(db, declarations, "--all", lang="es")
    assert code == 0, out
    assert _loads(db) == second and _history_digest(db) == digest
    assert "Resumen — cargadas: 0;" in out
    assert f"{CBP}: sin cambios" in out


def test_dry_run_reports_and_writes_nothing(
    localhost_only: None, publishers: tuple[Publishers, str], declarations: Path, tmp_path: Path,
    data_dir: Path,
) -> None:
    state, _ = publishers
    db = tmp_path / "store.duckdb"
    assert _refresh(db, declarations, CBP)[0] == 0
    original = (data_dir / "cbp_sw_land_border_encounters" / CBP_NAME).read_bytes()
    revised, _ = revise_csv(original, 3, "Encounter Count", "7")
    state.publish_cbp({"sbo-encounters-fy22-fy25-sep.csv": revised})
    with Store.open(db, read_only=True) as store:
        before = store.con.execute("SELECT * FROM refresh_state ORDER BY ALL").fetchall()
    bytes_before = db.read_bytes()
    code, out = _refresh(db, declarations, CBP, "--dry-run")
    assert code == 0, out
    assert "a new release is available (1,936 observations); not loaded (--dry-run)" in out
    assert "1 revised" in out
    assert db.read_bytes() == bytes_before
    with Store.open(db, read_only=True) as store:
        assert store.con.execute("SELECT * FROM refresh_state ORDER BY ALL").fetchall() == before
    assert f"{CBP_FILES}/sbo-encounters-fy22-fy25-sep.csv" in [p for p, _ in state.requests]


def test_refresh_needs_sources_or_all_and_names_unknown_ones(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--db", str(tmp_path / "s.duckdb"), "refresh"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["--db", str(tmp_path / "s.duckdb"), "--lang", "en", "refresh", "cbp_sw_land"])
    assert result.exit_code == 1
    assert "cbp_sw_land_border_encounters" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "s.duckdb").exists()


def test_a_dry_run_creates_no_store(tmp_path: Path) -> None:
    """A dry run only reads: without a store it says so (exit 1) and leaves no file behind."""
    db = tmp_path / "s.duckdb"
    result = runner.invoke(app, ["--db", str(db), "--lang", "en", "refresh", CBP, "--dry-run"])
    assert result.exit_code == 1, result.output
    assert "no store at" in " ".join(result.output.split()) and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_freshness_api_shows_each_source_last_attempt_and_next_release(
    localhost_only: None, publishers: tuple[Publishers, str], declarations: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from fastapi.testclient import TestClient

    from observatorio.publish.api.app import create_app
    from observatorio.settings import Settings

    state, _ = publishers
    state.always_html.add(UNHCR.format(table="asylum-applications"))
    db = tmp_path / "store.duckdb"
    code, out = _refresh(db, declarations, WB, APPLICATIONS)
    assert code == 3, out
    from observatorio.publish.web import pages

    with TestClient(create_app(Settings(db=db))) as client:
        rows = {r["source"]: r for r in client.get("/api/v1/freshness/sources?lang=en").json()}
        spanish = {r["source"]: r for r in client.get("/api/v1/freshness/sources").json()}
        monkeypatch.setattr(pages, "today", lambda: date(2026, 3, 1))  # before WB's next release
        page = " ".join(client.get("/en/data/").text.split())
        monkeypatch.setattr(pages, "today", lambda: date(2026, 12, 5))  # after it: late, not "next"
        late = " ".join(client.get("/es/datos/").text.split())
    wb, apps = rows[WB], rows[APPLICATIONS]
    assert wb["result"] == "loaded" and wb["last_release"] == "2025-07-01"
    assert wb["cadence"] == "annual" and wb["next_expected"] == "2026-07-01"
    assert wb["last_attempt"] and wb["last_success"] and wb["loaded_at"]
    assert apps["result"] == "failed" and apps["last_release"] is None and apps["last_success"] is None
    assert "returned a web page" in apps["message"]
    assert "devolvió una página web" in spanish[APPLICATIONS]["message"]
    # The portal's data page says the same, in the page's language.
    assert "new release loaded" in page and "next release expected: Jul 1, 2026" in page
    assert "publicación prevista el 1 jul 2026, aún no cargada" in late
    assert "próxima publicación prevista: 1 jul 2026" not in late


def test_a_store_held_by_another_process_is_a_clear_error(tmp_path: Path) -> None:
    import subprocess
    import sys

    db = tmp_path / "s.duckdb"
    Store.open(db).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, sys; c = duckdb.connect({str(db)!r}); print('HELD', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "HELD"
        result = runner.invoke(app, ["--db", str(db), "--lang", "en", "refresh", CBP])
    finally:
        holder.communicate("")
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "another process holds it open" in text and "Traceback" not in text


@pytest.mark.parametrize(("lang", "exit_codes"), [
    ("es", ("3 alguna fuente falló", "4 todas fallaron")),
    ("en", ("3 some sources failed", "4 every source failed")),
])
def test_help_is_enough_to_run_it(lang: str, exit_codes: tuple[str, ...]) -> None:
    result = runner.invoke(app, ["--lang", lang, "refresh", "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for needed in ("--all", "--dry-run", "--discovery", "--no-mail", *exit_codes, "docs/refresh.md"):
        assert needed in text, needed


def test_api_releases_read_like_the_published_files(
    localhost_only: None, publishers: tuple[Publishers, str], declarations: Path, tmp_path: Path,
    data_dir: Path,
) -> None:
    """The API pages, read through the same adapter, give the very figures of the published CSV
    they imitate: loaded over the bundled release, the change report is empty (or the assembled
    file is the published one, byte for byte, and nothing is loaded)."""
    from observatorio.loading import load_file
    from observatorio.sources.base import get_adapter

    api_sources = [WB, APPLICATIONS, "unhcr_refugee_data_finder.population"]
    db = tmp_path / "store.duckdb"
    with Store.open(db) as store:
        for source in api_sources:
            adapter = get_adapter(source)
            load_file(store, adapter, adapter.bundled_path(data_dir))
    code, out = _refresh(db, declarations, *api_sources)
    assert code == 0, out
    with Store.open(db, read_only=True) as store:
        reports = store.con.execute(
            "SELECT source, previous_load_id IS NOT NULL, new_periods, added, revised, gone "
            "FROM release_changes ORDER BY source").fetchall()
    # The applications table the API gives is even byte for byte the published CSV: unchanged.
    assert f"{APPLICATIONS}: unchanged (same content as release 2025-01-03)" in out
    assert reports == [(s, True, [], 0, 0, 0) for s in sorted(api_sources) if s != APPLICATIONS], out


def test_fetch_without_url_finds_the_release_as_refresh_does(
    localhost_only: None, publishers: tuple[Publishers, str], declarations: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from observatorio.settings import get_settings

    monkeypatch.setenv("OBSERVATORIO_DISCOVERY_FILE", str(declarations))
    get_settings.cache_clear()
    db = tmp_path / "store.duckdb"
    result = runner.invoke(app, ["--db", str(db), "--lang", "en", "fetch", CBP])
    assert result.exit_code == 0, result.output
    assert "1,936 observations loaded" in " ".join(result.output.split())
    assert f"{CBP_FILES}/{CBP_NAME}" in [p for p, _ in publishers[0].requests]
