"""``observatorio cases reception …``: arrivals, manifests and the municipality code list.

``arrival add``, ``arrival list`` and ``manifest import`` are account commands (``--user``:
the same login, policy and audit as the API); ``municipalities load`` is an operator command
(a national code list, no personal data)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from observatorio.cases.cli import UrlOpt, UserOpt, _fail, _run_as, _runtime
from observatorio.cli_help import cli_help
from observatorio.cli_prompts import say

app = typer.Typer(help=cli_help("cli.help.cases.reception"), no_args_is_help=True)
arrival_app = typer.Typer(help=cli_help("cli.help.cases.reception.arrival"), no_args_is_help=True)
manifest_app = typer.Typer(help=cli_help("cli.help.cases.reception.manifest"), no_args_is_help=True)
municipality_app = typer.Typer(help=cli_help("cli.help.cases.reception.municipalities"),
                               no_args_is_help=True)
app.add_typer(arrival_app, name="arrival")
app.add_typer(manifest_app, name="manifest")
app.add_typer(municipality_app, name="municipalities")


def register(cases_app: typer.Typer) -> None:
    cases_app.add_typer(app, name="reception")


@arrival_app.command("add", help=cli_help("cli.help.cases.reception.arrival.add"))
def arrival_add(
    user: UserOpt,
    mode: Annotated[str, typer.Option(help=cli_help("cli.help.cases.reception.arrival.add.mode"))],
    date: Annotated[str, typer.Option("--date", help=cli_help("cli.help.cases.reception.arrival.add.date"))],
    arriving_from: Annotated[str, typer.Option("--from", help=cli_help("cli.help.cases.reception.arrival.add.from"))],
    expected: Annotated[int, typer.Option(help=cli_help("cli.help.cases.reception.arrival.add.expected"))],
    organisation: Annotated[int | None, typer.Option(help=cli_help("cli.help.cases.reception.arrival.add.organisation"))] = None,
    url: UrlOpt = None,
) -> None:
    """Record an arrival (help: cli.help.cases.reception.arrival.add)."""
    from pydantic import ValidationError

    from observatorio.cases.page_kit import invalid
    from observatorio.cases.reception.arrivals import create_arrival
    from observatorio.cases.reception.schemas import ArrivalIn

    try:
        data = ArrivalIn.model_validate({"mode": mode, "arrival_date": date, "arriving_from": arriving_from.upper(),
                                         "expected_count": expected, "organisation_id": organisation})
    except ValidationError as exc:
        _fail(invalid(exc))
    out = _run_as(url, user, lambda ctx: create_arrival(ctx, data))
    typer.echo(say("cases_cli.arrival", id=out.id, reference=out.reference))


@arrival_app.command("list", help=cli_help("cli.help.cases.reception.arrival.list"))
def arrival_list(user: UserOpt, url: UrlOpt = None) -> None:
    """The recent arrivals with counts (help: cli.help.cases.reception.arrival.list)."""
    from observatorio.cases.reception.arrivals import list_arrivals

    expected, on_manifest, received = (say(f"cases_cli.arrival.{label}")
                                       for label in ("expected", "on_manifest", "received"))
    for a in _run_as(url, user, list_arrivals):
        typer.echo(f"{a.id}\t{a.reference}\t{a.arrival_date}\t{a.mode}\t{a.arriving_from}\t"
                   f"{expected} {a.expected_count}\t{on_manifest} {a.on_manifest}\t{received} {a.received}")


@manifest_app.command("import", help=cli_help("cli.help.cases.reception.manifest.import"))
def manifest_import(
    arrival_id: int,
    file: Annotated[Path, typer.Argument(help=cli_help("cli.help.cases.reception.manifest.import.file"))],
    user: UserOpt,
    url: UrlOpt = None,
) -> None:
    """Import an arrival's manifest, all or nothing (help: cli.help.cases.reception.manifest.import)."""
    from observatorio.cases.errors import Invalid
    from observatorio.cases.reception.arrivals import import_manifest

    try:
        content = file.read_bytes()
    except OSError as exc:
        _fail(Invalid(key="refusal.reception.file_unreadable", file=file, exc_strerror=exc.strerror))
    n = _run_as(url, user, lambda ctx: import_manifest(ctx, arrival_id, file.name, content, dt.date.today()))
    typer.echo(say("cases_cli.people_imported", count=n))


@municipality_app.command("load", help=cli_help("cli.help.cases.reception.municipalities.load"))
def municipalities_load(
    file: Annotated[Path, typer.Argument(help=cli_help("cli.help.cases.reception.municipalities.load.file"))],
    url: UrlOpt = None,
) -> None:
    """Load a national municipality list (help: cli.help.cases.reception.municipalities.load)."""
    from observatorio.cases.errors import CasesError
    from observatorio.cases.reception.geography import load_municipalities

    rt = _runtime(url)
    try:
        with rt.sessions() as s:
            loaded = load_municipalities(s, file)
    except CasesError as exc:
        _fail(exc)
    finally:
        rt.close()
    for country, n in loaded.items():
        typer.echo(say("cases_cli.municipalities", country=country, count=n))


@app.command("demo", help=cli_help("cli.help.cases.reception.demo"))
def reception_demo(
    url: UrlOpt = None,
    arrivals: Annotated[int, typer.Option(help=cli_help("cli.help.cases.reception.demo.arrivals"))] = 3,
    people: Annotated[int, typer.Option(help=cli_help("cli.help.cases.reception.demo.people"))] = 20,
    seed: Annotated[int | None, typer.Option(help=cli_help("cli.help.seed"))] = None,
) -> None:
    """Synthetic arrivals and intakes at the demo centres (help: cli.help.cases.reception.demo)."""
    from observatorio.cases.errors import CasesError
    from observatorio.cases.reception.demo import build

    rt = _runtime(url)
    try:
        with rt.sessions() as s:
            n = build(s, arrivals, people, seed)
    except CasesError as exc:
        _fail(exc)
    finally:
        rt.close()
    typer.echo(say("cases_cli.synthetic_returnees", count=n))

