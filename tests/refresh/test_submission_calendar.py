"""Issue #16 item 4: each source declares its cadence and lag (sources/calendar.yaml); the
observatory lists what is due and overdue per country and organisation, reminds providers by
e-mail (a real SMTP server, aiosmtpd, on 127.0.0.1; no personal data in the body) and the public
calendar page shows it in both languages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from observatorio.cases import directory
from observatorio.cases.directory_schemas import OrganisationIn
from observatorio.cli import app
from observatorio.loading import load_file
from observatorio.settings import Settings, get_settings
from observatorio.sources.base import get_adapter
from observatorio.sources.submission_calendar import (
    DUE,
    OVERDUE,
    CalendarError,
    Expectation,
    bundled_calendar,
    expectation_for,
    parse_calendar,
    slot,
)
from observatorio.store import Store
from registry_world import SECRET, app_database, editor_ctx, runtime

from .test_failure_mail import _Inbox, inbox  # noqa: F401  (the real SMTP server fixture)

CBP = "cbp_sw_land_border_encounters"  # bundled file: monthly, last month 2025-08
runner = CliRunner()


def _ships_files(adapter: Any, data: Path) -> bool:
    """Whether the adapter's files are in the data folder (an example mapping's are beside it)."""
    try:
        paths = adapter.bundled_paths(data)
    except (OSError, ValueError, NotImplementedError):
        return False
    return all(p.is_file() and p.resolve().is_relative_to(data.resolve()) for p in paths)


def test_every_bundled_source_has_a_calendar_entry_and_every_provider_is_in_the_seed() -> None:
    from observatorio.sources.base import all_adapters

    data = get_settings().data_path
    # the bundled sources (another test may have registered an example mapping in this process)
    bundled = [a for a in all_adapters() if _ships_files(a, data)]
    missing = [a.info.id for a in bundled if expectation_for(a.info.id) is None]
    assert missing == []
    seeded = {o.slug for o in directory.bundled_seed().organisations}
    assert {e.provider for e in bundled_calendar().values()} <= seeded


def test_due_and_overdue_follow_cadence_lag_and_grace() -> None:
    monthly = Expectation(cadence="monthly", lag_months=1, provider="us-cbp", country="USA")
    # last period August 2025 → September expected from 1 November (end of September + 1 month)
    assert slot(CBP, date(2025, 8, 1), date(2025, 10, 31), monthly).status == "current"
    due = slot(CBP, date(2025, 8, 1), date(2025, 11, 1), monthly)
    assert (due.next_period, due.due_on, due.status) == (date(2025, 9, 1), date(2025, 11, 1), DUE)
    assert slot(CBP, date(2025, 8, 1), date(2025, 12, 1), monthly).status == OVERDUE
    annual = Expectation(cadence="annual", lag_months=6, provider="unhcr")
    # 2023 data → 2024 expected from July 2025, overdue from October 2025
    assert slot("unhcr_x", date(2023, 1, 1), date(2025, 7, 1), annual).status == DUE
    assert slot("unhcr_x", date(2023, 1, 1), date(2025, 10, 1), annual).status == OVERDUE


def test_a_bad_calendar_names_the_entry_and_field() -> None:
    with pytest.raises(CalendarError) as err:
        parse_calendar("cbp: {cadence: weekly, lag_months: 1, provider: us-cbp}\n")
    assert "cbp.cadence" in err.value.message("en") and "cbp.cadence" in err.value.message("es")


@pytest.fixture
def world(tmp_path: Path, data_dir: Path) -> Iterator[Settings]:
    """A store with the CBP file loaded, and a directory whose CBP entry has a mailbox."""
    db = tmp_path / "store.duckdb"
    with Store.open(db) as store:
        adapter = get_adapter(CBP)
        load_file(store, adapter, adapter.bundled_path(data_dir))
    url = app_database(tmp_path)
    rt = runtime(url)
    ctx = editor_ctx(rt)
    directory.load_seed(ctx)
    cbp = next(o for o in directory.bundled_seed().organisations if o.slug == "us-cbp")
    directory.save_organisation(ctx, OrganisationIn(**(cbp.model_dump() | {"data_contact": "data@cbp.example"})))
    ctx.session.close()
    rt.close()
    yield Settings(db=db, cases_db=url, secret_key=SECRET)


def test_reminder_mailed_to_the_provider_without_personal_data(
        world: Settings, inbox: _Inbox, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("OBSERVATORIO_CASES_DB", world.cases_db or "")
    monkeypatch.setenv("OBSERVATORIO_SECRET_KEY", SECRET)
    from observatorio.settings import get_settings

    get_settings.cache_clear()
    args = ["--db", str(world.db_path), "calendar"]
    listed = runner.invoke(app, [*args, "--today", "2025-12-15"])
    assert listed.exit_code == 0, listed.output
    assert re.search(r"atrasado\s+2025-11-01\s+USA\s+us-cbp\s+cbp_sw_land_border_encounters", listed.output)
    early = runner.invoke(app, [*args, "remind", "--today", "2025-10-15"])
    assert early.exit_code == 0 and inbox.mails == []  # nothing due yet: nobody is mailed
    sent = runner.invoke(app, [*args, "remind", "--today", "2025-12-15", "--site", "https://obs.example"])
    assert sent.exit_code == 0, sent.output
    assert "us-cbp" in sent.output
    [(envelope, mail)] = inbox.mails
    assert envelope.rcpt_tos == ["data@cbp.example"]
    body = mail.get_content()
    assert body.index("Según el calendario") < body.index("According to the observatory")
    assert "cbp_sw_land_border_encounters" in body and "https://obs.example/es/calendario/" in body
    assert "editor" not in body and "Secretaría" not in body  # no user, no account, no person


def test_public_calendar_page_in_both_languages(world: Settings) -> None:
    from observatorio.publish.api.app import create_app

    web = create_app(world)
    web.state.calendar_today = lambda: date(2025, 12, 15)
    with TestClient(web) as client:
        es = client.get("/es/calendario/")
        en = client.get("/en/calendar/")
    assert es.status_code == en.status_code == 200
    assert "Calendario de envíos de datos" in es.text and "Atrasado" in es.text
    assert "Data submission calendar" in en.text and "Overdue" in en.text
    assert "U.S. Customs and Border Protection" in en.text  # the provider's name from the directory
    assert 'data-status="overdue"' in en.text and "data@cbp.example" not in en.text
    assert 'href="/en/calendar/"' in es.text
