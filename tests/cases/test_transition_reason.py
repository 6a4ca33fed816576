"""The reason given for a case's status transition is stored (it was accepted and dropped),
shown in the case history of the officer case page, named in the transition's audit entry (never
its text), limited in length with a bilingual error, and erased with the case's free text."""

from __future__ import annotations

import json

from sqlalchemy import select

from observatorio.cases import audit
from observatorio.cases.models import AuditEntry, Case
from observatorio.cases.transition_models import MAX_REASON, CaseTransitionReason

from .conftest import login
from .test_officer_forms import _login, _token

REASON = "La persona fue trasladada a la estación migratoria de Tapachula"


def _transition_entries(rt, cid: int) -> list[AuditEntry]:
    with rt.sessions() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == "case.transition",
                                                       AuditEntry.record_id == str(cid))))


def test_api_transition_stores_the_reason_and_the_page_shows_it(client, rt, seeded) -> None:
    cid = seeded.cases["gtm_mex_own"]
    r = client.post(f"/api/v1/cases/{cid}/transition", json={"version": 1, "to": "assessment", "reason": REASON},
                    headers=login(client, "gtm_officer"))
    assert r.status_code == 200, r.text
    with rt.sessions() as s:
        stored = s.scalars(select(CaseTransitionReason).where(CaseTransitionReason.case_id == cid)).all()
        assert [(x.version, x.reason) for x in stored] == [(2, REASON)]
        assert audit.verify(s).ok
    (entry,) = _transition_entries(rt, cid)
    assert "reason" in json.loads(entry.fields) and REASON not in entry.fields  # named, never its value
    _login(client, "gtm_officer")
    for lang, label in (("es", "Motivo"), ("en", "Reason")):
        page = client.get(f"/cases/c/{cid}?lang={lang}").text
        history = page[page.index('id="history"'):]
        assert f"{label}: <q class=\"cases-reason\">{REASON}</q>" in history, lang


def test_page_transition_with_a_reason_and_one_too_long(client, rt, seeded) -> None:
    cid = seeded.cases["gtm_mex_own"]
    _login(client, "gtm_officer")
    token = _token(client, cid)
    for lang, says in (("es", "reason"), ("en", "reason")):
        r = client.post(f"/cases/c/{cid}/transition?lang={lang}",
                        data={"csrf_token": token, "version": "1", "to": "assessment", "reason": "x" * (MAX_REASON + 1)})
        assert r.status_code == 422 and says in r.text and str(MAX_REASON) in r.text, (lang, r.text[-800:])
        assert 'id="history"' in r.text  # the case page again, with the message
    es = client.post(f"/cases/c/{cid}/transition?lang=es",
                     data={"csrf_token": token, "version": "1", "to": "assessment", "reason": "x" * 2001}).text
    assert "máximo" in es  # Spanish first: the limit in words
    with rt.sessions() as s:  # nothing half-written: neither the move nor a reason
        assert s.get(Case, cid).status == "open"
        assert s.scalars(select(CaseTransitionReason)).all() == []
    r = client.post(f"/cases/c/{cid}/transition",
                    data={"csrf_token": token, "version": "1", "to": "assessment", "reason": f"  {REASON}  "},
                    follow_redirects=False)
    assert r.status_code == 303
    with rt.sessions() as s:
        assert s.scalars(select(CaseTransitionReason.reason)).all() == [REASON]


def test_refused_or_stale_transitions_store_no_reason(client, rt, seeded) -> None:
    cid = seeded.cases["gtm_mex_own"]
    officer = login(client, "gtm_officer")
    stale = client.post(f"/api/v1/cases/{cid}/transition", json={"version": 7, "to": "assessment", "reason": "x"},
                        headers=officer)
    assert stale.status_code == 409
    refused = client.post(f"/api/v1/cases/{cid}/transition", json={"version": 1, "to": "assessment", "reason": "y"},
                          headers=login(client, "gtm_officer2"))
    assert refused.status_code == 403
    plain = client.post(f"/api/v1/cases/{cid}/transition", json={"version": 1, "to": "assessment"}, headers=officer)
    assert plain.status_code == 200
    with rt.sessions() as s:
        assert s.scalars(select(CaseTransitionReason)).all() == []
        assert audit.verify(s).ok
    assert all("reason" not in json.loads(e.fields) for e in _transition_entries(rt, cid))


def test_erasure_removes_the_reason(client, rt, seeded) -> None:
    head = login(client, "gtm_head")
    cid = seeded.cases["gtm_mex"]
    assert client.post(f"/api/v1/cases/{cid}/transition", json={"version": 1, "to": "assessment",
                                                                 "reason": REASON}, headers=head).status_code == 200
    r = client.post(f"/api/v1/people/{seeded.people['gtm_mex']}/erase", headers=head)
    assert r.status_code == 200, r.text
    with rt.sessions() as s:
        assert s.scalars(select(CaseTransitionReason.reason)).all() == [None]


def test_api_reason_over_the_limit_is_a_bilingual_422_naming_it(client, rt, seeded) -> None:
    cid = seeded.cases["gtm_mex_own"]
    r = client.post(f"/api/v1/cases/{cid}/transition",
                    json={"version": 1, "to": "assessment", "reason": "x" * (MAX_REASON + 1)},
                    headers=login(client, "gtm_officer"))
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert [e["field"] for e in detail["errors"]] == ["reason"] and detail["es"] != detail["en"]
    with rt.sessions() as s:
        assert s.get(Case, cid).status == "open"
