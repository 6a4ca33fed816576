"""``observatorio cases org add|list`` and ``user add|grant|revoke|list``: a real deployment
creates its organisations, accounts and roles from an empty database, each change audited in
the same transaction, each refusal with its message and exit code and nothing written."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from observatorio import i18n
from observatorio.cases import accounts
from observatorio.cases.cli import EXIT_ERROR, EXIT_NOT_FOUND, PASSWORD_ENV
from observatorio.cases.errors import Conflict, Invalid
from observatorio.cases.models import AuditEntry, AuthSession, Membership, Organisation, User
from observatorio.cases.runtime import Runtime
from observatorio.cli import app

from .conftest import login
from .lock_race import LOCK_WAIT_LIMIT_S, in_thread, until_waiting

runner = CliRunner()
PASSWORD = "una clave larga y buena"
ENV = {
    "OBSERVATORIO_SECRET_KEY": "cli-test-secret-cli-test-secret-cli-test",
    "OBSERVATORIO_CASES_ARGON2_TIME_COST": "1",
    "OBSERVATORIO_CASES_ARGON2_MEMORY_COST": "8",
    "OBSERVATORIO_CASES_ARGON2_PARALLELISM": "1",
    "OBSERVATORIO_LANG": None,
}
MINISTRY = "Ministerio de Relaciones Exteriores de Guatemala"
TAPACHULA = "Consulado de Guatemala en Tapachula"


@pytest.fixture
def url(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    from observatorio.settings import get_settings

    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def cases(url: str, *args: str, input: str | None = None, lang: str | None = None) -> Any:
    words = ["--lang", lang] if lang else []
    return runner.invoke(app, [*words, "cases", *args, "--url", url], input=input, env=ENV)


def counts(url: str) -> list[int]:
    """[organisations, users, memberships, audit entries]."""
    engine = create_engine(url)
    with engine.connect() as c:
        out = [int(c.scalar(select(func.count()).select_from(t)) or 0)
               for t in (Organisation, User, Membership, AuditEntry)]
    engine.dispose()
    return out


def audit_rows(url: str) -> list[Any]:
    engine = create_engine(url)
    with engine.connect() as c:
        rows = list(c.execute(select(AuditEntry).order_by(AuditEntry.id)))
    engine.dispose()
    return rows


def first_admin(url: str) -> None:
    """The documented first steps: the ministry, then its administrator."""
    r = cases(url, "org", "add", MINISTRY, "--kind", "foreign_ministry", "--country", "gtm",
              "--city", "Ciudad de Guatemala")
    assert r.exit_code == 0, r.output
    assert "Organización 1 creada" in r.output
    r = cases(url, "user", "add", "admin.minex", "--org", MINISTRY, "--role", "admin",
              "--full-name", "Ana Pérez", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert r.exit_code == 0, r.output
    assert "Cuenta «admin.minex» creada con el rol admin" in r.output
    assert PASSWORD not in r.output


def test_first_organisation_and_administrator(url: str) -> None:
    first_admin(url)
    r = cases(url, "org", "add", TAPACHULA, "--kind", "consulate", "--country", "GTM",
              "--host-country", "MEX", "--city", "Tapachula")
    assert r.exit_code == 0, r.output
    r = cases(url, "org", "list")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert "nombre" in lines[0]
    assert "foreign_ministry" in lines[1] and "GTM" in lines[1] and MINISTRY in lines[1]
    assert "consulate" in lines[2] and "MEX" in lines[2] and "Tapachula" in lines[2]

    engine = create_engine(url)
    with engine.connect() as c:
        org = c.execute(select(Organisation).where(Organisation.name == TAPACHULA)).one()
        user = c.execute(select(User).where(User.username == "admin.minex")).one()
    engine.dispose()
    assert (org.country, org.host_country, org.city, org.synthetic) == ("GTM", "MEX", "Tapachula", False)
    assert user.full_name == "Ana Pérez" and user.active and user.password_hash.startswith("$argon2")

    r = cases(url, "user", "list")
    assert r.exit_code == 0 and "admin.minex" in r.output and "admin@1" in r.output
    assert "$argon2" not in r.output and "Ana Pérez" in r.output

    rows = audit_rows(url)
    assert [(e.action, e.record_type, e.outcome) for e in rows] == [
        ("organisation.create", "organisation", "granted"),
        ("user.create", "user", "granted"),
        ("user.grant", "user", "granted"),
        ("organisation.create", "organisation", "granted"),
    ]
    assert all(e.actor.startswith("cli:") and e.actor_id is None for e in rows)
    assert rows[2].record_id == str(user.id) and rows[2].organisation_id == 1
    assert json.loads(rows[2].fields) == ["membership", "role=admin"]
    assert not any("Ana" in e.fields or PASSWORD in e.fields for e in rows)  # names of fields only
    assert cases(url, "audit", "verify").exit_code == 0


def test_add_user_prompts_twice_and_checks_the_password(url: str) -> None:
    first_admin(url)
    before = counts(url)
    # The two entries differ: asked again; then too short: refused, nothing written.
    r = cases(url, "user", "add", "consul.1", "--org", "1", "--role", "consular_officer",
              input=f"{PASSWORD}\notra cosa distinta\ncorta\ncorta\n")
    assert r.exit_code == EXIT_ERROR
    assert i18n.t("cli.prompt.mismatch", "es") in r.output
    assert "al menos 12 caracteres" in r.output
    assert counts(url) == before


@pytest.mark.parametrize(("args", "code", "message"), [
    (["consul.1", "--org", "99", "--role", "consular_officer"], EXIT_NOT_FOUND,
     "No existe la organización «99»"),
    (["consul.1", "--org", "Consulado inexistente", "--role", "consular_officer"], EXIT_NOT_FOUND,
     "No existe la organización «Consulado inexistente»"),
    (["consul.1", "--org", "1", "--role", "emperador"], EXIT_ERROR,
     "Rol desconocido: emperador. Roles de la política: admin, auditor,"),
    (["admin.minex", "--org", "1", "--role", "consular_officer"], EXIT_ERROR,
     "Ya existe la cuenta «admin.minex»"),
    (["con espacio", "--org", "1", "--role", "consular_officer"], EXIT_ERROR,
     "Nombre de cuenta no válido"),
])
def test_add_user_refusals_write_nothing(url: str, args: list[str], code: int, message: str) -> None:
    first_admin(url)
    before = counts(url)
    r = cases(url, "user", "add", *args, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert r.exit_code == code, r.output
    assert message in r.output
    assert "Contraseña nueva" not in r.output  # refused before asking for a password
    assert counts(url) == before


@pytest.mark.parametrize(("args", "message"), [
    (["X", "--kind", "embassy", "--country", "GTM"], "Tipo de organización desconocido: embassy. Tipos: consulate,"),
    (["X", "--kind", "foreign_ministry", "--country", "GT"], "--country: «GT» no es un código de país ISO 3166-1"),
    (["X", "--kind", "foreign_ministry", "--country", "XXX"], "«XXX» no es un código de país"),
    (["X", "--kind", "consulate", "--country", "GTM", "--host-country", "ZZZ"], "--host-country: «ZZZ»"),
    (["X", "--kind", "consulate", "--country", "GTM"], "Un consulado necesita --host-country"),
    ([MINISTRY, "--kind", "foreign_ministry", "--country", "GTM"], "Ya existe una organización llamada"),
    (["  ", "--kind", "foreign_ministry", "--country", "GTM"], "no puede estar vacío"),
])
def test_org_add_refusals_write_nothing(url: str, args: list[str], message: str) -> None:
    first_admin(url)
    before = counts(url)
    r = cases(url, "org", "add", *args)
    assert r.exit_code == EXIT_ERROR, r.output
    assert message in r.output
    assert counts(url) == before


def test_grant_and_revoke(url: str) -> None:
    first_admin(url)
    assert cases(url, "org", "add", TAPACHULA, "--kind", "consulate", "--country", "GTM",
                 "--host-country", "MEX").exit_code == 0
    r = cases(url, "user", "add", "consul.1", "--org", TAPACHULA, "--role", "consular_officer",
              input=f"{PASSWORD}\n{PASSWORD}\n")
    assert r.exit_code == 0, r.output
    r = cases(url, "user", "grant", "consul.1", "--org", "2", "--role", "consular_head")
    assert r.exit_code == 0, r.output
    assert f"«consul.1» tiene ahora el rol consular_head en {TAPACHULA}" in r.output
    r = cases(url, "user", "list", "--org", TAPACHULA)
    assert r.exit_code == 0
    assert "consul.1" in r.output and "consular_head@2 consular_officer@2" in r.output
    assert "admin.minex" not in r.output  # holds no role there

    before = counts(url)
    for args, code, message in [
        (["grant", "consul.1", "--org", "2", "--role", "consular_head"], EXIT_ERROR, "ya tiene el rol consular_head"),
        (["grant", "nadie", "--org", "2", "--role", "consular_head"], EXIT_NOT_FOUND, "No existe la cuenta «nadie»"),
        (["grant", "consul.1", "--org", "7", "--role", "consular_head"], EXIT_NOT_FOUND, "No existe la organización"),
        (["grant", "consul.1", "--org", "2", "--role", "jefe"], EXIT_ERROR, "Rol desconocido: jefe"),
        (["revoke", "consul.1", "--org", "1", "--role", "consular_head"], EXIT_NOT_FOUND,
         "«consul.1» no tiene el rol consular_head"),
        (["revoke", "admin.minex", "--org", "1", "--role", "admin"], EXIT_ERROR,
         "«admin.minex» es la última cuenta activa con el rol admin"),
    ]:
        r = cases(url, "user", *args)
        assert r.exit_code == code, (args, r.output)
        assert message in r.output, (args, r.output)
    assert counts(url) == before

    r = cases(url, "user", "revoke", "consul.1", "--org", TAPACHULA, "--role", "consular_officer")
    assert r.exit_code == 0, r.output
    assert "ya no tiene el rol consular_officer" in r.output and "sesiones terminaron" in r.output
    actions = [(e.action, json.loads(e.fields), e.organisation_id) for e in audit_rows(url)[-2:]]
    assert actions == [("user.grant", ["membership", "role=consular_head"], 2),
                       ("user.revoke", ["membership", "role=consular_officer"], 2)]

    # With a second administrator, the first may lose the role (and the last one may not).
    assert cases(url, "user", "grant", "consul.1", "--org", "1", "--role", "admin").exit_code == 0
    assert cases(url, "user", "revoke", "admin.minex", "--org", "1", "--role", "admin").exit_code == 0
    r = cases(url, "user", "revoke", "consul.1", "--org", MINISTRY, "--role", "admin")
    assert r.exit_code == EXIT_ERROR and "última cuenta activa" in r.output
    assert cases(url, "audit", "verify").exit_code == 0


def test_revoke_ends_the_sessions(url: str, client: Any) -> None:
    """A revoked role ends what the account has open, as deactivation does."""
    first_admin(url)
    assert cases(url, "user", "add", "consul.1", "--org", "1", "--role", "consular_officer",
                 input=f"{PASSWORD}\n{PASSWORD}\n").exit_code == 0
    assert cases(url, "user", "grant", "consul.1", "--org", "1", "--role", "caseworker").exit_code == 0
    headers = login(client, "consul.1", PASSWORD)  # the new account logs in through the API
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    r = cases(url, "user", "revoke", "consul.1", "--org", "1", "--role", "caseworker")
    assert r.exit_code == 0, r.output
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    engine = create_engine(url)
    with engine.connect() as c:
        assert c.scalar(select(func.count()).select_from(AuthSession)
                        .where(AuthSession.revoked_at.is_(None))) == 0
    engine.dispose()
    me = client.get("/api/v1/auth/me", headers=login(client, "consul.1", PASSWORD)).json()
    assert "caseworker" not in json.dumps(me) and "consular_officer" in json.dumps(me)


def test_english(url: str) -> None:
    """The same commands in English (--lang en): messages and refusals, no Spanish."""
    r = cases(url, "org", "list", lang="en")
    assert r.exit_code == 0 and "No organisations; create the first with" in r.output
    r = cases(url, "org", "add", MINISTRY, "--kind", "foreign_ministry", "--country", "GTM", lang="en")
    assert r.exit_code == 0 and "Organisation 1 created" in r.output
    r = cases(url, "user", "add", "admin.minex", "--org", "1", "--role", "nope", lang="en")
    assert r.exit_code == EXIT_ERROR
    assert "Unknown role: nope. The policy's roles: admin," in r.output and "Rol" not in r.output
    r = cases(url, "user", "add", "admin.minex", "--org", "1", "--role", "admin", lang="en",
              input=f"{PASSWORD}\n{PASSWORD}\n")
    assert r.exit_code == 0, r.output
    assert "New password" in r.output and "Account 'admin.minex' created with the role admin" in r.output
    assert "Contraseña" not in r.output
    r = cases(url, "user", "list", lang="en")
    assert r.exit_code == 0 and "active" in r.output and "activa" not in r.output


def test_deactivate_activate_and_set_password_are_audited(url: str) -> None:
    """The older operator commands write their audit entries too, and deactivation spares the
    last active administrator; an inactive administrator does not count."""
    first_admin(url)
    assert cases(url, "user", "add", "consul.1", "--org", "1", "--role", "consular_officer",
                 input=f"{PASSWORD}\n{PASSWORD}\n").exit_code == 0
    new = "otra clave larga y buena"
    assert cases(url, "user", "set-password", "consul.1", input=f"{new}\n{new}\n").exit_code == 0
    assert cases(url, "user", "deactivate", "consul.1").exit_code == 0
    r = cases(url, "user", "list")
    assert r.exit_code == 0 and [ln for ln in r.output.splitlines() if "consul.1" in ln][0].split()[1] == "inactiva"
    r = cases(url, "user", "activate", "consul.1")
    assert r.exit_code == 0 and "Cuenta «consul.1» activada" in r.output
    rows = audit_rows(url)[-3:]
    assert [(e.action, json.loads(e.fields), e.actor.startswith("cli:")) for e in rows] == [
        ("user.set_password", ["password_hash"], True),
        ("user.deactivate", ["active"], True),
        ("user.activate", ["active"], True),
    ]

    before = counts(url)
    r = cases(url, "user", "deactivate", "admin.minex")
    assert r.exit_code == EXIT_ERROR and "«admin.minex» es la última cuenta activa que administra" in r.output
    assert counts(url) == before
    # A second administrator, deactivated, leaves admin.minex the last active one.
    assert cases(url, "user", "grant", "consul.1", "--org", "1", "--role", "admin").exit_code == 0
    assert cases(url, "user", "deactivate", "consul.1").exit_code == 0
    r = cases(url, "user", "revoke", "admin.minex", "--org", "1", "--role", "admin")
    assert r.exit_code == EXIT_ERROR and "última cuenta activa" in r.output
    assert cases(url, "user", "activate", "consul.1").exit_code == 0
    assert cases(url, "user", "deactivate", "admin.minex").exit_code == 0
    assert cases(url, "audit", "verify").exit_code == 0


def _while_open(rt: Runtime, first: Callable[[Session], object], second: Callable[[Session], object]) -> object:
    """Run ``first`` in a transaction held open until ``second``, in a thread, waits on a lock;
    commit it; return what ``second`` returned or raised (its transaction committed if it ran)."""

    def run() -> object:
        with rt.sessions() as s:
            value = second(s)
            s.commit()
            return value

    with rt.sessions() as held:
        first(held)
        worker, outcome = in_thread(run)
        until_waiting(rt, worker)
        held.commit()
        worker.join(LOCK_WAIT_LIMIT_S)
    return outcome["value"]


@pytest.mark.postgres
def test_two_operators_racing(pg_rt: Runtime) -> None:
    """Two operators at once on PostgreSQL: the same new username is a refusal (not a
    traceback), and two revocations cannot remove the last two administrators."""
    rt = pg_rt
    with rt.sessions() as s:
        org = accounts.create_organisation(s, "cli:a", MINISTRY, "foreign_ministry", "GTM")
        for name in ("admin.1", "admin.2"):
            accounts.create_user(s, rt.config, "cli:a", name, PASSWORD, str(org.id), "admin")
        s.commit()

    def add(s: Session) -> object:
        return accounts.create_user(s, rt.config, "cli:b", "consul.1", PASSWORD, MINISTRY, "consular_officer")

    assert isinstance(_while_open(rt, add, add), Conflict)

    def revoke(name: str) -> Callable[[Session], object]:
        return lambda s: accounts.revoke_role(s, "cli:a", name, MINISTRY, "admin")

    refused = _while_open(rt, revoke("admin.1"), revoke("admin.2"))
    assert isinstance(refused, Conflict) and refused.key == "cases.refusal.last_admin", refused
    with rt.sessions() as s:
        assert s.scalars(select(User.username).join(Membership).where(Membership.role == "admin")).all() == ["admin.2"]
        assert s.scalar(select(func.count()).select_from(User).where(User.username == "consul.1")) == 1
        accounts.grant_role(s, "cli:a", "admin.1", MINISTRY, "admin")
        s.commit()

    # two deactivations at once: the second reads the first's "inactive" (the user rows are
    # locked too), not the snapshot in which both were still active
    def deactivate(name: str) -> Callable[[Session], object]:
        def run(s: Session) -> object:
            user = s.scalars(select(User).where(User.username == name)).one()
            accounts.deactivate_account(s, "cli:a", user)
            return None
        return run

    refused = _while_open(rt, deactivate("admin.1"), deactivate("admin.2"))
    assert isinstance(refused, Conflict) and refused.key == "cases.refusal.last_admin_deactivate", refused
    with rt.sessions() as s:
        assert s.scalars(select(User.username).where(User.active.is_(True), User.username.like("admin.%"))).all() == [
            "admin.2"]


@pytest.mark.postgres
def test_names_longer_than_their_columns_are_refused_by_name(pg_rt: Runtime) -> None:
    """On PostgreSQL an organisation name, city or full name longer than its column failed the
    insert with a DataError (a traceback at the CLI, a 500 on the admin pages); it is refused
    before, naming what was too long and the limit, and nothing is written."""
    rt = pg_rt
    with rt.sessions() as s:
        for name, city, option, length in (("M" * 201, None, "NAME", 201),
                                           ("Ministerio largo", "C" * 121, "--city", 121)):
            with pytest.raises(Invalid) as refused:
                accounts.create_organisation(s, "cli:a", name, "foreign_ministry", "GTM", city=city)
            assert option in refused.value.message("es")
            assert f"({length} characters)" in refused.value.message("en")
        org = accounts.create_organisation(s, "cli:a", MINISTRY, "foreign_ministry", "GTM", city="C" * 120)
        with pytest.raises(Invalid) as refused:
            accounts.create_user(s, rt.config, "cli:a", "admin.long", PASSWORD, str(org.id), "admin",
                                 full_name="F" * 201)
        assert "--full-name" in refused.value.message("es")
        accounts.create_user(s, rt.config, "cli:a", "admin.long", PASSWORD, str(org.id), "admin",
                             full_name="F" * 200)
        s.commit()
