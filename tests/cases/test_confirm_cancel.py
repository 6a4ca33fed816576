"""The confirmation page's "Cancel" (cases/confirm_page.py): a second button of the question's
form, posting the same fields with ``confirmed=no``. The action's form comes back holding what
the officer typed (a referral's reason, a practice's translations, a decision's comment); the
post needs the session's CSRF token, changes nothing, and records only what showing the form
records. Its language switch leads to the form's own address, never to the post-only one."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from observatorio.cases.directory_models import Practice
from observatorio.cases.runtime import Runtime

from .conftest import World
from .test_confirm_referrals import _audit, _rows, _transfer_form
from .test_officer_web import _login
from .test_practice_web import _login as _login_practices
from .test_practice_web import _submit, web  # noqa: F401  (fixture)
from .test_practices import ENGLISH, editor  # noqa: F401  (fixture)
from .test_referral_web import _consent_and_refer, _open_child_case
from .test_web import _csrf

CANCEL = {"confirmed": "no"}


def _textarea(page: str, name: str) -> str:
    found = re.search(rf'<textarea[^>]* name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, name
    return html.unescape(found.group(1))


def _input(page: str, name: str) -> list[str]:
    return [html.unescape(v) for v in re.findall(rf'<input name="{name}"[^>]* value="([^"]*)"', page)]


def _switch(page: str) -> str:
    return html.unescape(re.search(r'class="lang-switch" href="([^"]+)"', page).group(1))  # type: ignore[union-attr]


def _added(rt: Any, before: list[Any]) -> list[tuple[str, str, str, str]]:
    return _audit(rt)[len(before):]


def test_cancelling_a_transfer_gives_back_the_form_as_typed(client: TestClient, rt: Runtime, world: World) -> None:
    _login(client, "gtm_officer")
    cid = _open_child_case(client)
    form = _transfer_form(client, world, cid) | {"reason": "Niña sola, <tía> en Quetzaltenango"}
    asked = client.post(f"/cases/c/{cid}/referrals?lang=en", data=form)
    assert asked.status_code == 200 and 'value="no" id="confirm-cancel"' in asked.text
    rows, audit = _rows(rt), _audit(rt)
    client.get(f"/cases/c/{cid}/refer?lang=en")  # what showing the form records
    shown = _added(rt, audit)
    audit = _audit(rt)
    back = client.post(f"/cases/c/{cid}/referrals?lang=en", data=form | CANCEL, follow_redirects=False)
    assert back.status_code == 200, back.text
    page = back.text
    assert _textarea(page, "reason") == form["reason"]
    assert re.search(r'name="transfer" value="1" checked', page)
    for service in form["services"]:
        assert re.search(rf'name="services" value="{service}" checked', page), service
    assert f'<option value="{form["to_organisation_id"]}" selected>' in page
    assert _rows(rt) == rows and _added(rt, audit) == shown  # nothing changed; the form's own reads only
    assert _switch(page) == f"/cases/c/{cid}/refer?lang=es"
    assert client.get(_switch(page)).status_code == 200
    # Cancel is a post like any other: a forged token is refused, nothing shown back
    forged = client.post(f"/cases/c/{cid}/referrals", data=form | CANCEL | {"csrf_token": "f" * 64})
    assert forged.status_code == 403 and form["reason"] not in html.unescape(forged.text)
    assert _rows(rt) == rows


def test_cancelling_an_answer_gives_back_the_reason(client: TestClient, rt: Runtime, world: World) -> None:
    _login(client, "gtm_officer")
    _consent_and_refer(client, world, _open_child_case(client), "motivo")
    _login(client, "gtm_protection")
    rid = re.search(r'href="/cases/referrals/(\d+)\?lang=es">', client.get("/cases/work").text).group(1)
    token = _csrf(client.get(f"/cases/referrals/{rid}").text)
    form = {"decision": "decline", "reason": "sin cupo hasta enero", "csrf_token": token}
    assert client.post(f"/cases/referrals/{rid}/answer", data=form).status_code == 200  # the question
    rows, audit = _rows(rt), _audit(rt)
    client.get(f"/cases/referrals/{rid}")
    shown = _added(rt, audit)
    audit = _audit(rt)
    back = client.post(f"/cases/referrals/{rid}/answer?lang=en", data=form | CANCEL)
    assert back.status_code == 200 and _textarea(back.text, "reason") == "sin cupo hasta enero"
    assert _rows(rt) == rows and _added(rt, audit) == shown
    assert _switch(back.text) == f"/cases/referrals/{rid}?lang=es"
    # completing and withdrawing carry no typed text: Cancel leads back to the page (a GET)
    assert client.get(f"/cases/referrals/{rid}/complete").status_code == 405  # the question's address: posts only
    done = client.post(f"/cases/referrals/{rid}/complete?lang=en", data={"csrf_token": token} | CANCEL,
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/cases/referrals/{rid}?lang=en"
    assert _rows(rt) == rows


def test_cancelling_a_consent_withdrawal_changes_nothing(client: TestClient, rt: Runtime, world: World) -> None:
    _login(client, "gtm_officer")
    cid = _consent_and_refer(client, world, _open_child_case(client), "motivo")
    case_page = client.get(f"/cases/c/{cid}").text
    url = re.search(r'action="(/cases/c/\d+/consents/\d+/withdraw)\?lang=es"', case_page).group(1)
    rows, audit = _rows(rt), _audit(rt)
    back = client.post(f"{url}?lang=en", data={"csrf_token": _csrf(case_page)} | CANCEL, follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == f"/cases/c/{cid}?lang=en#referrals"
    assert _rows(rt) == rows and _audit(rt) == audit
    forged = client.post(url, data={"csrf_token": "f" * 64} | CANCEL, follow_redirects=False)
    assert forged.status_code == 403


def test_cancelling_a_publication_gives_back_the_translations(web: TestClient, rt: Runtime, world: World,  # noqa: F811
                                                              editor: str) -> None:  # noqa: F811
    _login_practices(web, "gtm_supervisor")
    _submit(web)
    with rt.sessions() as s:
        practice = s.scalars(select(Practice)).one()
    _login_practices(web, editor)
    queue = web.get("/cases/practices/queue")
    form = {**ENGLISH, "version": str(practice.version), "note": "revisado con la alcaldía", "decision": "publish",
            "csrf_token": _csrf(queue.text)}
    url = f"/cases/practices/{practice.id}/moderate"
    assert web.post(url, data=form).status_code == 200  # the question
    rows, audit = _rows(rt), _audit(rt)
    web.get("/cases/practices/queue")
    shown = _added(rt, audit)
    audit = _audit(rt)
    back = web.post(f"{url}?lang=en", data=form | CANCEL)
    assert back.status_code == 200, back.text
    assert _input(back.text, "title_en") == [ENGLISH["title_en"]]
    assert _textarea(back.text, "summary_en") == ENGLISH["summary_en"]
    assert _input(back.text, "note") == ["revisado con la alcaldía"]
    assert _rows(rt) == rows and _added(rt, audit) == shown  # not translated, not published
    assert _switch(back.text) == f"/cases/practices/queue?lang=es#practice-{practice.id}"
    assert web.get(_switch(back.text)).status_code == 200
