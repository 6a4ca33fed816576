"""Data submissions through the one identity and policy: a provider's broken file stores
nothing, a clean one waits for review, the reviewer sees the changed cells, nobody approves their
own (403, audited), the same file twice makes no second release, and approval publishes a
snapshot at once or at the embargo (injected clock)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from observatorio.cases import accounts
from observatorio.cases.errors import Conflict, Forbidden, Invalid, NotFound
from observatorio.cases.models import AuditEntry, Organisation
from observatorio.cases.runtime import Runtime
from observatorio.cases.submission_models import ProvidedSource, Submission
from observatorio.loading import load_file
from observatorio.store import Store, snapshots
from observatorio.submissions import review
from publish.snapshot_example import FILE, MAPPING, SOURCE, adapter, first_men, men_january

from .conftest import PASSWORD, World, ctx_for

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def setup(rt: Runtime, world: World, tmp_path: Path) -> tuple[World, Path]:
    """Honduras's reception centre provides the example source; a provider there, a regional
    reviewer, and one account that is both (for the four-eyes rule)."""
    with rt.sessions() as s:
        hnd = s.get(Organisation, world.orgs["hnd_reception"])
        regional = s.get(Organisation, world.orgs["regional_io"])
        assert hnd is not None and regional is not None
        s.add(ProvidedSource(organisation_id=hnd.id, source=SOURCE, mapping=MAPPING.read_text("utf-8")))
        for name, grants in {"hnd_provider": [(hnd, "provider")], "reviewer": [(regional, "reviewer")],
                             "both": [(hnd, "provider"), (regional, "reviewer")]}.items():
            world.users[name] = accounts.add_user(s, name, PASSWORD, rt.config, grants).id
        s.commit()
    db = tmp_path / "var" / "observatorio.duckdb"
    with Store.open(db) as store:
        load_file(store, adapter(), FILE)
    snapshots.enable(db)
    return world, db


def upload(world: World, content: bytes, name: str = "retornados.csv") -> review.Upload:
    return review.Upload(world.orgs["hnd_reception"], SOURCE, name, content, release=dt.date(2023, 8, 15))


def revised() -> bytes:
    text = FILE.read_bytes().decode("latin-1").splitlines(keepends=True)
    header = next(i for i, line in enumerate(text) if line.startswith("A"))
    cells = text[header + 1].split(";")
    cells[4] = str(first_men() * 2)
    text[header + 1] = ";".join(cells)
    return "".join(text).encode("latin-1")


def broken() -> bytes:
    text = FILE.read_bytes().decode("latin-1").splitlines(keepends=True)
    header = next(i for i, line in enumerate(text) if line.startswith("A"))
    cells = text[header + 2].split(";")
    cells[4] = "muchos"
    text[header + 2] = ";".join(cells)
    return "".join(text).encode("latin-1")


def count(rt: Runtime) -> int:
    with rt.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(Submission)) or 0)


def test_broken_file_reports_row_and_column_and_stores_nothing(rt: Runtime, setup: tuple[World, Path]) -> None:
    world, db = setup
    with rt.sessions() as s:
        result = review.submit(ctx_for(s, world, "hnd_provider"), upload(world, broken()))
    assert result.submission is None and count(rt) == 0
    problem = result.problems.items[0]
    assert (problem.row, problem.column, problem.value) == (7, "Hombres", "muchos")
    assert "Hombres" in result.problems.render("en")
    assert len(snapshots.snapshots(db)) == 1


def test_review_shows_changed_cells_and_four_eyes_and_embargo(rt: Runtime, setup: tuple[World, Path]) -> None:
    world, db = setup
    before = men_january(db)
    with rt.sessions() as s:
        sub = review.submit(ctx_for(s, world, "both"), upload(world, revised())).submission
        assert sub is not None and sub.status == review.PENDING
        sub_id = sub.id
    with rt.sessions() as s, pytest.raises(Conflict):  # the same file again
        review.submit(ctx_for(s, world, "hnd_provider"), upload(world, revised(), "again.csv"))
    with rt.sessions() as s:
        view = review.review_view(ctx_for(s, world, "reviewer"), sub_id, db)
    assert view.changes.revised == 1 and view.changes.gone == 0 and view.changes.new_periods == []
    cell = view.changes.cells[0]
    assert (cell.old_value, cell.new_value) == (first_men(), 2 * first_men())
    # the uploader holds the reviewer role too: still refused, and on the audit chain
    with rt.sessions() as s, pytest.raises(Forbidden):
        review.decide(ctx_for(s, world, "both"), sub_id, review.Decision(True, "ok"), db, NOW)
    with rt.sessions() as s:
        denied = s.scalars(select(AuditEntry).where(AuditEntry.action == "submission.review",
                                                     AuditEntry.outcome == "denied")).all()
        assert [e.record_id for e in denied] == [str(sub_id)]
    with rt.sessions() as s, pytest.raises(Forbidden):  # a provider does not review
        review.decide(ctx_for(s, world, "hnd_provider"), sub_id, review.Decision(True, "ok"), db, NOW)
    with rt.sessions() as s, pytest.raises(NotFound):  # another organisation's provider cannot see it
        review.readable(ctx_for(s, world, "gtm_officer"), sub_id)
    # an embargo already past (a mistyped year) is refused, not read as "publish now"
    with rt.sessions() as s, pytest.raises(Invalid) as past:
        review.decide(ctx_for(s, world, "reviewer"), sub_id,
                      review.Decision(True, "ok", "", NOW - dt.timedelta(days=365)), db, NOW)
    assert "ya pasó" in past.value.es and "has passed" in past.value.en
    assert men_january(snapshots.in_force(db, NOW)) == before  # nothing published
    embargo = NOW + dt.timedelta(hours=3)
    with rt.sessions() as s:
        decided = review.decide(ctx_for(s, world, "reviewer"), sub_id,
                                review.Decision(True, "Cifras revisadas", "Revisión de enero", embargo), db, NOW)
        assert decided.status == review.SCHEDULED and decided.release_notes == "Revisión de enero"
    assert men_january(snapshots.in_force(db, NOW)) == before
    assert men_january(snapshots.in_force(db, embargo)) == before + first_men()
    with rt.sessions() as s, pytest.raises(Conflict):  # decided once
        review.decide(ctx_for(s, world, "reviewer"), sub_id, review.Decision(False, "no"), db, NOW)


def test_reject_needs_a_comment_and_publishes_nothing(rt: Runtime, setup: tuple[World, Path]) -> None:
    world, db = setup
    with rt.sessions() as s:
        sub = review.submit(ctx_for(s, world, "hnd_provider"), upload(world, revised())).submission
        assert sub is not None
        sub_id = sub.id
    with rt.sessions() as s, pytest.raises(Invalid):
        review.decide(ctx_for(s, world, "reviewer"), sub_id, review.Decision(False, " "), db, NOW)
    with rt.sessions() as s:
        assert review.decide(ctx_for(s, world, "reviewer"), sub_id,
                             review.Decision(False, "Falta marzo"), db, NOW).status == review.REJECTED
    assert len(snapshots.snapshots(db)) == 1


def test_only_its_own_sources_and_only_providers(rt: Runtime, setup: tuple[World, Path]) -> None:
    world, _ = setup
    with rt.sessions() as s, pytest.raises(Invalid, match="does not provide"):
        review.submit(ctx_for(s, world, "hnd_provider"),
                      review.Upload(world.orgs["hnd_reception"], "worldbank_population", "x.csv", b"a"))
    with rt.sessions() as s, pytest.raises(Forbidden):
        review.submit(ctx_for(s, world, "reviewer"), upload(world, revised()))


@pytest.mark.parametrize("backend", ["sqlite"])
def test_operator_declares_a_provided_source_with_its_mapping(rt: Runtime, world: World, db_url: str,
                                                               tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from observatorio.cli import app

    org = str(world.orgs["hnd_reception"])
    runner = CliRunner()
    done = runner.invoke(app, ["submissions", "provide", org, SOURCE, "--mapping", str(MAPPING), "--url", db_url])
    assert done.exit_code == 0, done.output
    wrong = runner.invoke(app, ["submissions", "provide", org, "other_id", "--mapping", str(MAPPING),
                                "--url", db_url])
    assert wrong.exit_code != 0 and "El mapeo declara la fuente «example_hnd_retornados»" in wrong.output  # Spanish: no --lang
    unknown = runner.invoke(app, ["submissions", "provide", org, "no_such_source", "--url", db_url])
    assert unknown.exit_code == 1 and "Traceback" not in unknown.output
    listed = runner.invoke(app, ["submissions", "sources", "--url", db_url])
    assert f"{org}\tCentro de Atención al Migrante Retornado\t{SOURCE}\tmapping" in listed.output
    with rt.sessions() as s:
        provided = s.scalars(select(ProvidedSource)).one()
        assert provided.mapping == MAPPING.read_text("utf-8")
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "submission.provide")).one()
        assert entry.record_id == str(provided.id)


def test_a_new_mapping_file_comes_with_the_upload(rt: Runtime, setup: tuple[World, Path]) -> None:
    from observatorio.sources.mapping import MappingInvalid

    world, _ = setup
    text = MAPPING.read_text("utf-8").replace(f"id: {SOURCE}", "id: hnd_retornados_nuevo")
    with rt.sessions() as s:
        sub = review.submit(ctx_for(s, world, "hnd_provider"), review.Upload(
            world.orgs["hnd_reception"], "", "retornados.csv", FILE.read_bytes(), text)).submission
        assert sub is not None and sub.source == "hnd_retornados_nuevo" and sub.mapping == text
    broken_mapping = text.replace("  freq: M", "  freq: semanal")
    with rt.sessions() as s, pytest.raises(MappingInvalid) as caught:
        review.submit(ctx_for(s, world, "hnd_provider"), review.Upload(
            world.orgs["hnd_reception"], "", "retornados.csv", FILE.read_bytes(), broken_mapping))
    assert caught.value.problems.items[0].row is not None  # the mapping's line
    assert count(rt) == 1
