"""``observatorio cases notify …``: announce overdue steps and assignments in the inboxes and
e-mail the notices not sent yet (operator commands: a link only, no personal data)."""

from __future__ import annotations

from typing import Annotated

import typer

from observatorio.cases.cli import _runtime
from observatorio.cli_help import cli_help
from observatorio.cli_prompts import say
from observatorio.settings import get_settings

app = typer.Typer(help=cli_help("cli.help.cases.notify"), no_args_is_help=True)

UrlOpt = Annotated[str | None, typer.Option("--url", envvar="OBSERVATORIO_CASES_DB",
                                            help=cli_help("cli.help.cases.url"))]


@app.command("run", help=cli_help("cli.help.cases.notify.run"))
def run(
    url: UrlOpt = None,
    base_url: Annotated[str, typer.Option(
        "--base-url", envvar="OBSERVATORIO_PUBLIC_URL",
        help=cli_help("cli.help.cases.notify.run.base_url"))]
        = "http://127.0.0.1:8000",
) -> None:
    """Announce overdue steps and assignments, send the pending e-mails (help: cli.help.cases.notify.run)."""
    import smtplib

    from observatorio.cases import notifications
    from observatorio.cases.models import utcnow

    if not base_url.startswith(("http://", "https://")):
        typer.echo(say("cases_cli.bad_base_url", given=repr(base_url)), err=True)
        raise typer.Exit(2)
    rt = _runtime(url)
    settings = get_settings()
    with rt.sessions() as s:
        added = notifications.scan(s, utcnow())
        try:
            sent = notifications.send_pending_mail(s, settings, base_url)
        except (OSError, smtplib.SMTPException) as exc:
            typer.echo(say("cases_cli.mail_failed", added=added, host=settings.smtp_host,
                               port=settings.smtp_port, error=exc), err=True)
            raise typer.Exit(1) from None
    rt.close()
    key = "cases_cli.notices_mailed" if settings.smtp_host else "cases_cli.notices_no_smtp"
    typer.echo(say(key, added=added, sent=sent))


@app.command("address", help=cli_help("cli.help.cases.notify.address"))
def address(
    username: Annotated[str, typer.Argument(help=cli_help("cli.help.cases.notify.address.username"))],
    email: Annotated[str | None, typer.Argument(help=cli_help("cli.help.cases.notify.address.email"))] = None,
    url: UrlOpt = None,
) -> None:
    """Set where an account gets its notices by e-mail (help: cli.help.cases.notify.address)."""
    from sqlalchemy import select

    from observatorio.cases import notifications
    from observatorio.cases.models import User

    if email is not None and (len(email) > 254 or email.count("@") != 1 or any(c.isspace() for c in email)):
        typer.echo(say("cases_cli.bad_email", email=repr(email)), err=True)
        raise typer.Exit(2)
    rt = _runtime(url)
    with rt.sessions() as s:
        user_id = s.scalar(select(User.id).where(User.username == username))
        if user_id is None:
            typer.echo(say("cases_cli.no_account", username=repr(username)), err=True)
            raise typer.Exit(1)
        notifications.set_address(s, user_id, email)
    rt.close()
    typer.echo(f"{username}: {email or '—'}")
