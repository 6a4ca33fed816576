"""The submission use cases: submit (nothing stored until clean), see what it changes against
the published release, approve or reject (never one's own), publish at once or at an embargo.

Every decision goes through the one policy (``submission.*`` actions of cases/policy.yaml) and
every access is on the one audit chain, as for cases.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
from sqlalchemy import select, update

from observatorio.cases.errors import Conflict, Forbidden, Invalid, NotFound
from observatorio.cases.models import Organisation
from observatorio.cases.policy import Decision as PolicyDecision
from observatorio.cases.policy import Resource, authorize
from observatorio.cases.submission_models import ProvidedSource, Submission
from observatorio.cases.use_context import Ctx
from observatorio.harmonize.problems import Problems
from observatorio.loading import store_harmonized
from observatorio.refresh.changes import ChangeReport, compare
from observatorio.store import Store, snapshots
from observatorio.submissions.checking import checked_upload, safe_name

PENDING, REJECTED, SCHEDULED, PUBLISHED = "pending", "rejected", "scheduled", "published"
MAX_BYTES = 50 * 1024 * 1024
#: A mapping is a short YAML file (sources/mapping_spec.py): a megabyte is far more than any needs.
MAX_MAPPING_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Upload:
    """What a provider sends: a file for a source, and optionally a new mapping for it."""

    organisation_id: int
    source: str
    file_name: str
    content: bytes
    mapping: str | None = None
    release: dt.date | None = None


@dataclass(frozen=True)
class Submitted:
    """The validation report, and the stored submission when the file was clean."""

    problems: Problems
    submission: Submission | None


def resource_of(sub: Submission | None, org: Organisation, uploader_id: int) -> Resource:
    return Resource(frozenset({uploader_id}), frozenset({org.id}), frozenset({org.country}))


def provided_sources(ctx: Ctx, organisation_id: int) -> list[ProvidedSource]:
    return list(ctx.session.scalars(select(ProvidedSource).where(
        ProvidedSource.organisation_id == organisation_id).order_by(ProvidedSource.source)))


def submit(ctx: Ctx, upload: Upload) -> Submitted:
    """Check the file; store it for review only when it has no error."""
    org = ctx.session.get(Organisation, upload.organisation_id)
    if org is None:
        raise NotFound(key="refusal.submission.no_organisation")
    decision = authorize(ctx.principal, "submission.create", resource_of(None, org, ctx.principal.user_id))
    if not decision.allowed:
        raise ctx.deny(Forbidden(key="refusal.submission.not_a_submitter"),
                       "submission.create", "organisation", org.id)
    if not upload.content or len(upload.content) > MAX_BYTES:
        raise Invalid(key="refusal.submission.file_size", megabytes=MAX_BYTES >> 20)
    if upload.mapping is not None and len(upload.mapping.encode()) > MAX_MAPPING_BYTES:
        raise Invalid(key="refusal.submission.mapping_size", kilobytes=MAX_MAPPING_BYTES >> 10)
    provided = {p.source: p for p in provided_sources(ctx, org.id)}
    if upload.mapping is None and upload.source not in provided:
        raise Invalid(key="refusal.submission.source_not_provided", upload_source=upload.source)
    mapping = upload.mapping if upload.mapping is not None else provided[upload.source].mapping
    with checked_upload(upload.source, upload.file_name, upload.content, mapping, upload.release) as checked:
        source = checked.adapter.info.id
        if upload.mapping is not None and source not in provided and _provided_elsewhere(ctx, source, org.id):
            raise Invalid(key="refusal.submission.source_of_another", source=source)
        if not checked.clean:
            return Submitted(checked.problems, None)  # nothing stored
        twin = ctx.session.scalars(select(Submission).where(
            Submission.source == source, Submission.sha256 == checked.sha256,
            Submission.status != REJECTED)).first()
        if twin is not None:
            raise Conflict(key="refusal.submission.duplicate_file", twin_id=twin.id)
        sub = Submission(organisation_id=org.id, uploader_id=ctx.principal.user_id, source=source,
                         file_name=safe_name(upload.file_name), sha256=checked.sha256,
                         content=upload.content, mapping=mapping, release=checked.release,
                         rows=len(checked.frame), warnings=checked.problems.warning_count(),
                         status=PENDING)
        ctx.session.add(sub)
        ctx.session.flush()
        ctx.log(decision, "submission.create", "submission", sub.id, ())
        ctx.commit()
        return Submitted(checked.problems, sub)


def _provided_elsewhere(ctx: Ctx, source: str, organisation_id: int) -> bool:
    return ctx.session.scalars(select(ProvidedSource.id).where(
        ProvidedSource.source == source, ProvidedSource.organisation_id != organisation_id)).first() is not None


def readable(ctx: Ctx, submission_id: int) -> Submission:
    """A submission the user may read (audited), else NotFound (existence is not leaked)."""
    sub = ctx.session.get(Submission, submission_id)
    org = ctx.session.get(Organisation, sub.organisation_id) if sub else None
    if sub is None or org is None:
        raise NotFound(key="refusal.submission.no_submission")
    decision = authorize(ctx.principal, "submission.read", resource_of(sub, org, sub.uploader_id))
    if not decision.allowed:
        raise ctx.deny(NotFound(key="refusal.submission.no_submission"),
                       "submission.read", "submission", submission_id)
    ctx.log(decision, "submission.read", "submission", sub.id, ())
    return sub


@dataclass(frozen=True)
class ReviewView:
    """What a reviewer sees: the changes against the published release, and the warnings."""

    submission: Submission
    changes: ChangeReport
    warnings: Problems


def review_view(ctx: Ctx, submission_id: int, db_path: Path) -> ReviewView:
    """The submission and what it changes against the release readers see now."""
    sub = readable(ctx, submission_id)
    ctx.commit()
    with checked_upload(sub.source, sub.file_name, sub.content, sub.mapping, sub.release) as checked:
        try:
            store = Store.open(db_path, read_only=True)
        except Exception:  # no store yet: everything is new  # noqa: BLE001
            store = Store.open(":memory:")
        with store:
            previous = _latest_load(store.con, sub.source)
            changes = compare(store.con, checked.frame, previous) if previous else ChangeReport(None)
        return ReviewView(sub, changes, checked.problems)


def _latest_load(con: duckdb.DuckDBPyConnection, source: str) -> str | None:
    try:
        row = con.execute("SELECT load_id FROM loads WHERE source = ? AND is_latest", [source]).fetchone()
    except duckdb.CatalogException:
        return None
    return None if row is None else str(row[0])


@dataclass(frozen=True)
class Decision:
    approve: bool
    comment: str
    release_notes: str = ""
    embargo_at: dt.datetime | None = None  # aware; None: publish at once


def _decide_checked(ctx: Ctx, submission_id: int, decision: Decision,
                    now: dt.datetime) -> tuple[Submission, PolicyDecision]:
    """Every check of ``decide`` before it writes (refusals audited as denied; the read of the
    submission audited as ``readable`` does)."""
    sub = readable(ctx, submission_id)
    org = ctx.session.get(Organisation, sub.organisation_id)
    assert org is not None
    granted = authorize(ctx.principal, "submission.review", resource_of(sub, org, sub.uploader_id))
    if not granted.allowed:
        raise ctx.deny(Forbidden(key="refusal.submission.not_a_reviewer"),
                       "submission.review", "submission", sub.id)
    if sub.uploader_id == ctx.principal.user_id:  # four eyes, whatever the roles
        raise ctx.deny(Forbidden(key="refusal.submission.own_submission"),
                       "submission.review", "submission", sub.id)
    if sub.status != PENDING:
        raise _already_decided(sub.status)
    if not decision.approve and not decision.comment.strip():
        raise Invalid(key="refusal.submission.reason_required")
    if decision.embargo_at is not None and decision.embargo_at.tzinfo is None:
        raise Invalid(key="refusal.submission.embargo_needs_zone")
    if decision.approve and decision.embargo_at is not None and decision.embargo_at <= now:
        # a mistyped year would publish at once what was meant to wait: asked again, not guessed
        raise Invalid(key="refusal.submission.embargo_past",
                      at=decision.embargo_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M"),
                      now=now.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M"))
    return sub, granted


def check_decision(ctx: Ctx, submission_id: int, decision: Decision, now: dt.datetime) -> Submission:
    """The submission ``decide`` would decide, refused as it would refuse, changing nothing: the
    reviewer's confirmation page. Only the read of the submission is logged, never the decision."""
    sub, _ = _decide_checked(ctx, submission_id, decision, now)
    ctx.commit()
    return sub


def decide(ctx: Ctx, submission_id: int, decision: Decision, db_path: Path, now: dt.datetime) -> Submission:
    """Approve (publish now or at the embargo) or reject, with a comment; never one's own."""
    sub, granted = _decide_checked(ctx, submission_id, decision, now)
    comment = decision.comment.strip()
    embargo = decision.embargo_at if decision.approve else None
    status = (SCHEDULED if embargo else PUBLISHED) if decision.approve else REJECTED
    _claim(ctx, sub.id, status)  # before publishing: only the one reviewer who wins publishes
    sub.reviewer_id, sub.decided_at, sub.comment = ctx.principal.user_id, now, comment or None
    if decision.approve:
        sub.release_notes = decision.release_notes.strip() or None
        sub.embargo_at = embargo
        sub.load_id = _publish(sub, db_path, embargo, now)
    sub.status = status
    ctx.log(granted, "submission.review", "submission", sub.id, ("status",))
    ctx.commit()
    return sub


def _already_decided(status: str) -> Conflict:
    return Conflict(key="refusal.submission.already_decided", sub_status=status)


def _claim(ctx: Ctx, submission_id: int, status: str) -> None:
    """Pending → ``status`` as one conditional UPDATE (compare-and-set on the status). Two
    reviewers who both read "pending" cannot both decide: the second UPDATE waits for the first
    one's row lock (PostgreSQL) or writer lock (SQLite), then matches no pending row, and that
    reviewer is told the submission was already decided; nothing of theirs is written. A
    failure later in the winner's decision (publishing) rolls the claim back with the rest."""
    claimed = ctx.session.connection().execute(  # the session's transaction, the driver's row count
        update(Submission).where(Submission.id == submission_id, Submission.status == PENDING).values(status=status))
    if claimed.rowcount == 1:
        return
    ctx.session.rollback()
    ctx.events.clear()
    raise _already_decided(ctx.session.scalar(select(Submission.status).where(Submission.id == submission_id))
                           or "?")


def _publish(sub: Submission, db_path: Path, embargo: dt.datetime | None, now: dt.datetime) -> str:
    """Load the submitted file as a release in a new snapshot (in force at once or at ``embargo``)."""
    with checked_upload(sub.source, sub.file_name, sub.content, sub.mapping, sub.release) as checked, \
            snapshots.publishing(db_path, at=embargo, note=f"submission {sub.id}", clock=lambda: now) as store:
        result = store_harmonized(store, checked.adapter, checked.frame, checked.problems, sub.file_name,
                                  checked.sha256, checked.release)
    return result.load_id
