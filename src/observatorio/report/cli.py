"""``observatorio report regional|country [ISO3] --period YYYY-MM --lang es|en --format …``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from observatorio.cli_errors import fail
from observatorio.cli_state import state
from observatorio.errors import ObservatorioError

err_console = Console(stderr=True)


def report(
    ctx: typer.Context,
    scope: Annotated[str, typer.Argument(help="regional | country")],
    iso3: Annotated[str | None, typer.Argument(help="ISO3 (country), p. ej./e.g. GTM")] = None,
    period: Annotated[str, typer.Option("--period", help="Mes de datos (por omisión, el último "
                                        "con datos) / data month (default: the latest with data), "
                                        "YYYY-MM")] = "",
    lang: Annotated[str | None, typer.Option("--lang", help="es | en")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="pdf | xlsx | html")] = "pdf",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Archivo / file "
                                              "(por omisión, el archivo de boletines / default: "
                                              "the bulletins archive)")] = None,
) -> None:
    """Boletín mensual regional o de país / monthly regional or country bulletin."""
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
    app.command("report")(report)
