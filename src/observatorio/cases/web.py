"""Minimal web pages of the cases side: a login form and the case list.

Browsers authenticate with a session cookie (HttpOnly, SameSite=Strict) holding a signed,
expiring token; every form carries a CSRF token bound to that session by HMAC, and the login
form uses a pre-session nonce cookie for the same purpose.
"""

from __future__ import annotations

import secrets
from html import escape
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from observatorio.cases import service
from observatorio.cases.api import SessionDep, client_ip, get_runtime
from observatorio.cases.auth import (
    authenticate,
    csrf_ok,
    csrf_token,
    decode_token,
    principal_of_token,
    revoke_session,
    start_session,
)
from observatorio.cases.errors import CasesError, Throttled
from observatorio.cases.runtime import Runtime

router = APIRouter(include_in_schema=False)
SESSION_COOKIE = "obs_cases_session"
PRELOGIN_COOKIE = "obs_cases_prelogin"
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]

_STYLE = ("body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem}"
          "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ccc;padding:.3rem;text-align:left}"
          ".err{color:#a00}")
_HEADERS = {
    # Pages show personal data: never cache them, never frame them, no inline scripts.
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "Referrer-Policy": "no-referrer",
}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (f"<!doctype html><html lang='es'><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body>{body}</body></html>")
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


def _login_form(rt: Runtime, error: str = "", status: int = 200) -> HTMLResponse:
    nonce = secrets.token_urlsafe(24)
    token = csrf_token(rt.secret, f"prelogin:{nonce}")
    err = f"<p class='err'>{escape(error)}</p>" if error else ""
    body = (
        "<h1>Casos consulares y de protección <small>/ Consular and protection cases</small></h1>"
        f"{err}<form method='post' action='/cases/login'>"
        f"<input type='hidden' name='csrf_token' value='{token}'>"
        "<p><label>Usuario / Username <input name='username' autocomplete='username' required></label></p>"
        "<p><label>Contraseña / Password <input type='password' name='password' "
        "autocomplete='current-password' required></label></p>"
        "<p><button type='submit'>Entrar / Log in</button></p></form>"
    )
    resp = _page("Ingreso / Login", body, status)
    resp.set_cookie(PRELOGIN_COOKIE, nonce, max_age=900, httponly=True, samesite="strict",
                    secure=rt.config.secure_cookies, path="/cases")
    return resp


@router.get("/cases/login")
def login_page(rt: RuntimeDep) -> HTMLResponse:
    """The login form."""
    return _login_form(rt)


@router.post("/cases/login")
def login_submit(
    request: Request,
    rt: RuntimeDep,
    session: SessionDep,
    username: Annotated[str, Form(max_length=80)],
    password: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str, Form(alias="csrf_token", max_length=200)] = "",
) -> Response:
    """Check CSRF and credentials, then set the session cookie."""
    nonce = request.cookies.get(PRELOGIN_COOKIE, "")
    if not nonce or not csrf_ok(rt.secret, f"prelogin:{nonce}", csrf):
        return _login_form(rt, "Formulario vencido o inválido; intente de nuevo. / "
                               "Expired or invalid form; try again.", 403)
    try:
        user = authenticate(session, username, password, client_ip(request), rt.config)
    except Throttled as exc:
        throttled = _login_form(rt, f"{exc.es} / {exc.en}", 429)
        throttled.headers["Retry-After"] = str(exc.retry_after)
        return throttled
    except CasesError as exc:
        return _login_form(rt, f"{exc.es} / {exc.en}", exc.status)
    token = start_session(session, user.id, rt.secret, rt.config.session_ttl_minutes, kind="session")
    session.commit()
    resp: Response = RedirectResponse("/cases/", status_code=303)
    resp.set_cookie(SESSION_COOKIE, token, max_age=rt.config.session_ttl_minutes * 60, httponly=True,
                    samesite="strict", secure=rt.config.secure_cookies, path="/cases")
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


@router.get("/cases/")
def case_list(request: Request, rt: RuntimeDep, session: SessionDep, q: str | None = None) -> Response:
    """The cases the user may read (same policy, whitelist and audit as the API)."""
    sess = _session_of(request, rt)
    if sess is None:
        return RedirectResponse("/cases/login", status_code=303)
    user_id, jti = sess
    try:
        principal = principal_of_token(session, user_id, jti)
    except CasesError:
        return RedirectResponse("/cases/login", status_code=303)
    session.commit()
    query = (q or "")[:100]
    if any(ord(ch) < 32 for ch in query):
        query = ""
    ctx = service.Ctx(session, principal, client_ip(request), rt.secret)
    page = service.list_cases(ctx, q=query or None, limit=100)
    rows = "".join(
        f"<tr><td>{escape(c.reference)}</td><td>{escape(c.case_type)}</td><td>{escape(c.status)}</td>"
        f"<td>{escape(c.risk_level)}</td><td>{escape(c.country)}</td><td>{escape(c.summary or '')}</td></tr>"
        for c in page.items
    )
    token = csrf_token(rt.secret, jti)
    body = (
        f"<h1>Casos / Cases <small>({page.total})</small></h1>"
        f"<p>{escape(principal.username)} · "
        f"<form method='post' action='/cases/logout' style='display:inline'>"
        f"<input type='hidden' name='csrf_token' value='{token}'><button>Salir / Log out</button></form></p>"
        f"<form method='get' action='/cases/'><input name='q' value='{escape(query)}' maxlength='100'>"
        "<button>Buscar / Search</button></form>"
        "<table><thead><tr><th>Referencia / Reference</th><th>Tipo / Type</th><th>Etapa / Status</th>"
        f"<th>Riesgo / Risk</th><th>País / Country</th><th>Resumen / Summary</th></tr></thead><tbody>{rows}</tbody></table>"
    )
    return _page("Casos / Cases", body)


@router.post("/cases/logout")
def logout(request: Request, rt: RuntimeDep, session: SessionDep,
           csrf: Annotated[str, Form(alias="csrf_token")] = "") -> Response:
    """End the browser session server-side (CSRF-checked, so other sites cannot log users out)."""
    sess = _session_of(request, rt)
    if sess is None or not csrf_ok(rt.secret, sess[1], csrf):
        return _page("Error", "<p class='err'>Solicitud inválida / Invalid request.</p>", 403)
    revoke_session(session, sess[1])
    session.commit()
    resp = RedirectResponse("/cases/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/cases")
    return resp
