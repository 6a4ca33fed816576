"""``observatorio cases org …`` and ``observatorio cases user add|grant|revoke|list``: how a
real deployment creates its organisations, accounts and roles (``cases demo`` makes only
synthetic ones).

Operator commands, like ``user deactivate``: they need the database's URL and credentials, not
an account (the first administrator has none to log in with). Each change is one transaction
that also writes its audit entry, naming the operator (``cli:<os user>``); a refusal writes
nothing. The lists show no password hash.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from observatorio.cases.cli import UrlOpt, _fail, _operator, _runtime, user_app
from observatorio.cli_help import cli_help
from observatorio.cli_prompts import ask_hidden_twice, say

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from observatorio.cases.runtime import Runtime

T = TypeVar("T")

org_app = typer.Typer(help=cli_help("cli.help.cases.org"), no_args_is_help=True)

OrgOpt = Annotated[str, typer.Option("--org", metavar="ORG", help=cli_help("cli.help.cases.user.org"))]
RoleOpt = Annotated[str, typer.Option("--role", metavar="ROLE", help=cli_help("cli.help.cases.user.role"))]


def register(cases_app: typer.Typer) -> None:
    cases_app.add_typer(org_app, name="org")


def _in_transaction(url: str | None, change: Callable[[Session, Runtime], T]) -> T:
    """Run ``change`` in one transaction and commit it; a refusal rolls everything back and
    ends the command with its message and exit code."""
    from observatorio.cases.errors import CasesError

    rt = _runtime(url)
    try:
        with rt.sessions() as s:
            out = change(s, rt)
            s.commit()
            return out
    except CasesError as exc:
        _fail(exc)
    finally:
        rt.close()


@org_app.command("add", help=cli_help("cli.help.cases.org.add"))
def org_add(
    name: str,
    kind: Annotated[str, typer.Option("--kind", metavar="KIND", help=cli_help("cli.help.cases.org.add.kind"))],
    country: Annotated[str, typer.Option("--country", metavar="ISO3",
                                         help=cli_help("cli.help.cases.org.add.country"))],
    host_country: Annotated[str | None, typer.Option("--host-country", metavar="ISO3",
                                                     help=cli_help("cli.help.cases.org.add.host_country"))] = None,
    city: Annotated[str | None, typer.Option("--city", help=cli_help("cli.help.cases.org.add.city"))] = None,
    url: UrlOpt = None,
) -> None:
    """Create an organisation (help: cli.help.cases.org.add)."""
    from observatorio.cases.accounts import create_organisation

    org = _in_transaction(url, lambda s, rt: create_organisation(
        s, _operator(), name, kind, country, host_country, city))
    typer.echo(say("cases_cli.org_added", id=org.id, name=org.name, kind=org.kind, country=org.country))


@org_app.command("list", help=cli_help("cli.help.cases.org.list"))
def org_list(url: UrlOpt = None) -> None:
    """The organisations, one a line (help: cli.help.cases.org.list)."""
    from sqlalchemy import select

    from observatorio.cases.models import Organisation

    rt = _runtime(url)
    try:
        with rt.sessions() as s:
            orgs = s.scalars(select(Organisation).order_by(Organisation.id)).all()
            rows = [(o.id, o.kind, o.country, o.host_country or "-", o.city or "-", o.name,
                     say("cases_cli.synthetic") if o.synthetic else "") for o in orgs]
    finally:
        rt.close()
    if not rows:
        typer.echo(say("cases_cli.org_none"))
        return
    typer.echo(say("cases_cli.org_list_header"))
    for oid, kind, country, host, city, name, synthetic in rows:
        typer.echo(f"{oid:>5}  {kind:<26} {country:<4} {host:<4} {city:<20} {name} {synthetic}".rstrip())


def user_add(
    username: str,
    org: OrgOpt,
    role: RoleOpt,
    full_name: Annotated[str, typer.Option("--full-name", help=cli_help("cli.help.cases.user.add.full_name"))] = "",
    url: UrlOpt = None,
) -> None:
    """Create an account with one role (help: cli.help.cases.user.add)."""
    from observatorio.cases.accounts import check_new_user, check_password, create_user
    from observatorio.cases.errors import CasesError

    # Refuse a taken name, an unknown role or organisation before asking for a password; the
    # writing transaction checks all again (another operator may have acted meanwhile).
    _in_transaction(url, lambda s, rt: check_new_user(s, username, org, role))
    password = ask_hidden_twice(say("cases_cli.new_password"))
    try:
        check_password(password)
    except CasesError as exc:
        _fail(exc)
    name = _in_transaction(url, lambda s, rt: create_user(
        s, rt.config, _operator(), username, password, org, role, full_name).memberships[0].organisation.name)
    typer.echo(say("cases_cli.user_added", username=username, role=role, organisation=name))


def user_grant(username: str, org: OrgOpt, role: RoleOpt, url: UrlOpt = None) -> None:
    """Give an account a role in an organisation (help: cli.help.cases.user.grant)."""
    from observatorio.cases.accounts import grant_role

    name = _in_transaction(url, lambda s, rt: grant_role(s, _operator(), username, org, role).organisation.name)
    typer.echo(say("cases_cli.role_granted", username=username, role=role, organisation=name))


def user_revoke(username: str, org: OrgOpt, role: RoleOpt, url: UrlOpt = None) -> None:
    """Take a role from an account and end its sessions (help: cli.help.cases.user.revoke)."""
    from observatorio.cases.accounts import revoke_role

    name = _in_transaction(url, lambda s, rt: revoke_role(s, _operator(), username, org, role).name)
    typer.echo(say("cases_cli.role_revoked", username=username, role=role, organisation=name))


def user_list(
    org: Annotated[str | None, typer.Option("--org", metavar="ORG",
                                            help=cli_help("cli.help.cases.user.list.org"))] = None,
    url: UrlOpt = None,
) -> None:
    """The accounts and their roles, never a password hash (help: cli.help.cases.user.list)."""
    lines = _in_transaction(url, lambda s, rt: _user_lines(s, org))
    if not lines:
        typer.echo(say("cases_cli.user_none"))
        return
    typer.echo(say("cases_cli.user_list_header"))
    for line in lines:
        typer.echo(line)


def _user_lines(session: Session, org_ref: str | None) -> list[str]:
    from sqlalchemy import select

    from observatorio.cases.accounts import find_organisation
    from observatorio.cases.models import Membership, User

    # Only the columns shown: the password hash never leaves the database.
    stmt = select(User.id, User.username, User.full_name, User.active).order_by(User.username)
    org_id = None
    if org_ref is not None:
        org_id = find_organisation(session, org_ref).id
        stmt = stmt.where(User.id.in_(select(Membership.user_id).where(Membership.organisation_id == org_id)))
    users = session.execute(stmt).all()
    roles: dict[int, list[str]] = {}
    for user_id, role, organisation_id in session.execute(
            select(Membership.user_id, Membership.role, Membership.organisation_id)
            .order_by(Membership.organisation_id, Membership.role)):
        roles.setdefault(user_id, []).append(f"{role}@{organisation_id}")
    state = {True: say("cases_cli.user_active"), False: say("cases_cli.user_inactive")}
    return [f"{u.username:<24} {state[u.active]:<10} {' '.join(roles.get(u.id, [])) or '-':<40} {u.full_name}".rstrip()
            for u in users]


user_app.command("add", help=cli_help("cli.help.cases.user.add"))(user_add)
user_app.command("grant", help=cli_help("cli.help.cases.user.grant"))(user_grant)
user_app.command("revoke", help=cli_help("cli.help.cases.user.revoke"))(user_revoke)
user_app.command("list", help=cli_help("cli.help.cases.user.list"))(user_list)
