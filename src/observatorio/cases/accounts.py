"""Organisations, users and memberships (administration; used by the demo, CLI and tests).

``add_organisation``/``add_user`` build rows and nothing else (the demo and tests use them).
The ``create_*``, ``grant_role`` and ``revoke_role`` functions are what an operator does to a
real deployment (``observatorio cases org …``/``user …``): they check their input against the
policy and ISO 3166, refuse what would be ambiguous or leave nobody to administer, and write an
audit entry naming the operator, all in the caller's transaction (the caller commits, so a
refusal leaves nothing written).
"""

from __future__ import annotations

from collections.abc import Sequence

import pycountry
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from observatorio.cases.audit import AccessEvent, Actor, append
from observatorio.cases.auth import hash_password, revoke_user_sessions
from observatorio.cases.config import CasesConfig
from observatorio.cases.errors import Conflict, Invalid, NotFound
from observatorio.cases.models import Membership, Organisation, User
from observatorio.cases.policy import get_policy
from observatorio.cases.vocab import OrgKind

#: The policy action that makes a role an administrator's (``admin`` in policy.yaml): the last
#: active account holding such a role keeps it, so the deployment is never left unadministered.
ADMIN_ACTION = "user.manage"
MIN_PASSWORD = 12
MAX_USERNAME = 80  # app_user.username
#: The columns' lengths (models.py): longer text is refused by name, not left to the database
#: (PostgreSQL fails the insert with a DataError; SQLite would keep it whole).
MAX_NAME = 200  # organisation.name, app_user.full_name
MAX_CITY = 120  # organisation.city
#: Who an operator's change is recorded under: a name (the CLI's ``cli:<os user>``) or, from the
#: signed-in administration pages, the acting account with its id and address.
Operator = str | Actor


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
    for _, role in memberships:
        check_role(role)
    check_password(password)
    user = User(username=username, full_name=full_name, password_hash=hash_password(password, cfg))
    user.memberships = [Membership(organisation_id=o.id, organisation=o, role=r) for o, r in memberships]
    session.add(user)
    session.flush()
    return user


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid(key="cases.refusal.short_password", minimum=MIN_PASSWORD)


def check_role(role: str) -> None:
    """Refuse a role the policy does not define, naming those it does."""
    roles = get_policy().roles
    if role not in roles:
        raise Invalid(key="cases.refusal.unknown_role", role=role, roles=", ".join(sorted(roles)))


def check_country(code: str, option: str) -> str:
    """``code`` as an ISO 3166-1 alpha-3 code (upper case), or a refusal naming the option."""
    iso = code.strip().upper()
    if len(iso) != 3 or pycountry.countries.get(alpha_3=iso) is None:
        raise Invalid(key="cases.refusal.unknown_country", option=option, given=code)
    return iso


def check_length(value: str, option: str, maximum: int) -> None:
    """Refuse text longer than its column, naming the option (or form field) it came from."""
    if len(value) > maximum:
        raise Invalid(key="cases.refusal.text_too_long", option=option, maximum=maximum, length=len(value))


def check_username(username: str) -> None:
    """A login name: 1 to 80 characters, no spaces or control characters (it is typed at login)."""
    if not username or len(username) > MAX_USERNAME or any(c.isspace() or not c.isprintable() for c in username):
        raise Invalid(key="cases.refusal.bad_username", username=username, maximum=MAX_USERNAME)


def set_password(session: Session, user: User, password: str, cfg: CasesConfig) -> None:
    """Give a user a new password; every session of theirs ends (the caller commits)."""
    check_password(password)
    user.password_hash = hash_password(password, cfg)
    revoke_user_sessions(session, user.id)


def deactivate_user(session: Session, user: User) -> None:
    """Refuse a user from now on; every session of theirs ends, even if reactivated later."""
    user.active = False
    revoke_user_sessions(session, user.id)


def deactivate_account(session: Session, operator: Operator, user: User) -> None:
    """``deactivate_user`` for an operator: refused for the last active administrator (nobody
    could manage accounts after), audited as ``user.deactivate``."""
    if user.active and admin_roles() & {m.role for m in user.memberships} and not _other_active_admins(session, user.id):
        raise Conflict(key="cases.refusal.last_admin_deactivate", username=user.username)
    deactivate_user(session, user)
    audit_operator(session, operator, "user.deactivate", "user", user.id, ("active",), None)


def activate_account(session: Session, operator: Operator, user: User) -> None:
    """Let a deactivated account log in again (its old sessions stay ended); audited as
    ``user.activate``."""
    user.active = True
    audit_operator(session, operator, "user.activate", "user", user.id, ("active",), None)


def change_password(session: Session, cfg: CasesConfig, operator: Operator, user: User, password: str) -> None:
    """``set_password`` for an operator, audited as ``user.set_password``."""
    set_password(session, user, password, cfg)
    audit_operator(session, operator, "user.set_password", "user", user.id, ("password_hash",), None)


def audit_operator(session: Session, operator: Operator, action: str, record_type: str, record_id: int,
                   fields: Sequence[str], organisation_id: int | None) -> None:
    """One audit entry for an operator's change (field names and the role, never a value)."""
    actor = operator if isinstance(operator, Actor) else Actor(None, operator, None)
    append(session, actor, [AccessEvent(action, record_type, str(record_id), tuple(fields), organisation_id)])


def find_organisation(session: Session, ref: str) -> Organisation:
    """The organisation ``ref`` names: its id (digits) or its exact name."""
    if ref.strip().isdecimal():
        org = session.get(Organisation, int(ref))
        if org is not None:
            return org
    else:
        found = session.scalars(select(Organisation).where(Organisation.name == ref.strip())
                                .order_by(Organisation.id)).all()
        if len(found) == 1:
            return found[0]
        if found:
            raise Invalid(key="cases.refusal.organisation_ambiguous", organisation=ref,
                          ids=", ".join(str(o.id) for o in found))
    raise NotFound(key="cases.refusal.no_organisation", organisation=ref)


def find_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(key="cases.refusal.no_account", username=username)
    return user


def create_organisation(session: Session, operator: Operator, name: str, kind: str, country: str,
                        host_country: str | None = None, city: str | None = None) -> Organisation:
    """A real (not synthetic) organisation, checked and audited as ``organisation.create``."""
    name = name.strip()
    if not name:
        raise Invalid(key="cases.refusal.organisation_name_empty")
    check_length(name, "NAME", MAX_NAME)
    check_length((city or "").strip(), "--city", MAX_CITY)
    if kind not in {k.value for k in OrgKind}:
        raise Invalid(key="cases.refusal.unknown_org_kind", kind=kind, kinds=", ".join(k.value for k in OrgKind))
    iso = check_country(country, "--country")
    host = check_country(host_country, "--host-country") if host_country else None
    if kind == OrgKind.CONSULATE and host is None:
        # A consulate serves its state abroad: where it sits decides which cases it meets.
        raise Invalid(key="cases.refusal.consulate_needs_host")
    if session.scalar(select(func.count()).select_from(Organisation).where(Organisation.name == name)):
        # Names are how operators (and --org) find an organisation: two alike would be ambiguous.
        raise Conflict(key="cases.refusal.organisation_exists", organisation=name)
    org = add_organisation(session, name, kind, iso, host, (city or "").strip() or None)
    audit_operator(session, operator, "organisation.create", "organisation", org.id,
                   ("name", "kind", "country", "host_country", "city"), org.id)
    return org


def check_new_user(session: Session, username: str, org_ref: str, role: str) -> Organisation:
    """Everything ``create_user`` checks but the password (run before asking for it, and again
    in the writing transaction)."""
    check_username(username)
    check_role(role)
    org = find_organisation(session, org_ref)
    if session.scalar(select(func.count()).select_from(User).where(User.username == username)):
        raise Conflict(key="cases.refusal.username_taken", username=username)
    return org


def create_user(session: Session, cfg: CasesConfig, operator: Operator, username: str, password: str,
                org_ref: str, role: str, full_name: str = "") -> User:
    """A new account with one role in one organisation; audited as ``user.create`` and
    ``user.grant``."""
    org = check_new_user(session, username, org_ref, role)
    check_length(full_name.strip(), "--full-name", MAX_NAME)
    try:
        user = add_user(session, username, password, cfg, [(org, role)], full_name.strip())
    except IntegrityError:
        # Another operator's transaction added the name after the check (PostgreSQL): the
        # unique index decides, and the refusal says so rather than a traceback.
        raise Conflict(key="cases.refusal.username_taken", username=username) from None
    audit_operator(session, operator, "user.create", "user", user.id,
                   ("username", "full_name", "password_hash"), org.id)
    audit_operator(session, operator, "user.grant", "user", user.id, ("membership", f"role={role}"), org.id)
    return user


def grant_role(session: Session, operator: Operator, username: str, org_ref: str, role: str) -> Membership:
    """Give ``username`` the role ``role`` in an organisation; audited as ``user.grant``."""
    check_role(role)
    user = find_user(session, username)
    org = find_organisation(session, org_ref)
    if any(m.organisation_id == org.id and m.role == role for m in user.memberships):
        raise Conflict(key="cases.refusal.role_held", username=username, role=role, organisation=org.name)
    membership = Membership(user_id=user.id, organisation_id=org.id, role=role)
    session.add(membership)
    try:
        session.flush()
    except IntegrityError:  # granted meanwhile by another operator (the unique constraint)
        raise Conflict(key="cases.refusal.role_held", username=username, role=role,
                       organisation=org.name) from None
    audit_operator(session, operator, "user.grant", "user", user.id, ("membership", f"role={role}"), org.id)
    return membership


def revoke_role(session: Session, operator: Operator, username: str, org_ref: str, role: str) -> Organisation:
    """Take the role ``role`` in an organisation from ``username``; every session of theirs ends
    (a session's grants are read per request, but a revocation should also end what the person
    has open). Refused for the last active account holding an administrator's role."""
    check_role(role)
    user = find_user(session, username)
    org = find_organisation(session, org_ref)
    membership = next((m for m in user.memberships if m.organisation_id == org.id and m.role == role), None)
    if membership is None:
        raise NotFound(key="cases.refusal.no_membership", username=username, role=role, organisation=org.name)
    if user.active and role in admin_roles() and not _other_active_admins(session, user.id):
        raise Conflict(key="cases.refusal.last_admin", username=username, role=role)
    user.memberships.remove(membership)
    session.flush()
    revoke_user_sessions(session, user.id)
    audit_operator(session, operator, "user.revoke", "user", user.id, ("membership", f"role={role}"), org.id)
    return org


def admin_roles() -> frozenset[str]:
    """The policy's roles that grant ``user.manage``."""
    return frozenset(r.name for r in get_policy().roles.values() if ADMIN_ACTION in r.grants)


def _other_active_admins(session: Session, user_id: int) -> int:
    """How many other active accounts hold an administrator's role; their membership and user
    rows are locked (PostgreSQL) so that two operators cannot each revoke or deactivate one of
    the last two. The user rows too: a deactivation changes ``app_user.active``, and only a
    locked row is read again (its new ``active``) once the other operator's change commits."""
    rows = session.execute(
        select(Membership.id, Membership.user_id).join(User, User.id == Membership.user_id)
        .where(Membership.role.in_(sorted(admin_roles())), User.active.is_(True))
        .with_for_update(of=(Membership, User))).all()
    return len({r.user_id for r in rows} - {user_id})
