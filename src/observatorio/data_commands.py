"""Commands of the statistics store: load, sources, validate, sql, fetch."""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from observatorio.cli_errors import fail
from observatorio.cli_help import cli_help
from observatorio.cli_state import CliState, state
from observatorio.errors import ObservatorioError
from observatorio.formula_guard_frame import neutral_frame
from observatorio.harmonize.problems import WARNINGS_SHOWN, Problems, ValidationFailed
from observatorio.i18n import fmt_number, t
from observatorio.loading import harmonize_file, load_bundled_files, load_file_checked
from observatorio.settings import get_settings
from observatorio.sources.base import Adapter, all_adapters, get_adapter
from observatorio.store import LoadResult, Store, check_read_only
from observatorio.store.snapshots import publishing

console = Console()
err_console = Console(stderr=True)


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _state(ctx: typer.Context) -> CliState:
    return state(ctx)


AllWarningsO = Annotated[bool, typer.Option(
    "--all-warnings",
    help=cli_help("cli.help.all_warnings", shown=WARNINGS_SHOWN))]


def _fail(exc: ObservatorioError, lang: str) -> None:
    fail(exc, lang, err_console)


def _report(exc: ObservatorioError, all_warnings: bool) -> ObservatorioError:
    """The error, its file's warnings listed in full when asked (a broken file shows both)."""
    if all_warnings and isinstance(exc, ValidationFailed):
        exc.warnings_shown = None
    return exc


def _print_warnings(out: Console, problems: Problems, lang: str, all_warnings: bool) -> None:
    """After the summary: the warnings counted, the first few (or all) with file, row, column."""
    text = problems.render_warnings(lang, None if all_warnings else WARNINGS_SHOWN)
    if text:
        out.print(text, markup=False, highlight=False)


def _parse_release(text: str | None, lang: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(t("data_cli.release_date", lang)) from None


def load(
    ctx: typer.Context,
    sources: Annotated[list[str] | None, typer.Argument(help=cli_help("cli.help.load.sources"))] = None,
    file: Annotated[Path | None, typer.Option("--file", help=cli_help("cli.help.load.file"))] = None,
    release: Annotated[str | None, typer.Option("--release", help=cli_help("cli.help.release_date"))] = None,
    mapping: Annotated[list[Path] | None, typer.Option("--mapping", help=cli_help("cli.help.load.mapping"))] = None,
    all_warnings: AllWarningsO = False,
) -> None:
    """Load sources into the store, all-or-nothing per file (help: cli.help.load)."""
    st = _state(ctx)
    try:
        adapters = _select_adapters(sources, mapping)
        if file is not None and len(adapters) != 1:
            raise typer.BadParameter(t("data_cli.one_source_for_file", st.lang))
        failures = 0
        with publishing(st.db) as store, _progress() as progress:
            task = progress.add_task("load", total=len(adapters))
            for outcome in load_bundled_files(
                store, adapters, file=file, release=_parse_release(release, st.lang),
                starting=lambda a: progress.update(task, description=a.info.id),
                finished=lambda a: progress.advance(task),
            ):
                if outcome.error is not None:
                    failures += 1
                    progress.console.print(_report(outcome.error, all_warnings).message(st.lang),
                                           markup=False, highlight=False)
                else:
                    assert outcome.result is not None and outcome.problems is not None
                    _print_load(progress.console, outcome.result, outcome.problems, st.lang, all_warnings)
        if failures:
            raise typer.Exit(code=1)
    except ObservatorioError as exc:
        _fail(exc, st.lang)


def _print_load(out: Console, result: LoadResult, problems: Problems, lang: str,
                all_warnings: bool) -> None:
    key = "load.unchanged" if result.skipped else "load.done"
    out.print(t(key, lang, source=result.source, rows=fmt_number(result.rows, lang), release=result.release))
    if result.skipped and problems.warning_count():
        out.print(t("report.stored_warnings", lang, count=problems.warning_count(),
                    load_id=result.load_id), markup=False, highlight=False)
    _print_warnings(out, problems, lang, all_warnings)


def _select_adapters(sources: list[str] | None, mappings: list[Path] | None) -> list[Adapter]:
    extra: list[Adapter] = []
    if mappings:
        from observatorio.sources.mapping import register_mapping_file

        extra = [register_mapping_file(p) for p in mappings]
    if sources:
        return [get_adapter(s) for s in sources]
    return extra or all_adapters()


def _progress(console: Console = err_console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description:<45}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=console, transient=True,
    )


def load_bundled_quietly(db: Path, console: Console, lang: str) -> None:
    """Load every bundled source with a progress bar, printing only the files that failed (the
    one-command quickstart: one bad file must not keep the API from starting). A store that
    already publishes through snapshots (an empty one made by ``release init``) gets a new
    snapshot, like any load: the one in force is never written."""
    with publishing(db) as store, _progress(console) as progress:
        task = progress.add_task("load", total=len(all_adapters()))
        for outcome in load_bundled_files(
            store,
            starting=lambda a: progress.update(task, description=a.info.id),
            finished=lambda a: progress.advance(task),
        ):
            if outcome.error is not None:
                progress.console.print(outcome.error.message(lang), markup=False, highlight=False)


def sources_cmd(
    ctx: typer.Context,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """The loaded sources: release, rows, period, load date (help: cli.help.sources)."""
    st = _state(ctx)
    try:
        with Store.open(st.db, read_only=True) as store:
            frame = store.sources_summary()
    except ObservatorioError as exc:
        _fail(exc, st.lang)
        return
    # Seconds are the precision anyone reads a load time at.
    frame["loaded_at"] = pd.to_datetime(frame["loaded_at"]).dt.floor("s")
    if fmt is OutputFormat.table:
        _print_sources(frame, st.lang)
    else:
        _print_frame(frame, fmt)


def _print_sources(frame: pd.DataFrame, lang: str) -> None:
    """The sources as a table that fits 80 columns: ids fold, the load time wraps at its space;
    the file name and release count are in the CSV/JSON forms."""
    table = Table(title=t("sources.title", lang), box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column(t("sources.col.source", lang), overflow="fold", ratio=1)
    table.add_column(t("sources.col.release", lang), no_wrap=True)
    table.add_column(t("sources.col.rows", lang), justify="right", no_wrap=True)
    table.add_column(t("sources.col.period", lang), no_wrap=True)
    table.add_column(t("sources.col.loaded_at", lang), max_width=10)
    for row in frame.itertuples(index=False):
        period = f"{row.period_start:%Y-%m}–{row.period_end:%Y-%m}"
        table.add_row(str(row.source), f"{row.release:%Y-%m-%d}", fmt_number(int(row.rows), lang),  # type: ignore[arg-type]
                      period, f"{row.loaded_at:%Y-%m-%d %H:%M:%S}")
    console.print(table)


def validate(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Option("--file", help=cli_help("cli.help.validate.file"))] = None,
    source: Annotated[str | None, typer.Option("--source", help=cli_help("cli.help.source_id"))] = None,
    mapping: Annotated[Path | None, typer.Option("--mapping", help=cli_help("cli.help.validate.mapping"))] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
    all_warnings: AllWarningsO = False,
) -> None:
    """Check a file without loading it: its errors and warnings (help: cli.help.validate)."""
    st = _state(ctx)
    if (source is None) == (mapping is None):
        raise typer.BadParameter(t("data_cli.source_or_mapping", st.lang))
    try:
        adapter = _select_adapters([source] if source else None, [mapping] if mapping else None)[0]
        # Like load: without --file, the file the mapping names (or the bundled one).
        file = file or adapter.bundled_path(get_settings().data_path)
        frame, problems, release = harmonize_file(adapter, file)
    except ObservatorioError as exc:
        _fail(exc, st.lang)
        return
    if fmt is OutputFormat.json:
        print(json.dumps(problems.as_json(st.lang), ensure_ascii=False, indent=2))
    else:
        if problems:
            console.print(problems.render(st.lang), markup=False, highlight=False)
        elif problems.warning_count():
            console.print(t("report.ok_with_warnings", st.lang, file=file.name, rows=fmt_number(len(frame), st.lang),
                            count=problems.warning_count()))
        else:
            console.print(t("report.ok", st.lang, file=file.name, rows=fmt_number(len(frame), st.lang)))
        _print_warnings(console, problems, st.lang, all_warnings)
    if problems:
        raise typer.Exit(code=1)


def sql(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help=cli_help("cli.help.sql.query"))],
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """A read-only SQL query over the store's tables (help: cli.help.sql)."""
    st = _state(ctx)
    try:
        check_read_only(query)
        with Store.open(st.db, read_only=True) as store:
            frame = store.query_df(query)
    except ObservatorioError as exc:
        _fail(exc, st.lang)
        return
    except Exception as exc:  # duckdb errors: show the database's own words, no traceback
        err_console.print(f"SQL: {exc}", markup=False, highlight=False)
        raise typer.Exit(code=1) from None
    _print_frame(frame, fmt)


def fetch(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help=cli_help("cli.help.source_id"))],
    url: Annotated[str | None, typer.Option("--url", help=cli_help("cli.help.fetch.url"))] = None,
    release: Annotated[str | None, typer.Option("--release", help=cli_help("cli.help.release_date"))] = None,
    timeout: Annotated[float, typer.Option("--timeout")] = 60.0,
    all_warnings: AllWarningsO = False,
) -> None:
    """Download the publisher's newest file and load it (help: cli.help.fetch)."""
    from observatorio.refresh.run import obtain_newest
    from observatorio.refresh.state import Validators
    from observatorio.sources.discovery import override_declarations, spec_for
    from observatorio.sources.fetching import Client, Politeness, download

    st = _state(ctx)
    day = _parse_release(release, st.lang) or date.today()  # before the download: a typo costs none
    try:
        adapter = get_adapter(source)
        spec = None if url else spec_for(adapter, override_declarations())
        with tempfile.TemporaryDirectory() as tmp:
            if spec is not None:
                with Client(Politeness(timeout=timeout), err_console) as client:
                    got = obtain_newest(client, adapter, spec, Validators(), Path(tmp))
                assert got is not None  # no validators were sent, so no 304
                path = got.path
            else:
                path = download(adapter, Path(tmp), url=url, timeout=timeout, console=err_console)
            with publishing(st.db) as store:
                result, problems = load_file_checked(store, adapter, path, day)
        _print_load(console, result, problems, st.lang, all_warnings)
    except ObservatorioError as exc:
        _fail(_report(exc, all_warnings), st.lang)


def _print_frame(frame: pd.DataFrame, fmt: OutputFormat, title: str | None = None) -> None:
    frame = _dates_as_dates(frame)
    if fmt is OutputFormat.csv:
        lists = [c for c in frame.columns if frame[c].map(lambda v: isinstance(v, list)).any()]
        frame = frame.assign(**{c: frame[c].map(lambda v: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v) for c in lists})
        neutral_frame(frame).to_csv(sys.stdout, index=False)
    elif fmt is OutputFormat.json:
        print(frame.to_json(orient="records", date_format="iso", force_ascii=False))
    else:
        table = Table(title=title)
        for col in frame.columns:
            table.add_column(str(col), overflow="fold")
        for row in frame.itertuples(index=False):
            table.add_row(*(_plain(v) for v in row))
        console.print(table)


def _dates_as_dates(frame: pd.DataFrame) -> pd.DataFrame:
    # DuckDB hands DATE columns to pandas as timestamps and sums as doubles; show dates as dates
    # and whole numbers without ".0", so output matches the published figures.
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        present = series.dropna()
        if pd.api.types.is_datetime64_any_dtype(series) and (present.dt.normalize() == present).all():
            out[col] = series.dt.date
        elif series.dtype == object and len(present) and isinstance(present.iloc[0], np.ndarray):
            out[col] = series.map(lambda v: v.tolist() if isinstance(v, np.ndarray) else v)
        elif pd.api.types.is_float_dtype(series) and len(present) and (present == present.round()).all() \
                and present.abs().max() < 2**53:
            out[col] = series.astype("Int64")
    return out


def _plain(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, list | tuple | np.ndarray):
        return ", ".join(_plain(v) for v in list(value))  # DuckDB list columns (e.g. caveats)
    # Whole numbers print without ".0" so that `sql` output matches published figures.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def register(app: typer.Typer) -> None:
    """Add the store commands to the root app."""
    app.command("load", help=cli_help("cli.help.load"))(load)
    app.command("sources", help=cli_help("cli.help.sources"))(sources_cmd)
    app.command("validate", help=cli_help("cli.help.validate"))(validate)
    app.command("sql", help=cli_help("cli.help.sql"))(sql)
    app.command("fetch", help=cli_help("cli.help.fetch"))(fetch)
