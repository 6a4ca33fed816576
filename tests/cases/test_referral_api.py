"""The referral API: every route touching personal data leaves granted audit entries naming the
actor (a route added without a recipe here fails), and odd input is a bilingual 4xx, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from observatorio.cases import audit
from observatorio.cases.models import AuditEntry
from observatorio.cases.referral_api import router

from .conftest import login

CONSENT = {"given_by": "person", "given_at": "2026-12-01T10:00:00Z", "given_to": "Consulado",
           "purpose": "remisión a protección"}


def _setup(client: Any, seeded: Any) -> dict[str, Any]:
    """A case of gtm_head with consent and a pending referral to the child-protection agency."""
    h = login(client, "gtm_head")
    case = seeded.cases["gtm_mex"]
    consent = client.post(f"/api/v1/cases/{case}/consents", json=CONSENT, headers=h).json()["id"]
    referral = client.post(f"/api/v1/cases/{case}/referrals", headers=h, json={
        "to_organisation_id": seeded.world.orgs["gtm_child"], "profile": "child_protection",
        "services": ["child_protection"], "reason": "NNA", "consent_id": consent}).json()["id"]
    return {"case": case, "consent": consent, "referral": referral}


Recipe = tuple[str, Callable[[Any, dict[str, Any], Any, dict[str, str]], Any]]
RECIPES: dict[tuple[str, str], Recipe] = {
    ("POST", "/api/v1/cases/{case_id}/consents"): ("gtm_head", lambda c, x, s, h: c.post(
        f"/api/v1/cases/{x['case']}/consents", json=CONSENT, headers=h)),
    ("GET", "/api/v1/cases/{case_id}/consents"): ("gtm_head", lambda c, x, s, h: c.get(
        f"/api/v1/cases/{x['case']}/consents", headers=h)),
    ("POST", "/api/v1/cases/{case_id}/consents/{consent_id}/withdraw"): ("gtm_head", lambda c, x, s, h: c.post(
        f"/api/v1/cases/{x['case']}/consents/{x['consent']}/withdraw", headers=h)),
    ("POST", "/api/v1/cases/{case_id}/referrals"): ("gtm_head", lambda c, x, s, h: c.post(
        f"/api/v1/cases/{x['case']}/referrals", headers=h, json={
            "to_organisation_id": s.world.orgs["hnd_reception"], "profile": "legal_aid", "services": ["legal"],
            "reason": "asesoría", "consent_id": x["consent"]})),
    ("GET", "/api/v1/cases/{case_id}/referrals"): ("gtm_head", lambda c, x, s, h: c.get(
        f"/api/v1/cases/{x['case']}/referrals", headers=h)),
    ("GET", "/api/v1/referrals"): ("gtm_protection", lambda c, x, s, h: c.get("/api/v1/referrals", headers=h)),
    # the receiver's notice of the referral carries its case's reference (inbox_view.py)
    ("GET", "/api/v1/notifications"): ("gtm_protection", lambda c, x, s, h: c.get("/api/v1/notifications",
                                                                                   headers=h)),
    ("GET", "/api/v1/referrals/{referral_id}"): ("gtm_protection", lambda c, x, s, h: c.get(
        f"/api/v1/referrals/{x['referral']}", headers=h)),
    ("POST", "/api/v1/referrals/{referral_id}/answer"): ("gtm_protection", lambda c, x, s, h: c.post(
        f"/api/v1/referrals/{x['referral']}/answer", json={"accept": True}, headers=h)),
    ("POST", "/api/v1/referrals/{referral_id}/complete"): ("gtm_protection", lambda c, x, s, h: (
        c.post(f"/api/v1/referrals/{x['referral']}/answer", json={"accept": True}, headers=h),
        c.post(f"/api/v1/referrals/{x['referral']}/complete", headers=h))[1]),
}


def _personal_routes() -> set[tuple[str, str]]:
    out = set()
    for r in router.routes:
        assert isinstance(r, APIRoute)
        extra = r.openapi_extra or {}
        assert "x-personal-data" in extra, f"route {r.path} must declare x-personal-data"
        if extra["x-personal-data"]:
            out |= {(m, r.path) for m in r.methods}
    return out


def test_every_personal_route_has_a_recipe() -> None:
    assert _personal_routes() == set(RECIPES)


@pytest.mark.parametrize("route", sorted(RECIPES))
def test_route_is_audited(client, rt, seeded, route) -> None:
    ids = _setup(client, seeded)
    user, call = RECIPES[route]
    h = login(client, user)
    with rt.sessions() as s:
        before = s.scalar(select(func.max(AuditEntry.id))) or 0
    r = call(client, ids, seeded, h)
    assert r.status_code < 300, r.text
    with rt.sessions() as s:
        new = s.scalars(select(AuditEntry).where(AuditEntry.id > before)).all()
        assert new, f"{route} left no audit entry"
        assert all(e.actor == user and e.source_ip and e.record_id and e.outcome == "granted" for e in new)
        assert audit.verify(s).ok


@pytest.mark.parametrize("backend", ["sqlite"])
def test_odd_input_is_a_bilingual_4xx(client, seeded) -> None:
    ids = _setup(client, seeded)
    h = login(client, "gtm_head")
    for method, url, body in [
        ("GET", f"/api/v1/referrals/{2**63}", None),
        ("POST", f"/api/v1/cases/{ids['case']}/referrals", {"to_organisation_id": 2**40, "profile": "x",
                                                            "services": ["legal"], "reason": "r"}),
        ("POST", f"/api/v1/cases/{ids['case']}/referrals", {"to_organisation_id": 1, "profile": "legal_aid",
                                                            "services": [], "reason": "r"}),
        ("POST", f"/api/v1/cases/{ids['case']}/consents", CONSENT | {"given_at": "2999-01-01T00:00:00Z"}),
        ("POST", f"/api/v1/cases/{ids['case']}/consents", CONSENT | {"given_by": "neighbour"}),
        ("POST", f"/api/v1/cases/{ids['case']}/consents", CONSENT | {"purpose": "a\x00b"}),
        ("POST", f"/api/v1/referrals/{ids['referral']}/answer", {"accept": "maybe"}),
        ("POST", f"/api/v1/notifications/{2**40}/read", None),
        ("POST", "/api/v1/notifications/99999/read", None),
    ]:
        r = client.request(method, url, json=body, headers=h)
        assert 400 <= r.status_code < 500, (url, r.status_code, r.text)
        detail = r.json()["detail"]
        assert detail["es"] and detail["en"], (url, detail)
