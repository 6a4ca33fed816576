"""The case's audit trail reads as words: times in the reader's language with UTC said, actions
by their catalogue label, the raw stamp and code kept beside them for auditors."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from observatorio.cases.audit_labels import action_label, when_text
from observatorio.cases.models import AuditEntry

from .test_officer_web import _login


@pytest.mark.parametrize(("ts", "lang", "shown"), [
    ("2026-12-05T14:03:27.123456Z", "es", "5 dic 2026, 14:03 UTC"),
    ("2026-12-05T14:03:27.123456Z", "en", "5 Dec 2026, 14:03 UTC"),
    ("2026-01-31T23:59:59+00:00", "es", "31 ene 2026, 23:59 UTC"),
    ("2026-05-01T01:30:00-06:00", "en", "1 May 2026, 07:30 UTC"),  # another offset: said in UTC
    ("2026-05-01T07:30:00", "es", "1 may 2026, 07:30 UTC"),  # no offset: stored instants are UTC
    ("not a time", "es", "not a time"),  # shown as stored, never hidden
])
def test_times_are_said_in_the_readers_language_in_utc(ts: str, lang: str, shown: str) -> None:
    assert when_text(ts, lang) == shown


def test_actions_are_named_in_both_languages_and_an_unknown_code_keeps_its_code() -> None:
    assert action_label("case.read", "es") == "Lectura del caso"
    assert action_label("case.read", "en") == "Case read"
    assert action_label("case.no_such_action", "es") == "case.no_such_action"


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_trail_page_shows_labels_and_local_times_and_keeps_the_codes(client, rt, seeded, lang) -> None:
    cid = seeded.cases["gtm_mex_own"]
    _login(client, "gtm_officer")
    client.get(f"/cases/c/{cid}")
    _login(client, "gtm_head")
    page = client.get(f"/cases/c/{cid}/trail?lang={lang}")
    assert page.status_code == 200
    with rt.sessions() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.record_type == "case",
                                                     AuditEntry.record_id == str(cid))).all()
    assert entries
    for e in entries:
        stamp = dt.datetime.fromisoformat(e.ts)
        shown = re.search(rf'<time datetime="{re.escape(e.ts)}">(.*?)</time>', page.text)
        assert shown and re.sub(r"<[^>]+>", "", shown.group(1)) == when_text(e.ts, lang)
        assert when_text(e.ts, lang).startswith(f"{stamp.day} ") and when_text(e.ts, lang).endswith(" UTC")
        assert (f'<span title="{e.action}">{action_label(e.action, lang)}</span> '
                f'<code class="cases-audit-code">{e.action.replace(".", ".<wbr>")}</code>') in page.text
    assert not re.search(r"<td>\d{4}-\d\d-\d\dT", page.text)  # no raw ISO stamp as the cell's text
    assert ("Lectura del caso" in page.text) == (lang == "es") and ("Case read" in page.text) == (lang == "en")
