"""Retention and data-subject rights: erasure keeps aggregates and a verifiable audit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from observatorio.cases import audit
from observatorio.cases.models import Case, CaseNote, Person
from observatorio.cases.publication.records import case_records
from observatorio.cases.retention import run_retention

from .conftest import login


def _published_counts(session) -> dict[tuple[str, str, object], int]:
    """Cases per country, type and month as the publication run reads them (cases/publication)."""
    records = case_records(session, dt.date.today())
    return records.groupby(["ref_area", "case_type", "period"]).size().to_dict()


def _close(rt, case_id: int, days_ago: int) -> None:
    with rt.sessions() as s:
        s.execute(update(Case).where(Case.id == case_id).values(
            status="closed", closed_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)))
        s.commit()


def test_retention_pseudonymises_only_expired(rt, seeded) -> None:
    _close(rt, seeded.cases["gtm_mex"], days_ago=400)
    _close(rt, seeded.cases["gtm_usa"], days_ago=10)
    with rt.sessions() as s:
        before = _published_counts(s)
        dry = run_retention(s, 365, "k", dry_run=True)
        assert dry.people == [seeded.people["gtm_mex"]]
        report = run_retention(s, 365, "k")
    assert report.people == [seeded.people["gtm_mex"]] and report.cases == 1
    with rt.sessions() as s:
        p = s.get(Person, seeded.people["gtm_mex"])
        assert p is not None and p.given_names is None and p.family_names is None
        assert p.documents == [] and p.pseudonym and p.pseudonym.startswith("P-")
        c = s.get(Case, seeded.cases["gtm_mex"])
        assert c is not None and c.summary is None and c.health_details is None and c.trafficking_details is None
        assert c.case_type == "detention" and c.country == "GTM"  # aggregates survive
        other = s.get(Person, seeded.people["gtm_usa"])
        assert other is not None and other.given_names is not None
        assert _published_counts(s) == before
        assert audit.verify(s).ok
        last = s.scalars(select(audit.AuditEntry).order_by(audit.AuditEntry.id.desc()).limit(1)).one()
        assert last.action == "retention.erase" and last.actor == "system:retention"
    # nothing more is due the second time
    with rt.sessions() as s:
        assert run_retention(s, 365, "k").people == []


def test_export_and_erase_on_request(client, rt, seeded) -> None:
    head = login(client, "gtm_head")
    person = seeded.people["gtm_mex"]
    client.post(f"/api/v1/cases/{seeded.cases['gtm_mex']}/notes", json={"body": "nota"}, headers=head)
    export = client.get(f"/api/v1/people/{person}/export", headers=head).json()
    assert export["person"]["given_names"] == "Persona gtm_mex"
    assert export["cases"][0]["trafficking_details"] == "indicios de trata"
    assert export["notes"][0]["body"] == "nota"
    # a consular officer may not export or erase
    officer = login(client, "gtm_officer")
    assert client.get(f"/api/v1/people/{person}/export", headers=officer).status_code == 403
    assert client.post(f"/api/v1/people/{person}/erase", headers=officer).status_code == 403
    # another country's head cannot even see the person
    assert client.post(f"/api/v1/people/{person}/erase", headers=login(client, "hnd_head")).status_code == 404
    r = client.post(f"/api/v1/people/{person}/erase", headers=head)
    assert r.status_code == 200 and r.json()["cases"] == 1
    after = client.get(f"/api/v1/people/{person}", headers=head).json()
    assert after["erased"] is True and after["given_names"] is None
    with rt.sessions() as s:
        assert all(n.body is None for n in s.scalars(select(CaseNote)))
        assert audit.verify(s).ok
    # an erased person cannot be edited back
    assert client.patch(f"/api/v1/people/{person}", json={"version": after["version"], "given_names": "X"},
                        headers=head).status_code == 409


def test_export_withholds_fields_the_role_lacks(client, seeded) -> None:
    sup = login(client, "gtm_supervisor")
    export = client.get(f"/api/v1/people/{seeded.people['gtm_mex']}/export", headers=sup).json()
    assert export["withheld_fields"] == []


def test_synthetic_cases_never_counted(rt, seeded) -> None:
    with rt.sessions() as s:
        s.execute(update(Case).where(Case.id == seeded.cases["gtm_mex"]).values(synthetic=True))
        s.commit()
        counts = _published_counts(s)
    assert sum(counts.values()) == len(seeded.cases) - 1
