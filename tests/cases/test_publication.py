"""Disclosure-controlled publication of case counts (cases/publication, issue #15 item 4).

The attack: for every published table, rebuilt from the rows in the statistics store, linear
programming bounds every suppressed cell from the published cells and margins; each interval
must span at least the threshold."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from observatorio.cases import accounts, demo
from observatorio.cases.api import router
from observatorio.cases.models import AuditEntry, Case, Organisation
from observatorio.cases.publication.attack import suppressed_bounds
from observatorio.cases.publication.records import RECORD_COLUMNS, case_records
from observatorio.cases.publication.run import build_tables, publish
from observatorio.cases.publication.specs import DIMENSION_COLUMN, RETURNEE_TYPES, SPECS
from observatorio.cases.publication.suppression import suppress
from observatorio.cases.publication.tables import Table
from observatorio.cases.publication.writer import SOURCE_ID, observation_frame
from observatorio.cases.runtime import Runtime
from observatorio.harmonize.frame import check_frame
from observatorio.harmonize.problems import Problems
from observatorio.publish.api.cases_publication import router as publication_router
from observatorio.settings import Settings
from observatorio.store.duck import Store

from .conftest import PASSWORD, TEST_SETTINGS, Seeded, login

THRESHOLD = 5
AUGUST = dt.date(2025, 8, 1)


def _table(inner: list[list[int]]) -> Table:
    cells = np.array(inner, dtype=np.int64)
    counts = np.zeros((cells.shape[0] + 1, cells.shape[1] + 1), dtype=np.int64)
    counts[:-1, :-1] = cells
    counts[:-1, -1] = cells.sum(axis=1)
    counts[-1, :-1] = cells.sum(axis=0)
    counts[-1, -1] = cells.sum()
    rows = [f"r{i}" for i in range(cells.shape[0])]
    cols = [f"c{j}" for j in range(cells.shape[1])]
    return Table(SPECS[0], (AUGUST,), rows, cols, counts)


# ------------------------------------------------------------------ the attack, from the store

def _published_as(dimension: str) -> str:
    """The frame column holding a spec dimension (case_type is unpacked from attributes above)."""
    column = DIMENSION_COLUMN[dimension]
    return dimension if column == "attributes" else column


def published_tables(frame: pd.DataFrame) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Rebuild each two-way table with margins from published rows: (name, values, hidden)."""
    out = []
    for spec in SPECS:
        family = frame[frame["table"].str.fullmatch(rf"{spec.name}(\.row_totals|\.column_totals|\.total)?")]
        if family.empty:
            continue
        # dimensions kept in attributes (case_type, the reintegration indicators') as columns
        attributes = [json.loads(a) for a in family["attributes"]]
        keys = sorted({k for a in attributes for k in a})
        family = family.assign(**{k: [a.get(k) for a in attributes] for k in keys})
        layer_columns = [_published_as(d) for d in spec.layers]  # a department layer is a ref_area
        cells = family[family["table"] == spec.name]
        for layer, part in cells.groupby(layer_columns):
            key = layer if isinstance(layer, tuple) else (layer,)
            in_layer = family
            for col, value in zip(layer_columns, key, strict=True):
                in_layer = in_layer[in_layer[col] == value]
            # a record column is published under its contract column (a department as ref_area)
            row_column, column_column = _published_as(spec.rows), _published_as(spec.columns)
            rows = sorted(part[row_column].unique())
            cols = sorted(part[column_column].unique())
            values = np.zeros((len(rows) + 1, len(cols) + 1))
            hidden = np.zeros(values.shape, dtype=bool)
            for rec in in_layer.itertuples():
                r, c = getattr(rec, row_column), getattr(rec, column_column)
                i = rows.index(r) if r != "_T" else len(rows)
                j = cols.index(c) if c != "_T" else len(cols)
                hidden[i, j] = rec.obs_status == "C"
                values[i, j] = 0.0 if hidden[i, j] else float(rec.value)  # type: ignore[arg-type]
            out.append((f"{spec.name}{key}", values, hidden))
    return out


def attack(frame: pd.DataFrame, threshold: int) -> tuple[int, int]:
    """Assert no suppressed cell of any published table is bounded tighter than ``threshold``;
    return (tables, suppressed cells) attacked."""
    tables = published_tables(frame)
    hidden_total = 0
    for name, values, hidden in tables:
        for (i, j), (low, high) in suppressed_bounds(values, hidden).items():
            assert high - low >= threshold, f"{name} cell {(i, j)} narrowed to [{low}, {high}]"
            hidden_total += 1
    return len(tables), hidden_total


# ------------------------------------------------------------------ suppression, pure

def test_small_cells_are_suppressed_and_zeros_are_not() -> None:
    t = _table([[2, 40, 0], [20, 25, 35], [15, 30, 50]])
    suppress(t, THRESHOLD)
    assert t.primary[0, 0] and t.suppressed[0, 0]
    assert not t.suppressed[0, 2], "a zero singles nobody out and stays published"
    assert not t.primary[t.counts >= THRESHOLD].any()


def test_a_row_with_one_small_cell_gets_complements() -> None:
    """One suppressed cell alone in its row would equal the row total minus the rest."""
    t = _table([[3, 40, 30], [20, 25, 35], [15, 30, 50]])
    suppress(t, THRESHOLD)
    assert t.suppressed.sum() >= 4, "the cell, one in its row, one in its column, and the fourth corner"
    for line in (*t.suppressed, *t.suppressed.T):
        assert line.sum() != 1
    for (low, high) in suppressed_bounds(t.counts, t.suppressed).values():
        assert high - low >= THRESHOLD


def test_line_rule_alone_is_not_enough_the_attack_adds_more() -> None:
    """Two small cells hiding each other in a row are still bounded too tightly ([0, 2]):
    the linear-programming check hides more until every interval spans the threshold."""
    t = _table([[1, 1, 60], [30, 40, 50]])
    suppress(t, THRESHOLD)
    for (low, high) in suppressed_bounds(t.counts, t.suppressed).values():
        assert high - low >= THRESHOLD


# ------------------------------------------------------------------ database and store

def _store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "stats.duckdb")


def _in_august(rt: Runtime) -> None:
    with rt.sessions() as s:
        s.execute(update(Case).values(opened_at=dt.datetime(2025, 8, 14, 12, tzinfo=dt.UTC)))
        s.commit()


def test_published_totals_reconcile_with_the_database(rt: Runtime, seeded: Seeded, tmp_path: Path) -> None:
    _in_august(rt)
    with rt.sessions() as s, _store(tmp_path) as store:
        expected = s.scalar(select(func.count()).select_from(Case).where(Case.synthetic.is_(False)))
        result = publish(s, store, AUGUST, THRESHOLD)
        frame = store.query_df("SELECT * FROM observations WHERE source = ?", [SOURCE_ID])
        tables = build_tables(case_records(s, AUGUST), THRESHOLD)
        lineage = store.query_df("SELECT load_id, source FROM loads WHERE source = ?", [SOURCE_ID])
    assert not result.skipped and result.rows == len(frame)
    # Before suppression every table's grand total is the database's count.
    consular = [t for t in tables if t.spec.name == "consular_by_type"]
    assert sum(int(t.counts[-1, -1]) for t in consular) == expected
    total = frame[frame["table"] == "consular_by_type.total"]
    assert total["value"].tolist() == [float(expected)] and total["obs_status"].tolist() == ["A"]
    # Suppressed entries are flagged, never carry a value; published ones equal the database's.
    hidden = frame["obs_status"] == "C"
    assert frame.loc[hidden, "value"].isna().all() and frame.loc[~hidden, "value"].notna().all()
    assert hidden.any(), "eight cases over three countries leave small cells"
    problems = Problems("publication")
    check_frame(frame.drop(columns=["load_id", "loaded_at"]), problems, release=AUGUST)
    assert not problems, problems
    assert lineage["load_id"].tolist() == [result.load_id]
    attack(frame, THRESHOLD)


def test_synthetic_cases_are_not_published(rt: Runtime, seeded: Seeded, tmp_path: Path) -> None:
    _in_august(rt)
    with rt.sessions() as s:
        before = len(case_records(s, AUGUST))
        s.execute(update(Case).where(Case.id == seeded.cases["gtm_mex"]).values(synthetic=True))
        s.commit()
        after = case_records(s, AUGUST)
    assert len(after) == before - 1
    assert list(after.columns) == list(RECORD_COLUMNS), "no identifier or name leaves the records"


def test_publishing_the_same_data_twice_makes_one_release(rt: Runtime, seeded: Seeded, tmp_path: Path) -> None:
    _in_august(rt)
    with rt.sessions() as s, _store(tmp_path) as store:
        first = publish(s, store, AUGUST, THRESHOLD)
        second = publish(s, store, AUGUST, THRESHOLD)
        loads = store.query_df("SELECT count(*) AS n FROM loads WHERE source = ?", [SOURCE_ID])
    assert not first.skipped and second.skipped and second.load_id == first.load_id
    assert int(loads["n"][0]) == 1


# ------------------------------------------------------------------ the API route

def _app(rt: Runtime, tmp_path: Path) -> FastAPI:
    app = FastAPI()
    app.state.settings = Settings(secret_key=TEST_SETTINGS.secret_key, db=tmp_path / "stats.duckdb")
    app.state.cases_runtime = rt
    app.include_router(router)
    app.include_router(publication_router)
    return app


def _denials(rt: Runtime) -> int:
    with rt.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "statistics.publish", AuditEntry.outcome == "denied")) or 0)


def test_publication_route_is_for_publishers_only_and_audited(rt: Runtime, seeded: Seeded, tmp_path: Path) -> None:
    _in_august(rt)
    with rt.sessions() as s:
        regional = s.get(Organisation, seeded.world.orgs["regional_io"])
        assert regional is not None
        accounts.add_user(s, "publisher", PASSWORD, rt.config, [(regional, "publisher")])
        s.commit()
    with TestClient(_app(rt, tmp_path)) as client:
        for username in ("admin", "auditor", "gtm_supervisor", "gtm_head", "hnd_reception"):
            denied_before = _denials(rt)
            r = client.post("/api/v1/cases/publication", json={"period": "2025-08"}, headers=login(client, username))
            assert r.status_code == 403, (username, r.text)
            assert set(r.json()["detail"]) >= {"es", "en"}
            assert _denials(rt) == denied_before + 1, f"{username}'s refusal is audited"
        assert not (tmp_path / "stats.duckdb").exists(), "a refusal opens nothing"
        headers = login(client, "publisher")
        bad = client.post("/api/v1/cases/publication", json={"period": "agosto"}, headers=headers)
        assert bad.status_code == 422 and "YYYY-MM" in bad.json()["detail"]["en"]
        weaker = client.post("/api/v1/cases/publication", json={"period": "2025-08", "threshold": 2}, headers=headers)
        assert weaker.status_code == 422 and "configured" in weaker.json()["detail"]["en"]
        ok = client.post("/api/v1/cases/publication", json={"period": "2025-08"}, headers=headers)
        assert ok.status_code == 200, ok.text
        body = ok.json()
    with rt.sessions() as s:
        granted = s.scalars(select(AuditEntry).where(AuditEntry.action == "statistics.publish",
                                                     AuditEntry.outcome == "granted")).all()
    assert [f"{SOURCE_ID}@{e.record_id}" for e in granted] == [body["load_id"]], "lineage: the run names its release"


# ------------------------------------------------------------------ the attack on two worlds

def test_attack_on_the_demo_world(rt: Runtime, tmp_path: Path) -> None:
    """The demo world is all synthetic (never published): the attack counts it anyway."""
    with rt.sessions() as s:
        demo.build(s, rt.config, n_cases=60, seed=7)
        s.commit()
        records = case_records(s, dt.date.today(), include_synthetic=True)
        every_case = s.query(Case).count()  # the 60 asked for and the referral scenes' cases
    assert len(records) == every_case >= 60
    frame = observation_frame(build_tables(records, THRESHOLD), dt.date.today().replace(day=1), "demo")
    tables, hidden = attack(frame, THRESHOLD)
    assert tables > 0 and hidden > 0
    assert_linked_totals_agree(build_tables(records, THRESHOLD))


def generated_world(n: int, seed: int = 2025) -> pd.DataFrame:
    """``n`` case records with the skew of real case loads: a few big categories, a long tail."""
    rng = np.random.default_rng(seed)

    def pick(codes: list[str], size: int) -> np.ndarray:
        weights = 1.0 / np.arange(1, len(codes) + 1) ** 1.3
        return rng.choice(codes, size=size, p=weights / weights.sum())

    # case records only: returnee records (test_publication_returnees.py) and the reintegration
    # indicators' records (test_reintegration_publication.py) have their own columns
    types = sorted({t for spec in SPECS if {spec.rows, spec.columns, *spec.layers} <= set(RECORD_COLUMNS)
                    for t in spec.case_types} - RETURNEE_TYPES)
    months = [dt.date(2025, m, 1) for m in range(1, 13)]
    case_type = pick(types, n)
    # most returnee_reintegration cases and a few unaccompanied children's were opened at intake
    at_intake = ((case_type == "returnee_reintegration") & (rng.random(n) < 0.8)) | \
                ((case_type == "unaccompanied_child") & (rng.random(n) < 0.3))
    return pd.DataFrame({
        "period": [months[k] for k in rng.integers(0, len(months), size=n)],
        "ref_area": pick(["GTM", "HND", "SLV", "MEX", "NIC", "CRI", "PAN", "BLZ"], n),
        "citizenship": pick(["GTM", "HND", "SLV", "NIC", "VEN", "HTI", "CUB", "ECU", "COL", "_U"], n),
        "sex": pick(["M", "F", "_U"], n),
        "age": pick(["Y18T59", "Y12T17", "Y_LT12", "Y_GE60", "_U"], n),
        "case_type": case_type,
        "at_intake": at_intake,
    }, columns=list(RECORD_COLUMNS))


def test_attack_on_a_generated_world_of_50000_cases() -> None:
    """50,000 records generated as the publication's input frame (the ORM would only slow it)."""
    records = generated_world(50_000)
    tables = build_tables(records, THRESHOLD)
    frame = observation_frame(tables, dt.date(2025, 12, 1), "generated")
    counted = sum(int(t.counts[-1, -1]) for t in tables
                  if t.spec.name in ("consular_by_type", "reintegration_by_sex_age"))
    assert counted == 50_000, "every record is in exactly one consular or reintegration table"
    attacked, hidden = attack(frame, THRESHOLD)
    assert attacked == len(tables) and hidden > 0
    assert_linked_totals_agree(tables)


def assert_linked_totals_agree(tables: list[Table]) -> None:
    """A number published in one table (a country's total) is never hidden in another."""
    status: dict[object, set[bool]] = {}
    for t in tables:
        for i, j in np.ndindex(t.counts.shape):
            status.setdefault(t.entry_key(i, j), set()).add(bool(t.suppressed[i, j]))
    assert all(len(s) == 1 for s in status.values())


# ------------------------------------------------------------------ the command line

def test_cli_publishes_once_and_audits_the_operator(rt: Runtime, seeded: Seeded, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from observatorio.cli import app as main_app
    from observatorio.publish.api.app import create_app

    _in_august(rt)
    store = tmp_path / "stats.duckdb"
    args = ["cases", "publish", "--period", "2025-08", "--url", rt.url, "--db", str(store)]
    first = CliRunner().invoke(main_app, args)
    assert first.exit_code == 0, first.output
    assert "suprimidas (umbral" in first.output and "suppressed (threshold" not in first.output
    again = CliRunner().invoke(main_app, args)
    assert again.exit_code == 0 and "Sin cambios" in again.output
    bad = CliRunner().invoke(main_app, [*args[:3], "2025-8", *args[4:], "--threshold", "0"])
    assert bad.exit_code == 1 and "AAAA-MM" in bad.output and "YYYY-MM" not in bad.output
    with rt.sessions() as s:
        runs = s.scalars(select(AuditEntry).where(AuditEntry.action == "statistics.publish")).all()
    assert len(runs) == 2 and all(e.actor.startswith("cli:") for e in runs)
    assert "/api/v1/cases/publication" in create_app(TEST_SETTINGS).openapi()["paths"]
