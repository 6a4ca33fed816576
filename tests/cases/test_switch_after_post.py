"""The language switch of every page answering a post leads to a page that answers a GET.

A page rendered in answer to a post (a refused form shown again with its error, a confirmation
question, an error page) has a post-only address; a switch link built from it was a 405
(page_kit.switch_path). This walks every POST route of every cases page router, as users of
several roles, with a forged and with the session's CSRF token, and follows each shown page's
switch link."""

from __future__ import annotations

import html
import importlib
import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from observatorio.cases.page_kit import PageRoute
from observatorio.cases.runtime import Runtime

from .conftest import Seeded, World, make_app
from .test_confirm_cancel import _switch
from .test_officer_web import _login
from .test_referral_web import _open_child_case
from .test_web import _csrf

SRC = Path(__file__).resolve().parents[2] / "src"
#: Every module that builds a page router; the check below keeps the list whole.
PAGE_MODULES = ("observatorio.cases.web", "observatorio.cases.officer_web", "observatorio.cases.officer_forms",
                "observatorio.cases.referral_web", "observatorio.cases.reception.web",
                "observatorio.cases.practice_web", "observatorio.cases.directory_web",
                "observatorio.cases.admin_web", "observatorio.cases.reintegration.web",
                "observatorio.submissions.web")
#: Who walks them: an officer, a reception officer, an editor, a reviewer, the administrator last
#: (a form that acts on empty fields acts on its accounts only at the end).
WALKERS = ("gtm_officer", "hnd_reception", "editor", "stats_reviewer", "admin")


def _page_modules_in_src() -> set[str]:
    found = set()
    for path in SRC.rglob("*.py"):
        if "= page_router()" in path.read_text("utf-8"):
            found.add(".".join(path.relative_to(SRC).with_suffix("").parts))
    return found


#: The page modules conftest.make_app already includes.
IN_MAKE_APP = {"observatorio.cases.web", "observatorio.cases.officer_web", "observatorio.cases.officer_forms",
               "observatorio.cases.referral_web", "observatorio.cases.reception.web"}


def _app(rt: Runtime) -> FastAPI:
    """The cases app with every page router included as create_app includes them (each an
    included router, as in production: the switch's GET check must see through them)."""
    app = make_app(rt)
    for name in PAGE_MODULES:
        if name not in IN_MAKE_APP:
            app.include_router(importlib.import_module(name).router)
    return app


def _posts() -> list[str]:
    """Every page form's address: the sign-in form last (a refused sign-in may leave the
    session), the sign-out never (always a 303)."""
    paths = {r.path for name in PAGE_MODULES for r in importlib.import_module(name).router.routes
             if isinstance(r, PageRoute) and "POST" in r.methods and r.path != "/cases/logout"}
    return sorted(paths, key=lambda p: (p == "/cases/login", p))


def _filled(path: str, case_id: int) -> str:
    """A route's path with each parameter given an id that names a record (a case of the seed)."""
    return re.sub(r"\{[^}]+\}", str(case_id), path)


def test_every_page_router_is_walked() -> None:
    assert _page_modules_in_src() == set(PAGE_MODULES)


def test_no_page_answering_a_post_switches_language_to_a_405(rt: Runtime, seeded: Seeded) -> None:
    app = _app(rt)
    posts = _posts()
    assert len(posts) > 30  # every page module's forms
    case_id = min(seeded.cases.values())
    checked: dict[str, int] = {}
    broken: list[str] = []
    with TestClient(app) as client:
        for user in WALKERS:
            _login(client, user)
            token = _csrf(client.get("/cases/work").text)
            for path in posts:
                url = _filled(path, case_id)
                for lang in ("es", "en"):
                    for sent in ({"csrf_token": "f" * 64}, {"csrf_token": token}):
                        answer = client.post(f"{url}?lang={lang}", data=sent, follow_redirects=False)
                        if answer.status_code == 303 or "text/html" not in answer.headers.get("content-type", ""):
                            continue
                        found = re.search(r'class="lang-switch" href="([^"]+)"', answer.text)
                        assert found, (user, url, answer.status_code)
                        switch = html.unescape(found.group(1))
                        assert f"lang={'en' if lang == 'es' else 'es'}" in switch, (url, switch)
                        status = client.get(switch, follow_redirects=False).status_code
                        checked[path] = checked.get(path, 0) + 1
                        if status == 405:
                            broken.append(f"{user} POST {url} ({answer.status_code}) -> GET {switch}")
            if client.get("/cases/work", follow_redirects=False).status_code != 200:
                _login(client, user)  # (a form of the walk may have ended the session)
    assert not broken, "\n".join(broken)
    assert set(checked) == set(posts), sorted(set(posts) - set(checked))  # each answered a page at least once


def test_a_refused_form_switches_to_its_form(client: TestClient, world: World) -> None:
    """Where the switch leads: the form a handler names (the case page for a case-page form, the
    refer form), the same address when a GET answers there, else the officer's home."""
    _login(client, "gtm_officer")
    cid = _open_child_case(client)
    token = _csrf(client.get(f"/cases/c/{cid}").text)
    expected = {f"/cases/c/{cid}/notes": f"/cases/c/{cid}?lang=en",  # the case page, with its message
                f"/cases/c/{cid}/referrals": f"/cases/c/{cid}/refer?lang=en",  # the refer form, as typed
                "/cases/c/new": "/cases/c/new?lang=en"}  # a form sent to its own address
    for url, switch in expected.items():
        refused = client.post(f"{url}?lang=es", data={"csrf_token": token})
        assert refused.status_code == 422, (url, refused.status_code)
        assert _switch(refused.text) == switch, url
    forged = client.post(f"/cases/c/{cid}/notes?lang=es", data={"csrf_token": "f" * 64})
    assert forged.status_code == 403 and _switch(forged.text) == "/cases/work?lang=en"
