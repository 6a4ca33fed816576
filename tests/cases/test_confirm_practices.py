"""The confirmation step before publishing or rejecting a practice (the editors' queue): the
first post changes and records nothing of the moderation, the texts the editor added travel to
the question and back; only the confirming post acts; refused users get the same page at both."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from observatorio.cases.directory_models import Practice

from .test_confirm_referrals import _audit, _hidden, _question, _rows
from .test_practice_web import _login, _submit, web  # noqa: F401  (fixture)
from .test_practices import ENGLISH, editor  # noqa: F401  (fixture)
from .test_web import _csrf


def test_publishing_asks_first_and_carries_the_added_texts(web: TestClient, rt, world, editor: str) -> None:  # noqa: F811
    _login(web, "gtm_supervisor")
    _submit(web)
    with rt.sessions() as s:
        practice = s.scalars(select(Practice)).one()
    _login(web, editor)
    queue = web.get("/cases/practices/queue")
    form = {**ENGLISH, "version": str(practice.version), "decision": "publish", "csrf_token": _csrf(queue.text)}
    rows, audit = _rows(rt), _audit(rt)
    for lang, words in (("es", f"Se publicará la práctica n.º {practice.id}"),
                        ("en", f"Practice no. {practice.id}, “{ENGLISH['title_en']}” (GTM), will be published")):
        asked = web.post(f"/cases/practices/{practice.id}/moderate?lang={lang}", data=form)
        assert asked.status_code == 200 and words in _question(asked.text), _question(asked.text)
        assert _hidden(asked.text)["title_en"] == [ENGLISH["title_en"]]
        assert '<button type="submit" name="confirmed" value="no" id="confirm-cancel"' in asked.text  # cancel: a button
    assert _rows(rt) == rows and _audit(rt) == audit  # not translated, not published, nothing recorded
    forged = web.post(f"/cases/practices/{practice.id}/moderate", data=form | {"confirmed": "yes",
                                                                               "csrf_token": "0" * 64})
    assert forged.status_code == 403 and _rows(rt) == rows
    done = web.post(f"/cases/practices/{practice.id}/moderate", data=form | {"confirmed": "yes"},
                    follow_redirects=False)
    assert done.status_code == 303
    with rt.sessions() as s:
        assert s.get(Practice, practice.id).status == "published"
        assert s.get(Practice, practice.id).title_en == ENGLISH["title_en"]


def test_publishing_without_both_languages_is_refused_at_the_question(web: TestClient, rt, world, editor: str) -> None:  # noqa: F811
    _login(web, "gtm_supervisor")
    _submit(web)
    with rt.sessions() as s:
        practice = s.scalars(select(Practice)).one()
    _login(web, editor)
    token = _csrf(web.get("/cases/practices/queue").text)
    rows = _rows(rt)
    answers = [web.post(f"/cases/practices/{practice.id}/moderate", data={"decision": "publish",
                                                                          "csrf_token": token} | step)
               for step in ({}, {"confirmed": "yes"})]
    assert [a.status_code for a in answers] == [422, 422] and answers[0].text == answers[1].text
    assert _rows(rt) == rows
    rejected = web.post(f"/cases/practices/{practice.id}/moderate", data={"decision": "reject", "csrf_token": token})
    assert rejected.status_code == 200 and "no se publicará" in _question(rejected.text)


def test_who_may_not_moderate_is_refused_the_question_alike(web: TestClient, rt, world) -> None:  # noqa: F811
    _login(web, "gtm_supervisor")
    _submit(web)
    with rt.sessions() as s:
        practice = s.scalars(select(Practice)).one()
    for user in ("gtm_head", "auditor"):
        _login(web, user)
        token = _csrf(web.get("/cases/work").text)
        audit = _audit(rt)
        url = f"/cases/practices/{practice.id}/moderate"
        asked = web.post(url, data={"decision": "publish", "csrf_token": token})
        question = _audit(rt)[len(audit):]
        acted = web.post(url, data={"decision": "publish", "csrf_token": token, "confirmed": "yes"})
        action = _audit(rt)[len(audit) + len(question):]
        assert asked.status_code == acted.status_code == 403 and asked.text == acted.text
        assert practice.title_es not in asked.text and "cases-confirm" not in asked.text
        assert question == action == [(user, "practice.moderate", str(practice.id), "denied")]
