"""Organisations, users and memberships (administration; used by the demo, CLI and tests)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from observatorio.cases.auth import hash_password, revoke_user_sessions
from observatorio.cases.config import CasesConfig
from observatorio.cases.errors import Invalid
from observatorio.cases.models import Membership, Organisation, User
from observatorio.cases.policy import get_policy
from observatorio.cases.vocab import OrgKind


def add_organisation(session: Session, name: str, kind: OrgKind | str, country: str,
                     host_country: str | None = None, city: str | None = None,
                     synthetic: bool = False) -> Organisation:
    """Create an organisation (a consulate names the host country and city it sits in)."""
    org = Organisation(name=name, kind=OrgKind(kind).value, country=country.upper(),
                       host_country=host_country.upper() if host_country else None, city=city,
                       synthetic=synthetic)
    session.add(org)
    session.flush()
    return org


def add_user(session: Session, username: str, password: str, cfg: CasesConfig,
             memberships: list[tuple[Organisation, str]], full_name: str = "") -> User:
    """Create a user with roles in organisations; roles must exist in the policy."""
    roles = get_policy().roles
    for _, role in memberships:
        if role not in roles:
            raise Invalid(key="cases.refusal.unknown_role", role=role)
    _check_password(password)
    user = User(username=username, full_name=full_name, password_hash=hash_password(password, cfg))
    user.memberships = [Membership(organisation_id=o.id, organisation=o, role=r) for o, r in memberships]
    session.add(user)
    session.flush()
    return user


def _check_password(password: str) -> None:
    if len(password) < 12:
        raise Invalid(key="cases.refusal.short_password", minimum=12)


def set_password(session: Session, user: User, password: str, cfg: CasesConfig) -> None:
    """Give a user a new password; every session of theirs ends (the caller commits)."""
    _check_password(password)
    user.password_hash = hash_password(password, cfg)
    revoke_user_sessions(session, user.id)


def deactivate_user(session: Session, user: User) -> None:
    """Refuse a user from now on; every session of theirs ends, even if reactivated later."""
    user.active = False
    revoke_user_sessions(session, user.id)
