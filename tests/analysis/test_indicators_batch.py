"""The batched yearly engine gives the one-country engine's results, without its per-country path.

Each test opens its own engines (not the session's shared one), so a batched result can never
be mistaken for one the engine computed itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from observatorio.analysis import views
from observatorio.analysis.indicators import IndicatorEngine
from observatorio.analysis.indicators_batch import base_dependencies, prime_yearly
from observatorio.analysis.roles import assess, default_year
from observatorio.model.codelists import CRM_MEMBERS
from observatorio.store import Store

#: Members, neighbours seen only as nationals abroad, and a code no selection holds.
COUNTRIES = (*CRM_MEMBERS, "VEN", "COL", "CUB", "HTI", "ECU", "ZZZ")


@pytest.fixture(scope="module")
def store(analysis_store_path: Path) -> Iterator[Store]:
    with Store.open(analysis_store_path, read_only=True) as opened:
        yield opened


def test_every_yearly_indicator_equals_the_one_country_engine(store: Store) -> None:
    """Every indicator of the catalogue with yearly figures, for every country: the same rows
    (values, evidence, months) and the same releases, whichever way it was computed."""
    one_by_one = IndicatorEngine(store.con)
    batched = IndicatorEngine(store.con)
    ids = [ind.id for ind in batched.catalogue.indicators if "A" in batched.native_freqs(ind.id)]
    prime_yearly(batched, ids, COUNTRIES)
    kinds = set()
    for ind_id in ids:
        for country in COUNTRIES:
            expected = one_by_one.compute(ind_id, country, "A")
            got = batched.compute(ind_id, country, "A")
            assert got.frame == expected.frame, (ind_id, country)
            assert [[type(v) for v in r.values()] for r in got.frame] == [
                [type(v) for v in r.values()] for r in expected.frame], (ind_id, country)
            assert got.releases == expected.releases, (ind_id, country)
            kinds.add(batched.indicator(ind_id).kind)
    # the catalogue exercises every rule the batch re-applies
    assert {"flow", "stock", "per_100k", "pct_population", "share"} <= kinds
    combines = {batched.indicator(i).combine for i in base_dependencies(batched, ids)}
    assert {"sum", "coalesce", "coalesce_coverage"} <= combines
    assert any(s.sparse_zeros for i in base_dependencies(batched, ids) for s in batched.indicator(i).series)


def test_roles_table_equals_each_country_assessed_alone(store: Store) -> None:
    engine = IndicatorEngine(store.con)
    year = default_year(engine)
    table = views.role_records(engine, None, year, "en")
    alone = IndicatorEngine(store.con)
    assert table == [views._country_roles(alone, assess(alone, c, year), "en") for c in CRM_MEMBERS]


def test_roles_table_never_splits_a_selection_country_by_country(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression (#17): the roles table of every member computed each base indicator country
    by country (``series_rows`` once per selection and member, each splitting the world's rows
    by country); now every member's yearly figures come from grouped passes and the per-country
    path is never taken."""
    engine = IndicatorEngine(store.con)
    calls: list[str | None] = []
    one_country = engine.series_rows

    def counted(spec: Any, country: str | None) -> list[dict[str, Any]]:
        calls.append(country)
        return one_country(spec, country)

    monkeypatch.setattr(engine, "series_rows", counted)
    records = views.role_records(engine, None, 2023, "en")
    assert len(records) == len(CRM_MEMBERS)
    assert calls == []
