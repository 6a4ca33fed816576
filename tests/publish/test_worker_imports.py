"""A server worker loads no ingest code and no pandas (issue #12, memory): after every portal
page in both languages (cases_web on) and a few API answers, none of the source adapters, the
mapping engine, the harmonizing frame code, the loader, SQLAlchemy or pandas is imported. The
sources' titles come from the catalogue (sources/catalogue.py), the store is read without its
pandas load path. (An SDMX-ML *data* message loads pandas: pysdmx writes data from a frame.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .worker_modules import pandas_importers, serve_and_list

#: Never imported by a worker that answered the statistics side.
INGEST_SIDE = ("observatorio.sources.adapters", "observatorio.sources.mapping_engine",
               "observatorio.harmonize.frame", "observatorio.loading", "sqlalchemy")

API = ["/api/v1/sources", "/api/v1/observations?limit=5", "/api/v1/observations?limit=5&format=csv",
       "/api/v1/observations?limit=5&format=parquet", "/sdmx/dataflow", "/es/calendario/", "/en/calendar/",
       "/api/v1/indicators", "/api/v1/roles", "/api/v1/profiles/GTM", "/api/v1/mirror",
       "/api/v1/forecasts", "/api/v1/forecasts?format=csv", "/api/v1/alerts",
       # chart and source downloads of the portal
       "/en/csv/trends.csv", "/en/countries/GTM/csv/origin.csv",
       "/en/data/download/cbp_sw_land_border_encounters.csv"]


@pytest.fixture(scope="module")
def store_path(request: pytest.FixtureRequest) -> Path:
    """The bundled store (as tests/publish/web/conftest.py's ``portal_store_path``: every page
    has its data, so every page's code runs); OBSERVATORIO_WEB_TEST_DB may name a prebuilt one."""
    prebuilt = os.environ.get("OBSERVATORIO_WEB_TEST_DB")
    if prebuilt:
        return Path(prebuilt)
    path: Path = request.getfixturevalue("bundled_store_path")
    return path


def test_a_worker_loads_no_ingest_code(store_path: Path, tmp_path: Path) -> None:
    found = serve_and_list(store_path, f"sqlite:///{tmp_path / 'cases.sqlite'}", API)
    assert {p: s for p, s in found["status"].items() if s != 200} == {}
    modules = found["modules"]
    loaded = [m for m in modules if any(m == side or m.startswith(side + ".") for side in INGEST_SIDE)]
    assert loaded == []
    # nor pandas (about 46 MB of every worker with the pyarrow.compute it pulls in): the pages,
    # the analysis and the forecasts read plain rows, and pyarrow is told there is no pandas
    # (store/arrow_without_pandas.py)
    assert "pandas" not in modules, (found["pandas_chain"], pandas_importers(modules))
