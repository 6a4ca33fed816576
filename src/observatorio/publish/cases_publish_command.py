"""``observatorio cases publish``: the operator's publication run into the statistics store.

Registered on the cases command group from here because it opens the store, which the cases
package never imports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from observatorio.cases.cli import UrlOpt, _fail, _operator, _runtime
from observatorio.cases.errors import CasesError
from observatorio.cli_help import cli_help, current_lang
from observatorio.cli_prompts import say
from observatorio.errors import ObservatorioError


def register(cases_app: typer.Typer) -> None:
    cases_app.command("publish", help=cli_help("cli.help.cases.publish"))(publish)


def publish(
    period: Annotated[str, typer.Option(help=cli_help("cli.help.cases.publish.period"))],
    threshold: Annotated[int | None, typer.Option(
        help=cli_help("cli.help.cases.publish.threshold"))] = None,
    url: UrlOpt = None,
    db: Annotated[Path | None, typer.Option(help=cli_help("cli.help.cases.publish.db"))] = None,
    revise: Annotated[bool, typer.Option(help=cli_help("cli.help.cases.publish.revise"))] = False,
    reason: Annotated[str | None, typer.Option(help=cli_help("cli.help.cases.publish.reason"))] = None,
) -> None:
    """Publish disclosure-controlled case aggregates (help: cli.help.cases.publish)."""
    from observatorio.cases.publication.access import publish_as_operator, revision_reason
    from observatorio.cases.publication.run import Rules, check_threshold, parse_period
    from observatorio.settings import get_settings
    from observatorio.store.snapshots import publishing

    rt = _runtime(url)
    try:
        month = parse_period(period)
        limit = check_threshold(threshold if threshold is not None else rt.config.publication_threshold)
        rules = Rules(closing_days=rt.config.publication_closing_days, revise=revise, reason=reason)
        revision_reason(rules)  # a revision without its reason is refused before the store opens
        with publishing(db or get_settings().db_path) as store, rt.sessions() as session:
            result = publish_as_operator(session, store, month, limit, _operator(), rules)
    except CasesError as exc:
        _fail(exc)
    except ObservatorioError as exc:
        typer.echo(exc.message(current_lang()), err=True)
        raise typer.Exit(1) from None
    finally:
        rt.close()
    if result.skipped:
        typer.echo(say("cases_cli.publication_unchanged", release=result.load_id))
    else:
        typer.echo(say("cases_cli.published", release=result.load_id, rows=result.rows,
                           suppressed=result.suppressed, threshold=limit))
