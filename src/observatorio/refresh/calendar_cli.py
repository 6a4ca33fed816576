"""``observatorio calendar`` (what is due and overdue, per source, country and organisation) and
``observatorio calendar remind`` (e-mail each organisation its due sources)."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer

from observatorio.cli_help import cli_help
from observatorio.errors import ObservatorioError
from observatorio.i18n import t
from observatorio.sources.submission_calendar import Slot

calendar_app = typer.Typer(no_args_is_help=False, invoke_without_command=True,
                           help=cli_help("cli.help.calendar"))
TodayOpt = Annotated[str | None, typer.Option(
    "--today", help=cli_help("cli.help.calendar.today"))]


def register(app: typer.Typer) -> None:
    app.add_typer(calendar_app, name="calendar")


def _today(value: str | None, lang: str) -> date:
    from observatorio.refresh.reminders import today_utc

    if value is None:
        return today_utc()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(t("calendar.bad_today", lang, value=value)) from None


def _slots(ctx: typer.Context, today: date) -> list[Slot]:
    from observatorio.cli_state import state
    from observatorio.sources.submission_calendar import schedule
    from observatorio.store import Store

    st = state(ctx)
    try:
        with Store.open(st.db, read_only=True) as store:
            return schedule(store, today)
    except ObservatorioError as exc:
        typer.echo(exc.message(st.lang), err=True)
        raise typer.Exit(1) from None


@calendar_app.callback()
def show(ctx: typer.Context, today: TodayOpt = None,
         as_json: Annotated[bool, typer.Option("--json", help=cli_help("cli.help.calendar.json"))] = False) -> None:
    """Which sources are due or overdue (help: cli.help.calendar)."""
    if ctx.invoked_subcommand is not None:
        return
    from observatorio.cli_state import state

    lang = state(ctx).lang
    slots = _slots(ctx, _today(today, lang))
    if as_json:
        typer.echo(json.dumps([{**s.__dict__, "last_period": s.last_period.isoformat(),
                                "next_period": s.next_period.isoformat(), "due_on": s.due_on.isoformat()}
                               for s in slots], ensure_ascii=False, indent=1))
        return
    for s in slots:
        typer.echo(f"{t(f'calendar.status.{s.status}', lang):10} {s.due_on.isoformat()}  "
                   f"{(s.country or '—'):4} {s.provider:14} {s.source}")


@calendar_app.command("remind", help=cli_help("cli.help.calendar.remind"))
def remind(ctx: typer.Context, today: TodayOpt = None,
           dry_run: Annotated[bool, typer.Option("--dry-run", help=cli_help("cli.help.calendar.remind.dry_run"))] = False,
           site: Annotated[str, typer.Option(help=cli_help("cli.help.calendar.remind.site"))] = "") -> None:
    """E-mail reminders to the providing organisations (help: cli.help.calendar.remind)."""
    from observatorio.cli_state import state
    from observatorio.refresh.reminders import send_reminders
    from observatorio.settings import get_settings

    lang = state(ctx).lang
    slots = _slots(ctx, _today(today, lang))
    try:
        outcome = send_reminders(slots, get_settings(), dry_run=dry_run, site=site.rstrip("/"))
    except ObservatorioError as exc:
        typer.echo(exc.message(lang), err=True)
        raise typer.Exit(1) from None
    typer.echo(t("calendar.remind.sent", lang, sent=", ".join(outcome.sent) or "—",
                 missing=", ".join(outcome.missing) or "—"))
