"""Forecast bands and surge alerts (active and past) on the overview and the country profiles (no browser)."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from observatorio.publish.api.app import create_app
from observatorio.publish.web import analysis_bridge, pages
from observatorio.publish.web.charts import FORECAST_SERIES
from observatorio.settings import Settings

WARM_UP_SECONDS = 600
BAND_PAIRS = (("lo_95", "lo_80"), ("lo_80", "mean"), ("mean", "hi_80"), ("hi_80", "hi_95"))
BAND_CODES = ("mean", "lo_80", "hi_80", "lo_95", "hi_95")


@pytest.fixture(scope="module")
def client(portal_settings: Settings) -> Iterator[TestClient]:
    """The app once its background warm-up has the forecast release (never computed by a page)."""
    app = create_app(portal_settings)
    with TestClient(app) as test_client:
        deadline = time.monotonic() + WARM_UP_SECONDS
        while analysis_bridge.forecast_release(app.state) is None:
            if time.monotonic() > deadline:
                raise RuntimeError("the forecast warm-up did not finish")
            time.sleep(0.5)
        yield test_client


def _figure(html: str, chart_id: str) -> dict[str, Any]:
    block = re.search(rf'<figure class="chart" id="chart-{chart_id}".*?</figure>', html, re.S)
    assert block, f"no chart {chart_id}"
    script = re.search(r'<script type="application/json" class="figure-data">(.*?)</script>',
                       block.group(0), re.S)
    assert script, f"chart {chart_id} draws nothing"
    figure: dict[str, Any] = json.loads(script.group(1).replace("<\\/", "</"))
    return figure


def _drawn(figure: dict[str, Any]) -> set[tuple[str, str, float]]:
    return {(t["meta"], x, float(y)) for t in figure["data"] for x, y in zip(t["x"], t["y"], strict=True)}


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize(("path", "heading", "release"), [
    ("/es/", "Alertas de oleada", "pronóstico del "),
    ("/en/", "Surge alerts", "forecast of "),
    ("/es/paises/GTM/", "Alertas de oleada", "pronóstico del "),
    ("/en/countries/USA/", "Surge alerts", "forecast of "),
])
def test_page_has_alerts_panel_and_forecast_chart(client: TestClient, path: str, heading: str,
                                                  release: str) -> None:
    html = client.get(path).text
    assert f'<h2 id="alerts-title">{heading}</h2>' in html
    # each alert listed with its level, probability and explanation, or a clear "none"
    assert 'class="alert alert-' in html or 'class="no-alerts"' in html
    assert "Alertas activas" not in html and "Active alerts" not in html
    assert "data-forecast-pending" not in html
    figure = _figure(html, "forecast")
    metas = [t["meta"] for t in figure["data"]]
    assert metas == list(FORECAST_SERIES)
    fills = {t["meta"]: t.get("fill") for t in figure["data"]}
    assert fills["lo_95"] == fills["lo_80"] == "tonexty"
    block = html.split('id="chart-forecast"')[1].split("</figure>")[0]
    assert release in block and ("datos hasta" in block or "data up to" in block)
    assert 'class="chart-unit"' in block and "details class=\"chart-table\"" in block
    assert 'class="csv-link" href="' + path + 'csv/forecast.csv"' in block


@pytest.mark.parametrize("path", ["/es/", "/en/countries/GTM/"])
def test_forecast_csv_equals_the_frame_drawn(client: TestClient, path: str) -> None:
    figure = _figure(client.get(path).text, "forecast")
    response = client.get(f"{path}csv/forecast.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = _csv(response.text)
    assert {(r["series"], r["x"], float(r["value"])) for r in rows} == _drawn(figure)
    assert {r["series"] for r in rows} == set(FORECAST_SERIES)
    # the bands nest around the mean, month by month
    by = {(r["series"], r["x"]): float(r["value"]) for r in rows}
    months = {r["x"] for r in rows if r["series"] == "mean"}
    assert months and min(months) > max(r["x"] for r in rows if r["series"] == "observed")
    for month in months:
        for low, high in BAND_PAIRS:
            assert by[(low, month)] <= by[(high, month)], (month, low, high)


def test_forecast_csv_holds_the_release_numbers(client: TestClient) -> None:
    """The CSV's numbers come from the forecast release and the store, not from the chart
    builder checked against itself: each band row is the release's value rounded to a whole
    count, each observed row the series' published month."""
    release = analysis_bridge.forecast_release(client.app.state)  # type: ignore[attr-defined]
    assert release is not None
    rows = _csv(client.get("/es/csv/forecast.csv").text)
    frame = pd.DataFrame(release["forecasts"])  # plain rows: a frame here, in the test
    sid = next(s for s in pages.OVERVIEW_FORECAST if (frame["series_id"] == s).any())
    monthly = frame[(frame["series_id"] == sid) & (frame["freq"] == "M") & (frame["horizon"] <= 6)]
    expected = {(code, str(pd.Timestamp(r["period"]).date()), round(float(r[code])))
                for r in monthly.to_dict(orient="records") for code in BAND_CODES}
    got = {(r["series"], r["x"], round(float(r["value"]))) for r in rows if r["series"] != "observed"}
    assert len(expected) == 6 * len(BAND_CODES)
    assert got == expected
    history = analysis_bridge.forecast_history(client.app.state, sid)  # type: ignore[attr-defined]
    observed = {r["x"]: float(r["value"]) for r in rows if r["series"] == "observed"}
    assert len(observed) >= 60  # monthly since 2019
    by_month = {month.isoformat(): value for month, value in history}
    assert all(by_month[x] == v for x, v in observed.items())


def _alerts_panel(html: str) -> str:
    return html.split('id="alerts-title"')[1].split("</section>")[0]


def test_alerts_are_explained_in_the_page_language(client: TestClient,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    release = analysis_bridge.forecast_release(client.app.state)  # type: ignore[attr-defined]
    assert release is not None
    alerts = pd.DataFrame(release["alerts"])
    assert len(alerts) >= 1  # the loop below must check something
    # On the day after the data end every alert's month is still ahead: all active, explained.
    first_day = min(pd.Timestamp(p) for p in alerts["last_period"]) + pd.DateOffset(days=1)
    monkeypatch.setattr(pages, "today", lambda: first_day.date())
    for lang in ("es", "en"):
        html = client.get(f"/{lang}/").text
        for explanation in alerts[f"explanation_{lang}"]:
            assert explanation.replace("'", "&#39;").replace('"', "&#34;") in html
        assert 'class="past-alerts"' not in html
    assert "Con datos hasta" in _alerts_panel(client.get("/es/").text)
    assert "As of data to" in _alerts_panel(client.get("/en/").text)


@pytest.mark.parametrize(("lang", "summary", "outcome"), [
    ("es", "Alertas cuyo mes ya pasó", r"Observado en \w+ \d{4}: [\d.]+ \(umbral [\d.]+\): (hubo|no hubo) oleada\."
                                      r"|El dato de \w+ \d{4} aún no se ha publicado\."),
    ("en", "Alerts whose month has passed", r"Observed in \w+ \d{4}: [\d,]+ \(threshold [\d,]+\): (a surge|no surge)\."
                                            r"|The figure for \w+ \d{4} has not been published yet\."),
])
def test_alerts_whose_month_passed_are_history_never_active(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, lang: str, summary: str, outcome: str
) -> None:
    """Issue 11 item 2: read after their month, the bundled release's alerts are history, each
    with what happened (or that the month is not published yet), never "active"."""
    release = analysis_bridge.forecast_release(client.app.state)  # type: ignore[attr-defined]
    assert release is not None
    alerts = pd.DataFrame(release["alerts"])
    assert len(alerts) >= 1
    after = max(pd.Timestamp(p) for p in alerts["period"]) + pd.DateOffset(months=1)
    monkeypatch.setattr(pages, "today", lambda: after.date())
    panel = _alerts_panel(client.get(f"/{lang}/").text)
    assert 'class="no-alerts"' in panel
    assert 'class="alert alert-alert"' not in panel and 'class="alert alert-watch"' not in panel
    assert f"{summary} ({len(alerts)})" in panel
    outcomes = re.findall(r'<p class="alert-outcome">(.*?)</p>', panel)
    assert len(outcomes) == len(alerts)
    assert all(re.fullmatch(outcome, o) for o in outcomes), outcomes


def test_country_alerts_concern_the_country(client: TestClient) -> None:
    html = client.get("/en/countries/HND/").text
    heads = re.findall(r"<strong>(.*?)</strong>", _alerts_panel(html))
    assert len(heads) >= 1  # the bundled release watches Cuban arrivals in Honduras
    assert all("Honduras" in h or "HND" in h for h in heads), heads


def test_country_without_a_forecast_says_so(client: TestClient) -> None:
    assert pages.country_forecast_series("BLZ") is None
    for path, words in (("/es/paises/BLZ/", "No hay pronóstico para Belice"),
                        ("/en/countries/BLZ/", "There is no forecast for Belize")):
        html = client.get(path).text
        assert words in html
        assert 'id="chart-forecast"' not in html
    assert client.get("/es/paises/BLZ/csv/forecast.csv").status_code == 404


def test_main_series_of_each_country() -> None:
    assert pages.country_forecast_series("USA") == "usbp"
    assert pages.country_forecast_series("GTM") == "gtm"
    assert pages.country_forecast_series("PAN") == "darien"
    assert pages.country_forecast_series("SLV") == "usbp.SLV"


def test_pages_render_while_the_forecast_is_prepared(client: TestClient,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(analysis_bridge, "forecast_release", lambda *a, **k: None)
    for path, words in (("/es/", "El pronóstico se está preparando"),
                        ("/en/countries/GTM/", "The forecast is being prepared")):
        response = client.get(path)
        assert response.status_code == 200
        assert words in response.text
        assert 'id="chart-forecast"' not in response.text


@pytest.mark.parametrize(("path", "names"), [
    ("/es/", "Fuente: U.S. Customs and Border Protection (CBP)"),
    ("/en/", "Source: U.S. Customs and Border Protection (CBP)"),
])
def test_overview_forecast_reads_cbps_own_file(client: TestClient, path: str, names: str) -> None:
    """Issue 11 item 3: CBP's file runs to Aug 2025 (the IOM GDI copy to May 2025)."""
    html = client.get(path).text
    observed = next(t for t in _figure(html, "forecast")["data"] if t["meta"] == "observed")
    assert max(observed["x"]) == "2025-08-01"
    forecast = next(t for t in _figure(html, "forecast")["data"] if t["meta"] == "mean")
    assert min(forecast["x"]) == "2025-09-01"
    block = html.split('id="chart-forecast"')[1].split("</figure>")[0]
    assert names in block


@pytest.mark.parametrize(("path", "words"), [
    ("/es/", "el valor real cayó dentro de la banda de 80 % el 71 % de las veces y dentro de la de 95 % el 89 %"),
    ("/en/countries/GTM/", "the actual value fell inside the 80% band 71% of the time and inside the 95% band 89%"),
])
def test_backtested_coverage_is_stated_beside_the_chart(client: TestClient, path: str, words: str) -> None:
    """Issue 11 item 4: the chart says how often its bands held on months already known."""
    block = client.get(path).text.split('id="chart-forecast"')[1].split("</figure>")[0]
    assert words in block
