"""Intake of one returnee at the centre, in one transaction: identity check against the
manifest, destination, vulnerability screening, immediate services, and the returnee's case
with every referral the screening requires.

The case's type follows the screening (``case_type_of``): an unaccompanied child gets an
``unaccompanied_child`` case, opened through ``case_records.open_case_row`` like every other
child's case, so the policy's child caps (case and person record: the intake officer ``own``, the
national supervisor ``country``, not every officer of the centre), the child protocol (its
best-interests steps and closure rule) and the child-protection mandate apply; anyone else a
``returnee_reintegration`` case. Ages are taken at the arrival date (at the intake date when that
is earlier, so an arrival dated in the future ages no one): a returnee under 18 then is a child,
whose accompaniment must be recorded as unaccompanied, accompanied or family unit (never single
adult, never unknown), so no child is left with an adult's case by omission.

``record_required_referrals``: a required referral a legal mandate covers (an unaccompanied
child to the country's child-protection agency) becomes a referral record, made by the system
on the officer's behalf (``mandated_referrals``); every other one, and one whose mandated
receiver is not registered, becomes an open task on the case named after the step requiring it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from observatorio.cases import mandated_referrals
from observatorio.cases.case_records import open_case_row
from observatorio.cases.errors import Conflict, Invalid, forbidden
from observatorio.cases.models import Case, CaseRevision, CaseService, CaseTask, Person
from observatorio.cases.policy import authorize, organisation_resource
from observatorio.cases.reception import geography, screening
from observatorio.cases.reception.arrivals import load_arrival
from observatorio.cases.reception.models import Arrival, Intake, ManifestEntry, Municipality
from observatorio.cases.reception.schemas import IntakeIn, IntakeOut, RequiredReferralOut
from observatorio.cases.reception.screening import RequiredReferral
from observatorio.cases.use_context import Ctx
from observatorio.cases.vocab import CaseType
from observatorio.i18n import both

UNACCOMPANIED_FLAG = "unaccompanied_child"
#: what a child (under 18 at the arrival date) may be recorded as: never a single adult, never unknown
CHILD_ACCOMPANIMENTS = ("UNACCOMPANIED", "ACCOMPANIED", "FAMILY_UNIT")


def case_type_of(flags: list[str]) -> CaseType:
    """The case a returnee gets: an unaccompanied child's (capped, child protocol), else a
    returnee's. ``flags`` are checked (``_screening``): the flag and the accompaniment agree and
    an unaccompanied returnee is under 18 at the arrival date (or has no date of birth)."""
    return CaseType.UNACCOMPANIED_CHILD if UNACCOMPANIED_FLAG in flags else CaseType.RETURNEE_REINTEGRATION


def record_required_referrals(ctx: Ctx, case: Case, needs: list[RequiredReferral], today: dt.date, *,
                              by_mandate: bool = True, assignee_id: int | None = None) -> list[RequiredReferralOut]:
    """Refer the returnee where a legal mandate covers the need, else record an open task
    (assigned to ``assignee_id``, the acting officer by default). ``by_mandate`` False: every
    need becomes a task (the acting user does not hold ``referral.mandate``: child_cases.py)."""
    out = []
    for need in needs:
        m = mandated_referrals.mandate(need.mandate) if need.mandate and by_mandate else None
        target = (mandated_referrals.mandated_receiver(ctx, m, need.organisation_kind, case.country)
                  if m is not None and mandated_referrals.applies(m, case.case_type, need.organisation_kind)
                  else None)
        if m is not None and target is not None:
            referral = mandated_referrals.refer_by_mandate(ctx, case, m, target)
            out.append(_required_out(need, referral_id=referral.id, to_organisation=target.name))
            continue
        where = f" ({need.protocol}: {need.step_id})" if need.step_id else ""
        # a sensitive need (trafficking, health) is not named where every reader of the case sees it
        what = "" if need.sensitive else f": {need.label.es} / {need.label.en}"
        title = f"Remisión requerida / Required referral → {need.organisation_kind}{what}{where}"[:200]
        task = CaseTask(case_id=case.id, title=title, due_date=today,
                        assignee_id=ctx.principal.user_id if assignee_id is None else assignee_id)
        ctx.session.add(task)
        ctx.session.flush()
        out.append(_required_out(need, task_id=task.id))
    return out


def _required_out(need: RequiredReferral, **made: object) -> RequiredReferralOut:
    return RequiredReferralOut(flag=need.flag, organisation_kind=need.organisation_kind, protocol=need.protocol,
                               step_id=need.step_id, es=need.label.es, en=need.label.en, **made)  # type: ignore[arg-type]


def _identity(entry: ManifestEntry | None, data: IntakeIn) -> tuple[dict[str, object], str]:
    """The identity to register and the check's outcome against the manifest."""
    given = {"given_names": data.given_names, "family_names": data.family_names,
             "date_of_birth": data.date_of_birth, "sex": data.sex.value if data.sex else None}
    if entry is None:
        if not data.given_names:
            raise Invalid(key="refusal.reception.given_names_required", detail={"field": "given_names"})
        return {k: v for k, v in given.items() if v is not None}, "not_on_manifest"
    listed = {"given_names": entry.given_names, "family_names": entry.family_names,
              "date_of_birth": entry.date_of_birth, "sex": entry.sex}
    corrected = any(v is not None and v != listed[k] for k, v in given.items())
    return {k: (given[k] if given[k] is not None else listed[k]) for k in listed}, \
        "corrected" if corrected else "matched"


def _destination(ctx: Ctx, country: str, data: IntakeIn) -> tuple[str | None, str | None, str | None]:
    """(department, municipality code, municipality text): the code must be on the loaded list
    of that department; without a list for the country the municipality is free text."""
    department = geography.check_department(country, data.department) if data.department else None
    if not geography.has_municipality_list(ctx.session, country):
        if data.municipality_code:
            raise Invalid(key="refusal.reception.no_municipality_list", country=country, detail={"field": "municipality_code"})
        return department, None, data.municipality_text or None
    if not data.municipality_code:
        return department, None, None
    found = ctx.session.get(Municipality, data.municipality_code)
    if found is None or department is None or found.department != department:
        raise Invalid(key="refusal.reception.municipality_not_in_department", data_municipality_code=data.municipality_code, department=department or both("refusal.reception.no_department"), detail={"field": "municipality_code"})
    return department, found.code, found.name


def age_at(born: object, day: dt.date) -> int | None:
    """Age in whole years on ``day`` (the arrival date), None without a date of birth."""
    if not isinstance(born, dt.date):
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _screening(data: IntakeIn, born: object, arrived: dt.date) -> list[str]:
    if bad := screening.unknown_flags(data.vulnerabilities):
        raise Invalid(key="refusal.reception.unknown_vulnerability_flags", bad=bad, detail={"field": "vulnerabilities"})
    if bad := sorted(set(data.services) - screening.services().keys()):
        raise Invalid(key="refusal.reception.unknown_services", bad=bad, detail={"field": "services"})
    flags = list(dict.fromkeys(data.vulnerabilities))
    unaccompanied = data.accompaniment == "UNACCOMPANIED"
    if (UNACCOMPANIED_FLAG in flags) != unaccompanied:
        raise Invalid(key="refusal.reception.unaccompanied_both_places", detail={"field": "accompaniment"})
    age = age_at(born, arrived)
    if unaccompanied and age is not None and age >= 18:
        raise Invalid(key="refusal.reception.unaccompanied_adult", age=age, detail={"field": "accompaniment"})
    if age is not None and age < 18 and data.accompaniment not in CHILD_ACCOMPANIMENTS:
        raise Invalid(key="refusal.reception.child_accompaniment", age=age, detail={"field": "accompaniment"})
    return flags


def _open_entry(ctx: Ctx, arrival: Arrival, entry_id: int | None) -> ManifestEntry | None:
    if entry_id is None:
        return None
    entry = ctx.session.get(ManifestEntry, entry_id)
    if entry is None or entry.arrival_id != arrival.id:
        raise Invalid(key="refusal.reception.row_not_on_manifest", entry_id=entry_id, arrival_reference=arrival.reference, detail={"field": "manifest_entry_id"})
    if ctx.session.scalar(select(Intake.id).where(Intake.manifest_entry_id == entry.id)):
        # the row number only: the person received may be a child the user may not read (the cap)
        raise Conflict(key="refusal.reception.row_already_received", entry_row_number=entry.row_number)
    return entry


def record_intake(ctx: Ctx, arrival_id: int, data: IntakeIn, today: dt.date) -> IntakeOut:
    """Receive one person of an arrival: all of it is written, or nothing."""
    arrival, d = load_arrival(ctx, arrival_id, "reception.intake")
    org = arrival.organisation
    for action in ("person.create", "case.create"):
        if not authorize(ctx.principal, action, organisation_resource(org)).allowed:
            raise ctx.deny(forbidden(action), "reception.intake", "arrival", arrival.id)
    entry = _open_entry(ctx, arrival, data.manifest_entry_id)
    identity, check = _identity(entry, data)
    department, municipality_code, municipality_text = _destination(ctx, org.country, data)
    # the age on the earlier of arrival and intake: a child on either day is a child, and an
    # arrival dated after the intake (a typo: any date to 2100 is accepted) cannot age anyone
    flags = _screening(data, identity.get("date_of_birth"), min(arrival.arrival_date, today))
    needs = screening.required_referrals(flags, org.country)

    person = Person(**identity, nationality=org.country, organisation_id=org.id, organisation=org,
                    created_by_id=ctx.principal.user_id, synthetic=arrival.synthetic)
    ctx.session.add(person)
    ctx.session.flush()
    case_type = case_type_of(flags).value
    case = open_case_row(ctx, org, case_type, person.id, ctx.principal.user_id,
                         risk_level="high" if needs else "medium", synthetic=arrival.synthetic,
                         location=municipality_text or department)
    for code in dict.fromkeys(data.services):
        ctx.session.add(CaseService(case_id=case.id, service_type=code, status="delivered", delivered_on=today))
    required = record_required_referrals(ctx, case, needs, today)
    changes: dict[str, object] = {"case_type": [None, case_type], "person_id": [None, person.id]}
    if referred := [r.referral_id for r in required if r.referral_id is not None]:
        changes["mandated_referrals"] = [None, referred]  # the case history shows the referral
    ctx.session.add(CaseRevision(case_id=case.id, version=case.version, user_id=ctx.principal.user_id,
                                 changes=changes))
    intake = Intake(arrival_id=arrival.id, manifest_entry_id=entry.id if entry else None, person_id=person.id,
                    case_id=case.id, identity_check=check, department=department,
                    municipality_code=municipality_code, municipality_text=municipality_text,
                    accompaniment=data.accompaniment, vulnerabilities=flags, services=list(dict.fromkeys(data.services)),
                    received_on=today, created_by_id=ctx.principal.user_id, synthetic=arrival.synthetic)
    ctx.session.add(intake)
    try:
        ctx.session.flush()
    except IntegrityError:  # another officer received the same manifest row meanwhile
        ctx.session.rollback()
        ctx.events.clear()  # nothing was written, so nothing (a mandated referral) is to be audited
        raise Conflict(key="refusal.reception.row_received_meanwhile") from None
    ctx.log(d, "person.create", "person", person.id, sorted(identity))
    ctx.log(d, "case.create", "case", case.id, ["case_type", "person_id"])
    ctx.log(d, "reception.intake", "person", person.id,
            ["identity_check", "department", "municipality", "accompaniment", "vulnerabilities", "services"])
    out = IntakeOut(id=intake.id, arrival_id=arrival.id, person_id=person.id, case_id=case.id, identity_check=check,
                    required_referrals=required)
    ctx.commit()
    return out
