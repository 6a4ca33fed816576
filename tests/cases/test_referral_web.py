"""Referral pages: consent and referral forms, the receiver's minimised view and answer, the
inbox; CSRF refused on every form, stored XSS escaped, formula injection neutralised in the CSV."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import func, select

from observatorio.cases.referral_models import Referral, ReferralConsent
from observatorio.cases.referral_schemas import CONSENT_WITHDRAWN

from .test_officer_web import XSS, _login
from .test_web import _csrf

FORMULA = "=HYPERLINK(\"http://evil.example\",\"clic\")"


def _open_child_case(client, given: str = "Niño") -> int:
    token = _csrf(client.get("/cases/people/new").text)
    r = client.post("/cases/people/new", data={"given_names": given, "nationality": "GTM", "csrf_token": token},
                    follow_redirects=False)
    pid = int(re.search(r"person_id=(\d+)", r.headers["location"]).group(1))
    r = client.post("/cases/c/new", data={"person_id": str(pid), "case_type": "unaccompanied_child",
                                          "csrf_token": token}, follow_redirects=False)
    return int(r.headers["location"].split("/")[-1].split("?")[0])


def _consent_and_refer(client, world, cid: int, text: str, **extra: str) -> int:
    token = _csrf(client.get(f"/cases/c/{cid}/refer").text)
    r = client.post(f"/cases/c/{cid}/consents", data={
        "given_by": "guardian", "guardian_name": text, "given_at": "2026-12-01T10:30", "given_to": text,
        "purpose": text, "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get(f"/cases/c/{cid}/refer").text
    consent_id = re.search(r'<option value="(\d+)" selected>#', page).group(1)
    r = client.post(f"/cases/c/{cid}/referrals", data={
        "to_organisation_id": str(world.orgs["gtm_child"]), "profile": "child_protection",
        "services": ["child_protection", "family_tracing"], "reason": text, "consent_id": consent_id,
        "csrf_token": token, "confirmed": "yes", **extra}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return cid


def test_forms_refuse_missing_or_forged_csrf(client, rt, world) -> None:
    _login(client, "gtm_officer")
    cid = _open_child_case(client)
    _consent_and_refer(client, world, cid, "motivo")
    with rt.sessions() as s:
        rid, consent_id = s.scalar(select(Referral.id)), s.scalar(select(ReferralConsent.id))
        before = s.scalar(select(func.count()).select_from(Referral))
    forms = [(f"/cases/c/{cid}/consents", {"given_by": "person", "given_at": "2026-12-01T10:00",
                                          "given_to": "x", "purpose": "y"}),
             (f"/cases/c/{cid}/referrals", {"to_organisation_id": str(world.orgs["hnd_reception"]),
                                           "profile": "legal_aid", "services": "legal", "reason": "r",
                                           "consent_id": str(consent_id)}),
             (f"/cases/c/{cid}/consents/{consent_id}/withdraw", {})]
    receiver_forms = [(f"/cases/referrals/{rid}/answer", {"decision": "accept"}),
                      (f"/cases/referrals/{rid}/complete", {}), ("/cases/inbox/1/read", {})]
    for user, batch in (("gtm_officer", forms), ("gtm_protection", receiver_forms)):
        _login(client, user)
        for url, data in batch:
            for token, step in [(t, c) for t in (None, "f" * 64) for c in ({}, {"confirmed": "yes"})]:
                body = dict(data) | step | ({"csrf_token": token} if token else {})
                assert client.post(url, data=body, follow_redirects=False).status_code == 403, (url, step)
    with rt.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Referral)) == before
        assert s.scalar(select(func.count()).select_from(ReferralConsent)) == 1
        assert s.scalar(select(ReferralConsent.withdrawn_at)) is None
        assert s.scalar(select(Referral.status)) == "pending"


def test_stored_xss_is_escaped_on_every_referral_page(client, rt, world) -> None:
    _login(client, "gtm_officer")
    cid = _open_child_case(client, XSS)
    _consent_and_refer(client, world, cid, XSS)
    pages = [f"/cases/c/{cid}", f"/cases/c/{cid}/refer"]
    for page in pages:
        html = client.get(page).text
        assert "<script>alert" not in html and "<img src=x" not in html, page
        assert "&lt;script&gt;" in html, page
    _login(client, "gtm_protection")
    with rt.sessions() as s:
        rid = s.scalar(select(Referral.id))
    token = _csrf(client.get(f"/cases/referrals/{rid}").text)
    assert client.post(f"/cases/referrals/{rid}/answer", data={"decision": "decline", "reason": XSS,
                                                              "csrf_token": token, "confirmed": "yes"},
                       follow_redirects=False).status_code == 303
    for page in (f"/cases/referrals/{rid}", "/cases/work", "/cases/inbox"):
        html = client.get(page).text
        assert "<script>alert" not in html and "<img src=x" not in html, page
    assert "&lt;script&gt;" in client.get(f"/cases/referrals/{rid}").text
    # a refused form shows the error without echoing markup
    r = client.post(f"/cases/c/{cid}/referrals", data={"to_organisation_id": "1", "profile": XSS,
                                                       "services": XSS, "reason": XSS, "csrf_token": token})
    assert r.status_code in (403, 404, 422) and "<script>alert" not in r.text


def test_receiver_answers_on_the_page_and_the_csv_neutralises_formulas(client, rt, world) -> None:
    _login(client, "gtm_officer")
    cid = _open_child_case(client, "Rosa")
    _consent_and_refer(client, world, cid, FORMULA)
    _login(client, "gtm_protection")
    work = client.get("/cases/work").text
    m = re.search(r'href="/cases/referrals/(\d+)\?lang=es">', work)
    assert m, work
    page = client.get(f"/cases/referrals/{m.group(1)}").text
    assert "Rosa" in page and "Aceptar" in page  # the profile's fields, and the answer form
    assert "Avisos sin leer: 1" in work
    inbox = client.get("/cases/inbox").text
    assert "Nueva remisión recibida" in inbox
    notice = re.search(r'action="(/cases/inbox/\d+/read)\?lang=es"', inbox).group(1)
    assert client.post(notice, data={"csrf_token": _csrf(inbox)}, follow_redirects=False).status_code == 303
    assert "Avisos sin leer" not in client.get("/cases/work").text
    token = _csrf(page)
    r = client.post(f"/cases/referrals/{m.group(1)}/answer", data={"decision": "decline", "csrf_token": token})
    assert r.status_code == 422 and "motivo" in r.text  # a decline needs its reason, said in words
    rows = list(csv.reader(io.StringIO(client.get("/cases/referrals/incoming.csv").text)))
    assert rows[0][:2] == ["id", "reference"]
    reason = rows[1][rows[0].index("reason")]
    assert reason == "'" + FORMULA
    # a user of a third country sees nothing of it: 404, audited as denied
    _login(client, "hnd_head")
    assert client.get(f"/cases/referrals/{m.group(1)}").status_code == 404
    assert client.get(f"/cases/c/{cid}").status_code == 404
    assert len(list(csv.reader(io.StringIO(client.get("/cases/referrals/incoming.csv").text)))) == 1


def test_out_of_range_ids_are_a_page_not_a_500(client, rt, world) -> None:
    _login(client, "gtm_officer")
    token = _csrf(client.get("/cases/work").text)
    huge = 2**40
    for url in (f"/cases/c/{huge}/refer", f"/cases/referrals/{huge}"):
        assert client.get(url).status_code == 404, url
    for url in (f"/cases/c/{huge}/consents", f"/cases/c/{huge}/referrals", f"/cases/c/1/consents/{huge}/withdraw",
                f"/cases/referrals/{huge}/answer", f"/cases/referrals/{huge}/complete", f"/cases/inbox/{huge}/read"):
        r = client.post(url, data={"csrf_token": token}, follow_redirects=False)
        assert r.status_code == 404 and "No existe" in r.text, url


def test_withdraw_and_complete_buttons(client, rt, world) -> None:
    _login(client, "gtm_officer")
    cid = _open_child_case(client)
    _consent_and_refer(client, world, cid, "motivo")
    _login(client, "gtm_protection")
    with rt.sessions() as s:
        rid = s.scalar(select(Referral.id))
    page = client.get(f"/cases/referrals/{rid}").text
    client.post(f"/cases/referrals/{rid}/answer", data={"decision": "accept", "csrf_token": _csrf(page),
                                                        "confirmed": "yes"})
    page = client.get(f"/cases/referrals/{rid}").text
    assert "Marcar como completada" in page
    _login(client, "gtm_officer")
    case_page = client.get(f"/cases/c/{cid}").text
    withdraw = re.search(r'action="(/cases/c/\d+/consents/\d+/withdraw)\?lang=es"', case_page).group(1)
    asked = client.post(withdraw, data={"csrf_token": _csrf(case_page)}, follow_redirects=False)
    assert asked.status_code == 200 and "Confirmar el retiro" in asked.text  # asked first
    r = client.post(withdraw, data={"csrf_token": _csrf(case_page), "confirmed": "yes"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("#referrals")
    assert "Retirada (consentimiento retirado)" in client.get(f"/cases/c/{cid}").text
    _assert_withdrawal_reason_in_the_readers_language(client, rt, cid, rid)
    _login(client, "gtm_protection")
    page = client.get(f"/cases/referrals/{rid}").text
    assert "Niño" not in page and "Marcar como completada" not in page  # the access it granted ended
    r = client.post(f"/cases/referrals/{rid}/complete", data={"csrf_token": _csrf(page), "confirmed": "yes"})
    assert r.status_code == 409 and "aceptada" in r.text


def _assert_withdrawal_reason_in_the_readers_language(client, rt, cid: int, rid: int) -> None:  # type: ignore[no-untyped-def]
    """The reason stored on withdrawal is a marker, not a text in both languages: each page shows
    it in its reader's language, the API in both (as its texts are); a row from before, holding the
    bilingual text itself, still reads as it is."""
    with rt.sessions() as s:
        assert s.get(Referral, rid).response_reason == CONSENT_WITHDRAWN
    es, en = client.get(f"/cases/c/{cid}?lang=es").text, client.get(f"/cases/c/{cid}?lang=en").text
    assert ": consentimiento retirado</li>" in es and "consent withdrawn" not in es
    assert ": consent withdrawn</li>" in en and "consentimiento retirado" not in en
    assert "@consent" not in es + en
    with rt.sessions() as s:
        s.get(Referral, rid).response_reason = "consentimiento retirado / consent withdrawn"  # an old row
        s.commit()
    assert ": consentimiento retirado / consent withdrawn</li>" in client.get(f"/cases/c/{cid}?lang=en").text
    with rt.sessions() as s:
        s.get(Referral, rid).response_reason = CONSENT_WITHDRAWN
        s.commit()


def test_receiver_reads_every_referred_field_in_its_language(client, rt, world) -> None:
    """The child-protection profile's person fields, named and valued in the reader's language:
    the receiver read the raw ``estimated_age`` and ``female`` in both."""
    _login(client, "gtm_officer")
    token = _csrf(client.get("/cases/people/new").text)
    r = client.post("/cases/people/new", data={"given_names": "Lucía", "nationality": "GTM", "sex": "female",
                                               "csrf_token": token}, follow_redirects=False)
    pid = int(re.search(r"person_id=(\d+)", r.headers["location"]).group(1))
    r = client.post("/cases/c/new", data={"person_id": str(pid), "case_type": "unaccompanied_child",
                                          "csrf_token": token}, follow_redirects=False)
    cid = int(r.headers["location"].split("/")[-1].split("?")[0])
    _consent_and_refer(client, world, cid, "búsqueda familiar")
    _login(client, "gtm_protection")
    rid = re.search(r'href="/cases/referrals/(\d+)\?lang=es">', client.get("/cases/work").text).group(1)
    for lang, age, sex in (("es", "Edad estimada", "Mujer"), ("en", "Estimated age", "Female")):
        page = client.get(f"/cases/referrals/{rid}?lang={lang}").text
        assert f"<dt>{age}</dt>" in page and f"<dd>{sex}</dd>" in page, lang
        assert "estimated_age" not in page and "<dd>female</dd>" not in page, lang
        # the tab says the reference the officer works with, as the heading does, not the row id
        title, heading = re.search(r"<title>(.*?) ·", page).group(1), re.search(r"<h1>(.*?)</h1>", page).group(1)
        assert title == heading and re.search(r"[A-Z]{3}-\d{4}-", title), (title, heading)
