"""``/api/v1/forecasts`` and ``/api/v1/alerts`` on the real store."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from observatorio.analysis.forecast.catalogue import Catalogue
from observatorio.analysis.forecast.engine import ForecastRun, run_forecast
from observatorio.analysis.forecast.release_write import save_run
from observatorio.publish.api.errors import ApiError, api_error_handler
from observatorio.publish.api.routes import forecasts
from observatorio.settings import Settings


def client_for(path: Path) -> TestClient:
    # The router alone, as the API owner mounts it, with the app's error handler.
    app = FastAPI()
    app.state.settings = Settings(db=path)
    app.add_exception_handler(ApiError, api_error_handler)
    app.include_router(forecasts.router)
    return TestClient(app)


@pytest.fixture()
def stored(usbp_run: ForecastRun, writable_store: Path) -> tuple[Path, str]:
    con = duckdb.connect(str(writable_store))
    try:
        rid = save_run(con, usbp_run)
    finally:
        con.close()
    return writable_store, rid


def test_latest_release_filtered(stored: tuple[Path, str]) -> None:
    path, rid = stored
    r = client_for(path).get("/api/v1/forecasts", params={"series": "usbp,usbp.MEX", "horizon": "short"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["run"]["run_id"] == rid and body["run"]["stored"]
    assert {f["series_id"] for f in body["forecasts"]} == {"usbp", "usbp.MEX"}
    assert {f["horizon_group"] for f in body["forecasts"]} == {"short"}
    assert all(f["lo_95"] <= f["lo_80"] <= f["mean"] <= f["hi_80"] <= f["hi_95"] for f in body["forecasts"])


def test_forecasts_as_csv(stored: tuple[Path, str]) -> None:
    """``format=csv``: the same rows as JSON, each with its run id (#11 item 21)."""
    import csv
    import io

    path, rid = stored
    c = client_for(path)
    params = {"series": "usbp", "horizon": "short"}
    as_json = c.get("/api/v1/forecasts", params=params).json()["forecasts"]
    r = c.get("/api/v1/forecasts", params={**params, "format": "csv"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == len(as_json) > 0
    assert {row["run_id"] for row in rows} == {rid}
    assert [(row["period"], float(row["mean"])) for row in rows] == [
        (f["period"], f["mean"]) for f in as_json]
    assert c.get("/api/v1/forecasts", params={"format": "xml"}).status_code == 400


def test_unknown_parameter_is_a_400_naming_it(stored: tuple[Path, str]) -> None:
    c = client_for(stored[0])
    for url in ("/api/v1/forecasts", "/api/v1/alerts"):
        r = c.get(url, params={"colour": "red"})
        assert r.status_code == 400
        assert r.json()["error"]["parameter"] == "colour"


def test_bad_values_are_400(stored: tuple[Path, str]) -> None:
    c = client_for(stored[0])
    assert c.get("/api/v1/forecasts", params={"horizon": "soon"}).json()["error"]["parameter"] == "horizon"
    assert c.get("/api/v1/alerts", params={"lang": "fr"}).status_code == 400
    assert c.get("/api/v1/forecasts", params={"release": "19990101T000000-x"}).status_code == 404


def test_alerts_in_both_languages(stored: tuple[Path, str], usbp_run: ForecastRun) -> None:
    c = client_for(stored[0])
    es = c.get("/api/v1/alerts").json()
    en = c.get("/api/v1/alerts", params={"lang": "en"}).json()
    assert len(es["alerts"]) == len(en["alerts"]) == len(usbp_run.alerts)
    for a, b in zip(es["alerts"], en["alerts"], strict=True):
        assert a["series_id"] == b["series_id"]
        assert a["explanation"] != b["explanation"]


def test_computes_when_nothing_is_stored(bundled_store_path: Path) -> None:
    r = client_for(bundled_store_path).get(
        "/api/v1/forecasts", params={"series": "usbp.UNACCOMPANIED", "freq": "A"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["run"]["stored"] is False
    assert all(f["freq"] == "A" for f in r.json()["forecasts"])


def test_alerts_whose_month_passed_are_history_with_what_happened(
    store_series: dict[str, pd.Series], usbp_catalogue: Catalogue, writable_store: Path
) -> None:
    """Issue 11 item 2: an alert for a month gone by is ``past``, with the count observed then."""
    # Data to December 2020: the release warns of the 2021 surge, whose months are long past.
    run = run_forecast(store_series, usbp_catalogue, horizon=12, as_of=pd.Timestamp("2020-12-01"),
                       data_release={"test": "2020"})
    assert len(run.alerts) >= 5
    con = duckdb.connect(str(writable_store))
    try:
        save_run(con, run)
    finally:
        con.close()
    c = client_for(writable_store)
    rows = c.get("/api/v1/alerts", params={"lang": "en"}).json()["alerts"]
    assert len(rows) == len(run.alerts)
    assert c.get("/api/v1/alerts", params={"status": "active"}).json()["alerts"] == []
    assert len(c.get("/api/v1/alerts", params={"status": "past"}).json()["alerts"]) == len(rows)
    named = [r for r in rows if not r["series_id"].endswith("._O")]  # residuals are not re-read
    assert len(named) >= 4
    for r in rows:
        assert r["status"] == "past"
        assert r["last_period"] == "2020-12-01"
        assert r["explanation"].startswith("As of data to Dec 2020.")
    for r in named:
        month = pd.Timestamp(r["period"])
        assert r["observed"] == store_series[r["series_id"]][month]
        assert r["surged"] is (r["observed"] > r["threshold"])
    # the surge of early 2021 did come
    assert any(r["surged"] for r in named)
