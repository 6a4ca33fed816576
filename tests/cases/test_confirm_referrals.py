"""The confirmation step before a referral's irreversible actions on the officers' pages
(cases/confirm_page.py): sending a referral or transfer, accepting or declining one, completing
it. The first post changes nothing and records nothing of the action; only the confirming post,
with the session's CSRF token, acts; a user the action refuses is refused the question alike
(the same page, the same audited denial); the JSON API acts at once, as before."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from observatorio.cases.models import AuditEntry, Base, Case
from observatorio.cases.referral_models import Referral

from .conftest import login
from .test_officer_web import _login
from .test_referral_web import _consent_and_refer, _open_child_case
from .test_web import _csrf


def _rows(rt: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the audit log's (its entries and chain tips, which a refusal
    adds to): what "nothing changed" compares."""
    with rt.sessions() as s:
        return {t.name: sorted(map(tuple, s.execute(t.select()).all()), key=repr)
                for t in Base.metadata.sorted_tables if not t.name.startswith("audit")}


def _audit(rt: Any) -> list[tuple[str, str, str, str]]:
    with rt.sessions() as s:
        return [(e.actor, e.action, e.record_id, e.outcome) for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def _question(page: str) -> str:
    """The confirmation section's text, tags dropped."""
    found = re.search(r'<section class="cases-confirm".*?</section>', page, re.S)
    assert found, page[-2000:]
    return re.sub(r"<[^>]+>", " ", found.group(0))


def _hidden(page: str) -> dict[str, list[str]]:
    form = re.search(r'<section class="cases-confirm".*?</section>', page, re.S).group(0)  # type: ignore[union-attr]
    values: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type=.hidden. name=.([a-z_]+). value=.([^"\']*).>', form):
        values.setdefault(name, []).append(value)
    return values


def _transfer_form(client: Any, world: Any, cid: int) -> dict[str, Any]:
    """A recorded consent on case ``cid``, and the refer form's fields for a transfer resting on it."""
    token = _csrf(client.get(f"/cases/c/{cid}/refer").text)
    assert client.post(f"/cases/c/{cid}/consents", data={
        "given_by": "guardian", "guardian_name": "Tía", "given_at": "2026-12-01T10:30", "given_to": "Consulado",
        "purpose": "protección", "csrf_token": token}, follow_redirects=False).status_code == 303
    consent_id = re.search(r'<option value="(\d+)" selected>#', client.get(f"/cases/c/{cid}/refer").text).group(1)
    return {"to_organisation_id": str(world.orgs["gtm_child"]), "profile": "child_protection",
            "services": ["child_protection", "family_tracing"], "reason": "Niña sola", "consent_id": consent_id,
            "transfer": "1", "csrf_token": token}


def test_a_transfer_is_asked_first_then_sent_on_confirming(client, rt, world) -> None:
    _login(client, "gtm_officer")
    cid = _open_child_case(client)
    form = _transfer_form(client, world, cid)
    rows, audit = _rows(rt), _audit(rt)
    for lang, words in (("es", "Procuraduría General de la Nación (niñez) (GTM)"), ("en", "(GTM) will be asked")):
        asked = client.post(f"/cases/c/{cid}/referrals?lang={lang}", data=form, follow_redirects=False)
        assert asked.status_code == 200, asked.text
        text = _question(asked.text)
        with rt.sessions() as s:
            reference = s.get(Case, cid).reference
        assert reference in text and words in text, text
        assert ("no se puede deshacer" if lang == "es" else "cannot be undone") in text
        assert '<button type="submit" name="confirmed" value="no" id="confirm-cancel"' in asked.text  # cancel: a button
        other = "en" if lang == "es" else "es"
        assert f'class="lang-switch" href="/cases/c/{cid}/refer?lang={other}#refer"' in asked.text
        assert _hidden(asked.text) | {"csrf_token": []} == {
            "to_organisation_id": [form["to_organisation_id"]], "profile": ["child_protection"],
            "reason": ["Niña sola"], "consent_id": [form["consent_id"]], "services": form["services"],
            "transfer": ["1"], "csrf_token": []}
    assert _rows(rt) == rows and _audit(rt) == audit  # nothing changed, nothing recorded
    # the confirming post with a forged token is refused, and changes nothing either
    forged = client.post(f"/cases/c/{cid}/referrals", data=form | {"confirmed": "yes", "csrf_token": "f" * 64},
                         follow_redirects=False)
    assert forged.status_code == 403 and _rows(rt) == rows
    done = client.post(f"/cases/c/{cid}/referrals", data=form | {"confirmed": "yes"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("#referrals")
    assert ("gtm_officer", "case.refer", str(cid), "granted") in _audit(rt)[len(audit):]


def test_answering_and_completing_ask_first(client, rt, world) -> None:
    _login(client, "gtm_officer")
    cid = _consent_and_refer(client, world, _open_child_case(client, "Rosa"), "motivo", transfer="1")
    _login(client, "gtm_protection")
    rid = re.search(r'href="/cases/referrals/(\d+)\?lang=es">', client.get("/cases/work").text).group(1)
    token = _csrf(client.get(f"/cases/referrals/{rid}").text)
    rows, audit = _rows(rt), _audit(rt)
    url = f"/cases/referrals/{rid}/answer"
    accept = client.post(url, data={"decision": "accept", "csrf_token": token})
    assert accept.status_code == 200
    assert "pasa a Procuraduría General de la Nación (niñez), con usted como responsable" in _question(accept.text)
    # what else moves with the case is said before, not found out after
    assert "Terminan los accesos compartidos del caso" in _question(accept.text)
    assert "también su registro pasa a Procuraduría General de la Nación (niñez)" in _question(accept.text)
    decline = client.post(f"{url}?lang=en", data={"decision": "decline", "reason": "sin cupo", "csrf_token": token})
    assert decline.status_code == 200 and "You are about to decline the referral" in _question(decline.text)
    assert _hidden(decline.text)["reason"] == ["sin cupo"] and _hidden(decline.text)["decision"] == ["decline"]
    assert '<button type="submit" name="confirmed" value="no" id="confirm-cancel"' in decline.text  # cancel: a button
    # the language switch leads to the referral in the other language (the question's address
    # answers posts only)
    assert f'class="lang-switch" href="/cases/referrals/{rid}?lang=es"' in decline.text
    # a decline without its reason is refused at the question as at the answer (a 422 naming it)
    refused = [client.post(url, data={"decision": "decline", "csrf_token": token} | step) for step in
               ({}, {"confirmed": "yes"})]
    assert [r.status_code for r in refused] == [422, 422] and refused[0].text == refused[1].text
    assert _rows(rt) == rows and _audit(rt) == audit
    done = client.post(url, data={"decision": "accept", "csrf_token": token, "confirmed": "yes"},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith(f"/cases/c/{cid}?")
    with rt.sessions() as s:
        assert s.get(Case, cid).organisation_id == world.orgs["gtm_child"]  # the transfer happened


def test_completing_asks_first(client, rt, world) -> None:
    _login(client, "gtm_officer")
    _consent_and_refer(client, world, _open_child_case(client), "motivo")
    _login(client, "gtm_protection")
    rid = re.search(r'href="/cases/referrals/(\d+)\?lang=es">', client.get("/cases/work").text).group(1)
    token = _csrf(client.get(f"/cases/referrals/{rid}").text)
    assert client.post(f"/cases/referrals/{rid}/answer", data={"decision": "accept", "csrf_token": token,
                                                               "confirmed": "yes"}).status_code == 200
    rows, audit = _rows(rt), _audit(rt)
    asked = client.post(f"/cases/referrals/{rid}/complete", data={"csrf_token": token})
    assert asked.status_code == 200 and "Va a dar por completada la remisión" in _question(asked.text)
    assert _rows(rt) == rows and _audit(rt) == audit
    done = client.post(f"/cases/referrals/{rid}/complete", data={"csrf_token": token, "confirmed": "yes"},
                       follow_redirects=False)
    assert done.status_code == 303
    assert ("gtm_protection", "referral.respond", rid, "granted") in _audit(rt)[len(audit):]


def test_who_may_not_act_is_refused_the_question_alike(client, rt, world) -> None:
    """The same refusal page at both steps, each audited as denied like the action's; the
    question reveals nothing (no organisation, no case reference)."""
    _login(client, "gtm_officer")
    cid = _open_child_case(client)
    form = _transfer_form(client, world, cid)
    _consent_and_refer(client, world, _open_child_case(client, "Rosa"), "motivo")
    with rt.sessions() as s:
        rid, reference = str(s.scalar(select(Referral.id))), s.get(Case, cid).reference
    # gtm_officer2: same consulate, but case.refer is "own" for a consular officer
    for user, posts in (("gtm_officer2", [(f"/cases/c/{cid}/referrals", form)]),
                        ("hnd_head", [(f"/cases/c/{cid}/referrals", form),
                                      (f"/cases/referrals/{rid}/answer", {"decision": "accept"}),
                                      (f"/cases/referrals/{rid}/complete", {})])):
        _login(client, user)
        token = _csrf(client.get("/cases/work").text)
        for url, data in posts:
            audit = _audit(rt)
            rows = _rows(rt)
            asked = client.post(url, data=dict(data) | {"csrf_token": token})
            after_question = _audit(rt)[len(audit):]
            acted = client.post(url, data=dict(data) | {"csrf_token": token, "confirmed": "yes"})
            after_action = _audit(rt)[len(audit) + len(after_question):]
            assert asked.status_code == acted.status_code and asked.status_code in (403, 404), (user, url)
            assert asked.text == acted.text, (user, url)
            assert "cases-confirm" not in asked.text and reference not in asked.text
            assert "Procuraduría" not in asked.text
            assert after_question == after_action and {e[3] for e in after_question} == {"denied"}, after_question
            assert _rows(rt) == rows


def test_the_json_api_acts_at_once(client, rt, seeded) -> None:
    """Confirming is a matter of the pages: the API's answer still acts on its one request."""
    h = login(client, "gtm_head")
    case = seeded.cases["gtm_mex"]
    consent = client.post(f"/api/v1/cases/{case}/consents", headers=h, json={
        "given_by": "person", "given_at": "2026-12-01T10:00:00Z", "given_to": "Consulado",
        "purpose": "remisión"}).json()["id"]
    sent = client.post(f"/api/v1/cases/{case}/referrals", headers=h, json={
        "to_organisation_id": seeded.world.orgs["gtm_child"], "profile": "child_protection",
        "services": ["child_protection"], "reason": "NNA", "consent_id": consent})
    assert sent.status_code == 201 and sent.json()["status"] == "pending"
    h = login(client, "gtm_protection")
    answered = client.post(f"/api/v1/referrals/{sent.json()['id']}/answer", headers=h, json={"accept": True})
    assert answered.status_code == 200 and answered.json()["status"] == "accepted"
    completed = client.post(f"/api/v1/referrals/{sent.json()['id']}/complete", headers=h)
    assert completed.status_code == 200 and completed.json()["status"] == "completed"


def test_withdrawing_consent_asks_first(client, rt, world) -> None:
    _login(client, "gtm_officer")
    cid = _consent_and_refer(client, world, _open_child_case(client), "motivo")
    case_page = client.get(f"/cases/c/{cid}").text
    url = re.search(r'action="(/cases/c/\d+/consents/\d+/withdraw)\?lang=es"', case_page).group(1)
    token = _csrf(case_page)
    rows, audit = _rows(rt), _audit(rt)
    asked = client.post(f"{url}?lang=en", data={"csrf_token": token})
    assert asked.status_code == 200 and "will be recorded as withdrawn" in _question(asked.text)
    assert '<button type="submit" name="confirmed" value="no" id="confirm-cancel"' in asked.text  # cancel: a button
    assert _rows(rt) == rows and _audit(rt) == audit
    # a consulate of another country may not withdraw it: the same page at both steps
    _login(client, "hnd_head")
    other = _csrf(client.get("/cases/work").text)
    rows = _rows(rt)  # with the new sign-in's session
    refused = [client.post(url, data={"csrf_token": other} | step) for step in ({}, {"confirmed": "yes"})]
    assert refused[0].status_code == refused[1].status_code == 404 and refused[0].text == refused[1].text
    assert _rows(rt) == rows
    _login(client, "gtm_officer")
    done = client.post(url, data={"csrf_token": _csrf(client.get(f"/cases/c/{cid}").text), "confirmed": "yes"},
                       follow_redirects=False)
    assert done.status_code == 303
    with rt.sessions() as s:
        assert s.scalar(select(Referral.status)) == "withdrawn"
