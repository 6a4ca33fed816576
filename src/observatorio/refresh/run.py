"""Refresh sources one by one: discover, download politely, validate, and load a new release
only when the content changed, with its change report. One source's failure is recorded and
reported; the others go on. Every store write of a source is one transaction."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from observatorio.errors import ObservatorioError
from observatorio.formula_guard import recorded_name
from observatorio.harmonize.problems import ValidationFailed
from observatorio.i18n import LANGS, fmt_number, t
from observatorio.loading import harmonize_file, store_harmonized
from observatorio.refresh import changes, state
from observatorio.refresh.api_pages import Request, fetch_api_table
from observatorio.refresh.state import FAILED, LOADED, NOT_MODIFIED, UNCHANGED, Attempt, Validators
from observatorio.sources.adapter import Adapter
from observatorio.sources.discovery import (
    ApiSpec,
    FixedSpec,
    LandingPageSpec,
    PackageSpec,
    newest_link,
    newest_tag,
)
from observatorio.sources.fetching import Client, fallback_name, safe_name
from observatorio.store import Store, file_sha256
from observatorio.store.loads import scratch_view

#: A refresh that found new content but, asked not to, loaded nothing (``--dry-run``).
WOULD_LOAD = "would_load"

#: Exit codes of ``observatorio refresh`` (documented in docs/refresh.md).
EXIT_OK, EXIT_CANNOT_START, EXIT_SOME_FAILED, EXIT_ALL_FAILED = 0, 1, 3, 4


class NoDiscovery(ObservatorioError):
    key = "error.discovery_none"


@dataclass
class Outcome:
    """What the refresh of one source did, in both languages."""

    source: str
    result: str
    message: dict[str, str]
    load_id: str | None = None
    report: changes.ChangeReport | None = None
    details: dict[str, list[str]] = field(default_factory=dict)  # lang → change-report lines

    def lines(self, lang: str) -> list[str]:
        return [self.message[lang], *self.details.get(lang, [])]


@dataclass(frozen=True)
class Obtained:
    path: Path
    validators: Validators
    requests: tuple[Request, ...] = ()
    updated: date | None = None


def exit_code(outcomes: list[Outcome]) -> int:
    failed = sum(o.result == FAILED for o in outcomes)
    if failed == 0:
        return EXIT_OK
    return EXIT_ALL_FAILED if failed == len(outcomes) else EXIT_SOME_FAILED


def refresh_all(store: Store, work: Iterable[tuple[Adapter, Any | None]], client: Client, *,
                dry_run: bool = False, on_stage: Callable[[str, str], None] | None = None,
                on_done: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Refresh each (adapter, discovery) in turn; ``on_stage(source, stage)`` reports progress."""
    outcomes = []
    for adapter, spec in work:
        outcome = refresh_source(store, adapter, spec, client, dry_run=dry_run,
                                 on_stage=_stage_of(adapter.info.id, on_stage))
        outcomes.append(outcome)
        if on_done:
            on_done(outcome)
    return outcomes


def _stage_of(source: str, report: Callable[[str, str], None] | None) -> Callable[[str], None]:
    def stage(name: str) -> None:
        if report is not None:
            report(source, name)

    return stage


def refresh_source(store: Store, adapter: Adapter, spec: Any | None, client: Client, *,
                   dry_run: bool = False, on_stage: Callable[[str], object] | None = None) -> Outcome:
    """Refresh one source; never raises for the source's own failures (they are the outcome)."""
    stage = on_stage or (lambda _: None)
    source = adapter.info.id
    try:
        if spec is None:
            raise NoDiscovery(source=source)
        with tempfile.TemporaryDirectory(prefix="observatorio-refresh-") as tmp:
            stage("discover")
            obtained = obtain_newest(client, adapter, spec, state.validators(store, source), Path(tmp))
            if obtained is None:
                return _finish(store, dry_run, Attempt(source, NOT_MODIFIED,
                               *_both("refresh.not_modified", source=source),
                               state.validators(store, source)))
            return _validate_and_load(store, adapter, obtained, dry_run, stage)
    except ObservatorioError as exc:
        reason = {lang: exc.message(lang) for lang in LANGS}
    except Exception as exc:  # noqa: BLE001 - an adapter's bug must not stop the other sources
        reason = {lang: f"{type(exc).__name__}: {exc}" for lang in LANGS}
    return _finish(store, dry_run, Attempt(
        source, FAILED, t("refresh.failed", "es", source=source, reason=reason["es"]),
        t("refresh.failed", "en", source=source, reason=reason["en"])))


def _validate_and_load(store: Store, adapter: Adapter, got: Obtained, dry_run: bool,
                       stage: Callable[[str], object]) -> Outcome:
    source = adapter.info.id
    sha = file_sha256(got.path)
    previous = state.latest_load(store, source)
    if previous is not None and previous.sha256 == sha:
        return _finish(store, dry_run, Attempt(source, UNCHANGED, *_both(
            "refresh.unchanged", source=source, release=previous.release), got.validators))
    stage("validate")
    release = adapter.detect_release(got.path) or got.updated or datetime.now(UTC).date()
    frame, problems, _ = harmonize_file(adapter, got.path, release)
    if problems:
        raise ValidationFailed(problems)
    report = changes.compare(store.con, frame, previous.load_id if previous else None)
    if dry_run:
        outcome = Outcome(source, WOULD_LOAD, _messages("refresh.would_load", source=source, rows=len(frame)))
        outcome.report = report
        outcome.details = {lang: changes.render(report, lang) for lang in LANGS}
        return outcome
    stage("load")

    def also(load_id: str) -> None:
        changes.save(store.con, load_id, source, report)
        _save_requests(store, load_id, got.requests)
        state.record(store.con, Attempt(source, LOADED, *_both(
            "refresh.loaded", source=source, release=release, rows=len(frame)), got.validators, load_id))

    result = store_harmonized(store, adapter, frame, problems, recorded_name(got.path), sha, release,
                              also=also)
    if result.skipped:  # the same file was loaded for this release before (then superseded)
        return _finish(store, dry_run, Attempt(source, UNCHANGED, *_both(
            "refresh.unchanged", source=source, release=release), got.validators))
    message = _messages("refresh.loaded", source=source, release=release, rows=result.rows)
    return Outcome(source, LOADED, message, result.load_id, report,
                   {lang: changes.render(report, lang, result.load_id) for lang in LANGS})


def obtain_newest(client: Client, adapter: Adapter, spec: Any, known: Validators, folder: Path) -> Obtained | None:
    """The newest file of the source in ``folder``; None when the server says it is unchanged."""
    if isinstance(spec, ApiSpec):
        table = fetch_api_table(client, spec, folder / safe_name(f"{adapter.info.id}.api.csv", "api.csv"))
        return Obtained(table.path, Validators(spec.url), table.requests, table.updated)
    if isinstance(spec, LandingPageSpec):
        url, _ = newest_link(spec, client.get_text(spec.url), spec.url)
    elif isinstance(spec, PackageSpec):
        tag = newest_tag(client.get_json(spec.url), spec.url)
        url = spec.file.format(tag=tag, file=adapter.info.filename)
    else:
        assert isinstance(spec, FixedSpec)
        url = spec.url
    ask = known.for_url(url)
    done = client.download(url, folder, fallback_name=fallback_name(adapter), etag=ask.etag,
                           last_modified=ask.last_modified)
    if done is None:
        return None
    return Obtained(done.path, Validators(url, done.etag, done.last_modified))


def _save_requests(store: Store, load_id: str, requests: tuple[Request, ...]) -> None:
    if not requests:
        return
    frame = pd.DataFrame({"load_id": load_id, "first_row": [r.first_row for r in requests],
                          "last_row": [r.last_row for r in requests], "url": [r.url for r in requests]})
    with scratch_view(store.con, "incoming_requests", frame):  # in the load's transaction
        store.con.execute("INSERT INTO load_requests SELECT load_id, first_row, last_row, url "
                          "FROM incoming_requests")


def _both(key: str, **values: Any) -> tuple[str, str]:
    """The message in Spanish and English (the order of Attempt's fields); a number of rows in
    each language's digits («1.936 observaciones», "1,936 observations")."""
    es, en = (t(key, lang, **{name: _digits(value, lang) for name, value in values.items()}) for lang in LANGS)
    return es, en


def _digits(value: Any, lang: str) -> Any:
    return fmt_number(value, lang) if isinstance(value, int) and not isinstance(value, bool) else value


def _messages(key: str, **values: Any) -> dict[str, str]:
    return dict(zip(("es", "en"), _both(key, **values), strict=True))


def _finish(store: Store, dry_run: bool, attempt: Attempt) -> Outcome:
    """Record the attempt (its own small transaction; nothing in a dry run)."""
    if not dry_run:
        with store.transaction():
            state.record(store.con, attempt)
            store.mark_changed()
    return Outcome(attempt.source, attempt.result,
                   {"es": attempt.message_es, "en": attempt.message_en}, attempt.load_id)
