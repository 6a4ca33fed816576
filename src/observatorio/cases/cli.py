"""``observatorio cases …``: the restricted case-management side.

Two kinds of command:

* **account commands** act on one person's data (``person export``, ``person erase``): they
  take ``--user``, ask for that account's password (or read ``OBSERVATORIO_CASES_PASSWORD``),
  log in with the same argon2 check and throttling as the API, and run the very service
  functions the API runs, so the same policy check decides and the audit names the account —
  granted or denied;
* **operator commands** (``init``, ``demo``, ``audit verify``, ``audit list``,
  ``retention run``, ``org …``, ``user …``) maintain the database: they need its URL and
  credentials, show no migrant's data and single nobody out; ``retention run`` and every change
  to an organisation or account are audited as ``cli:<os user>`` (accounts_cli.py).
"""

from __future__ import annotations

import getpass
import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer

from observatorio.cases.runtime import Runtime
from observatorio.cli_errors import EXIT_AUTH, EXIT_ERROR, EXIT_FORBIDDEN, EXIT_NOT_FOUND, exit_code
from observatorio.cli_help import cli_help, current_lang
from observatorio.cli_prompts import ask_hidden, ask_hidden_twice, confirm_or_abort, say
from observatorio.errors import ObservatorioError
from observatorio.settings import env_name, fresh_settings, get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from observatorio.cases.models import User
    from observatorio.cases.use_context import Ctx

T = TypeVar("T")

app = typer.Typer(help=cli_help("cli.help.cases"), no_args_is_help=True)
audit_app = typer.Typer(help=cli_help("cli.help.cases.audit"), no_args_is_help=True)
retention_app = typer.Typer(help=cli_help("cli.help.cases.retention"), no_args_is_help=True)
person_app = typer.Typer(help=cli_help("cli.help.cases.person"), no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.add_typer(retention_app, name="retention")
user_app = typer.Typer(help=cli_help("cli.help.cases.user"), no_args_is_help=True)
app.add_typer(person_app, name="person")
app.add_typer(user_app, name="user")

UrlOpt = Annotated[
    str | None,
    typer.Option("--url", envvar="OBSERVATORIO_CASES_DB",
                 help=cli_help("cli.help.cases.url")),
]


def _runtime(url: str | None) -> Runtime:
    from observatorio.cases.errors import CasesError

    try:
        return Runtime.from_url(url or get_settings().cases_db_url)
    except CasesError as exc:  # an unusable setting (a too short signing key): say what to do
        _fail(exc)


PASSWORD_ENV = env_name("cases_password")
# Exit codes of the account commands (documented in docs/cases.md): the CLI's one table.
__all__ = ["EXIT_AUTH", "EXIT_ERROR", "EXIT_FORBIDDEN", "EXIT_NOT_FOUND", "PASSWORD_ENV", "app"]

UserOpt = Annotated[
    str,
    typer.Option("--user", "-u", metavar="USERNAME",
                 help=cli_help("cli.help.cases.as_user")),
]


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers
        return "?"


def _operator() -> str:
    # Maintenance commands are taken by whoever holds database access; the audit names them.
    return f"cli:{_os_user()}"


def _source() -> str:
    """Where an account command comes from, as the audit and the login throttle record it."""
    return f"cli:{_os_user()}@{socket.gethostname()}"[:64]


def _password(username: str) -> str:
    from_env = fresh_settings().cases_password
    if from_env:
        return from_env
    # Hidden input; the prompt goes to stderr so that `person export … > file.json` stays clean.
    return ask_hidden(say("cases_cli.password_for", username=username))


def _act_as(session: Session, rt: Runtime, username: str) -> Ctx:
    """Log in as ``username`` (argon2 check and throttling, as the API) and open a unit of work."""
    from observatorio.cases.auth import authenticate, principal_of
    from observatorio.cases.use_context import Ctx

    source = _source()
    user = authenticate(session, username, _password(username), source, rt.config)
    principal = principal_of(session, user.id)
    session.commit()
    return Ctx(session, principal, source, rt.secret)


def _run_as(url: str | None, username: str, call: Callable[[Ctx], T]) -> T:
    """Log in as ``username`` and run ``call`` through the service (policy and audit), turning
    a refusal into its message and exit code."""
    from observatorio.cases.errors import CasesError

    rt = _runtime(url)
    try:
        with rt.sessions() as s:
            return call(_act_as(s, rt, username))
    except CasesError as exc:
        _fail(exc)
    finally:
        rt.close()


_HEADED = ("unauthenticated", "throttled", "forbidden", "not_found")


def _fail(exc: ObservatorioError) -> NoReturn:
    """The refusal's message on stderr, in the command line's language, and the exit code for
    its kind."""
    heading = f"failure.heading.{exc.kind if exc.kind in _HEADED else 'other'}"
    typer.echo(f"{say(heading)}: {exc.message(current_lang())}", err=True)
    raise typer.Exit(exit_code(exc))


@app.command("init", help=cli_help("cli.help.cases.init"))
def init(url: UrlOpt = None) -> None:
    """Create or upgrade the schema (help: cli.help.cases.init)."""
    from observatorio.cases.db import upgrade

    target = url or get_settings().cases_db_url
    upgrade(target)
    typer.echo(say("cases_cli.schema_up_to_date", url=_redact(target)))


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command("demo", help=cli_help("cli.help.cases.demo"))
def demo(
    url: UrlOpt = None,
    cases: Annotated[int, typer.Option(help=cli_help("cli.help.cases.demo.cases"))] = 60,
    seed: Annotated[int | None, typer.Option(help=cli_help("cli.help.seed"))] = None,
) -> None:
    """Synthetic demo data (help: cli.help.cases.demo)."""
    from observatorio.cases import demo as demo_mod
    from observatorio.cases.db import upgrade

    rt = _runtime(url)
    upgrade(rt.url)
    with rt.sessions() as s:
        # Run twice: the world is there and its passwords were shown the first time.
        existing = demo_mod.existing_users(s)
        result = None if existing else demo_mod.build(s, rt.config, cases, seed)
    rt.close()
    if result is None:
        where = _redact(rt.url)
        typer.echo(say("cases_cli.demo_exists", where=where, users=len(existing)))
        return
    typer.echo(say("cases_cli.demo_users"))
    for username, password, role, org in result.credentials:
        typer.echo(f"  {username:<22} {password:<20} {role:<20} {org}")
    typer.echo(say("cases_cli.demo_cases", cases=result.cases))


@audit_app.command("verify", help=cli_help("cli.help.cases.audit.verify"))
def audit_verify(
    url: UrlOpt = None,
    anchor: Annotated[str | None, typer.Option(
        "--anchor", help=cli_help("cli.help.cases.audit.verify.anchor"))] = None,
) -> None:
    """Verify the hash chain (help: cli.help.cases.audit.verify)."""
    from observatorio.cases import anchors, audit

    rt = _runtime(url)
    with rt.sessions() as s:
        v = audit.verify(s)
        try:
            anchored = anchors.check(s, anchors.read(s, anchor)) if anchor and v.ok else None
        except anchors.AnchorUnreadable as exc:
            rt.close()
            typer.echo(exc.message(current_lang()), err=True)
            raise typer.Exit(2) from None
    rt.close()
    if v.ok and (anchored is None or anchored.ok):
        typer.echo(say("cases_cli.chain_intact", entries=v.checked))
        if anchored is not None:
            typer.echo(say("cases_cli.matches_anchor"))
        # Printing the tips lets an operator anchor them elsewhere (see `audit anchor`).
        for chain, seq, tip in v.heads:
            typer.echo(f"  {say('cases_cli.chain')} {chain:>2}  seq {seq:>8}  {tip}")
        return
    if not v.ok:
        typer.echo(say("cases_cli.tampered_at", entry=v.broken_at,
                       reason={"es": v.reason_es, "en": v.reason_en}), err=True)
    elif anchored is not None:
        typer.echo(say("cases_cli.tampered", reason={"es": anchored.reason_es, "en": anchored.reason_en}),
                   err=True)
    raise typer.Exit(1)


@audit_app.command("anchor", help=cli_help("cli.help.cases.audit.anchor"))
def audit_anchor(
    url: UrlOpt = None,
    output: Annotated[Path | None, typer.Option(
        "--output", help=cli_help("cli.help.cases.audit.anchor.output"))] = None,
) -> None:
    """Anchor the chain tips (help: cli.help.cases.audit.anchor)."""
    from observatorio.cases import anchors, audit

    rt = _runtime(url)
    with rt.sessions() as s:
        v = audit.verify(s)
        if not v.ok:
            rt.close()
            typer.echo(say("cases_cli.no_anchor_tampered", entry=v.broken_at,
                           reason={"es": v.reason_es, "en": v.reason_en}), err=True)
            raise typer.Exit(1)
        anchor = anchors.create(s)
        s.commit()
    rt.close()
    if output is not None:
        output.write_text(anchor.as_json() + "\n", encoding="utf-8")
    typer.echo(say("cases_cli.anchor", at=anchor.at, digest=anchor.digest))
    typer.echo(say("cases_cli.anchor_keep"))


@audit_app.command("list", help=cli_help("cli.help.cases.audit.list"))
def audit_list(
    url: UrlOpt = None,
    record_type: Annotated[str | None, typer.Option()] = None,
    record_id: Annotated[str | None, typer.Option()] = None,
    actor_id: Annotated[int | None, typer.Option()] = None,
    action: Annotated[str | None, typer.Option()] = None,
    outcome: Annotated[str | None, typer.Option(help=cli_help("cli.help.cases.audit.list.outcome"))] = None,
    after_id: Annotated[int, typer.Option()] = 0,
    limit: Annotated[int, typer.Option()] = 50,
) -> None:
    """List audit entries, one JSON object per line (help: cli.help.cases.audit.list)."""
    from sqlalchemy import select

    from observatorio.cases.audit import OUTCOMES, outcome_clause
    from observatorio.cases.models import AuditEntry

    if outcome is not None and outcome not in OUTCOMES:
        raise typer.BadParameter(f"{outcome!r}: granted | denied", param_hint="--outcome")
    rt = _runtime(url)
    with rt.sessions() as s:
        stmt = select(AuditEntry).where(AuditEntry.id > after_id)
        if outcome:
            stmt = stmt.where(outcome_clause(outcome))
        if record_type:
            stmt = stmt.where(AuditEntry.record_type == record_type)
        if record_id:
            stmt = stmt.where(AuditEntry.record_id == record_id)
        if actor_id is not None:
            stmt = stmt.where(AuditEntry.actor_id == actor_id)
        if action:
            stmt = stmt.where(AuditEntry.action == action)
        for e in s.scalars(stmt.order_by(AuditEntry.id).limit(limit)):
            typer.echo(json.dumps({"id": e.id, "chain": e.chain, "seq": e.seq, "ts": e.ts, "actor": e.actor, "organisation_id": e.organisation_id,
                                   "action": e.action, "record": f"{e.record_type}:{e.record_id}",
                                   "fields": json.loads(e.fields), "ip": e.source_ip,
                                   "outcome": e.outcome}, ensure_ascii=False))
    rt.close()


@retention_app.command("run", help=cli_help("cli.help.cases.retention.run"))
def retention_run(
    url: UrlOpt = None,
    days: Annotated[int | None, typer.Option(help=cli_help("cli.help.cases.retention.run.days"))] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help=cli_help("cli.help.cases.retention.run.dry_run"))] = False,
) -> None:
    """Pseudonymise people past the retention period, and forget failed sign-ins older than the
    throttle's window (help: cli.help.cases.retention.run)."""
    from observatorio.cases.auth import purge_old_failures
    from observatorio.cases.retention import run_retention

    rt = _runtime(url)
    period = days if days is not None else rt.config.retention_days
    with rt.sessions() as s:
        report = run_retention(s, period, rt.secret, dry_run=dry_run, actor=_operator())
        # a failed sign-in (a username and an address) serves the throttle for its window only:
        # kept longer it is personal data kept for nothing (and every later count reads it)
        forgotten = 0 if dry_run else purge_old_failures(s, rt.config)
        s.commit()
    rt.close()
    key = "cases_cli.retention_dry_run" if dry_run else "cases_cli.retention_done"
    typer.echo(say(key, people=len(report.people), days=period, cases=report.cases))
    if not dry_run:
        typer.echo(say("cases_cli.failures_forgotten", count=forgotten,
                       minutes=rt.config.throttle_window_seconds // 60))


def _account_change(url: str | None, username: str, change: Callable[[Session, Runtime, User], None]) -> None:
    """Apply an operator change to one account in one transaction (the change audits itself)."""
    from sqlalchemy import select

    from observatorio.cases.errors import CasesError, NotFound
    from observatorio.cases.models import User as UserRow

    rt = _runtime(url)
    try:
        with rt.sessions() as s:
            user = s.scalar(select(UserRow).where(UserRow.username == username))
            if user is None:
                raise NotFound(key="cases.refusal.no_account", username=username)
            change(s, rt, user)
            s.commit()
    except CasesError as exc:
        _fail(exc)
    finally:
        rt.close()


@user_app.command("deactivate", help=cli_help("cli.help.cases.user.deactivate"))
def user_deactivate(username: str, url: UrlOpt = None) -> None:
    """Deactivate an account and end its sessions (help: cli.help.cases.user.deactivate)."""
    from observatorio.cases.accounts import deactivate_account

    _account_change(url, username, lambda s, rt, user: deactivate_account(s, _operator(), user))
    typer.echo(say("cases_cli.account_deactivated", username=username))


@user_app.command("activate", help=cli_help("cli.help.cases.user.activate"))
def user_activate(username: str, url: UrlOpt = None) -> None:
    """Let a deactivated account log in again (help: cli.help.cases.user.activate)."""
    from observatorio.cases.accounts import activate_account

    _account_change(url, username, lambda s, rt, user: activate_account(s, _operator(), user))
    typer.echo(say("cases_cli.account_activated", username=username))


@user_app.command("set-password", help=cli_help("cli.help.cases.user.set_password"))
def user_set_password(username: str, url: UrlOpt = None) -> None:
    """Set a new password and end the sessions (help: cli.help.cases.user.set_password)."""
    from observatorio.cases.accounts import change_password

    password = ask_hidden_twice(say("cases_cli.new_password"))
    _account_change(url, username,
                    lambda s, rt, user: change_password(s, rt.config, _operator(), user, password))
    typer.echo(say("cases_cli.password_changed", username=username))


@person_app.command("export", help=cli_help("cli.help.cases.person.export"))
def person_export(person_id: int, user: UserOpt, url: UrlOpt = None) -> None:
    """Export a person's data as JSON, as the API does (help: cli.help.cases.person.export)."""
    from observatorio.cases.person_rights import export_person

    data = _run_as(url, user, lambda ctx: export_person(ctx, person_id))
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@person_app.command("erase", help=cli_help("cli.help.cases.person.erase"))
def person_erase(
    person_id: int,
    user: UserOpt,
    url: UrlOpt = None,
    yes: Annotated[bool, typer.Option("--yes", help=cli_help("cli.help.cases.person.erase.yes"))] = False,
) -> None:
    """Pseudonymise one person on request, as the API does (help: cli.help.cases.person.erase)."""
    from observatorio.cases.person_rights import erase_person

    if not yes:
        confirm_or_abort(say("cases_cli.confirm_erase"))
    out = _run_as(url, user, lambda ctx: erase_person(ctx, person_id))
    if out.person_erased:
        typer.echo(say("cases_cli.person_erased", person=person_id, pseudonym=out.pseudonym, cases=out.cases))
    else:
        typer.echo(say("cases_cli.cases_erased", person=person_id, cases=out.cases))
