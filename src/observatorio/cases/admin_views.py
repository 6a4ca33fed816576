"""What the account administration pages (admin_web.py) read, and how far an administrator reaches.

``user.manage`` is decided per organisation by the one policy function (``authorize`` on the
organisation's resource), like every other action: the ``admin`` role holds it at region scope
(every organisation), but a policy that granted it at country or organisation scope would give
that administrator the accounts of their country or organisation only. An account is in reach
when every organisation it has a role in is (changing the account changes it for all of them);
an account with no role at all only at region scope. The lists are built from these checks, so
nothing outside them is ever read into a page.

The rows hold only what the pages show: never the password hash.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from observatorio.cases.accounts import ADMIN_ACTION as MANAGE
from observatorio.cases.models import Membership, Organisation, User
from observatorio.cases.policy import (
    Principal,
    Resource,
    authorize,
    get_policy,
    organisation_resource,
)

#: Letters and digits a person reads aloud or copies by hand without confusing them (no 0/O, 1/l/I).
_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_GROUPS, _GROUP = 5, 4  # 20 characters of 57: about 116 bits, shown as xxxx-xxxx-xxxx-xxxx-xxxx


def new_password() -> str:
    """A password made by the server (``secrets``), shown once to the administrator and never
    stored in clear: 24 characters, well over accounts.MIN_PASSWORD."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(_GROUP)) for _ in range(_GROUPS))


@dataclass(frozen=True)
class OrgRow:
    id: int
    name: str
    kind: str
    country: str
    host_country: str | None
    city: str | None
    synthetic: bool


@dataclass(frozen=True)
class MembershipRow:
    organisation_id: int
    organisation: str
    role: str


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    full_name: str
    active: bool
    memberships: tuple[MembershipRow, ...]


def reaches_org(principal: Principal, org: Organisation | OrgRow) -> bool:
    """Whether the principal may manage accounts inside ``org``."""
    return authorize(principal, MANAGE, organisation_resource(org)).allowed


def reaches_everything(principal: Principal) -> bool:
    """Region scope: a resource of no organisation and no country is reached by nothing narrower."""
    return authorize(principal, MANAGE, Resource()).allowed


def organisations(session: Session, principal: Principal) -> list[OrgRow]:
    """The organisations the principal manages accounts in, by name."""
    rows = session.execute(select(Organisation.id, Organisation.name, Organisation.kind, Organisation.country,
                                  Organisation.host_country, Organisation.city, Organisation.synthetic)
                           .order_by(Organisation.name, Organisation.id)).all()
    return [o for o in (OrgRow(*r) for r in rows) if reaches_org(principal, o)]


def _memberships(session: Session, user_ids: Iterable[int] | None) -> dict[int, list[MembershipRow]]:
    stmt = (select(Membership.user_id, Membership.organisation_id, Organisation.name, Membership.role)
            .join(Organisation, Organisation.id == Membership.organisation_id)
            .order_by(Organisation.name, Membership.role))
    if user_ids is not None:
        stmt = stmt.where(Membership.user_id.in_(sorted(user_ids)))
    out: dict[int, list[MembershipRow]] = {}
    for user_id, org_id, name, role in session.execute(stmt):
        out.setdefault(user_id, []).append(MembershipRow(org_id, name, role))
    return out


def _in_reach(memberships: list[MembershipRow], reached: set[int], everything: bool) -> bool:
    return all(m.organisation_id in reached for m in memberships) if memberships else everything


def users(session: Session, principal: Principal, organisation_id: int | None = None) -> list[UserRow]:
    """The accounts in reach, by username; ``organisation_id``: only those with a role there."""
    reached = {o.id for o in organisations(session, principal)}
    everything = reaches_everything(principal)
    roles = _memberships(session, None)
    found = session.execute(select(User.id, User.username, User.full_name, User.active).order_by(User.username))
    rows = [UserRow(uid, name, full, active, tuple(roles.get(uid, ())))
            for uid, name, full, active in found if _in_reach(roles.get(uid, []), reached, everything)]
    if organisation_id is not None:
        rows = [r for r in rows if any(m.organisation_id == organisation_id for m in r.memberships)]
    return rows


def user(session: Session, principal: Principal, user_id: int) -> UserRow | None:
    """One account, or None when it is missing or out of reach (the caller answers both alike)."""
    found = session.execute(select(User.id, User.username, User.full_name, User.active)
                            .where(User.id == user_id).execution_options(populate_existing=True)).first()
    if found is None:
        return None
    memberships = _memberships(session, [user_id]).get(user_id, [])
    reached = {o.id for o in organisations(session, principal)}
    if not _in_reach(memberships, reached, reaches_everything(principal)):
        return None
    return UserRow(found.id, found.username, found.full_name, found.active, tuple(memberships))


def role_labels(lang: str) -> dict[str, str]:
    """Every role of the policy, by its label in ``lang`` (the grant form's choices)."""
    return {name: role.label[lang] for name, role in sorted(get_policy().roles.items())}
