"""Command-line commands of this area (registered on the root ``observatorio`` app)."""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from datetime import date
from typing import Annotated

import typer

from observatorio.cli_errors import fail
from observatorio.cli_help import cli_help
from observatorio.cli_state import state
from observatorio.errors import ObservatorioError
from observatorio.i18n import fmt_number, t

FORMATS = ("table", "json", "csv")
#: The table's columns (their headers: ``forecast_cli.column.*``, in the chosen language).
COLUMNS = ("series", "freq", "period", "horizon", "mean", "interval_80", "interval_95", "p_surge")


def _interval(low: float, high: float, lang: str) -> str:
    """A prediction interval with the language's separators (``1.234–5.678`` in Spanish)."""
    return f"{fmt_number(low, lang)}–{fmt_number(high, lang)}"


def forecast(
    ctx: typer.Context,
    series: Annotated[
        list[str] | None,
        typer.Option("--series", "-s", help=cli_help("cli.help.forecast.series")),
    ] = None,
    horizon: Annotated[
        int, typer.Option("--horizon", min=1, max=36, help=cli_help("cli.help.forecast.horizon"))
    ] = 36,
    fmt: Annotated[str, typer.Option("--format", "-f", help=cli_help("cli.help.format"))] = "table",
    store: Annotated[
        bool,
        typer.Option("--store/--no-store", help=cli_help("cli.help.forecast.store")),
    ] = True,
    list_series: Annotated[
        bool, typer.Option("--list", help=cli_help("cli.help.forecast.list"))
    ] = False,
) -> None:
    """Forecasts and early warning (help: cli.help.forecast)."""
    import numpy as np
    import pandas as pd
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn
    from rich.table import Table

    from observatorio.analysis.forecast.alert_status import PAST, alert_status
    from observatorio.analysis.forecast.catalogue import CatalogueError, load_catalogue
    from observatorio.analysis.forecast.release_write import save_run
    from observatorio.analysis.forecast.service import forecast_from_store
    from observatorio.store import Store
    from observatorio.store.snapshots import publishing

    st = state(ctx)
    lang = st.lang
    out = Console()
    err = Console(stderr=True)
    if fmt not in FORMATS:
        raise typer.BadParameter(t("forecast_cli.bad_format", lang), param_hint="--format")
    cat = load_catalogue()
    if list_series:
        for s in cat.series:
            out.print(f"{s.id}\t{s.level}\t{s.label(lang)}", highlight=False)
        return
    try:
        cat.select(series)
    except CatalogueError as exc:  # unknown series: a usage error
        err.print(exc.message(lang), style="red", markup=False, highlight=False)
        raise typer.Exit(2) from exc
    if not st.db.exists():
        err.print(t("forecast_cli.no_store", lang, path=st.db), style="red", markup=False, highlight=False)
        raise typer.Exit(1)
    opened = ExitStack()
    try:
        # Storing is a publication like a load: into a new snapshot, switched in atomically
        # (store/snapshots.py); the snapshot in force, which servers read, is never written.
        db = opened.enter_context(publishing(st.db) if store else Store.open(st.db, read_only=True))
    except ObservatorioError as exc:  # busy (a server on a plain store file), or missing
        fail(exc, lang, err)
    with opened:
        total = len(cat.select(series).series)
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} {task.fields[current]}"),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        ) as bar:
            task = bar.add_task(t("forecast_cli.progress", lang), total=total, current="")
            run = forecast_from_store(
                db.con,
                series,
                horizon,
                progress=lambda sid: bar.update(task, advance=1, current=sid),
            )
        if not run.forecasts:  # a sparse store: say so rather than store or print an empty run
            err.print(t("sparse_store.nothing_to_forecast", lang, path=st.db,
                        series=", ".join(sorted(run.skipped))),
                      markup=False, highlight=False)
            raise typer.Exit(1)
        rid = None
        if store:
            rid = save_run(db.con, run)
            with db.transaction():
                db.mark_changed()  # a new version: the portal's caches show the new forecast
    frame = run.frame()
    if series:
        frame = frame[frame["series_id"].isin(series)]
    if fmt == "json":
        payload = {
            "run_id": rid,
            "created_at": run.created_at.isoformat(),
            "data_release": run.data_release,
            "model": run.model,
            "forecasts": json.loads(frame.to_json(orient="records", date_format="iso")),
            "alerts": [
                {
                    "series_id": a.series_id,
                    "period": a.period.strftime("%Y-%m-%d"),
                    "horizon": a.horizon,
                    "probability": a.probability,
                    "level": a.level,
                    "last_period": a.last_period.strftime("%Y-%m-%d"),
                    "status": alert_status(a.period, date.today()),
                    "explanation": a.explanation[lang],
                }
                for a in run.alerts
                if not series or a.series_id in series
            ],
        }
        sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
        return
    if fmt == "csv":
        from observatorio.formula_guard_frame import neutral_frame

        neutral_frame(frame).to_csv(sys.stdout, index=False, date_format="%Y-%m-%d")
        return
    table = Table(title=t("forecast_cli.table_title", lang) + (f" — {rid}" if rid else ""))
    for col in COLUMNS:
        table.add_column(t(f"forecast_cli.column.{col}", lang), justify="left" if col in ("series", "freq") else "right")
    shown = frame[(frame["freq"] == "A") | (frame["horizon"].isin([1, 2, 3, 6, 12]))]
    for r in shown.to_dict(orient="records"):
        p_surge = float(r["p_surge"])
        p = "" if np.isnan(p_surge) else t("forecast_cli.percent", lang, percent=fmt_number(p_surge * 100, lang))
        table.add_row(
            str(r["series_id"]), str(r["freq"]), pd.Timestamp(r["period"]).strftime("%Y-%m"),
            str(r["horizon"]), fmt_number(float(r["mean"]), lang),
            _interval(float(r["lo_80"]), float(r["hi_80"]), lang),
            _interval(float(r["lo_95"]), float(r["hi_95"]), lang), p,
        )
    out.print(table)
    alerts = [a for a in run.alerts if not series or a.series_id in series]
    if alerts:
        out.print(t("forecast_cli.alerts", lang), style="bold", markup=False)
        for a in alerts:
            past = alert_status(a.period, date.today()) == PAST
            mark = t("forecast_cli.month_passed", lang) + " " if past else ""
            out.print(f"• {mark}{a.explanation[lang]}", highlight=False, markup=False)
    else:
        out.print(t("forecast_cli.no_alerts", lang))
    if rid:
        out.print(t("forecast_cli.stored", lang, run_id=rid), markup=False)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root app."""
    app.command(name="forecast", help=cli_help("cli.help.forecast"))(forecast)
