"""``observatorio submissions``: declare which sources an organisation provides (the operator,
with database access, as for ``cases`` maintenance; audited under the operator's name)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from observatorio.cli_help import cli_help

app = typer.Typer(help=cli_help("cli.help.submissions"), no_args_is_help=True)
UrlOpt = Annotated[str | None, typer.Option("--url", envvar="OBSERVATORIO_CASES_DB",
                                             help=cli_help("cli.help.submissions.url"))]


@app.command("provide", help=cli_help("cli.help.submissions.provide"))
def provide(
    organisation: Annotated[int, typer.Argument(help=cli_help("cli.help.submissions.provide.organisation"))],
    source: Annotated[str, typer.Argument(help=cli_help("cli.help.source_id"))],
    mapping: Annotated[Path | None, typer.Option("--mapping", help=cli_help("cli.help.submissions.provide.mapping"))] = None,
    url: UrlOpt = None,
) -> None:
    """The organisation provides the source (help: cli.help.submissions.provide)."""
    from observatorio.cases.audit import AccessEvent, Actor, append
    from observatorio.cases.cli import _fail, _operator, _runtime
    from observatorio.cases.errors import Invalid, NotFound
    from observatorio.cases.models import Organisation
    from observatorio.cases.submission_models import ProvidedSource
    from observatorio.errors import ObservatorioError
    from observatorio.sources.base import get_adapter
    from observatorio.sources.mapping import load_mapping

    text = None
    try:
        if mapping is not None:
            spec = load_mapping(mapping)  # every problem of the mapping, with its line, before storing
            if spec.source.id != source:
                _fail(Invalid(key="refusal.submission.mapping_source_mismatch", spec_source_id=spec.source.id, source=source))
            text = mapping.read_text(encoding="utf-8")
        else:
            get_adapter(source)
    except ObservatorioError as exc:
        typer.echo(f"{exc.message('es')}\n{exc.message('en')}", err=True)
        raise typer.Exit(1) from None
    rt = _runtime(url)
    try:
        with rt.sessions() as session:
            if session.get(Organisation, organisation) is None:
                _fail(NotFound(key="refusal.submission.no_organisation_named", organisation=organisation))
            row = session.scalars(select(ProvidedSource).where(
                ProvidedSource.organisation_id == organisation, ProvidedSource.source == source)).first()
            row = row or ProvidedSource(organisation_id=organisation, source=source)
            row.mapping = text
            session.add(row)
            session.flush()
            append(session, Actor(None, _operator(), None),
                   [AccessEvent("submission.provide", "provided_source", str(row.id), (), organisation)])
            session.commit()
    finally:
        rt.close()
    typer.echo(f"{organisation} → {source}")


@app.command("sources", help=cli_help("cli.help.submissions.sources"))
def sources(url: UrlOpt = None) -> None:
    """Which sources each organisation provides (help: cli.help.submissions.sources)."""
    from observatorio.cases.cli import _runtime
    from observatorio.cases.models import Organisation
    from observatorio.cases.submission_models import ProvidedSource

    rt = _runtime(url)
    try:
        with rt.sessions() as session:
            rows = session.execute(select(ProvidedSource, Organisation).join(
                Organisation, Organisation.id == ProvidedSource.organisation_id).order_by(
                Organisation.id, ProvidedSource.source)).all()
            for provided, org in rows:
                kind = "mapping" if provided.mapping else "adapter"
                typer.echo(f"{org.id}\t{org.name}\t{provided.source}\t{kind}")
    finally:
        rt.close()


def register(root: typer.Typer) -> None:
    """Add ``observatorio submissions`` to the root app."""
    root.add_typer(app, name="submissions")
