"""``observatorio report regional|country [ISO3] --period YYYY-MM --lang es|en --format …``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from observatorio.cli_errors import fail
from observatorio.cli_help import cli_help
from observatorio.cli_state import state
from observatorio.errors import ObservatorioError

err_console = Console(stderr=True)


def report(
    ctx: typer.Context,
    scope: Annotated[str, typer.Argument(help=cli_help("cli.help.report.scope"))],
    iso3: Annotated[str | None, typer.Argument(help=cli_help("cli.help.report.iso3"))] = None,
    period: Annotated[str, typer.Option("--period", help=cli_help("cli.help.report.period"))] = "",
    lang: Annotated[str | None, typer.Option("--lang", help=cli_help("cli.help.report.lang"))] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help=cli_help("cli.help.report.format"))] = "pdf",
    out: Annotated[Path | None, typer.Option("--out", "-o", help=cli_help("cli.help.report.out"))] = None,
) -> None:
    """A monthly regional or country bulletin (help: cli.help.report)."""
    from observatorio.i18n import t
    from observatorio.report import archive
    from observatorio.report.options import BulletinOptions, latest_data_month
    from observatorio.report.service import produce
    from observatorio.settings import Settings, get_settings
    from observatorio.store import Store

    st = state(ctx)
    language = lang or st.lang
    try:
        if not period:
            with Store.open(st.db, read_only=True) as store:
                period = latest_data_month(store)
        options = BulletinOptions.parse(scope, iso3, period, language, fmt)
        settings = Settings(**{**get_settings().model_dump(), "db": st.db})
        with Store.open(st.db, read_only=True) as store:
            from observatorio.report.pdf import creation_stamp

            produced = produce(store, settings, options, creation_stamp())
        if out is None:
            written = archive.record(settings.bulletins_path, produced.bulletin,
                                     {options.fmt: produced.data})
            target = written[options.fmt]
        else:
            archive.write_atomically(out, produced.data)
            target = out
    except ObservatorioError as exc:
        fail(exc, language if language in ("es", "en") else "es", err_console)
    except OSError as exc:
        err_console.print(t("bulletin.error.write", language if language in ("es", "en") else "es",
                            path=str(out), reason=exc.strerror or str(exc)), markup=False, highlight=False)
        raise typer.Exit(code=1) from None
    print(t("bulletin.written", options.lang, path=str(target),
            count=len(produced.bulletin.releases)))


def register(app: typer.Typer) -> None:
    app.command("report", help=cli_help("cli.help.report"))(report)
