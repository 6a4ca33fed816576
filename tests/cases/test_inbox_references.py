"""The inbox shows each notice's case reference where its reader may see the case (a link where
they may open it), audited as the lists audit a listed case or referral; nobody else sees it. The
notices API (``GET /api/v1/notifications``) follows the same rule and audit."""

from __future__ import annotations

import re

from sqlalchemy import select

from observatorio.cases import notifications
from observatorio.cases.models import AuditEntry, Case
from observatorio.cases.referral_models import Referral

from .conftest import login
from .test_officer_web import _login
from .test_referral_web import _consent_and_refer, _open_child_case
from .test_web import _csrf


def _reference(rt, case_id: int) -> str:
    with rt.sessions() as s:
        return s.scalars(select(Case.reference).where(Case.id == case_id)).one()


def _announce(rt, world, username: str, case_id: int, key: str) -> None:
    with rt.sessions() as s:
        notifications.announce(s, [world.users[username]], "case_assigned", key, case_id=case_id)
        s.commit()


def _entries(rt, actor: str, action: str) -> list[tuple[str, str | None, str, str]]:
    with rt.sessions() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.actor == actor, AuditEntry.action == action)
                         .order_by(AuditEntry.id)).all()
        return [(e.record_type, e.record_id, e.fields, e.outcome) for e in rows]


def test_a_case_notice_shows_its_reference_linked_to_the_case(client, rt, seeded) -> None:
    case_id = seeded.cases["gtm_mex"]
    _announce(rt, seeded.world, "gtm_head", case_id, "case_assigned:test:1")
    _login(client, "gtm_head")
    before = len(_entries(rt, "gtm_head", "case.list"))
    for lang, word in (("es", "Caso"), ("en", "Case")):
        page = client.get(f"/cases/inbox?lang={lang}").text
        ref = _reference(rt, case_id)
        assert f'{word} <a href="/cases/c/{case_id}?lang={lang}">{ref}</a>' in page, page
        assert "Persona gtm_mex" not in page and "caso gtm_mex" not in page  # the reference only
    listed = _entries(rt, "gtm_head", "case.list")[before:]
    assert listed == [("case", str(case_id), '["reference"]', "granted")] * 2  # once per view


def test_a_notice_of_a_case_its_reader_may_not_see_shows_no_reference(client, rt, seeded) -> None:
    # a notice left in the inbox of someone who may not read the case (e.g. after it moved away)
    case_id = seeded.cases["gtm_mex"]
    _announce(rt, seeded.world, "hnd_officer", case_id, "case_assigned:test:2")
    _login(client, "hnd_officer")
    page = client.get("/cases/inbox").text
    assert "Caso asignado a usted" in page  # the notice is there …
    assert _reference(rt, case_id) not in page and 'class="cases-notice-case"' not in page  # … without the case
    with rt.sessions() as s:
        about = s.scalars(select(AuditEntry).where(AuditEntry.actor == "hnd_officer",
                                                   AuditEntry.record_id == str(case_id))).all()
    assert about == []  # nothing shown, nothing read: nothing to record


def test_the_receiver_of_a_referral_sees_its_reference_without_the_case_link(client, rt, world) -> None:
    _login(client, "gtm_officer")
    cid = _consent_and_refer(client, world, _open_child_case(client, "Rosa"), "motivo")
    ref = _reference(rt, cid)
    with rt.sessions() as s:
        rid = s.scalars(select(Referral.id)).one()
    _login(client, "gtm_protection")  # the receiving organisation: may answer, may not read the case
    page = client.get("/cases/inbox").text
    assert "Nueva remisión recibida" in page
    assert f'<span class="cases-notice-case"> — Caso {ref}</span>' in page and f"/cases/c/{cid}" not in page
    assert "Rosa" not in page
    assert ("referral", str(rid), '["reference"]', "granted") in _entries(rt, "gtm_protection", "referral.list")
    # the sender, told the referral was answered, may read the case: its reference links to it
    token = _csrf(client.get(f"/cases/referrals/{rid}").text)
    assert client.post(f"/cases/referrals/{rid}/answer", data={"decision": "accept", "csrf_token": token,
                                                              "confirmed": "yes"},
                       follow_redirects=False).status_code == 303
    _login(client, "gtm_officer")
    page = client.get("/cases/inbox?lang=en").text
    assert "Your referral was answered" in page
    assert re.search(rf'Case <a href="/cases/c/{cid}\?lang=en">{re.escape(ref)}</a>', page), page


def test_a_referral_no_longer_active_shows_its_receiver_no_reference(client, rt, world) -> None:
    # consent withdrawn (or the referral declined, completed): its receiver sees nothing of the case
    _login(client, "gtm_officer")
    cid = _consent_and_refer(client, world, _open_child_case(client, "Rosa"), "motivo")
    ref = _reference(rt, cid)
    with rt.sessions() as s:
        referral = s.scalars(select(Referral)).unique().one()
        referral.status = "withdrawn"
        s.commit()
    _login(client, "gtm_protection")
    page = client.get("/cases/inbox").text
    assert "Nueva remisión recibida" in page  # the notice stays …
    assert ref not in page and 'class="cases-notice-case"' not in page  # … without the case
    assert _entries(rt, "gtm_protection", "referral.list") == []


# -- the same notices through the API (GET /api/v1/notifications): the page's rule and audit ------


def _api_notices(client, username: str) -> list[dict]:
    response = client.get("/api/v1/notifications", headers=login(client, username))
    assert response.status_code == 200, response.text
    return response.json()


def test_the_api_gives_a_case_notice_its_reference_audited_as_the_page_does(client, rt, seeded) -> None:
    case_id = seeded.cases["gtm_mex"]
    _announce(rt, seeded.world, "gtm_head", case_id, "case_assigned:api:1")
    before = len(_entries(rt, "gtm_head", "case.list"))
    [notice] = [n for n in _api_notices(client, "gtm_head") if n["kind"] == "case_assigned"]
    assert notice["case_reference"] == _reference(rt, case_id)
    assert _entries(rt, "gtm_head", "case.list")[before:] == [("case", str(case_id), '["reference"]', "granted")]


def test_the_api_gives_no_reference_to_who_may_not_see_the_case(client, rt, seeded) -> None:
    case_id = seeded.cases["gtm_mex"]
    _announce(rt, seeded.world, "hnd_officer", case_id, "case_assigned:api:2")
    [notice] = [n for n in _api_notices(client, "hnd_officer") if n["kind"] == "case_assigned"]
    assert notice["case_reference"] is None
    assert _reference(rt, case_id) not in str(_api_notices(client, "hnd_officer"))
    with rt.sessions() as s:
        about = s.scalars(select(AuditEntry).where(AuditEntry.actor == "hnd_officer",
                                                   AuditEntry.record_id == str(case_id))).all()
    assert about == []


def test_the_api_gives_the_receiver_of_an_active_referral_its_reference_and_nothing_after(client, rt, world) -> None:
    _login(client, "gtm_officer")
    cid = _consent_and_refer(client, world, _open_child_case(client, "Rosa"), "motivo")
    ref = _reference(rt, cid)
    [notice] = _api_notices(client, "gtm_protection")
    assert notice["case_reference"] == ref and "Rosa" not in str(notice)
    with rt.sessions() as s:
        referral = s.scalars(select(Referral)).unique().one()
        referral.status = "withdrawn"
        s.commit()
    [notice] = _api_notices(client, "gtm_protection")
    assert notice["case_reference"] is None
