"""Forecasts and early-warning alerts: ``/api/v1/forecasts`` and ``/api/v1/alerts``.

Both answer from the newest stored forecast release (``observatorio forecast``) or the one
named by ``release``; when the store holds no release yet, a forecast is computed on the fly
(not stored: the API's store is read-only) and cached until the store changes. That computation
runs in a child process (analysis/forecast/computed.py): a server worker never imports the
engine or pandas (issue #12), and reads releases as plain rows.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

import pyarrow as pa
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from observatorio.analysis.forecast import releases
from observatorio.analysis.forecast.alert_status import (
    ACTIVE,
    PAST,
    Outcome,
    alert_outcome,
    alert_status,
)
from observatorio.analysis.forecast.catalogue import load_catalogue
from observatorio.analysis.forecast.computed import Computed, compute_release
from observatorio.analysis.forecast.history import load_one
from observatorio.analysis.forecast.run_model import horizon_group
from observatorio.api_texts import api_text
from observatorio.publish.api.errors import ERROR_RESPONSES, ApiError
from observatorio.publish.api.formats import MEDIA_TYPES, Format, csv_bytes
from observatorio.publish.api.store_access import StoreDep
from observatorio.store.rows import Row

router = APIRouter(tags=["forecasts"])
_LOCK = threading.Lock()
GROUPS = ("short", "medium", "long")


def _only(*allowed: str) -> Any:
    """A dependency refusing (400) any query parameter not in ``allowed``, naming it."""

    def check(request: Request) -> None:
        import difflib

        for name in request.query_params:
            if name not in allowed:
                close = difflib.get_close_matches(name, allowed, n=3, cutoff=0.5)
                raise ApiError(
                    400, "unknown_parameter", name, "api.unknown_parameter", close,
                    allowed=", ".join(sorted(allowed)),
                )

    return Depends(check)


def _choice(parameter: str, value: str | None, options: tuple[str, ...]) -> None:
    if value is not None and value not in options:
        raise ApiError(
            400, "invalid_value", parameter, "api.invalid_value", list(options),
            reason=" | ".join(options),
        )


class ForecastRow(BaseModel):
    """One forecast value with its 80% and 95% prediction intervals."""

    model_config = ConfigDict(json_schema_extra={"description": api_text("api.doc.schema.forecast_row")})

    series_id: str
    label: str
    level: str = Field(description=api_text("api.doc.field.forecast.level"))
    parent: str | None
    sources: list[str] = Field(description=api_text("api.doc.field.forecast.sources"))
    freq: str = Field(description=api_text("api.doc.field.forecast.freq"))
    period: str
    horizon: int = Field(description=api_text("api.doc.field.forecast.horizon"))
    horizon_group: str = Field(description=api_text("api.doc.field.forecast.horizon_group"))
    origin: str = Field(description=api_text("api.doc.field.forecast.origin"))
    mean: float
    lo_80: float
    hi_80: float
    lo_95: float
    hi_95: float
    p_surge: float | None = Field(description=api_text("api.doc.field.forecast.p_surge"))


class RunInfo(BaseModel):
    """Which forecast release answered."""

    model_config = ConfigDict(json_schema_extra={"description": api_text("api.doc.schema.run_info")})

    run_id: str | None = Field(description=api_text("api.doc.field.forecast.run_id"))
    created_at: str
    data_release: dict[str, str]
    model: str
    stored: bool


class ForecastAnswer(BaseModel):
    """A forecast release (or part of it)."""

    model_config = ConfigDict(json_schema_extra={"description": api_text("api.doc.schema.forecast_answer")})

    run: RunInfo
    forecasts: list[ForecastRow]


class AlertRow(BaseModel):
    """An early warning and why it was raised."""

    model_config = ConfigDict(json_schema_extra={"description": api_text("api.doc.schema.alert_row")})

    series_id: str
    label: str
    level: str = Field(description=api_text("api.doc.field.alert.level"))
    period: str
    horizon: int
    probability: float
    threshold: float
    last_value: float | None
    last_period: str | None = Field(description=api_text("api.doc.field.alert.last_period"))
    status: str = Field(description=api_text("api.doc.field.alert.status"))
    observed: float | None = Field(description=api_text("api.doc.field.alert.observed"))
    surged: bool | None = Field(description=api_text("api.doc.field.alert.surged"))
    explanation: str
    signals: list[dict[str, Any]]


class AlertAnswer(BaseModel):
    """The alerts of a forecast release: active ones, and past ones with what happened."""

    model_config = ConfigDict(json_schema_extra={"description": api_text("api.doc.schema.alert_answer")})

    run: RunInfo
    alerts: list[AlertRow]


def _day(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, str):
        v = datetime.fromisoformat(v)
    day: str = v.strftime("%Y-%m-%d")  # a stored release's DATE (a date), or a datetime
    return day


def _num(v: Any) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def computed_run(state: Any, handle: Any, *, compute: bool = True,
                 progress: Callable[[str], None] | None = None) -> Computed | None:
    """The forecast computed on the fly for the handle's store version (cached on ``state``):
    run info (``created_at``, ``data_release``, ``model``), forecast rows and alert rows, as
    plain values (analysis/forecast/computed.py; computed in a child process).

    With ``compute=False`` only the cached run is returned (None when there is none yet): the
    portal's pages never wait for a computation. ``progress`` is called with each series id
    as it is computed (the portal's warm-up raises from it to stop early on shut-down; the
    child process is then ended).
    """
    key = handle.version
    cache = getattr(state, "forecast_cache", None)
    if cache and cache[0] == key:
        run: Computed = cache[1]
        return run
    if not compute:
        return None
    with _LOCK:
        cache = getattr(state, "forecast_cache", None)
        if cache and cache[0] == key:  # computed by another thread while this one waited
            cached: Computed = cache[1]
            return cached
        run = compute_release(handle.store, progress=progress)
        state.forecast_cache = (key, run)
    return run


def release_frames(
    state: Any, handle: Any, release: str | None = None, *, compute: bool = True,
    progress: Callable[[str], None] | None = None,
) -> tuple[RunInfo, list[Row], list[Row]] | None:
    """Run info, forecast rows and alert rows of a stored release, else of the computed run.

    Shared by the API and the portal; the rows are plain values (store/rows.py), the stored
    columns of ``forecasts`` and ``alerts`` (a computed run's ``run_id`` empty). None only
    when ``compute`` is False and neither a stored release nor a computed run is available yet.
    """
    con = handle.store.cursor()
    rid = releases.resolve_run(con, release)
    if release and release != "latest" and rid is None:
        known = [str(r["run_id"]) for r in releases.list_runs(con)][:5]
        raise ApiError(404, "not_found", "release", "api.not_found", known, value=release)
    if rid is not None:
        meta = releases.read_run(con, rid)
        info = RunInfo(
            run_id=rid,
            created_at=meta["created_at"],
            data_release=meta["data_release"],
            model=meta["model"],
            stored=True,
        )
        return info, releases.read_forecasts(con, rid), releases.read_alerts(con, rid)
    run = computed_run(state, handle, compute=compute, progress=progress)
    if run is None:
        return None
    meta, frame, alerts = run
    info = RunInfo(
        run_id=None,
        created_at=meta["created_at"],
        data_release=meta["data_release"],
        model=meta["model"],
        stored=False,
    )
    return info, frame, alerts


def _run_frames(
    request: Request, handle: Any, release: str | None
) -> tuple[RunInfo, list[Row], list[Row]]:
    found = release_frames(request.app.state, handle, release)
    assert found is not None  # computed when nothing is stored
    return found


def _series_filter(series: list[str] | None) -> list[str] | None:
    if not series:
        return None
    ids = [s for part in series for s in part.split(",") if s]
    cat = load_catalogue()
    for s in ids:
        if s not in cat.by_id:
            import difflib

            close = difflib.get_close_matches(s, list(cat.by_id), n=3, cutoff=0.5)
            raise ApiError(400, "not_found", "series", "api.not_found", close, value=s)
    return ids


def _horizon_filter(rows: list[Row], horizon: str | None) -> list[Row]:
    if horizon is None:
        return rows
    if horizon in GROUPS:
        return [r for r in rows if r["horizon_group"] == horizon]
    if horizon.isdecimal() and len(horizon) <= 2 and 1 <= int(horizon) <= 36:
        return [r for r in rows if r["horizon"] <= int(horizon)]
    raise ApiError(
        400, "invalid_value", "horizon", "api.invalid_value",
        list(GROUPS), reason="short | medium | long | 1-36",
    )


@router.get(
    "/api/v1/forecasts",
    response_model=ForecastAnswer,
    responses={200: {"content": {"text/csv": {}}}, **ERROR_RESPONSES},
    dependencies=[_only("series", "horizon", "freq", "release", "lang", "format")],
    summary=api_text("api.doc.forecasts.forecasts.summary"),
    description=api_text("api.doc.forecasts.forecasts.description"),
)
def get_forecasts(
    request: Request,
    handle: StoreDep,
    series: Annotated[
        list[str] | None, Query(description=api_text("api.doc.param.series_many"))
    ] = None,
    horizon: Annotated[
        str | None, Query(description=api_text("api.doc.param.horizon"))
    ] = None,
    freq: Annotated[str | None, Query(description=api_text("api.doc.param.freq_totals"))] = None,
    release: Annotated[str | None, Query(description=api_text("api.doc.param.forecast_release"))] = None,
    lang: Annotated[str, Query(description=api_text("api.doc.param.lang_forecasts"))] = "es",
    format: Annotated[str | None, Query(  # noqa: A002 - the public parameter name
        description=api_text("api.doc.param.forecast_format"))] = None,
) -> ForecastAnswer | Response:
    """The latest forecast release (or ``release``), filtered."""
    _choice("format", format, ("json", "csv"))
    _choice("freq", freq, ("M", "A"))
    _choice("lang", lang, ("es", "en"))
    ids = _series_filter(series)
    info, frame, _ = _run_frames(request, handle, release)
    if ids:
        frame = [r for r in frame if r["series_id"] in ids]
    if freq:
        frame = [r for r in frame if r["freq"] == freq]
    frame = _horizon_filter(frame, horizon)
    cat = load_catalogue()
    rows = [
        ForecastRow(
            series_id=r["series_id"],
            label=cat.by_id[r["series_id"]].label(lang) if r["series_id"] in cat.by_id else r["series_id"],
            level=r["level"],
            parent=r["parent"] if isinstance(r["parent"], str) else None,
            sources=list(cat.by_id[r["series_id"]].sources()) if r["series_id"] in cat.by_id else [],
            freq=r["freq"],
            period=_day(r["period"]) or "",
            horizon=int(r["horizon"]),
            horizon_group=str(r["horizon_group"] or horizon_group(int(r["horizon"]))),
            origin=_day(r["origin"]) or "",
            mean=float(r["mean"]),
            lo_80=float(r["lo_80"]),
            hi_80=float(r["hi_80"]),
            lo_95=float(r["lo_95"]),
            hi_95=float(r["hi_95"]),
            p_surge=_num(r["p_surge"]),
        )
        for r in frame
    ]
    if format == "csv":
        return _forecasts_csv(info, rows)
    return ForecastAnswer(run=info, forecasts=rows)


def _forecasts_csv(info: RunInfo, rows: list[ForecastRow]) -> Response:
    """The forecast rows as CSV, each with the run that produced it (the JSON's ``run``)."""
    columns = ["run_id", "model", *ForecastRow.model_fields]
    # A CSV cell holds one value: list fields (the publishers a series reads) are joined.
    records = [{"run_id": info.run_id, "model": info.model,
                **{k: " | ".join(v) if isinstance(v, list) else v for k, v in r.model_dump().items()}}
               for r in rows]
    table = (pa.Table.from_pylist(records).select(columns) if records else
             pa.table({c: pa.array([], pa.string()) for c in columns}))
    return Response(csv_bytes(table), media_type=MEDIA_TYPES[Format.csv],
                    headers={"Content-Disposition": 'attachment; filename="forecasts.csv"'})


@router.get(
    "/api/v1/alerts",
    response_model=AlertAnswer,
    responses=ERROR_RESPONSES,
    dependencies=[_only("series", "release", "lang", "level", "status")],
    summary=api_text("api.doc.forecasts.alerts.summary"),
    description=api_text("api.doc.forecasts.alerts.description"),
)
def get_alerts(
    request: Request,
    handle: StoreDep,
    lang: Annotated[str, Query(description=api_text("api.doc.param.lang_alerts"))] = "es",
    series: Annotated[list[str] | None, Query(description=api_text("api.doc.param.series"))] = None,
    release: Annotated[str | None, Query(description=api_text("api.doc.param.forecast_release"))] = None,
    level: Annotated[str | None, Query(description=api_text("api.doc.param.alert_level"))] = None,
    status: Annotated[str | None, Query(description=api_text("api.doc.param.alert_status"))] = None,
) -> AlertAnswer:
    """The alerts of the latest release, explained in ``lang``: an alert whose month has passed
    is ``past``, with the count later observed, never ``active``."""
    _choice("lang", lang, ("es", "en"))
    _choice("level", level, ("alert", "watch"))
    _choice("status", status, (ACTIVE, PAST))
    ids = _series_filter(series)
    info, _, alerts = _run_frames(request, handle, release)
    cat = load_catalogue()
    today = date.today()
    out: list[AlertRow] = []
    for r in alerts:
        if ids and r["series_id"] not in ids:
            continue
        if level and r["level"] != level:
            continue
        state = alert_status(r["period"], today)
        if status and state != status:
            continue
        outcome = Outcome(None, None)
        if state == PAST:
            history = load_one(handle.store.cursor(), r["series_id"], cat)
            outcome = alert_outcome(history, r["period"], float(r["threshold"]))
        out.append(
            AlertRow(
                series_id=r["series_id"],
                label=cat.by_id[r["series_id"]].label(lang) if r["series_id"] in cat.by_id else r["series_id"],
                level=r["level"],
                period=_day(r["period"]) or "",
                horizon=int(r["horizon"]),
                probability=float(r["probability"]),
                threshold=float(r["threshold"]),
                last_value=_num(r["last_value"]),
                last_period=_day(r["last_period"]),
                status=state,
                observed=outcome.observed,
                surged=outcome.surged,
                explanation=r[f"explanation_{lang}"],
                signals=json.loads(r["signals"]),
            )
        )
    return AlertAnswer(run=info, alerts=out)
