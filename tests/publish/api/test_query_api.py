"""Filters, periods, group_by, pagination, vintages, revisions and lineage over HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .helpers import CBP


def _data(client: TestClient, **params: str) -> list[dict]:
    r = client.get("/api/v1/observations", params=params)
    assert r.status_code == 200, r.text
    return list(r.json()["data"])


def test_filters_accept_lists_and_repeats(client: TestClient) -> None:
    both = _data(client, source=CBP, citizenship="GTM,HND", group_by="citizenship")
    assert [r["citizenship"] for r in both] == ["GTM", "HND"]
    r = client.get("/api/v1/observations?citizenship=GTM&citizenship=HND&group_by=citizenship"
                   f"&source={CBP}")
    assert r.json()["data"] == both


def test_periods_in_every_form(client: TestClient) -> None:
    year = _data(client, source=CBP, start="2022", end="2022", group_by="source")
    quarters = _data(client, source=CBP, start="2022-Q1", end="2022-Q4", group_by="source")
    months = _data(client, source=CBP, start="2022-01", end="2022-12", group_by="source")
    assert year == quarters == months
    monthly = _data(client, source=CBP, start="2022-01", end="2022-12", group_by="period")
    assert len(monthly) == 12
    assert sum(r["value"] for r in monthly) == year[0]["value"]


def test_pages_cover_the_answer_once(client: TestClient) -> None:
    whole = _data(client, source=CBP, start="2022-01", end="2022-03", limit="5000")
    seen: list[dict] = []
    url: str | None = (f"/api/v1/observations?source={CBP}&start=2022-01&end=2022-03"
                       "&limit=40")
    while url:
        r = client.get(url)
        assert r.status_code == 200
        body = r.json()
        assert body["meta"]["total"] == len(whole)
        seen += body["data"]
        url = body["meta"]["next"]
    assert seen == whole


def test_each_observation_leads_to_its_file_and_row(client: TestClient) -> None:
    row = _data(client, source=CBP, limit="1")[0]
    assert row["source_file"].endswith(".csv")
    assert row["source_row"] >= 2
    loads = client.get("/api/v1/loads", params={"source": CBP}).json()
    load = next(x for x in loads if x["load_id"] == row["load_id"])
    assert load["source_file"] == row["source_file"]
    assert len(load["sha256"]) == 64


def test_group_by_sums_with_status(client: TestClient) -> None:
    rows = _data(client, source=CBP, group_by="flow")
    assert {r["flow"] for r in rows} == {"APPREHENSION", "INADMISSIBLE", "EXPULSION"}
    assert all(set(r) == {"flow", "value", "obs_status", "obs_count"} for r in rows)


# -- vintages and double counting (a store with two releases and overlapping sources) ----------


def test_latest_release_by_default_and_past_ones_on_request(vintage_client: TestClient) -> None:
    base = {"source": CBP, "start": "2021-10", "end": "2022-09", "group_by": "source"}
    latest = _data(vintage_client, **base)[0]
    assert latest["value"] == 2_378_944
    old = _data(vintage_client, **base, release="2024-01-01")[0]
    assert old["value"] == 2_378_944 - latest["obs_count"]
    assert _data(vintage_client, **base, as_of="2024-06-30") == [old]
    assert _data(vintage_client, **base, as_of="2030-01-01") == [latest]
    assert _data(vintage_client, **base, as_of="2000-01-01") == []


def test_revisions_show_every_release(vintage_client: TestClient) -> None:
    r = vintage_client.get("/api/v1/revisions", params={
        "source": CBP, "start": "2021-10", "end": "2022-09", "group_by": "source"})
    assert r.status_code == 200, r.text
    rows = r.json()["data"]
    assert [row["vintage"] for row in rows] == ["2024-01-01", "2025-09-15"]
    assert rows[1]["value"] == 2_378_944
    assert rows[0]["value"] < rows[1]["value"]


def test_summing_two_sources_is_refused(vintage_client: TestClient) -> None:
    r = vintage_client.get("/api/v1/observations",
                           params={"flow": "APPREHENSION", "group_by": "period"})
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "double_count"
    assert error["parameter"] == "group_by"
    assert error["closest"] == ["source"]
    assert "source" in error["message"]["es"] and "source" in error["message"]["en"]
    # Pinning the source, or keeping it, makes the same sum legitimate.
    pinned = vintage_client.get("/api/v1/observations",
                                params={"flow": "APPREHENSION", "group_by": "period",
                                        "source": CBP})
    assert pinned.status_code == 200
    kept = vintage_client.get("/api/v1/observations",
                              params={"flow": "APPREHENSION", "group_by": "source,period"})
    assert kept.status_code == 200


def test_summing_stocks_over_years_is_refused(vintage_client: TestClient) -> None:
    params = {"source": "test_stock", "flow": "REFUGEE_STOCK", "group_by": "citizenship"}
    r = vintage_client.get("/api/v1/observations", params=params)
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "double_count_stock"
    one_year = vintage_client.get("/api/v1/observations",
                                  params={**params, "start": "2023", "end": "2023"})
    assert one_year.status_code == 200
    assert one_year.json()["data"][0]["value"] == 202_300
