"""``observatorio cases directory-seed``: an editor loads the bundled directory seed (the CRM
member states' institutions and the organisations the repository names) through the audited
use cases; entries already present are left as the editors keep them."""

from __future__ import annotations

import typer

from observatorio.cases.cli import UrlOpt, UserOpt, _run_as
from observatorio.cli_help import cli_help
from observatorio.cli_prompts import say


def register(cases_app: typer.Typer) -> None:
    cases_app.command("directory-seed", help=cli_help("cli.help.cases.directory_seed"))(directory_seed)


def directory_seed(user: UserOpt, url: UrlOpt = None) -> None:
    """Load the initial directory as an editor (help: cli.help.cases.directory_seed)."""
    from observatorio.cases.directory import load_seed

    orgs, mechanisms = _run_as(url, user, load_seed)
    typer.echo(say("cases_cli.directory_seeded", organisations=orgs, mechanisms=mechanisms))
