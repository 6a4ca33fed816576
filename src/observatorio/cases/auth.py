"""Authentication: argon2id password hashes, expiring JWT bearer tokens backed by revocable
server-side sessions, login throttling, CSRF."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import ipaddress
import secrets
import uuid
from functools import lru_cache

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import ColumnElement, and_, bindparam, delete, false, func, or_, select, update
from sqlalchemy.orm import Session, joinedload

from observatorio.cases.config import CasesConfig
from observatorio.cases.errors import Throttled, Unauthenticated
from observatorio.cases.models import (
    AuthSession,
    LoginFailure,
    Membership,
    Organisation,
    User,
    utcnow,
)
from observatorio.cases.policy import Grant, Principal

ALGORITHM = "HS256"


@lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def hasher(cfg: CasesConfig) -> PasswordHasher:
    """The argon2id hasher configured for this deployment."""
    return _hasher(cfg.argon2_time_cost, cfg.argon2_memory_cost, cfg.argon2_parallelism)


def hash_password(password: str, cfg: CasesConfig) -> str:
    """An argon2id hash (salt and parameters embedded)."""
    return hasher(cfg).hash(password)


def _invalid_credentials() -> Unauthenticated:
    return Unauthenticated(key="cases.refusal.bad_credentials")


#: The IPv6 prefix one client is counted by: a single host or home network is usually given a
#: whole /64, so counting each address apart would let it rotate through 2⁶⁴ of them.
IPV6_CLIENT_PREFIX = 64


def throttle_address(ip: str | None) -> str | None:
    """The address failures are counted by: an IPv4 address as it is (an IPv4-mapped IPv6 one as
    its IPv4 address), an IPv6 address as its /64 network; anything else (a test client's name)
    unchanged."""
    if ip is None:
        return None
    try:
        found = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(found, ipaddress.IPv6Address):
        if found.ipv4_mapped is not None:
            return str(found.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{found}/{IPV6_CLIENT_PREFIX}", strict=False))
    return str(found)


def _same_address(ip: str | None) -> ColumnElement[bool]:
    """Failures recorded from ``ip`` (no address, as in tests and tools, is an address of its own)."""
    return LoginFailure.source_ip.is_(None) if ip is None else LoginFailure.source_ip == ip


def _throttle_check(session: Session, username: str, ip: str | None, cfg: CasesConfig,
                    *, including_this: bool = False) -> None:
    """Throttled when the failures in the window of the (username, address) pair, of the
    username from every address, or of the address over every username reach their limit
    (``including_this``: the attempt under way is already counted among them, so one more).

    One refusal for all three: the answer does not say which limit was reached, and as failures
    are recorded for unknown usernames too, a throttled answer says nothing of whether the
    username exists.
    """
    since = utcnow() - dt.timedelta(seconds=cfg.throttle_window_seconds)
    by_user = LoginFailure.username == username
    by_pair = and_(by_user, _same_address(ip))
    # No address: only the pair's and the username's limits apply (the CLI always gives one).
    by_ip = LoginFailure.source_ip == ip if ip else false()
    counts = session.execute(
        select(func.count().filter(by_pair), func.count().filter(by_user), func.count().filter(by_ip))
        .where(LoginFailure.at >= since, or_(by_user, by_ip))
    ).one()
    pair, user, address = (int(n or 0) for n in counts)
    extra = 1 if including_this else 0
    if (pair >= cfg.max_failures_per_user_ip + extra or user >= cfg.max_failures_per_user + extra
            or address >= cfg.max_failures_per_ip + extra):
        raise Throttled(cfg.throttle_window_seconds)


def authenticate(session: Session, username: str, password: str, ip: str | None, cfg: CasesConfig) -> User:
    """The user if the password matches; throttled after repeated failures (``_throttle_check``);
    commits the outcome. ``ip`` is the TCP peer, or the client a trusted proxy names
    (``OBSERVATORIO_FORWARDED_ALLOW_IPS``, publish/proxies.py): never a header the client sets."""
    username = username.strip()[:80]
    ip = throttle_address(ip)
    _throttle_check(session, username, ip, cfg)  # already throttled: no hashing, nothing recorded
    # The attempt is on record as a failure (committed) before the password is checked, then
    # counted with the others: a burst of guesses sent at once each see the ones before them,
    # so no more than the limit get a check. Counting first and recording after the check let
    # every guess in flight pass the count while argon2 ran (tests/cases/test_attack_login_race.py).
    attempt = LoginFailure(username=username, source_ip=ip)
    session.add(attempt)
    session.commit()
    try:
        _throttle_check(session, username, ip, cfg, including_this=True)
    except Throttled:
        # Throttled attempts are not failures (the window starts from the last real one).
        session.execute(delete(LoginFailure).where(LoginFailure.id == attempt.id))
        session.commit()
        raise
    user = session.scalar(select(User).where(User.username == username))
    ph = hasher(cfg)
    ok = False
    if user is not None and user.active:
        try:
            ok = ph.verify(user.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
    else:
        # Spend the same time as a real check so response time does not reveal valid usernames.
        _dummy_verify(ph, password)
    if not ok or user is None:
        session.commit()  # the failure is the attempt recorded above
        raise _invalid_credentials()
    if ph.check_needs_rehash(user.password_hash):
        user.password_hash = ph.hash(password)
    # The success clears this pair's failures only. Those of the username from other addresses
    # stay until the window ends: they are someone else's guesses as far as we know, and clearing
    # them would let each routine sign-in of the officer give a distributed guesser a fresh
    # username-wide allowance (max_failures_per_user per sign-in instead of per window).
    session.execute(delete(LoginFailure).where(LoginFailure.username == username, _same_address(ip)))
    session.commit()
    return user


_DUMMY: dict[int, str] = {}


def _dummy_verify(ph: PasswordHasher, password: str) -> None:
    key = id(ph)
    if key not in _DUMMY:
        _DUMMY[key] = ph.hash(secrets.token_hex(8))
    with contextlib.suppress(VerificationError):
        ph.verify(_DUMMY[key], password)


def purge_old_failures(session: Session, cfg: CasesConfig) -> int:
    """Forget failures older than the throttle window (housekeeping)."""
    since = utcnow() - dt.timedelta(seconds=cfg.throttle_window_seconds)
    res = session.execute(delete(LoginFailure).where(or_(LoginFailure.at < since)))
    return int(getattr(res, "rowcount", 0) or 0)


def issue_token(user_id: int, secret: str, ttl_minutes: int, kind: str = "access") -> tuple[str, str]:
    """A signed, expiring token and its id (jti)."""
    now = dt.datetime.now(dt.UTC)
    jti = uuid.uuid4().hex
    claims = {"sub": str(user_id), "typ": kind, "iat": now, "nbf": now,
              "exp": now + dt.timedelta(minutes=ttl_minutes), "jti": jti}
    return jwt.encode(claims, secret, algorithm=ALGORITHM), jti


def decode_token(token: str, secret: str, kind: str = "access") -> tuple[int, str]:
    """(user id, jti) of a valid token of the given kind; raises Unauthenticated otherwise."""
    try:
        # algorithms is pinned: "none" and algorithm-confusion tokens are refused.
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM],
                            options={"require": ["exp", "iat", "sub", "typ", "jti"]})
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated(key="cases.refusal.token_expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthenticated(key="cases.refusal.invalid_token") from exc
    if claims.get("typ") != kind:
        raise Unauthenticated(key="cases.refusal.invalid_token")
    try:
        return int(claims["sub"]), str(claims["jti"])
    except (TypeError, ValueError) as exc:
        raise Unauthenticated(key="cases.refusal.invalid_token") from exc


def start_session(session: Session, user_id: int, secret: str, ttl_minutes: int,
                  kind: str = "access", now: dt.datetime | None = None) -> str:
    """A token for the user, recorded as a session so it can be revoked (the caller commits);
    ``now`` (the real time unless a test gives one) is its creation and first use.

    The user's expired sessions are forgotten on the way (housekeeping).
    """
    token, jti = issue_token(user_id, secret, ttl_minutes, kind)
    now = now or utcnow()
    session.execute(delete(AuthSession).where(AuthSession.user_id == user_id,
                                              AuthSession.expires_at < now))
    session.add(AuthSession(id=jti, user_id=user_id, kind=kind, created_at=now, last_used_at=now,
                            expires_at=now + dt.timedelta(minutes=ttl_minutes)))
    return token


def revoke_session(session: Session, jti: str) -> None:
    """End one session (logout); its token is refused from now on (the caller commits)."""
    session.execute(update(AuthSession).where(AuthSession.id == jti, AuthSession.revoked_at.is_(None))
                    .values(revoked_at=utcnow()))


def revoke_user_sessions(session: Session, user_id: int) -> None:
    """End every session of a user (password change, deactivation; the caller commits)."""
    session.execute(update(AuthSession)
                    .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
                    .values(revoked_at=utcnow()))


_USER_WITH_MEMBERSHIPS = (select(User).where(User.id == bindparam("user_id"))
                          .options(joinedload(User.memberships)).execution_options(populate_existing=True))
# The principal of a live session of that very user: the session must belong to the id the
# token names and be younger than the account (an id the database gave again to a later user
# cannot inherit an older token even if a session row survived). Every page and API request runs
# it, and only the grants are needed: plain rows (one per membership), no User object, no
# identity map, none of the account's other columns (the password hash) leave the database.
_users, _sessions = User.__table__, AuthSession.__table__
_members, _orgs = Membership.__table__, Organisation.__table__
_PRINCIPAL_OF_SESSION = (
    select(_users.c.username, _users.c.active, _members.c.organisation_id, _orgs.c.country, _members.c.role,
           _sessions.c.last_used_at)
    .select_from(_users.join(_sessions, _sessions.c.user_id == _users.c.id)
                 .outerjoin(_members, _members.c.user_id == _users.c.id)
                 .outerjoin(_orgs, _orgs.c.id == _members.c.organisation_id))
    .where(_users.c.id == bindparam("user_id"), _sessions.c.id == bindparam("jti"),
           _sessions.c.revoked_at.is_(None), _sessions.c.created_at >= _users.c.created_at)
    .order_by(_members.c.id))


def _principal(user: User | None) -> Principal:
    if user is None or not user.active:
        raise Unauthenticated(key="cases.refusal.inactive_user")
    grants = tuple(Grant(m.organisation_id, m.organisation.country, m.role) for m in user.memberships)
    return Principal(user.id, user.username, grants)


def principal_of(session: Session, user_id: int) -> Principal:
    """The acting principal of an active user, with every membership as a grant (one query)."""
    return _principal(session.execute(_USER_WITH_MEMBERSHIPS, {"user_id": user_id})
                      .unique().scalar_one_or_none())


#: How stale a session's recorded last use may get: requests within a minute of it write nothing,
#: so the idle limit costs one UPDATE a minute per session, not one per request.
LAST_USE_PRECISION = dt.timedelta(minutes=1)
# Conditional, so that requests of one session arriving together record the use once, and a
# session found idle meanwhile is never revived.
_RECORD_USE = (update(AuthSession)
               .where(AuthSession.id == bindparam("jti"), AuthSession.last_used_at <= bindparam("stale"),
                      AuthSession.last_used_at >= bindparam("idle_since"))
               .values(last_used_at=bindparam("now")))


def _aware(instant: dt.datetime) -> dt.datetime:
    """SQLite gives stored instants back without their zone; every stored instant is UTC."""
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=dt.UTC)


def principal_of_token(session: Session, user_id: int, jti: str, idle: dt.timedelta,
                       now: dt.datetime | None = None) -> Principal:
    """The principal of a decoded token whose session is live (one query); else Unauthenticated.

    A session last used longer than ``idle`` (CasesConfig.session_idle_minutes) before ``now``
    is refused as expired (``cases.refusal.session_idle``); one used within
    it has its last use moved to ``now`` when the recorded one is a minute old or more (one
    conditional UPDATE; none otherwise).
    """
    rows = session.connection().execute(_PRINCIPAL_OF_SESSION, {"user_id": user_id, "jti": jti}).all()
    if not rows:
        raise Unauthenticated(key="cases.refusal.session_ended")
    if not rows[0].active:
        raise Unauthenticated(key="cases.refusal.inactive_user")
    # The real clock, as for the token's expiry (PyJWT's): a page's business clock
    # (page_kit.now_of, which tests move by days) is not the session's.
    now = now or utcnow()
    unused = now - _aware(rows[0].last_used_at)
    if unused > idle:
        raise Unauthenticated(key="cases.refusal.session_idle")
    if unused >= LAST_USE_PRECISION:
        session.connection().execute(_RECORD_USE, {"jti": jti, "now": now, "stale": now - LAST_USE_PRECISION,
                                                   "idle_since": now - idle})
        # Committed at once (nothing else is in this transaction yet): the use counts even when
        # the request then fails or writes nothing (PostgreSQL would roll it back with them).
        session.commit()
    grants = tuple(Grant(r.organisation_id, r.country, r.role) for r in rows if r.organisation_id is not None)
    return Principal(user_id, rows[0].username, grants)


def csrf_token(secret: str, session_id: str) -> str:
    """The CSRF token bound to one session (HMAC, so it cannot be forged without the key)."""
    return hmac.new(secret.encode(), f"csrf:{session_id}".encode(), hashlib.sha256).hexdigest()


def csrf_ok(secret: str, session_id: str, presented: str | None) -> bool:
    """Constant-time comparison of a presented CSRF token."""
    return bool(presented) and hmac.compare_digest(csrf_token(secret, session_id), presented or "")
