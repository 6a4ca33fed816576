"""Differencing two releases: every run publishes every month up to its period as a new
release, and the store keeps every release (observations_history; the API serves any vintage,
``release=``). A month published again after people were received late (or records edited or
erased) would change by those few people: the same published entry of two releases differing by
1 … threshold−1 gives the late returnee's sex, age band, department, accompaniment and origin
away. A month is published only once closed (end + closing lag, closing.py); a month already
published is published again as it was (frozen), or, with an explicit revision, counted again
and protected against every earlier version of it (revisions.py)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from observatorio.cases.errors import Invalid
from observatorio.cases.publication.revisions import Versions
from observatorio.cases.publication.run import Rules, all_records, build_tables, publish
from observatorio.cases.publication.specs import DIMENSION_COLUMN, SPECS, AggregateSpec
from observatorio.cases.publication.tables import Table
from observatorio.cases.publication.writer import SOURCE_ID, entry_identity, observation_frame
from observatorio.cases.runtime import Runtime
from observatorio.store.duck import Store

from .conftest import World
from .test_publication import THRESHOLD, attack
from .test_publication_differencing import _Joint
from .test_publication_returnees import AUGUST, generated_returnees, receive

ENTRY = ["table", "period", "ref_area", "citizenship", "sex", "age", "attributes", "accompaniment",
         "counterpart_area"]


def test_a_month_published_again_does_not_give_its_late_returnees_away(
        rt: Runtime, world: World, tmp_path: Path) -> None:
    """30 returnees received by 14 August, August published; one more entered late (dated the
    28th), then September's run publishes August again: no entry of August published in both
    releases may differ by 1 … threshold−1."""
    august = _two_releases(rt, world, tmp_path, Rules())
    assert_no_small_change(august)


Layer = tuple[str, ...]
Grid = dict[tuple[str, str], int]


def _truth(rt: Runtime) -> dict[tuple[str, Layer], Grid]:
    """August's tables before suppression (what each release counted), by spec and layer."""
    with rt.sessions() as s:
        return _grids(build_tables(all_records(s, AUGUST), THRESHOLD))


def _grids(tables: list[Table]) -> dict[tuple[str, Layer], Grid]:
    out: dict[tuple[str, Layer], Grid] = {}
    for t in tables:
        if pd.Timestamp(t.layer[0]) == pd.Timestamp(AUGUST):
            codes = [*t.row_codes, "_T"], [*t.column_codes, "_T"]
            out[(t.spec.name, tuple(str(v) for v in t.layer[1:]))] = {
                (codes[0][i], codes[1][j]): int(t.counts[i, j]) for i, j in np.ndindex(t.counts.shape)}
    return out


def _code(row: Any, dimension: str) -> str:
    column = DIMENSION_COLUMN[dimension]
    return str(json.loads(row.attributes)[dimension] if column == "attributes" else getattr(row, column))


def _published(release: pd.DataFrame, spec: AggregateSpec) -> dict[Layer, dict[tuple[str, str], float | None]]:
    """One release's tables of ``spec`` as layer → (row, column) → value (None: hidden)."""
    family = release[release["table"].str.fullmatch(rf"{spec.name}(\.row_totals|\.column_totals|\.total)?")]
    out: dict[Layer, dict[tuple[str, str], float | None]] = {}
    for row in family.itertuples():
        layer = tuple(_code(row, d) for d in spec.layers[1:])
        value = None if row.obs_status == "C" else float(row.value)
        out.setdefault(layer, {})[(_code(row, spec.rows), _code(row, spec.columns))] = value
    return out


def joint_attack(august: pd.DataFrame, truths: list[dict[tuple[str, Layer], Grid]]) -> int:
    """Every two releases of August, table by table, solved as one system by an attacker who
    assumes the later counts at least the earlier (true here: people were only added): no hidden
    entry of either, nor a true change of 1 … threshold−1 hidden in either, narrowed below the
    threshold. Returns the pairs of tables attacked."""
    releases = [part for _, part in sorted(august.groupby("vintage"), key=lambda item: item[0])]
    assert len(releases) == len(truths)
    attacked = 0
    for later in range(1, len(releases)):
        for earlier in range(later):
            for spec in SPECS:
                new, old = _published(releases[later], spec), _published(releases[earlier], spec)
                for layer in new.keys() | old.keys():
                    grids = new.get(layer, {}), old.get(layer, {})
                    rows = sorted({r for g in grids for r, _ in g} - {"_T"}) + ["_T"]
                    columns = sorted({c for g in grids for _, c in g} - {"_T"}) + ["_T"]
                    a, a_hidden, b, b_hidden = (np.zeros((len(rows), len(columns))) for _ in range(4))
                    for grid, values, hidden in ((grids[0], a, a_hidden), (grids[1], b, b_hidden)):
                        for (r, c), value in grid.items():
                            hidden[rows.index(r), columns.index(c)] = value is None
                            values[rows.index(r), columns.index(c)] = value or 0.0
                    a_hidden, b_hidden = a_hidden.astype(bool), b_hidden.astype(bool)
                    true = [truths[k].get((spec.name, layer), {}) for k in (later, earlier)]
                    joint = _Joint(a, a_hidden, b, b_hidden, True)
                    for i, j in np.argwhere(a_hidden | b_hidden):
                        ij = (int(i), int(j))
                        change = abs(true[0].get((rows[i], columns[j]), 0) - true[1].get((rows[i], columns[j]), 0))
                        for weights, applies in (((1.0, -1.0), 1 <= change < THRESHOLD), ((1.0, 0.0), a_hidden[ij]),
                                                 ((0.0, 1.0), b_hidden[ij])):
                            if applies:
                                low, high = joint.bounds(ij, weights)
                                assert high - low >= THRESHOLD, (spec.name, layer, rows[i], columns[j], weights,
                                                                 low, high, earlier, later)
                    attacked += 1
    return attacked


def _two_releases(rt: Runtime, world: World, tmp_path: Path, second: Rules,
                  truths: list[dict[tuple[str, Layer], Grid]] | None = None) -> pd.DataFrame:
    """August published, one returnee entered late, September published (``second``); the
    tables each counted before suppression are appended to ``truths``."""
    receive(rt, world, 30, dt.date(2025, 8, 14), children=2)
    with rt.sessions() as s, Store.open(tmp_path / "stats.duckdb") as store:
        assert not publish(s, store, AUGUST, THRESHOLD).skipped
    truths = [] if truths is None else truths
    truths.append(_truth(rt))
    receive(rt, world, 1, dt.date(2025, 8, 28), origin="MEX")
    truths.append(_truth(rt))
    with rt.sessions() as s, Store.open(tmp_path / "stats.duckdb") as store:
        assert not publish(s, store, dt.date(2025, 9, 1), THRESHOLD, second).skipped
        return august_releases(store)


def august_releases(store: Store) -> pd.DataFrame:
    rows = store.query_df("SELECT h.*, l.loaded_at AS vintage FROM observations_history h "
                          "JOIN loads l USING (load_id) WHERE h.source = ?", [SOURCE_ID])
    return rows[pd.to_datetime(rows["period"]) == pd.Timestamp(AUGUST)]


def assert_no_small_change(august: pd.DataFrame) -> None:
    """Each release of August resists the attack alone, and no entry both publish changed by a few."""
    for _, release in august.groupby("vintage"):
        attack(release.drop(columns=["vintage", "load_id", "loaded_at"], errors="ignore"), THRESHOLD)
    published = august[august["obs_status"] != "C"]
    both = published.pivot_table(index=ENTRY, columns="vintage", values="value", aggfunc="first").dropna()
    assert both.shape[1] >= 2, "August is in every release"
    for k in range(1, both.shape[1]):
        for earlier in range(k):
            change = (both.iloc[:, k] - both.iloc[:, earlier]).abs()
            small = change[(change >= 1) & (change < THRESHOLD)]
            assert small.empty, f"{len(small)} entries of August differ by a few between releases:\n{small.head(12)}"


def test_a_month_already_published_is_published_again_as_it_was(
        rt: Runtime, world: World, tmp_path: Path) -> None:
    """Frozen by default: September's release publishes August's rows exactly as August's did."""
    august = _two_releases(rt, world, tmp_path, Rules())
    first, second = (part.drop(columns=["vintage", "load_id", "loaded_at", "release", "source_file"])
                     .sort_values(ENTRY).reset_index(drop=True) for _, part in august.groupby("vintage"))
    pd.testing.assert_frame_equal(first, second)


def test_a_revision_counts_the_late_returnee_only_where_it_gives_nobody_away(
        rt: Runtime, world: World, tmp_path: Path) -> None:
    """With ``revise``, August is counted again (its total is no longer the first release's)
    and protected against it; a second revision is protected against both earlier versions."""
    truths: list[dict[tuple[str, Layer], Grid]] = []
    august = _two_releases(rt, world, tmp_path, Rules(revise=True), truths)
    assert_no_small_change(august)
    joint_attack(august, truths)
    first, second = (part.set_index(ENTRY)[["value", "obs_status"]].sort_index()
                     for _, part in august.groupby("vintage"))
    assert not first.equals(second), "counted again, not frozen"
    assert second["obs_status"].eq("C").sum() > first["obs_status"].eq("C").sum(), "what changed by one is hidden"
    receive(rt, world, 6, dt.date(2025, 8, 30), origin="MEX")
    with rt.sessions() as s, Store.open(tmp_path / "stats.duckdb") as store:
        assert not publish(s, store, dt.date(2025, 10, 1), THRESHOLD, Rules(revise=True)).skipped
        august = august_releases(store)
    assert august["vintage"].nunique() == 3
    assert_no_small_change(august)
    joint_attack(august, [*truths, _truth(rt)])


def test_a_month_is_published_only_once_closed(rt: Runtime, world: World, tmp_path: Path) -> None:
    """August closes 15 days after its end (the default lag): asked for on 15 September, the run
    is refused, saying in both languages from when; on the 16th it publishes."""
    receive(rt, world, 30, dt.date(2025, 8, 14), children=2)
    with rt.sessions() as s, Store.open(tmp_path / "stats.duckdb") as store:
        with pytest.raises(Invalid) as refused:
            publish(s, store, AUGUST, THRESHOLD, Rules(today=dt.date(2025, 9, 15)))
        assert refused.value.key == "cases.refusal.month_not_closed"
        assert "2025-09-16" in refused.value.message("es") and "2025-09-16" in refused.value.message("en")
        assert store.query_df("SELECT count(*) AS n FROM loads")["n"][0] == 0
        with pytest.raises(Invalid):  # a shorter lag is the deployment's choice, not the caller's clock
            publish(s, store, AUGUST, THRESHOLD, Rules(today=dt.date(2025, 8, 31), closing_days=0))
        assert not publish(s, store, AUGUST, THRESHOLD, Rules(today=dt.date(2025, 9, 1), closing_days=0)).skipped
        with pytest.raises(Invalid) as july:  # July closed on 16 August: refused only for having no cases
            publish(s, store, dt.date(2025, 7, 1), THRESHOLD, Rules(today=dt.date(2025, 8, 16)))
        assert july.value.key == "cases.refusal.nothing_to_publish"


def test_the_route_refuses_a_month_not_closed_before_opening_the_store(
        rt: Runtime, world: World, tmp_path: Path) -> None:
    """Through the API, the clock is the app's (``cases_clock``): on 15 September August is
    refused (422, both languages, the day it opens) and no store is created; on the 16th it
    publishes, and ``revise`` is accepted."""
    from fastapi.testclient import TestClient

    from .conftest import login
    from .test_publication import _app
    from .test_publication_revise import add_reviser

    receive(rt, world, 30, dt.date(2025, 8, 14), children=2)
    app = _app(rt, tmp_path)
    with TestClient(app) as client:
        headers = login(client, "stats_publisher")
        app.state.cases_clock = lambda: dt.datetime(2025, 9, 15, 23, 59, tzinfo=dt.UTC)
        early = client.post("/api/v1/cases/publication", json={"period": "2025-08"}, headers=headers)
        assert early.status_code == 422, early.text
        assert "2025-09-16" in early.json()["detail"]["es"] and "2025-09-16" in early.json()["detail"]["en"]
        assert not (tmp_path / "stats.duckdb").exists(), "a refusal opens nothing"
        app.state.cases_clock = lambda: dt.datetime(2025, 9, 16, 0, 1, tzinfo=dt.UTC)
        ok = client.post("/api/v1/cases/publication", json={"period": "2025-08"}, headers=headers)
        assert ok.status_code == 200 and not ok.json()["skipped"], ok.text
        reviser = login(client, add_reviser(rt, world))  # a revision: publication.revise and a reason
        again = client.post("/api/v1/cases/publication", json={"period": "2025-08", "revise": True,
                                                             "reason": "Recuento tras ingresos tardíos"},
                            headers=reviser)
        assert again.status_code == 200 and again.json()["skipped"], "nothing changed: the same release"


def test_cli_refuses_the_running_month_and_revises_when_asked(rt: Runtime, world: World, tmp_path: Path) -> None:
    """The running month is never closed, whatever today is; ``--revise`` publishes the late
    returnee's August again, protected (no entry changed by a few)."""
    from typer.testing import CliRunner

    from observatorio.cli import app as main_app

    receive(rt, world, 30, dt.date(2025, 8, 14), children=2)
    store = tmp_path / "stats.duckdb"
    args = ["cases", "publish", "--url", rt.url, "--db", str(store), "--period"]
    running = CliRunner().invoke(main_app, [*args, f"{dt.datetime.now(dt.UTC):%Y-%m}"])
    assert running.exit_code == 1 and "no está cerrado" in running.output and "has not closed" not in running.output
    assert CliRunner().invoke(main_app, [*args, "2025-08"]).exit_code == 0
    receive(rt, world, 1, dt.date(2025, 8, 28), origin="MEX")
    frozen = CliRunner().invoke(main_app, [*args, "2025-08"])
    assert frozen.exit_code == 0 and "Sin cambios" in frozen.output, "frozen: the same release"
    revised = CliRunner().invoke(main_app, [*args, "2025-08", "--revise", "--reason", "Ingresos tardíos de agosto"])
    assert revised.exit_code == 0 and "Publicado" in revised.output, revised.output
    with Store.open(store) as opened:
        assert_no_small_change(august_releases(opened))


@pytest.mark.parametrize("seed", range(4))
def test_generated_revisions_resist_the_joint_attack(seed: int) -> None:
    """Generated Augusts (the skew of real reception data), one to four returnees entered late
    and a revision: no small change published, and the two releases solved as one system narrow
    no hidden entry nor small hidden change below the threshold."""
    rng = np.random.default_rng(seed)
    everyone = generated_returnees(1500, seed)
    august = everyone[everyone["period"] == AUGUST].reset_index(drop=True)
    late = generated_returnees(60, seed + 100).sample(int(rng.integers(1, 5)), random_state=seed).assign(period=AUGUST)
    first = build_tables(august, THRESHOLD)
    old = observation_frame(first, AUGUST, "first")
    version = {entry_identity(r): (None if r["obs_status"] == "C" else float(r["value"])) for r in old.to_dict("records")}
    second = build_tables(pd.concat([august, late], ignore_index=True), THRESHOLD,
                          revising=Versions(distinct={AUGUST: [version]}))
    new = observation_frame(second, dt.date(2025, 9, 1), "second")
    releases = pd.concat([old.assign(vintage=1), new.assign(vintage=2)], ignore_index=True)
    assert_no_small_change(releases)
    assert joint_attack(releases, [_grids(first), _grids(second)]) > 0
