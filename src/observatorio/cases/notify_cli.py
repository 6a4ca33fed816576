"""``observatorio cases notify …``: announce overdue steps and assignments in the inboxes and
e-mail the notices not sent yet (operator commands: a link only, no personal data)."""

from __future__ import annotations

from typing import Annotated

import typer

from observatorio.cases.cli import _runtime
from observatorio.i18n import in_both
from observatorio.settings import get_settings

app = typer.Typer(help="Avisos (bandeja y correo) / Notices (inbox and e-mail).", no_args_is_help=True)

UrlOpt = Annotated[str | None, typer.Option("--url", envvar="OBSERVATORIO_CASES_DB",
                                            help="URL de la base de casos / cases database URL.")]


@app.command("run")
def run(
    url: UrlOpt = None,
    base_url: Annotated[str, typer.Option(
        "--base-url", envvar="OBSERVATORIO_PUBLIC_URL",
        help="Dirección pública del portal, para los enlaces / the portal's public address, for the links")]
        = "http://127.0.0.1:8000",
) -> None:
    """Anunciar pasos vencidos y asignaciones, y enviar los correos pendientes / Announce overdue
    steps and assignments, and send the pending e-mails (run it from cron, e.g. every 15 min)."""
    import smtplib

    from observatorio.cases import notifications
    from observatorio.cases.models import utcnow

    if not base_url.startswith(("http://", "https://")):
        typer.echo(in_both("cases_cli.bad_base_url", given=repr(base_url)), err=True)
        raise typer.Exit(2)
    rt = _runtime(url)
    settings = get_settings()
    with rt.sessions() as s:
        added = notifications.scan(s, utcnow())
        try:
            sent = notifications.send_pending_mail(s, settings, base_url)
        except (OSError, smtplib.SMTPException) as exc:
            typer.echo(in_both("cases_cli.mail_failed", added=added, host=settings.smtp_host,
                               port=settings.smtp_port, error=exc), err=True)
            raise typer.Exit(1) from None
    rt.close()
    key = "cases_cli.notices_mailed" if settings.smtp_host else "cases_cli.notices_no_smtp"
    typer.echo(in_both(key, added=added, sent=sent))


@app.command("address")
def address(
    username: Annotated[str, typer.Argument(help="Cuenta / account")],
    email: Annotated[str | None, typer.Argument(help="Correo; vacío para quitarlo / e-mail; omit to remove")] = None,
    url: UrlOpt = None,
) -> None:
    """Dónde recibe una cuenta sus avisos por correo / Where an account gets its notices by e-mail."""
    from sqlalchemy import select

    from observatorio.cases import notifications
    from observatorio.cases.models import User

    if email is not None and (len(email) > 254 or email.count("@") != 1 or any(c.isspace() for c in email)):
        typer.echo(in_both("cases_cli.bad_email", email=repr(email)), err=True)
        raise typer.Exit(2)
    rt = _runtime(url)
    with rt.sessions() as s:
        user_id = s.scalar(select(User.id).where(User.username == username))
        if user_id is None:
            typer.echo(in_both("cases_cli.no_account", username=repr(username)), err=True)
            raise typer.Exit(1)
        notifications.set_address(s, user_id, email)
    rt.close()
    typer.echo(f"{username}: {email or '—'}")
