"""The ``observatorio refresh`` command."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from observatorio.cli_help import cli_help
from observatorio.cli_state import state as cli_state
from observatorio.errors import ObservatorioError, StoreBusy, StoreMissing
from observatorio.i18n import t
from observatorio.refresh.run import (
    EXIT_CANNOT_START,
    Outcome,
    exit_code,
    refresh_all,
)
from observatorio.refresh.state import FAILED, LOADED
from observatorio.settings import get_settings
from observatorio.sources.base import Adapter, all_adapters, get_adapter
from observatorio.sources.discovery import override_declarations, spec_for
from observatorio.sources.fetching import Client, Politeness
from observatorio.store import Store
from observatorio.store.snapshots import publishing

console = Console()
err_console = Console(stderr=True)


def refresh(
    ctx: typer.Context,
    sources: Annotated[list[str] | None, typer.Argument(
        help=cli_help("cli.help.refresh.sources"))] = None,
    all_sources: Annotated[bool, typer.Option(
        "--all", help=cli_help("cli.help.refresh.all"))] = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help=cli_help("cli.help.refresh.dry_run"))] = False,
    discovery: Annotated[Path | None, typer.Option(
        "--discovery", help=cli_help("cli.help.refresh.discovery"))] = None,
    no_mail: Annotated[bool, typer.Option(
        "--no-mail", help=cli_help("cli.help.refresh.no_mail"))] = False,
) -> None:
    """Find, download and load each source's newest release (help: cli.help.refresh)."""
    st = cli_state(ctx)
    settings = get_settings()
    if bool(sources) == all_sources:
        raise typer.BadParameter(t("refresh.sources_or_all", st.lang))
    try:
        overrides = override_declarations(discovery)
        work = _work(sources, overrides)
    except ObservatorioError as exc:
        err_console.print(exc.message(st.lang), markup=False, highlight=False)
        raise typer.Exit(EXIT_CANNOT_START) from None
    politeness = Politeness(timeout=settings.refresh_timeout_s, retries=settings.refresh_retries,
                            backoff=settings.refresh_backoff_s,
                            max_bytes=settings.refresh_max_mb * 1024 * 1024)
    opened = ExitStack()
    try:
        # a dry run only reads: it creates no store and runs beside a serving portal; a real one
        # publishes a new snapshot (store/snapshots.py) when the store has them, beside it too
        store = opened.enter_context(Store.open(st.db, read_only=True) if dry_run
                                     else publishing(st.db))
    except StoreBusy as exc:  # DuckDB: one writer or many readers, never both
        message = t("refresh.store_busy", st.lang, path=st.db, holder=exc.values.get("holder", "?"))
        err_console.print(message, markup=False, highlight=False)
        raise typer.Exit(EXIT_CANNOT_START) from None
    except StoreMissing as exc:
        err_console.print(exc.message(st.lang), markup=False, highlight=False)
        raise typer.Exit(EXIT_CANNOT_START) from None
    with opened, Client(politeness) as client, Progress(
        SpinnerColumn(), TextColumn("[bold]{task.description}"), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=err_console, transient=True,
    ) as progress:
        task = progress.add_task("refresh", total=len(work))

        def on_done(outcome: Outcome) -> None:
            for line in outcome.lines(st.lang):
                progress.console.print(line, markup=False, highlight=False)
            progress.advance(task)

        outcomes = refresh_all(
            store, work, client, dry_run=dry_run, on_done=on_done,
            on_stage=lambda source, stage: progress.update(
                task, description=f"{source}: {t(f'refresh.stage.{stage}', st.lang)}"),
        )
    loaded = sum(o.result == LOADED for o in outcomes)
    failed = sum(o.result == FAILED for o in outcomes)
    console.print(t("refresh.summary", st.lang, loaded=loaded, failed=failed,
                    unchanged=len(outcomes) - loaded - failed))
    if failed and not dry_run and not no_mail:
        _mail(outcomes, st.lang)
    raise typer.Exit(exit_code(outcomes))


def _work(sources: list[str] | None, overrides: dict[str, Any]) -> list[tuple[Adapter, Any | None]]:
    if sources:
        adapters = [get_adapter(s) for s in sources]
        return [(a, spec_for(a, overrides)) for a in adapters]
    pairs = [(a, spec_for(a, overrides)) for a in all_adapters()]
    return [(a, spec) for a, spec in pairs if spec is not None]


def _mail(outcomes: list[Outcome], lang: str) -> None:
    from observatorio.refresh.notify import recipients, send_failure_mail

    settings = get_settings()
    try:
        send_failure_mail(outcomes, settings)
    except (OSError, Exception) as exc:  # noqa: BLE001 - a mail failure must not hide the refresh's result
        err_console.print(t("refresh.mail_failed", lang, to=", ".join(recipients(settings)),
                            reason=str(exc) or type(exc).__name__), markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command("refresh", help=cli_help("cli.help.refresh"))(refresh)
