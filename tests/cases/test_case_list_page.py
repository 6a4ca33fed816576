"""The case list page's own read (cases/case_list_page.py) against the use-case it stands in for
(case_records.list_cases): the same cases in the same order, the same total and the same audit entries,
for every role, filter, sort and page; and the filter form's kept choices (list_filters.choices),
never shared between users nor outliving a changed membership."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from observatorio.cases import case_records, case_writes, list_filters
from observatorio.cases.case_list_page import read_case_list
from observatorio.cases.models import AuditEntry, Membership
from observatorio.cases.schemas import CaseShareIn

from .conftest import USERS, ctx_for
from .test_officer_web import _login
from .test_roundtrips import statements


def _entries_after(session, last_id: int) -> list[tuple]:
    return [(e.action, e.record_type, e.record_id, e.fields, e.organisation_id, e.outcome, e.actor_id)
            for e in session.scalars(select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id))]


def _last_id(session) -> int:
    return session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) or 0


def _both(rt, seeded, username: str, **kwargs) -> tuple[tuple, tuple]:
    """(ids, total, audit entries) of list_cases and of read_case_list, same user and arguments."""
    out = []
    for read in (case_records.list_cases, read_case_list):
        with rt.sessions() as s:
            before = _last_id(s)
            page = read(ctx_for(s, seeded.world, username), **kwargs)
            out.append(([c.id for c in page.items], page.total, page.limit, page.offset, _entries_after(s, before)))
    return out[0], out[1]


@pytest.mark.parametrize("username", sorted(USERS))
def test_same_cases_total_and_audit_as_list_cases_for_every_role(rt, seeded, username) -> None:
    with rt.sessions() as s:  # a second share, so a listed case joins two shares onto the page
        case_writes.share_case(ctx_for(s, seeded.world, "hnd_head"), seeded.cases["hnd_shared"],
                           CaseShareIn(organisation_id=seeded.world.orgs["mex_ngo"]))
    old, new = _both(rt, seeded, username, limit=50)
    assert new == old


@pytest.mark.parametrize("kwargs", [
    {"limit": 2, "offset": 0}, {"limit": 2, "offset": 2}, {"limit": 2, "offset": 4}, {"limit": 2, "offset": 40},
    {"sort": "reference", "limit": 3}, {"sort": "opened_at", "limit": 3, "offset": 1}, {"sort": "status"},
    {"sort": "risk_level", "limit": 1}, {"q": "caso hnd"}, {"country": "HND"}, {"status": "closed"},
])
def test_same_as_list_cases_with_filters_sorts_and_pages(rt, seeded, kwargs) -> None:
    old, new = _both(rt, seeded, "gtm_supervisor", **kwargs)  # country scope and a shared case
    assert new == old
    old, new = _both(rt, seeded, "hnd_head", **kwargs)  # the sharing consulate
    assert new == old


def test_a_user_without_the_read_grant_gets_the_same_audited_refusal(rt, seeded) -> None:
    old, new = _both(rt, seeded, "stats_publisher")
    assert new == old and new[0] == [] and new[4] and all(e[5] == "denied" for e in new[4])


def _options(html: str, name: str) -> str:
    start = html.index(f'name="{name}"')
    return html[start:html.index("</select>", start)]


def test_kept_choices_are_never_another_users(client, rt, seeded) -> None:
    _login(client, "gtm_supervisor")  # every Guatemalan organisation's cases
    wide = _options(client.get("/cases/").text, "organisation_id")
    assert f'value="{seeded.world.orgs["gtm_consulate_usa"]}"' in wide
    _login(client, "gtm_officer")  # right after, same process: only the Tapachula consulate's reach
    narrow = _options(client.get("/cases/").text, "organisation_id")
    assert f'value="{seeded.world.orgs["gtm_consulate_usa"]}"' not in narrow
    assert f'value="{seeded.world.orgs["gtm_consulate_mex"]}"' in narrow
    _login(client, "gtm_supervisor")
    assert _options(client.get("/cases/").text, "organisation_id") == wide


def test_a_changed_membership_reads_the_choices_again(client, rt, seeded) -> None:
    _login(client, "gtm_officer")
    before = client.get("/cases/").text
    ngo = f'value="{seeded.world.orgs["mex_ngo"]}"'
    assert ngo not in _options(before, "organisation_id")
    with rt.sessions() as s:  # a second membership: the NGO's cases come into reach
        s.add(Membership(user_id=seeded.world.users["gtm_officer"], organisation_id=seeded.world.orgs["mex_ngo"],
                         role="consular_officer"))
        s.commit()
    assert ngo in _options(client.get("/cases/").text, "organisation_id")  # well within the choices' 30 s


def test_choices_are_read_again_after_their_time(client, rt, seeded, monkeypatch) -> None:
    _login(client, "gtm_head")

    def choice_reads() -> int:  # the choices' statement selects the distinct countries first
        with statements(rt) as seen:
            assert client.get("/cases/").status_code == 200
        return sum(x.startswith("SELECT DISTINCT case_file.country") for x in seen)

    assert choice_reads() == 1
    assert choice_reads() == 0
    monkeypatch.setattr(list_filters.KEPT_CHOICES, "ttl", 0.0)
    assert choice_reads() == 1
