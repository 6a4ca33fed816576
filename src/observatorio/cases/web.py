"""Sign-in and sign-out of the cases web pages (the pages themselves: officer_web.py).

Browsers authenticate with a session cookie (HttpOnly, SameSite=Strict) holding a signed,
expiring token; every form carries a CSRF token bound to that session by HMAC, and the login
form uses a pre-session nonce cookie for the same purpose.
"""

from __future__ import annotations

import re
import secrets
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from observatorio.cases.api import SessionDep, client_ip
from observatorio.cases.auth import (
    authenticate,
    csrf_ok,
    csrf_token,
    decode_token,
    revoke_session,
    start_session,
)
from observatorio.cases.errors import CasesError, Throttled
from observatorio.cases.next_path import landing, safe_next
from observatorio.cases.page_kit import RuntimeDep, lang_of, page_router, render
from observatorio.cases.runtime import Runtime
from observatorio.cases.web_cookies import PRELOGIN_COOKIE, SESSION_COOKIE
from observatorio.i18n import t

__all__ = ["PRELOGIN_COOKIE", "SESSION_COOKIE", "router"]

router = page_router()


def secure_cookie(rt: Runtime, request: Request) -> bool:
    """Whether a cookie of these pages is ``Secure``: when configured
    (OBSERVATORIO_CASES_SECURE_COOKIES), and always when the request came over HTTPS, directly
    or through the trusted proxy of OBSERVATORIO_FORWARDED_ALLOW_IPS (uvicorn then takes the
    scheme from X-Forwarded-Proto). A cookie set over HTTPS must never travel over plain HTTP,
    where anyone on the path reads the session; plain HTTP (a local trial) keeps working."""
    return rt.config.secure_cookies or request.url.scheme == "https"


#: what ``secrets.token_urlsafe(24)`` writes: a pre-login cookie of any other form is not reused
_NONCE = re.compile(r"[A-Za-z0-9_-]{32}")


def _login_form(rt: Runtime, request: Request, error: str = "", status: int = 200,
                next_page: str | None = None) -> HTMLResponse:
    # The browser's pre-login nonce is kept while it lives: a sign-in form opened in a second tab
    # must not make the first one's token stale ("form expired"). Its 15 minutes start again.
    held = request.cookies.get(PRELOGIN_COOKIE, "")
    nonce = held if _NONCE.fullmatch(held) else secrets.token_urlsafe(24)
    resp = render(request, "cases_login.html", status, me=None, error=error,
                  token=csrf_token(rt.secret, f"prelogin:{nonce}"), next_page=safe_next(next_page))
    resp.set_cookie(PRELOGIN_COOKIE, nonce, max_age=900, httponly=True, samesite="strict",
                    secure=secure_cookie(rt, request), path="/cases")
    return resp


@router.get("/cases/login")
def login_page(request: Request, rt: RuntimeDep, expired: bool = False) -> HTMLResponse:
    """The login form; ``expired``: a page sent the officer here because their session had
    expired (left idle, or past its lifetime), which the form then says; ``next``: the page to
    land on after signing in, kept in the form when it is one of these pages (next_path.py)."""
    return _login_form(rt, request, t("cases.refusal.session_expired", lang_of(request)) if expired else "",
                       next_page=request.query_params.get("next"))


@router.post("/cases/login")
def login_submit(
    request: Request,
    rt: RuntimeDep,
    session: SessionDep,
    username: Annotated[str, Form(max_length=80)],
    password: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str, Form(alias="csrf_token", max_length=200)] = "",
    next_page: Annotated[str, Form(alias="next")] = "",
) -> Response:
    """Check CSRF and credentials, then set the session cookie and go to the page asked for
    (``next``, when safe) or to "my work". ``next`` has no length limit here: a long one is
    dropped by next_path, not refused (the officer still signs in)."""
    lang = lang_of(request)  # the form's language, kept on the way to the officer's pages
    nonce = request.cookies.get(PRELOGIN_COOKIE, "")
    if not nonce or not csrf_ok(rt.secret, f"prelogin:{nonce}", csrf):
        return _login_form(rt, request, t("cases_cli.form_expired", lang), 403, next_page)
    try:
        user = authenticate(session, username, password, client_ip(request), rt.config)
    except Throttled as exc:
        throttled = _login_form(rt, request, exc.message(lang), 429, next_page)
        throttled.headers["Retry-After"] = str(exc.retry_after)
        return throttled
    except CasesError as exc:
        return _login_form(rt, request, exc.message(lang), exc.status, next_page)
    token = start_session(session, user.id, rt.secret, rt.config.session_ttl_minutes, kind="session")
    session.commit()
    resp: Response = RedirectResponse(landing(next_page, lang), status_code=303)
    resp.set_cookie(SESSION_COOKIE, token, max_age=rt.config.session_ttl_minutes * 60, httponly=True,
                    samesite="strict", secure=secure_cookie(rt, request), path="/cases")
    resp.delete_cookie(PRELOGIN_COOKIE, path="/cases")
    return resp


def _session_of(request: Request, rt: Runtime) -> tuple[int, str] | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        return decode_token(cookie, rt.secret, kind="session")
    except CasesError:
        return None


@router.post("/cases/logout")
def logout(request: Request, rt: RuntimeDep, session: SessionDep,
           csrf: Annotated[str, Form(alias="csrf_token")] = "") -> Response:
    """End the browser session server-side (CSRF-checked, so other sites cannot log users out)."""
    sess = _session_of(request, rt)
    if sess is None or not csrf_ok(rt.secret, sess[1], csrf):
        return render(request, "cases_error.html", 403, me=None,
                      message=t("cases_cli.invalid_request", lang_of(request)))
    revoke_session(session, sess[1])
    session.commit()
    resp = RedirectResponse(f"/cases/login?lang={lang_of(request)}", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/cases")
    return resp
