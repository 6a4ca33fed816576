"""The public directory: member states' institutions, civil-society and international
organisations, and the joint mechanisms (CRM working groups, national roundtables, networks)
with their members.

Reading is public. Writing needs the policy action ``directory.edit`` (the ``editor`` role);
each write and each refusal is appended to the audit chain like any other access.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from observatorio.cases.directory_models import (
    DirectoryOrganisation,
    JointMechanism,
    MechanismMember,
)
from observatorio.cases.directory_schemas import MechanismIn, OrganisationIn
from observatorio.cases.errors import Invalid, forbidden, not_found
from observatorio.cases.policy import Decision, Resource, authorize
from observatorio.cases.use_context import Ctx
from observatorio.model.codelists import CRM_MEMBERS

EDIT = "directory.edit"


def _allowed(ctx: Ctx, country: str | None, record_type: str, record_id: object) -> Decision:
    decision = authorize(ctx.principal, EDIT, Resource(countries=frozenset({country or ""})))
    if not decision.allowed:
        raise ctx.deny(forbidden(EDIT), EDIT, record_type, record_id)
    return decision


def save_organisation(ctx: Ctx, data: OrganisationIn) -> DirectoryOrganisation:
    """Create the organisation named by ``data.slug``, or replace its fields."""
    org = ctx.session.scalar(select(DirectoryOrganisation).where(DirectoryOrganisation.slug == data.slug))
    decision = _allowed(ctx, data.country, "directory_org", org.id if org else data.slug)
    if data.kind != "international" and data.country is None:
        raise Invalid(key="refusal.directory.national_needs_country")
    if org is None:
        org = DirectoryOrganisation(slug=data.slug)
        ctx.session.add(org)
    changed = sorted(k for k, v in data.model_dump().items() if getattr(org, k) != v)
    for key, value in data.model_dump().items():
        setattr(org, key, value)
    ctx.session.flush()
    ctx.log(decision, EDIT, "directory_org", org.id, changed)
    ctx.commit()
    return org


def save_mechanism(ctx: Ctx, data: MechanismIn) -> JointMechanism:
    """Create or replace a joint mechanism and its whole member list."""
    mech = ctx.session.scalar(select(JointMechanism).where(JointMechanism.slug == data.slug))
    decision = _allowed(ctx, data.country, "mechanism", mech.id if mech else data.slug)
    slugs = [m.organisation for m in data.members if m.organisation]
    found = {o.slug: o for o in ctx.session.scalars(
        select(DirectoryOrganisation).where(DirectoryOrganisation.slug.in_(slugs)))}
    if missing := sorted(set(slugs) - found.keys()):
        raise Invalid(key="refusal.directory.unknown_members", missing=', '.join(missing))
    if bad := sorted({m.country for m in data.members if m.country and m.country not in CRM_MEMBERS}):
        raise Invalid(key="refusal.directory.not_crm_countries", bad=', '.join(bad))
    if mech is None:
        mech = JointMechanism(slug=data.slug)
        ctx.session.add(mech)
    fields = data.model_dump(exclude={"members"})
    for key, value in fields.items():
        setattr(mech, key, value)
    mech.members.clear()
    ctx.session.flush()  # the old member rows go before equal new ones arrive
    seen: set[tuple[int | None, str | None]] = set()
    for m in data.members:
        member_org = found.get(m.organisation or "")
        member = (member_org.id if member_org else None, m.country)
        if member not in seen:
            seen.add(member)
            mech.members.append(MechanismMember(organisation_id=member[0], country=m.country))
    ctx.session.flush()
    ctx.log(decision, EDIT, "mechanism", mech.id, [*sorted(fields), "members"])
    ctx.commit()
    return mech


def delete_organisation(ctx: Ctx, slug: str) -> None:
    org = ctx.session.scalar(select(DirectoryOrganisation).where(DirectoryOrganisation.slug == slug))
    decision = _allowed(ctx, org.country if org else None, "directory_org", slug)
    if org is None:
        raise not_found("organisation", slug)
    ctx.session.delete(org)
    ctx.log(decision, EDIT, "directory_org", org.id, ["deleted"])
    ctx.commit()


# -- public reading ---------------------------------------------------------------------------


def organisations(session: Session) -> list[DirectoryOrganisation]:
    return list(session.scalars(select(DirectoryOrganisation).order_by(
        DirectoryOrganisation.kind, DirectoryOrganisation.country, DirectoryOrganisation.name_es)))


def organisation(session: Session, slug: str) -> DirectoryOrganisation | None:
    return session.scalar(select(DirectoryOrganisation).where(DirectoryOrganisation.slug == slug))


def mechanisms(session: Session) -> list[JointMechanism]:
    return list(session.scalars(select(JointMechanism).order_by(JointMechanism.kind, JointMechanism.name_es)))


def mechanisms_of(session: Session, org_id: int) -> list[JointMechanism]:
    return list(session.scalars(select(JointMechanism).join(MechanismMember).where(
        MechanismMember.organisation_id == org_id).order_by(JointMechanism.name_es)))


def provided_sources(org: DirectoryOrganisation, known: list[str]) -> list[str]:
    """The registered sources an organisation provides (its patterns matched against ``known``)."""
    return sorted(s for s in known if any(fnmatch.fnmatchcase(s, p) for p in org.sources or []))


def organisation_out(org: DirectoryOrganisation) -> dict[str, Any]:
    """The public view (the reminder mailbox ``data_contact`` stays out)."""
    return {k: getattr(org, k) for k in ("slug", "kind", "country", "name_es", "name_en", "acronym",
                                          "description_es", "description_en", "website", "sources")}


def mechanism_out(mech: JointMechanism) -> dict[str, Any]:
    out = {k: getattr(mech, k) for k in ("slug", "kind", "country", "name_es", "name_en",
                                          "description_es", "description_en")}
    out["members"] = [{"organisation": m.organisation.slug if m.organisation else None, "country": m.country}
                      for m in mech.members]
    return out


# -- seed -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seed:
    organisations: tuple[OrganisationIn, ...]
    mechanisms: tuple[MechanismIn, ...]


@cache
def bundled_seed() -> Seed:
    """directory_seed.yaml: only facts the repository supports (see the file's header)."""
    raw = yaml.safe_load(resources.files("observatorio.cases").joinpath("directory_seed.yaml")
                         .read_text("utf-8"))
    return Seed(tuple(OrganisationIn(**o) for o in raw["organisations"]),
                tuple(MechanismIn(**m) for m in raw["mechanisms"]))


def load_seed(ctx: Ctx) -> tuple[int, int]:
    """Write the bundled seed through the audited use cases; entries already present are kept
    as the editors left them. Returns (organisations added, mechanisms added)."""
    seed = bundled_seed()
    have_orgs = set(ctx.session.scalars(select(DirectoryOrganisation.slug)))
    have_mechs = set(ctx.session.scalars(select(JointMechanism.slug)))
    new_orgs = [o for o in seed.organisations if o.slug not in have_orgs]
    new_mechs = [m for m in seed.mechanisms if m.slug not in have_mechs]
    for org in new_orgs:
        save_organisation(ctx, org)
    for mech in new_mechs:
        save_mechanism(ctx, mech)
    return len(new_orgs), len(new_mechs)
