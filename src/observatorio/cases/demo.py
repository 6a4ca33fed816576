"""Synthetic demo data: organisations of several countries, one user per role, fake cases.

Everything created here is flagged ``synthetic`` and labelled [SINTÉTICO], so it can never
be mistaken for a real person nor counted in public statistics (cases/publication).
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass, field

from faker import Faker
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from observatorio.cases import (
    accounts,
    case_records,
    case_work,
    case_writes,
    demo_referrals,
    person_records,
    steps,
    use_context,
)
from observatorio.cases.audit import AccessEvent, Actor, append
from observatorio.cases.auth import principal_of
from observatorio.cases.config import CasesConfig
from observatorio.cases.models import Case, Person, User
from observatorio.cases.policy import get_policy
from observatorio.cases.protocols.loader import protocol_of
from observatorio.cases.schemas import (
    CaseCreate,
    CaseTransition,
    Contact,
    Document,
    NoteIn,
    PersonCreate,
    TaskIn,
)
from observatorio.cases.submission_models import ProvidedSource
from observatorio.cases.vocab import CaseStatus, CaseType, OrgKind, RiskLevel, Sex

# (key, name, kind, country, host country, city)
ORGANISATIONS = [
    ("gtm_consulate_tap", "Consulado de Guatemala en Tapachula", OrgKind.CONSULATE, "GTM", "MEX", "Tapachula"),
    ("gtm_ministry", "Ministerio de Relaciones Exteriores de Guatemala", OrgKind.FOREIGN_MINISTRY, "GTM", None, "Guatemala"),
    ("gtm_igm", "Instituto Guatemalteco de Migración — recepción de retornados", OrgKind.RECEPTION_CENTRE, "GTM", None, "Guatemala"),
    ("gtm_pgn", "Procuraduría General de la Nación — niñez", OrgKind.CHILD_PROTECTION, "GTM", None, "Guatemala"),
    ("hnd_consulate_hou", "Consulado de Honduras en Houston", OrgKind.CONSULATE, "HND", "USA", "Houston"),
    ("hnd_ministry", "Secretaría de Relaciones Exteriores de Honduras", OrgKind.FOREIGN_MINISTRY, "HND", None, "Tegucigalpa"),
    ("hnd_inm", "Instituto Nacional de Migración de Honduras", OrgKind.MIGRATION_INSTITUTE, "HND", None, "San Pedro Sula"),
    # the mandated receiver of Honduras' unaccompanied children (referral_profiles.yaml mandates)
    ("hnd_dinaf", "Dirección de Niñez, Adolescencia y Familia (DINAF)", OrgKind.CHILD_PROTECTION, "HND", None, "Tegucigalpa"),
    ("slv_consulate_mex", "Consulado de El Salvador en Ciudad de México", OrgKind.CONSULATE, "SLV", "MEX", "Ciudad de México"),
    ("slv_ministry", "Ministerio de Relaciones Exteriores de El Salvador", OrgKind.FOREIGN_MINISTRY, "SLV", None, "San Salvador"),
    ("mex_ngo", "Albergue de sociedad civil (ficticio)", OrgKind.CIVIL_SOCIETY, "MEX", None, "Tapachula"),
    ("regional_io", "Organismo internacional — oficina regional (ficticio)", OrgKind.INTERNATIONAL, "CRI", None, "San José"),
]

# (username, organisation key, role)
USERS = [
    ("demo.consul.gtm", "gtm_consulate_tap", "consular_officer"),
    ("demo.jefa.gtm", "gtm_consulate_tap", "consular_head"),
    ("demo.supervisor.gtm", "gtm_ministry", "national_supervisor"),
    ("demo.recepcion.gtm", "gtm_igm", "reception_officer"),
    ("demo.proteccion.gtm", "gtm_pgn", "protection_officer"),
    ("demo.consul.hnd", "hnd_consulate_hou", "consular_officer"),
    ("demo.jefe.hnd", "hnd_consulate_hou", "consular_head"),
    ("demo.supervisor.hnd", "hnd_ministry", "national_supervisor"),
    ("demo.recepcion.hnd", "hnd_inm", "reception_officer"),
    ("demo.consul.slv", "slv_consulate_mex", "consular_officer"),
    ("demo.jefa.slv", "slv_consulate_mex", "consular_head"),
    ("demo.supervisor.slv", "slv_ministry", "national_supervisor"),
    ("demo.albergue", "mex_ngo", "caseworker"),
    ("demo.auditoria", "regional_io", "auditor"),
    ("demo.admin", "regional_io", "admin"),
    ("demo.edicion", "regional_io", "editor"),  # the directory and the good-practice registry
    # the statistics side's roles, so a newcomer can walk a data submission from upload to review
    ("demo.proveedor.hnd", "hnd_inm", "provider"),
    ("demo.revision", "regional_io", "reviewer"),
    ("demo.publicacion", "regional_io", "publisher"),
]

# (organisation key, source id) the demo provider submits for (`observatorio submissions provide`):
# the illustrative table of examples/mappings, uploaded with its mapping file (docs/submissions.md)
PROVIDED = [("hnd_inm", "example_hnd_retornados")]

# Which users open cases, and which case types suit their organisation.
CREATORS = {
    "demo.jefa.gtm": list(CaseType),
    "demo.consul.gtm": [CaseType.DETENTION, CaseType.HEALTH_EMERGENCY, CaseType.LABOUR_RIGHTS],
    "demo.proteccion.gtm": [CaseType.UNACCOMPANIED_CHILD, CaseType.FAMILY_SEPARATION],
    "demo.recepcion.gtm": [CaseType.RETURNEE_REINTEGRATION],
    "demo.jefe.hnd": list(CaseType),
    "demo.recepcion.hnd": [CaseType.RETURNEE_REINTEGRATION],
    "demo.jefa.slv": list(CaseType),
    "demo.albergue": [CaseType.ASYLUM_ORIENTATION, CaseType.LABOUR_RIGHTS],
}
LOCALES = ["es_MX", "es_ES", "es_CO", "es_AR", "es_CL"]
LABEL = "[SINTÉTICO]"


@dataclass
class DemoResult:
    credentials: list[tuple[str, str, str, str]] = field(default_factory=list)  # user, password, role, org
    cases: int = 0
    people: int = 0


def existing_users(session: Session) -> list[str]:
    """The demo usernames already in the database: a second ``demo`` would collide with them."""
    names = [username for username, _, _ in USERS]
    return list(session.scalars(select(User.username).where(User.username.in_(names))))


def build(session: Session, cfg: CasesConfig, n_cases: int = 60, seed: int | None = None) -> DemoResult:
    """Create the demo world; passwords are random and returned once, never stored in clear."""
    rng = random.Random(seed)
    fake = Faker(LOCALES)
    if seed is not None:
        Faker.seed(seed)
    result = DemoResult()
    orgs = {}
    for key, name, kind, country, host, city in ORGANISATIONS:
        orgs[key] = accounts.add_organisation(session, name, kind, country, host, city, synthetic=True)
    users = {}
    for username, org_key, role in USERS:
        password = secrets.token_urlsafe(12)
        users[username] = accounts.add_user(session, username, password, cfg, [(orgs[org_key], role)],
                                            full_name=f"{fake.name()} {LABEL}")
        result.credentials.append((username, password, role, orgs[org_key].name))
    for org_key, source in PROVIDED:
        provided = ProvidedSource(organisation_id=orgs[org_key].id, source=source)
        session.add(provided)
        session.flush()
        append(session, Actor(None, "cases demo", None),
               [AccessEvent("submission.provide", "provided_source", str(provided.id), (), orgs[org_key].id)])
    session.commit()

    creators = list(CREATORS)
    for i in range(n_cases):
        username = creators[i % len(creators)]
        ctx = use_context.Ctx(session, principal_of(session, users[username].id), "127.0.0.1", "demo")
        org_id = ctx.principal.grants[0].organisation_id
        country = ctx.principal.grants[0].country
        case_type = rng.choice(CREATORS[username])
        child = case_type in (CaseType.UNACCOMPANIED_CHILD, CaseType.FAMILY_SEPARATION)
        sex = rng.choice([Sex.FEMALE, Sex.MALE])
        given = fake.first_name_female() if sex is Sex.FEMALE else fake.first_name_male()
        person = person_records.create_person(ctx, PersonCreate(
            given_names=given, family_names=f"{fake.last_name()} {LABEL}",
            estimated_age=rng.randint(8, 17) if child else rng.randint(18, 65), sex=sex,
            nationality=country, organisation_id=org_id,
            documents=[Document(kind="passport", number=f"DEMO{rng.randint(100000, 999999)}",
                                issuing_country=country)],
            contacts=[Contact(kind="phone", value=f"+000 {rng.randint(1000000, 9999999)} (ficticio)")],
        ))
        sensitive: dict[str, str] = {}
        decision_groups: set[str] = set()
        for g in ctx.principal.grants:
            decision_groups |= get_policy().roles[g.role].field_groups
        if case_type is CaseType.HEALTH_EMERGENCY and "health" in decision_groups:
            sensitive["health_details"] = f"{LABEL} {fake.sentence()}"
        if case_type is CaseType.TRAFFICKING_VICTIM and "trafficking" in decision_groups:
            sensitive["trafficking_details"] = f"{LABEL} {fake.sentence()}"
        if child and "child_protection" in decision_groups:
            sensitive["child_protection_details"] = f"{LABEL} {fake.sentence()}"
        case = case_records.create_case(ctx, CaseCreate.model_validate({
            "case_type": case_type, "person_id": person.id, "organisation_id": org_id,
            "risk_level": rng.choice(list(RiskLevel)), "summary": f"{LABEL} {fake.paragraph(nb_sentences=2)}",
            "location": f"{fake.city()} ({LABEL})", **sensitive,
        }))
        case_work.add_note(ctx, case.id, NoteIn(body=f"{LABEL} {fake.sentence()}"))
        case_work.add_task(ctx, case.id, TaskIn(title=f"{LABEL} Seguimiento", due_date=fake.date_between("+1d", "+60d")))
        version = case.version
        for step in (CaseStatus.ASSESSMENT, CaseStatus.PLAN, CaseStatus.IN_PROGRESS, CaseStatus.CLOSED):
            if rng.random() < 0.35:
                break
            if step is CaseStatus.CLOSED:
                _record_closure_steps(ctx, case.id)
            version = case_writes.transition_case(ctx, case.id, CaseTransition(version=version, to=step)).version
        result.cases += 1
        result.people += 1
    demo_referrals.build(session, users, {k: o.id for k, o in orgs.items()})
    # Flag synthetic rows in one statement (the API schemas deliberately cannot set this).
    session.execute(update(Person).where(Person.organisation_id.in_([o.id for o in orgs.values()]))
                    .values(synthetic=True).execution_options(synchronize_session=False))
    session.execute(update(Case).where(Case.organisation_id.in_([o.id for o in orgs.values()]))
                    .values(synthetic=True).execution_options(synchronize_session=False))
    session.commit()
    return result


def _record_closure_steps(ctx: use_context.Ctx, case_id: int) -> None:
    """The steps a protocol requires before closing (a child's best-interests determination),
    recorded with synthetic text so the demo's closed cases follow the rules real ones do."""
    case = ctx.session.get(Case, case_id)
    protocol = protocol_of(case.case_type, case.protocol_version, case.protocol_variant) if case else None
    for step_id in protocol.closure_requires if protocol else ():
        step = protocol.step(step_id) if protocol else None
        if step is not None:
            steps.complete_step(ctx, case_id, step_id, {f.id: f"{LABEL} {f.label.es}" for f in step.record},
                                dt.datetime.now(dt.UTC))
