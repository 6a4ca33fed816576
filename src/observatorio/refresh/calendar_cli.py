"""``observatorio calendar`` (what is due and overdue, per source, country and organisation) and
``observatorio calendar remind`` (e-mail each organisation its due sources)."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer

from observatorio.errors import ObservatorioError
from observatorio.i18n import t
from observatorio.sources.submission_calendar import Slot

calendar_app = typer.Typer(no_args_is_help=False, invoke_without_command=True,
                           help="Calendario de envíos / submission calendar")
TodayOpt = Annotated[str | None, typer.Option(
    "--today", help="Fecha de referencia AAAA-MM-DD (hoy por omisión) / reference date YYYY-MM-DD (default today)")]


def register(app: typer.Typer) -> None:
    app.add_typer(calendar_app, name="calendar")


def _today(value: str | None) -> date:
    from observatorio.refresh.reminders import today_utc

    if value is None:
        return today_utc()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"--today {value!r}: use AAAA-MM-DD / use YYYY-MM-DD") from None


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
         as_json: Annotated[bool, typer.Option("--json", help="Salida JSON / JSON output")] = False) -> None:
    """Qué fuentes están pendientes o atrasadas / which sources are due or overdue."""
    if ctx.invoked_subcommand is not None:
        return
    from observatorio.cli_state import state

    lang = state(ctx).lang
    slots = _slots(ctx, _today(today))
    if as_json:
        typer.echo(json.dumps([{**s.__dict__, "last_period": s.last_period.isoformat(),
                                "next_period": s.next_period.isoformat(), "due_on": s.due_on.isoformat()}
                               for s in slots], ensure_ascii=False, indent=1))
        return
    for s in slots:
        typer.echo(f"{t(f'calendar.status.{s.status}', lang):10} {s.due_on.isoformat()}  "
                   f"{(s.country or '—'):4} {s.provider:14} {s.source}")


@calendar_app.command("remind")
def remind(ctx: typer.Context, today: TodayOpt = None,
           dry_run: Annotated[bool, typer.Option("--dry-run", help="No enviar / send nothing")] = False,
           site: Annotated[str, typer.Option(help="Dirección pública del portal / the portal's public address, "
                                                  "e.g. https://observatorio.example")] = "") -> None:
    """Enviar recordatorios a las organizaciones / e-mail reminders to the providing organisations."""
    from observatorio.cli_state import state
    from observatorio.refresh.reminders import send_reminders
    from observatorio.settings import get_settings

    lang = state(ctx).lang
    slots = _slots(ctx, _today(today))
    try:
        outcome = send_reminders(slots, get_settings(), dry_run=dry_run, site=site.rstrip("/"))
    except ObservatorioError as exc:
        typer.echo(exc.message(lang), err=True)
        raise typer.Exit(1) from None
    typer.echo(t("calendar.remind.sent", lang, sent=", ".join(outcome.sent) or "—",
                 missing=", ".join(outcome.missing) or "—"))
