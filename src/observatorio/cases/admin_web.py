"""Account administration in the browser, for whoever holds ``user.manage`` (the ``admin`` role):

    /cases/admin/users                     the accounts in reach (?org= one organisation's)
    /cases/admin/users/new                 create an account with one role
    /cases/admin/users/{id}                an account: grant or revoke a role, deactivate or
                                           reactivate it, give it a new password
    /cases/admin/organisations             the organisations in reach; create one

Every change goes through the operator functions of accounts.py (the CLI's), which check the
input against the policy and ISO 3166, refuse to leave the deployment without an active
administrator and write the audit entry, here naming the signed-in administrator with their id
and address; the page commits, so a refusal leaves nothing written. Deny by default: every route
first checks ``user.manage`` and audits a refusal; an account or organisation out of the
administrator's reach (admin_views.py) is answered like a missing one, and audited too.

Passwords are made by the server (admin_views.new_password) and shown once, in the answer to the
form that made them: never stored in clear, never in a URL (no redirect carries them), never in
the audit (which names the changed field only). The answer is no-store like every cases page.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from observatorio.cases import accounts, admin_views
from observatorio.cases.admin_views import OrgRow, UserRow
from observatorio.cases.audit import AccessEvent, Actor
from observatorio.cases.bounds import PathId, id_of
from observatorio.cases.errors import CasesError, Forbidden, Invalid, forbidden, not_found
from observatorio.cases.models import User
from observatorio.cases.page_kit import (
    Officer,
    OfficerDep,
    RuntimeDep,
    csrf_refused,
    error_text,
    lang_of,
    page_router,
    render,
)
from observatorio.cases.policy import SCOPES, Resource, authorize, get_policy
from observatorio.cases.runtime import Runtime
from observatorio.cases.vocab import OrgKind
from observatorio.i18n import t
from observatorio.publish.web.texts import Texts

router = page_router()

MANAGE = "user.manage"  # accounts.ADMIN_ACTION; the audit's walk of action codes reads it here
CREATE, GRANT, REVOKE = "user.create", "user.grant", "user.revoke"
DEACTIVATE, ACTIVATE, SET_PASSWORD = "user.deactivate", "user.activate", "user.set_password"
ORG_CREATE = "organisation.create"
#: What a change's redirect may say it did (anything else in ``?done=`` is ignored).
DONE = frozenset({"granted", "revoked", "deactivated", "activated", "org_created"})
#: Columns of the account lists and pages, as the audit names a read of them.
USER_FIELDS = ("username", "full_name", "active", "membership")


# ---------------------------------------------------------------- checks shared by the routes


def _refused(request: Request, me: Officer, action: str, record_type: str,
             record_id: object | None) -> HTMLResponse | None:
    """None for an administrator; anyone else gets the 403 page, their attempt audited as
    ``action`` refused (showing a page of accounts is a read of them)."""
    if me.holds(MANAGE):
        return None
    exc = me.ctx.deny(forbidden(MANAGE), action, record_type, record_id, policy_action=MANAGE)
    return render(request, "cases_error.html", exc.status, me=me, message=error_text(request, exc))


def _account(request: Request, me: Officer, user_id: int, action: str) -> UserRow | Response:
    """The account, or the 404 page (audited) when it is missing or out of reach."""
    row = admin_views.user(me.ctx.session, me.principal, user_id)
    if row is not None:
        return row
    exc = me.ctx.deny(not_found("user", user_id), action, "user", user_id, policy_action=MANAGE)
    return render(request, "cases_error.html", exc.status, me=me, message=error_text(request, exc))


def _organisation(request: Request, me: Officer, raw: str | None, action: str) -> OrgRow | Response:
    """The organisation a form or filter names, or the 404 page (audited) when it names none in
    reach: a missing organisation and one outside the grant are answered alike."""
    org_id = id_of(raw)
    found = next((o for o in admin_views.organisations(me.ctx.session, me.principal) if o.id == org_id), None)
    if found is not None:
        return found
    exc = me.ctx.deny(not_found("organisation", org_id or (raw or "")[:12]), action, "organisation", org_id,
                      policy_action=MANAGE)
    return render(request, "cases_error.html", exc.status, me=me, message=error_text(request, exc))


def _widest(role: str) -> int:
    """The widest scope of any grant of ``role`` (SCOPES' order); -1 for a role unknown or empty."""
    found = get_policy().roles.get(role)
    return max((SCOPES.index(scope) for scope in found.grants.values()), default=-1) if found else -1


def _beyond_reach(me: Officer, roles: Iterable[str], action: str, user_id: int | None) -> CasesError | None:
    """An administrator gives a role, or changes an account, only where every role in play reaches
    no wider than their own ``user.manage``: one of country reach would otherwise make (or take
    over, by a new password) an account that reads the whole region, such as an auditor's, or
    another administrator. Administrators of the whole region pass (the bundled policy's only
    kind). Audited as refused."""
    policy = get_policy()
    own = max((SCOPES.index(scope) for g in me.principal.grants
               if (scope := policy.scope_of(g.role, MANAGE)) is not None), default=-1)
    wider = sorted(role for role in set(roles) if _widest(role) > own)
    if not wider:
        return None
    return me.ctx.deny(Forbidden(key="refusal.admin.role_beyond_reach", role=", ".join(wider)), action, "user",
                       user_id, policy_action=MANAGE)


def _actor(me: Officer) -> Actor:
    """The audit's actor of a change: the signed-in administrator, by id, name and address."""
    return Actor(me.principal.user_id, me.principal.username, me.ctx.source_ip)


def _acting_org(me: Officer) -> int | None:
    policy = get_policy()
    return next((g.organisation_id for g in me.principal.grants if policy.scope_of(g.role, MANAGE)), None)


def _audit_read(me: Officer, record_id: object | None, organisation_id: int | None = None) -> None:
    """Record that accounts were shown (names and roles of staff), then commit."""
    rid = None if record_id is None else str(record_id)
    me.ctx.events.append(AccessEvent(MANAGE, "user", rid, USER_FIELDS, organisation_id or _acting_org(me)))
    me.ctx.commit()


#: Text columns the operator functions store as typed (app_user.full_name, organisation.name and
#: city are 200 characters): a longer one is refused here by name, not by the database.
async def _form(request: Request, limit: int = 300) -> dict[str, str]:
    return {k: str(v)[:limit] for k, v in (await request.form()).items()}


#: The service's refusals that name the CLI's options (``--host-country``): said here by the
#: form's field labels instead (the same check, the page's words).
_OPTION_LABELS = {"--country": "cases.admin.org_country", "--host-country": "cases.admin.org_host",
                  "NAME": "cases.admin.org_name", "--city": "cases.admin.org_city",
                  "--full-name": "cases.admin.full_name"}


async def _checked_form(request: Request, me: Officer, rt: Runtime, action: str, record_type: str,
                        record_id: int | None) -> dict[str, str] | Response:
    """A change's form, once its CSRF token and the administrator's ``user.manage`` are checked
    (in that order, as every page form: a forged post is refused before anything is decided);
    else the refusal's page."""
    form = await _form(request)
    if refused := csrf_refused(request, me, rt, form.get("csrf_token", "")):
        return refused
    if refused := _refused(request, me, action, record_type, record_id):
        return refused
    return form


def _as_form_refusal(exc: CasesError) -> CasesError:
    if exc.key == "cases.refusal.consulate_needs_host":
        es, en = (t("cases.admin.consulate_needs_host", lang) for lang in ("es", "en"))
        return Invalid(es, en)
    option = exc.values.get("option")
    if exc.key is not None and option in _OPTION_LABELS:  # a country, a name too long…
        label = _OPTION_LABELS[str(option)]
        es, en = (t(exc.key, lang, **{**exc.values, "option": t(label, lang)}) for lang in ("es", "en"))
        return Invalid(es, en)
    return exc


def _done(request: Request) -> str | None:
    done = request.query_params.get("done")
    return done if done in DONE else None


# ---------------------------------------------------------------- accounts


@router.get("/cases/admin/users")
def user_list(request: Request, me: OfficerDep, org: str | None = None) -> Response:
    """The accounts in reach with their roles; ``org``: only those with a role in it."""
    if refused := _refused(request, me, MANAGE, "user", None):
        return refused
    chosen: OrgRow | None = None
    if org:
        found = _organisation(request, me, org, MANAGE)
        if isinstance(found, Response):
            return found
        chosen = found
    rows = admin_views.users(me.ctx.session, me.principal, chosen.id if chosen else None)
    orgs = admin_views.organisations(me.ctx.session, me.principal)
    _audit_read(me, None, chosen.id if chosen else None)
    return render(request, "cases_admin_users.html", me=me, rows=rows, orgs=orgs, chosen=chosen,
                  roles=admin_views.role_labels(lang_of(request)))


def _new_form(request: Request, me: Officer, status: int = 200, values: dict[str, str] | None = None,
              error: str | None = None) -> Response:
    return render(request, "cases_admin_user_new.html", status, me=me, values=values or {}, error=error,
                  orgs=admin_views.organisations(me.ctx.session, me.principal),
                  roles=admin_views.role_labels(lang_of(request)))


@router.get("/cases/admin/users/new")
def user_form(request: Request, me: OfficerDep) -> Response:
    if refused := _refused(request, me, CREATE, "user", None):
        return refused
    return _new_form(request, me)


@router.post("/cases/admin/users/new")
async def user_create(request: Request, me: OfficerDep, rt: RuntimeDep) -> Response:
    """Create the account with a password made here, shown once on the answer."""
    form = await _checked_form(request, me, rt, CREATE, "user", None)
    if isinstance(form, Response):
        return form
    values = {k: form.get(k, "").strip() for k in ("username", "full_name", "organisation_id", "role")}
    org = _organisation(request, me, values["organisation_id"], CREATE)
    if isinstance(org, Response):
        return org
    password = admin_views.new_password()
    session = me.ctx.session
    try:
        if refusal := _beyond_reach(me, [values["role"]], CREATE, None):
            raise refusal
        user = accounts.create_user(session, rt.config, _actor(me), values["username"], password,
                                    str(org.id), values["role"], values["full_name"])
        session.commit()
    except CasesError as exc:
        session.rollback()
        return _new_form(request, me, exc.status, values, error_text(request, _as_form_refusal(exc)))
    return render(request, "cases_admin_password.html", me=me, user_id=user.id, username=user.username,
                  password=password, created=True)


def _user_page(request: Request, me: Officer, row: UserRow, status: int = 200, error: str | None = None) -> Response:
    return render(request, "cases_admin_user.html", status, me=me, user=row, error=error, done=_done(request),
                  orgs=admin_views.organisations(me.ctx.session, me.principal),
                  roles=admin_views.role_labels(lang_of(request)), myself=row.id == me.principal.user_id)


@router.get("/cases/admin/users/{user_id}")
def user_page(request: Request, me: OfficerDep, user_id: PathId) -> Response:
    if refused := _refused(request, me, MANAGE, "user", user_id):
        return refused
    row = _account(request, me, user_id, MANAGE)
    if isinstance(row, Response):
        return row
    _audit_read(me, user_id)
    return _user_page(request, me, row)


def _again(request: Request, me: Officer, user_id: int, exc: CasesError) -> Response:
    """The account's page again, saying why the change was refused (nothing was written)."""
    me.ctx.session.rollback()
    row = admin_views.user(me.ctx.session, me.principal, user_id)
    if row is None:  # gone meanwhile
        return render(request, "cases_error.html", 404, me=me,
                      message=error_text(request, not_found("user", user_id)))
    return _user_page(request, me, row, exc.status, error_text(request, exc))


def _to_user(request: Request, user_id: int, done: str) -> Response:
    return RedirectResponse(f"/cases/admin/users/{user_id}?lang={lang_of(request)}&done={done}", status_code=303)


async def _role_change(request: Request, me: Officer, rt: Runtime, user_id: int, action: str) -> Response:
    """Grant or revoke (``action``) the form's role in the form's organisation."""
    form = await _checked_form(request, me, rt, action, "user", user_id)
    if isinstance(form, Response):
        return form
    row = _account(request, me, user_id, action)
    if isinstance(row, Response):
        return row
    org = _organisation(request, me, form.get("organisation_id"), action)
    if isinstance(org, Response):
        return org
    role = form.get("role", "").strip()
    try:
        # the role given or taken and the account's own: one that reaches wider than the
        # administrator is neither made nor changed by them
        if refusal := _beyond_reach(me, [role, *(m.role for m in row.memberships)], action, user_id):
            raise refusal
        if action == GRANT:
            accounts.grant_role(me.ctx.session, _actor(me), row.username, str(org.id), role)
        else:
            accounts.revoke_role(me.ctx.session, _actor(me), row.username, str(org.id), role)
        me.ctx.session.commit()
    except CasesError as exc:
        return _again(request, me, user_id, exc)
    return _to_user(request, user_id, "granted" if action == GRANT else "revoked")


@router.post("/cases/admin/users/{user_id}/grant")
async def user_grant(request: Request, me: OfficerDep, rt: RuntimeDep, user_id: PathId) -> Response:
    return await _role_change(request, me, rt, user_id, GRANT)


@router.post("/cases/admin/users/{user_id}/revoke")
async def user_revoke(request: Request, me: OfficerDep, rt: RuntimeDep, user_id: PathId) -> Response:
    """Take the role away; the account's sessions end (accounts.revoke_role)."""
    return await _role_change(request, me, rt, user_id, REVOKE)


async def _account_change(request: Request, me: Officer, rt: Runtime, user_id: int, action: str) -> Response:
    """Deactivate, reactivate or give a new password (``action``) to the account."""
    form = await _checked_form(request, me, rt, action, "user", user_id)
    if isinstance(form, Response):
        return form
    row = _account(request, me, user_id, action)
    if isinstance(row, Response):
        return row
    session = me.ctx.session
    user = session.get(User, user_id, populate_existing=True)
    if user is None:  # deleted between the two reads
        return _again(request, me, user_id, not_found("user", user_id))
    password = admin_views.new_password() if action == SET_PASSWORD else None
    try:
        if refusal := _beyond_reach(me, [m.role for m in row.memberships], action, user_id):
            raise refusal
        if action == DEACTIVATE:
            accounts.deactivate_account(session, _actor(me), user)
        elif action == ACTIVATE:
            accounts.activate_account(session, _actor(me), user)
        else:
            accounts.change_password(session, rt.config, _actor(me), user, str(password))
        session.commit()
    except CasesError as exc:
        return _again(request, me, user_id, exc)
    if password is not None:
        return render(request, "cases_admin_password.html", me=me, user_id=row.id, username=row.username,
                      password=password, created=False, myself=row.id == me.principal.user_id)
    return _to_user(request, user_id, "deactivated" if action == DEACTIVATE else "activated")


@router.post("/cases/admin/users/{user_id}/deactivate")
async def user_deactivate(request: Request, me: OfficerDep, rt: RuntimeDep, user_id: PathId) -> Response:
    """Refuse the account from now on; its sessions end. The last active administrator is kept."""
    return await _account_change(request, me, rt, user_id, DEACTIVATE)


@router.post("/cases/admin/users/{user_id}/activate")
async def user_activate(request: Request, me: OfficerDep, rt: RuntimeDep, user_id: PathId) -> Response:
    return await _account_change(request, me, rt, user_id, ACTIVATE)


@router.post("/cases/admin/users/{user_id}/password")
async def user_password(request: Request, me: OfficerDep, rt: RuntimeDep, user_id: PathId) -> Response:
    """A new password made here, shown once; the account's sessions end (accounts.set_password)."""
    return await _account_change(request, me, rt, user_id, SET_PASSWORD)


@router.get("/cases/admin/users/{user_id}/{change}")
def after_change(request: Request, me: OfficerDep, user_id: PathId, change: str) -> Response:
    """A change's answer (a refusal, a password shown once) is the page of a POST: its language
    switch, a reload from the address bar or a bookmark ask for it again by GET. They land on the
    account's page (which checks everything itself) instead of a 405, and nothing is redone."""
    if change not in {"grant", "revoke", "deactivate", "activate", "password"}:
        return render(request, "cases_error.html", 404, me=me, message=Texts(lang_of(request))("cases.page_not_found"))
    return RedirectResponse(f"/cases/admin/users/{user_id}?lang={lang_of(request)}", status_code=303)


# ---------------------------------------------------------------- organisations


def _orgs_page(request: Request, me: Officer, status: int = 200, values: dict[str, str] | None = None,
               error: str | None = None) -> Response:
    return render(request, "cases_admin_organisations.html", status, me=me, error=error, values=values or {},
                  orgs=admin_views.organisations(me.ctx.session, me.principal), kinds=[k.value for k in OrgKind],
                  done=_done(request))


@router.get("/cases/admin/organisations")
def organisation_list(request: Request, me: OfficerDep) -> Response:
    """The organisations in reach (no personal data: not audited when shown) and the creation form."""
    if refused := _refused(request, me, MANAGE, "organisation", None):
        return refused
    return _orgs_page(request, me)


@router.post("/cases/admin/organisations")
async def organisation_create(request: Request, me: OfficerDep, rt: RuntimeDep) -> Response:
    form = await _checked_form(request, me, rt, ORG_CREATE, "organisation", None)
    if isinstance(form, Response):
        return form
    values = {k: form.get(k, "").strip() for k in ("name", "kind", "country", "host_country", "city")}
    # Where the new organisation sits must be in reach (a country-scoped grant creates in its
    # country only); the policy decides on the country as typed, the service checks the code.
    if not authorize(me.principal, MANAGE, Resource(countries=frozenset({values["country"].upper()}))).allowed:
        exc = me.ctx.deny(forbidden(MANAGE), ORG_CREATE, "organisation", None, policy_action=MANAGE)
        return _orgs_page(request, me, exc.status, values, error_text(request, exc))
    session = me.ctx.session
    try:
        accounts.create_organisation(session, _actor(me), values["name"], values["kind"],
                                     values["country"], values["host_country"] or None, values["city"] or None)
        session.commit()
    except CasesError as exc:
        session.rollback()
        return _orgs_page(request, me, exc.status, values, error_text(request, _as_form_refusal(exc)))
    return RedirectResponse(f"/cases/admin/organisations?lang={lang_of(request)}&done=org_created", status_code=303)
