"""What every server-rendered page of the cases side shares: the signed-in officer, the page
renderer (the portal's design and texts), the CSRF check, bilingual error text and the route class
that turns a refused parameter into an error page.

The page modules (officer_web, officer_forms, directory_web, practice_web, referral_web,
reception/web, reintegration/web, submissions/web) build on these public names only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import ValidationError
from starlette.routing import Match

from observatorio import validation_text
from observatorio.cases import use_context
from observatorio.cases.api import RuntimeDep, SessionDep, client_ip
from observatorio.cases.auth import csrf_ok, csrf_token, decode_token, principal_of_token
from observatorio.cases.errors import CasesError, Invalid, forbidden
from observatorio.cases.models import Case, utcnow
from observatorio.cases.next_path import login_query, wanted_page
from observatorio.cases.policy import Principal, authorize, case_resource
from observatorio.cases.runtime import Runtime
from observatorio.cases.web_cookies import SESSION_COOKIE
from observatorio.i18n import normalize_lang
from observatorio.publish.api.cases_paths import PAGE_HEADERS
from observatorio.publish.web.texts import Texts

# The templates ship inside the package and change only with a new release (a restart): no
# auto_reload, which would stat every template of a page (base and includes) on every render.
pages_env = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)
HEADERS = PAGE_HEADERS  # no-store, no framing, no scripts, no sniffing (cases_paths.py)


def now_of(request: Request) -> dt.datetime:
    """The clock: ``app.state.cases_clock`` when a test injects one, else the real time."""
    clock: Callable[[], dt.datetime] | None = getattr(request.app.state, "cases_clock", None)
    return clock() if clock else utcnow()


def lang_of(request: Request) -> str:
    """The page's language, from ``?lang=es|en`` (Spanish by default)."""
    return normalize_lang(request.query_params.get("lang"))


#: Where the language switch of a page answering a post leads when its handler names no page and
#: its own address answers no GET: the officer's home, which every signed-in role has (and which
#: sends anyone else to the login form).
HOME = "/cases/work"


def _answers_get(request: Request) -> bool:
    """Whether the app answers a GET at this request's address (a form shown and sent at one
    address, such as /cases/practices/new): its switch may then lead back to it. The app's own
    router decides, by the same matching that routes requests (an included router matches as a
    whole: FULL only where one of its routes takes GET there); a fresh scope, so the request's
    own is left as it was."""
    scope = {"type": "http", "method": "GET", "path": request.scope["path"],
             "root_path": request.scope.get("root_path", ""), "app": request.app}
    return any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes)


def switch_path(request: Request, switch_to: str | None) -> tuple[str, bool]:
    """The path (with its fragment) the language switch leads to, and whether the request's query
    goes with it. A GET page: its own address and query. A page answering a post (a refused form
    shown again, a confirmation, an error) never its own address unless a GET answers there too
    (a link is a GET: a post-only address would be a 405): ``switch_to``, the GET address of the
    form its handler names, else HOME."""
    if request.method in ("GET", "HEAD"):
        return request.url.path, True
    if switch_to is not None:
        return switch_to, False
    if _answers_get(request):
        return request.url.path, True
    return HOME, False


def render(request: Request, template: str, status: int = 200, *, env: Environment | None = None,
           switch_to: str | None = None, **context: Any) -> HTMLResponse:
    """A page of ``env`` (these templates by default; submissions/ adds its own to them).
    ``switch_to``: the GET path (with its fragment) the language switch leads to when the page
    answers a post: the form it came from (``switch_path``; a GET page's switch is its own address)."""
    lang = lang_of(request)
    other = "en" if lang == "es" else "es"
    target, keep_query = switch_path(request, switch_to)
    query = dict(request.query_params) | {"lang": other} if keep_query else {"lang": other}
    path, _, fragment = target.partition("#")
    switch_url = f"{path}?{urlencode(query)}" + (f"#{fragment}" if fragment else "")
    only_lang = f"lang={lang}"  # what urlencode gives for the language alone (a fixed es or en)

    def u(path: str, **q: Any) -> str:  # a link of the page, in its language; rows call it once each
        return f"{path}?{urlencode({**q, 'lang': lang})}" if q else f"{path}?{only_lang}"

    html = (env or pages_env).get_template(template).render(
        lang=lang, other_lang=other, tx=Texts(lang), switch_url=switch_url,
        u=u, **context)
    return HTMLResponse(html, status_code=status, headers=HEADERS)


@dataclass
class Officer:
    """The signed-in user of a page request, the unit of work acting as them, their CSRF token."""

    principal: Principal
    jti: str
    ctx: use_context.Ctx
    csrf: str

    def may(self, action: str, case: Case) -> bool:
        return authorize(self.principal, action, case_resource(case)).allowed

    def holds(self, action: str) -> bool:
        """Whether some membership grants ``action``: the menu offers only the pages the officer can use."""
        return use_context.holds(self.principal, action)


def officer(request: Request, rt: RuntimeDep, session: SessionDep) -> Officer:
    """The signed-in user of the session cookie; anyone else goes to the login form, carrying the
    page they asked for (``next``) so that signing in leads back to it (next_path.py)."""
    wanted = wanted_page(request)
    back = login_query(wanted)
    login = HTTPException(303, headers={
        "Location": f"/cases/login?lang={lang_of(request)}{back}" if wanted else "/cases/login"})
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise login
    try:
        user_id, jti = decode_token(cookie, rt.secret, kind="session")
        principal = principal_of_token(session, user_id, jti, rt.config.session_idle)
    except CasesError as exc:
        if exc.key in EXPIRED:  # the login form then says the session expired (web.login_page)
            raise HTTPException(303, headers={
                "Location": f"/cases/login?{EXPIRED_QUERY}&lang={lang_of(request)}{back}"}) from None
        raise login from None
    if session.get_bind().dialect.name == "sqlite":
        session.commit()  # release SQLite's write lock (BEGIN IMMEDIATE); PostgreSQL reads on
    return Officer(principal, jti, use_context.Ctx(session, principal, client_ip(request), rt.secret),
                   csrf_token(rt.secret, jti))


#: Refusals of a session that lasted too long (its absolute lifetime, or left idle): the login
#: form they lead to says so, where a revoked or forged cookie gets the plain form.
EXPIRED = frozenset({"cases.refusal.token_expired", "cases.refusal.session_idle"})
EXPIRED_QUERY = "expired=1"


OfficerDep = Annotated[Officer, Depends(officer)]
CsrfField = Annotated[str, Form(alias="csrf_token", max_length=200)]


def error_text(request: Request, exc: CasesError) -> str:
    """A cases error in the page's language."""
    return exc.es if lang_of(request) == "es" else exc.en


def form_refused(request: Request, me: Officer, action: str) -> HTMLResponse | None:
    """The 403 page, at once, for a form whose sending the officer's roles can never be granted
    (they typed the whole form and were refused only then); None: show the form. Showing a form
    changes nothing, so it is not audited; sending it still goes through the policy."""
    if me.holds(action):
        return None
    return render(request, "cases_error.html", 403, me=me, message=error_text(request, forbidden(action)))


def csrf_refused(request: Request, me: Officer, rt: Runtime, presented: str) -> HTMLResponse | None:
    """The 403 page when the form's CSRF token is not the session's, else None (go on)."""
    if csrf_ok(rt.secret, me.jti, presented):
        return None
    return render(request, "cases_error.html", 403, me=me, message=Texts(lang_of(request))("cases.csrf_refused"))


#: Where a form field's label is in the catalogue, tried in order; a field with none keeps its name.
_LABEL_KEYS = ("cases.f.{}", "reception.f.{}", "referrals.f.{}", "practices.{}", "practices.form.{}")
#: Fields whose label key is not their name.
_LABEL_OF = {"populations": "practices.population"}


def _field_label(field: str, tx: Texts) -> str:
    name = field.split(".")[0]
    keys = [_LABEL_OF[name]] if name in _LABEL_OF else [k.format(name) for k in _LABEL_KEYS]
    return next((tx(k) for k in keys if tx.has(k)), field)


def form_message(errors: Sequence[Mapping[str, Any]], lang: str) -> str:
    """Every refused field of a form, by the label the reader sees beside it, with the reason.
    (The API's summary names the first field by its code and points to its JSON ``errors``.)"""
    tx = Texts(lang)
    problems = [tx("pagekit.form_problem", field=_field_label(validation_text.field_name(e), tx),
                   reason=validation_text.reason(e, lang)) for e in list(errors)[:validation_text.MAX_LISTED]]
    return tx("pagekit.form_invalid", problems="; ".join(problems))


def invalid(exc: ValidationError) -> CasesError:
    """A form's refused values as a bilingual 422 naming each field (input never echoed)."""
    errors = exc.errors(include_input=False)
    return Invalid(form_message(errors, "es"), form_message(errors, "en"))


def as_error(exc: ValidationError | CasesError) -> CasesError:
    """A refusal as the one kind of error a page shows: a form's validation failure becomes the
    bilingual 422 of ``invalid``; a cases error stays itself."""
    return invalid(exc) if isinstance(exc, ValidationError) else exc


class PageRoute(APIRoute):
    """A page route whose refused parameters answer a bilingual error page, never FastAPI's
    English JSON: a path that names no record a column can hold (a huge id) is the not-found
    page; a refused query or form field is a 422 page naming it. The officer dependency runs
    first, so a visitor who is not signed in is still sent to the login form."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def wrapped(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                errors = exc.errors()
                if any(e.get("loc", ("",))[0] == "path" for e in errors):
                    message = Texts(lang_of(request))("pagekit.record_not_found")
                    return render(request, "cases_error.html", 404, me=None, message=message)
                return render(request, "cases_error.html", 422, me=None,
                              message=form_message(errors, lang_of(request)))

        return wrapped


def page_router() -> APIRouter:
    """A router for cases pages (out of the API schema, refused parameters as error pages)."""
    return APIRouter(include_in_schema=False, route_class=PageRoute)
