"""The publication run: read the cases, cross-tabulate, suppress, load one release."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.orm import Session

from observatorio.cases.errors import Invalid
from observatorio.cases.models import utcnow
from observatorio.cases.publication.closing import CLOSING_DAYS, require_closed
from observatorio.cases.publication.records import case_records, month_start
from observatorio.cases.publication.returnees import municipality_names, returnee_records
from observatorio.cases.publication.revisions import Versions, revision_keys_for
from observatorio.cases.publication.specs import SPECS, AggregateSpec
from observatorio.cases.publication.suppression import suppress_linked
from observatorio.cases.publication.tables import Table, cross_tabulate
from observatorio.cases.publication.writer import (
    SOURCE_ID,
    SOURCE_META,
    StoreWriter,
    frame_sha256,
    observation_frame,
)
from observatorio.cases.reintegration.records import reintegration_records

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class PublicationResult:
    """What one run published (``skipped``: the same content was already the release)."""

    load_id: str
    release: dt.date
    rows: int
    suppressed: int
    skipped: bool


def parse_period(text: str) -> dt.date:
    """``YYYY-MM`` → the month's first day, or a bilingual error naming the parameter."""
    found = _PERIOD.match(text.strip())
    if found and 1 <= int(found[2]) <= 12 and int(found[1]) >= 1900:
        return dt.date(int(found[1]), int(found[2]), 1)
    raise Invalid(key="cases.refusal.bad_month", value=text[:20])


def check_threshold(threshold: int) -> int:
    if threshold < 1:
        raise Invalid(key="cases.refusal.bad_threshold", threshold=threshold)
    return threshold


def build_tables(records: pd.DataFrame, threshold: int, specs: tuple[AggregateSpec, ...] = SPECS,
                 revising: Versions | None = None) -> list[Table]:
    """Every published spec's tables, suppressed consistently across the tables they share
    totals with (links included: specs ``published=False``, suppressed with them, not returned)
    and, when ``revising``, against every version of their month published before."""
    tables = [t for spec in specs for t in cross_tabulate(records, spec)]
    suppress_linked(tables, threshold, revision_keys_for(revising, threshold) if revising else None)
    return [t for t in tables if t.spec.published]


@dataclass(frozen=True)
class Rules:
    """When a run may publish and what it does with months already published: the day it
    runs (injected by tests), the closing lag (closing.py) and whether it revises (revisions.py),
    with the reason the audit keeps."""

    today: dt.date | None = None  # None: today in UTC
    closing_days: int = CLOSING_DAYS
    revise: bool = False
    reason: str | None = None  # why a revision is made: required with ``revise`` (access.py)


DEFAULT_RULES = Rules()


@dataclass(frozen=True)
class Prepared:
    """A run's content, ready to load: the rows, their checksum and the release."""

    frame: pd.DataFrame
    sha256: str
    release: dt.date

    @property
    def run_id(self) -> str:
        """The publication run as the audit names it: the store's load id without the source
        (``load_id`` = ``cases_publication@`` + this)."""
        return f"{self.release.isoformat()}#{self.sha256[:12]}"


def all_records(session: Session, up_to: dt.date, *, include_synthetic: bool = False) -> pd.DataFrame:
    """Case rows and returnee rows in one frame: each spec picks its own by ``case_type``."""
    frames = [case_records(session, up_to, include_synthetic=include_synthetic),
              returnee_records(session, up_to, include_synthetic=include_synthetic)]
    present = [f for f in frames if not f.empty]
    return pd.concat(present, ignore_index=True) if present else frames[0]


def prepare(session: Session, period: dt.date, threshold: int, published: Versions | None = None,
            rules: Rules = DEFAULT_RULES) -> Prepared:
    """Every month up to ``period``, cross-tabulated and suppressed, as contract rows. The
    release (vintage) is the period's month, so the store's latest release holds the whole series.
    ``period`` must have closed (closing.py); a month ``published`` before is published again
    as it was, or, with ``rules.revise``, counted again and protected against its versions."""
    check_threshold(threshold)
    release = month_start(period)
    require_closed(release, rules.today or utcnow().date(), rules.closing_days)
    published = published or Versions()
    parts = [all_records(session, release), reintegration_records(session, release)]
    records = pd.concat([p for p in parts if not p.empty] or parts[:1], ignore_index=True)
    tables = build_tables(records, threshold, revising=published if rules.revise else None)
    if not tables:
        raise Invalid(key="cases.refusal.nothing_to_publish", month=f"{release:%Y-%m}")
    frame = observation_frame(tables, release, f"publicacion-casos-{release:%Y-%m}",
                              {"municipality": municipality_names(session)})
    if not rules.revise:
        frame = published.freeze(frame)
    return Prepared(frame, frame_sha256(frame), release)


def load(store: StoreWriter, prepared: Prepared) -> PublicationResult:
    """Load the run as one release; the same content again loads nothing."""
    frame, sha, release = prepared.frame, prepared.sha256, prepared.release
    hidden = int(frame["obs_status"].eq("C").sum())
    existing = store.find_load(SOURCE_ID, sha, release)
    if existing:
        return PublicationResult(existing, release, 0, hidden, skipped=True)
    loaded = store.load_frame(frame, source=SOURCE_ID, release=release, source_file=str(frame["source_file"][0]),
                              sha256=sha, source_meta=SOURCE_META)
    return PublicationResult(loaded.load_id, release, len(frame), hidden, skipped=False)


def publish(session: Session, store: StoreWriter, period: dt.date, threshold: int,
            rules: Rules = DEFAULT_RULES) -> PublicationResult:
    """Prepare and load one run (without audit: access.py audits the callers' runs)."""
    return load(store, prepare(session, period, threshold, Versions.read(store), rules))
