"""Use-cases of arrivals and manifests: record an arrival, import its manifest, list arrivals,
read one with its manifest. Same rules as every use-case (use_context.py): the one policy function
decides, every read or write of personal data (the manifest's names) is audited in the same
transaction, and a refusal is audited too. An arrival is held by its reception centre
(organisation).

Once a manifest row is received it is the identity of a person with a case, so it is shown only
to a reader who may read that person (``person.read``, with the child cap): otherwise the
manifest would reopen, arrival by arrival, the name search the cap closes."""

from __future__ import annotations

import datetime as dt
import secrets

import pycountry
from sqlalchemy import case, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from observatorio.cases.errors import Conflict, Invalid, NotFound, forbidden
from observatorio.cases.models import Person
from observatorio.cases.policy import (
    Decision,
    ScopeColumns,
    authorize,
    get_policy,
    organisation_resource,
    organisations_in,
    person_scope_clause,
    scope_clause,
)
from observatorio.cases.reception.manifest import read_manifest
from observatorio.cases.reception.models import Arrival, Intake, ManifestEntry
from observatorio.cases.reception.schemas import (
    ArrivalDetail,
    ArrivalIn,
    ArrivalOut,
    ManifestEntryOut,
)
from observatorio.cases.use_context import Ctx, check_org, default_org

MANIFEST_FIELDS = ("given_names", "family_names", "date_of_birth", "sex")


def arrival_not_found(arrival_id: object) -> NotFound:
    return NotFound(key="refusal.reception.no_arrival", arrival_id=arrival_id)


def load_arrival(ctx: Ctx, arrival_id: int, action: str, audit_action: str | None = None) -> tuple[Arrival, Decision]:
    """The arrival and the decision for ``action`` on its centre; an arrival the user may not
    read is reported as missing (404), a readable one with a disallowed action as 403."""
    logged = audit_action or action
    if not 0 < arrival_id < 2**31:  # beyond INTEGER: PostgreSQL would refuse the query
        raise ctx.deny(arrival_not_found(arrival_id), logged, "arrival", None, policy_action=action)
    arrival = ctx.session.get(Arrival, arrival_id, populate_existing=True)
    if arrival is None:
        raise ctx.deny(arrival_not_found(arrival_id), logged, "arrival", arrival_id, policy_action=action)
    res = organisation_resource(arrival.organisation)
    d = authorize(ctx.principal, action, res)
    if not d.allowed:
        if action != "reception.read" and authorize(ctx.principal, "reception.read", res).allowed:
            raise ctx.deny(forbidden(action), logged, "arrival", arrival_id)
        raise ctx.deny(arrival_not_found(arrival_id), logged, "arrival", arrival_id, policy_action=action)
    return arrival, d


def _counts(session: Session, arrival_ids: list[int]) -> tuple[dict[int, int], dict[int, int]]:
    manifest = {a: n for a, n in session.execute(select(ManifestEntry.arrival_id, func.count()).where(
        ManifestEntry.arrival_id.in_(arrival_ids)).group_by(ManifestEntry.arrival_id))}
    received = {a: n for a, n in session.execute(select(Intake.arrival_id, func.count()).where(
        Intake.arrival_id.in_(arrival_ids)).group_by(Intake.arrival_id))}
    return manifest, received


def arrival_out(arrival: Arrival, on_manifest: int, received: int) -> ArrivalOut:
    return ArrivalOut(id=arrival.id, reference=arrival.reference, organisation_id=arrival.organisation_id,
                      mode=arrival.mode, arrival_date=arrival.arrival_date, arriving_from=arrival.arriving_from,
                      expected_count=arrival.expected_count, on_manifest=on_manifest, received=received)


def create_arrival(ctx: Ctx, data: ArrivalIn) -> ArrivalOut:
    """Record a flight or bus announced to a centre the user may record arrivals for."""
    if pycountry.countries.get(alpha_3=data.arriving_from) is None:
        raise Invalid(key="refusal.reception.bad_country_code", data_arriving_from=data.arriving_from, detail={"field": "arriving_from"})
    org = default_org(ctx, "reception.arrival", data.organisation_id)
    d = check_org(ctx, "reception.arrival", org)
    arrival = Arrival(reference=f"{org.country}-R-{data.arrival_date:%Y%m%d}-{secrets.token_hex(3).upper()}",
                      organisation_id=org.id, organisation=org, mode=data.mode, arrival_date=data.arrival_date,
                      arriving_from=data.arriving_from, expected_count=data.expected_count,
                      created_by_id=ctx.principal.user_id, synthetic=org.synthetic)
    ctx.session.add(arrival)
    ctx.session.flush()
    ctx.log(d, "reception.arrival", "arrival", arrival.id, ["mode", "arrival_date", "arriving_from", "expected_count"])
    out = arrival_out(arrival, 0, 0)
    ctx.commit()
    return out


def import_manifest(ctx: Ctx, arrival_id: int, file_name: str, content: bytes, today: dt.date) -> int:
    """Read the manifest file and store its people on the arrival; all rows or none. A bad file
    raises an Invalid listing every bad row and column; nothing is written then."""
    arrival, d = load_arrival(ctx, arrival_id, "reception.arrival", "reception.manifest.import")
    if ctx.session.scalar(select(ManifestEntry.id).where(ManifestEntry.arrival_id == arrival.id).limit(1)):
        raise Conflict(key="refusal.reception.manifest_exists_record_at_intake", arrival_reference=arrival.reference)
    rows = read_manifest(file_name, content, today)
    # one multi-row INSERT: thousands of people in one statement, in the audit's transaction
    try:
        ctx.session.execute(insert(ManifestEntry), [
            {"arrival_id": arrival.id, "row_number": r.row_number, "given_names": r.given_names,
             "family_names": r.family_names, "date_of_birth": r.date_of_birth, "sex": r.sex} for r in rows])
    except IntegrityError:  # the same manifest imported at the same moment by someone else
        ctx.session.rollback()
        raise Conflict(key="refusal.reception.manifest_exists", arrival_reference=arrival.reference) from None
    ctx.log(d, "reception.manifest.import", "arrival", arrival.id, [*MANIFEST_FIELDS, f"rows:{len(rows)}"])
    ctx.commit()
    return len(rows)


# Arrivals are held by their reception centre; they have no owner and are never shared.
ARRIVAL_COLUMNS = ScopeColumns(
    held_by_organisation=lambda org: Arrival.organisation_id == org,
    held_in_country=lambda country: Arrival.organisation_id.in_(organisations_in(country)),
)


def list_arrivals(ctx: Ctx, limit: int = 50) -> list[ArrivalOut]:
    """The newest arrivals the user may read, with counts only (no personal data). A user no
    membership grants ``reception.read`` gets an empty list and a denied audit entry, as for cases."""
    if not any(get_policy().scope_of(g.role, "reception.read") for g in ctx.principal.grants):
        ctx.record_denial("reception.list", "arrival", "reception.read")
        ctx.commit()
        return []
    arrivals = list(ctx.session.scalars(select(Arrival).where(scope_clause(ctx.principal, "reception.read", ARRIVAL_COLUMNS))
                                        .order_by(Arrival.arrival_date.desc(), Arrival.id.desc()).limit(limit)))
    manifest, received = _counts(ctx.session, [a.id for a in arrivals])
    ctx.session.commit()
    return [arrival_out(a, manifest.get(a.id, 0), received.get(a.id, 0)) for a in arrivals]


def _received_rows(ctx: Ctx, arrival_id: int) -> dict[int, tuple[int, bool]]:
    """Manifest row -> (intake, whether the user may read its person), in one statement:
    ``person_scope_clause`` is the SQL twin of ``authorize(person.read, person_resource(...))``,
    child cap included, so no person or case is loaded row by row."""
    readable = case((person_scope_clause(ctx.principal, "person.read"), True), else_=False)
    rows = ctx.session.execute(
        select(Intake.manifest_entry_id, Intake.id, readable)
        .join(Person, Person.id == Intake.person_id)
        .where(Intake.arrival_id == arrival_id, Intake.manifest_entry_id.is_not(None)))
    return {entry: (intake_id, bool(may)) for entry, intake_id, may in rows}


def _entry_out(e: ManifestEntry, received: tuple[int, bool] | None) -> ManifestEntryOut:
    if received is not None and not received[1]:  # received, and the person is beyond the user's reach
        return ManifestEntryOut(id=e.id, row_number=e.row_number, intake_id=received[0], identity_hidden=True)
    return ManifestEntryOut(id=e.id, row_number=e.row_number, given_names=e.given_names,
                            family_names=e.family_names, date_of_birth=e.date_of_birth, sex=e.sex,
                            intake_id=received[0] if received else None)


def get_arrival(ctx: Ctx, arrival_id: int) -> ArrivalDetail:
    """One arrival with its manifest (names: audited) and who has been received. A received row
    whose person the user may not read comes without identity (no names, date of birth or sex)
    and is no read of personal data."""
    arrival, d = load_arrival(ctx, arrival_id, "reception.read", "reception.manifest.read")
    entries = ctx.session.scalars(select(ManifestEntry).where(ManifestEntry.arrival_id == arrival.id)
                                  .order_by(ManifestEntry.row_number)).all()
    taken = _received_rows(ctx, arrival.id) if entries else {}
    received = ctx.session.scalar(select(func.count()).select_from(Intake).where(Intake.arrival_id == arrival.id))
    manifest = [_entry_out(e, taken.get(e.id)) for e in entries]
    # One entry per read, as before, counting only the rows shown. Not one per received person:
    # every intake form reads the arrival again, so that would grow with the square of the
    # flight; a person's trail reaches these entries through their intake's arrival.
    shown = sum(not e.identity_hidden for e in manifest)
    if shown:
        ctx.log(d, "reception.manifest.read", "arrival", arrival.id, [*MANIFEST_FIELDS, f"rows:{shown}"])
    out = ArrivalDetail(arrival=arrival_out(arrival, len(entries), int(received or 0)), manifest=manifest)
    ctx.commit()
    return out
