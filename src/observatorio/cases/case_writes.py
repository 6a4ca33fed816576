"""Use-cases that change a case: edit, move along its lifecycle, assign, share (and end the
shares when a transfer moves the case). Writes are
under optimistic locking (a stale version is a 409 with the changes since), each one recorded
as a revision and audited in the same transaction (``use_context.Ctx``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import TextClause, bindparam, select, text
from sqlalchemy.orm.attributes import set_committed_value

from observatorio.cases import closure_guard, registration
from observatorio.cases.errors import Conflict, Invalid, not_found
from observatorio.cases.models import Case, CaseRevision, CaseShare, Organisation, utcnow
from observatorio.cases.policy import Decision, group_of_field
from observatorio.cases.record_views import case_out, visible_case_fields
from observatorio.cases.schemas import CaseAssign, CaseOut, CaseShareIn, CaseTransition, CaseUpdate
from observatorio.cases.use_context import (
    Ctx,
    check_officer,
    is_member,
    jsonable,
    load_case,
    load_case_for_work,
    lock_case,
    org_for,
    refuse_if_erased,
    require_groups,
)
from observatorio.cases.vocab import TRANSITIONS, CaseStatus


def _conflict(ctx: Ctx, case_id: int, your_version: int) -> Conflict:
    """A 409 that says what changed since the editor's version, so nothing is lost."""
    ctx.session.rollback()
    ctx.events.clear()
    case, d = load_case(ctx, case_id)
    revs = ctx.session.scalars(
        select(CaseRevision).where(CaseRevision.case_id == case_id, CaseRevision.version > your_version)
        .order_by(CaseRevision.version)
    ).all()
    changes = []
    for r in revs:
        masked = {f: (v if f not in d.hidden_fields else ["***", "***"]) for f, v in r.changes.items()}
        changes.append({"version": r.version, "user_id": r.user_id, "at": r.created_at.isoformat(),
                        "changes": masked})
    current = case_out(case, d).model_dump(mode="json")
    ctx.log(d, "case.read", "case", case_id, visible_case_fields(d))
    ctx.commit()
    return Conflict(
        key="refusal.case.case_changed_meanwhile", detail={"your_version": your_version, "current_version": case.version, "changes_since": changes, "current": current},
    )


def write_case(ctx: Ctx, case: Case, d: Decision, action: str, your_version: int,
               values: dict[str, Any]) -> CaseOut:
    """Apply ``values`` under optimistic locking and record the revision and audit entry."""
    case_id = case.id
    if your_version != case.version:
        raise _conflict(ctx, case_id, your_version)
    changes = {}
    for name, value in values.items():
        old = getattr(case, name)
        if old != value:
            changes[name] = [jsonable(old), jsonable(value)]
    if not changes:
        # Nothing written, but the answer still carries the case: audit it as the read it is.
        out = case_out(case, d)
        ctx.log(d, "case.read", "case", case_id, visible_case_fields(d))
        ctx.commit()
        return out
    # Sensitive values are not copied into the revision log; only the fact that they changed.
    stored = {f: (v if group_of_field(f) is None else ["***", "***"]) for f, v in changes.items()}
    written = {name: values[name] for name in changes}
    written["version"] = case.version + 1
    written["updated_at"] = utcnow()
    if not _update_case_row(ctx, case_id, case.version, written, stored):
        raise _conflict(ctx, case_id, your_version)  # a concurrent writer won the race
    for name, value in written.items():  # the row now holds these; the session must not write them again
        set_committed_value(case, name, value)
    ctx.log(d, action, "case", case_id, sorted(changes))
    out = case_out(case, d)
    ctx.commit()
    return out


def _update_case_row(ctx: Ctx, case_id: int, loaded_version: int, written: dict[str, Any],
                     stored: dict[str, Any]) -> bool:
    """``UPDATE case_file … WHERE id = :id AND version = :loaded`` and the revision it produced,
    in one statement on PostgreSQL; False (nothing written) if the version moved meanwhile."""
    conn = ctx.session.connection()
    params = {f"w_{k}": v for k, v in written.items()}
    params.update(w_id=case_id, w_loaded=loaded_version, r_user=ctx.principal.user_id, r_changes=stored)
    stmts = _case_write_sql(tuple(sorted(written)), conn.dialect.name == "postgresql")
    if len(stmts) == 1:
        return conn.execute(stmts[0], params).rowcount == 1
    if conn.execute(stmts[0], params).rowcount != 1:
        return False
    conn.execute(stmts[1], params)
    return True


@lru_cache(maxsize=256)
def _case_write_sql(fields: tuple[str, ...], postgresql: bool) -> tuple[TextClause, ...]:
    """The statements of ``_update_case_row`` for one set of columns, built once (plain SQL:
    building and compiling the equivalent expression on every write cost more than the write)."""
    cols = Case.__table__.c
    if not set(fields) <= set(cols.keys()) or not {"version", "updated_at"} <= set(fields):
        raise ValueError(f"not case columns: {fields}")  # names below are interpolated: only ours
    sets = ", ".join(f"{f} = :w_{f}" for f in fields)
    upd = f"UPDATE case_file SET {sets} WHERE id = :w_id AND version = :w_loaded"  # noqa: S608
    types = [bindparam(f"w_{f}", type_=cols[f].type) for f in fields]
    types.append(bindparam("r_changes", type_=CaseRevision.__table__.c.changes.type))
    rev = "INSERT INTO case_revision (case_id, version, user_id, changes, created_at)"
    if postgresql:
        return (text(f"WITH moved AS ({upd} RETURNING id) "  # noqa: S608 - names checked above
                     f"{rev} SELECT id, :w_version, :r_user, :r_changes, :w_updated_at FROM moved")
                .bindparams(*types).execution_options(preserve_rowcount=True),)
    return (text(upd).bindparams(*[t for t in types if t.key != "r_changes"]),
            text(f"{rev} VALUES (:w_id, :w_version, :r_user, :r_changes, :w_updated_at)")
            .bindparams(*[t for t in types if t.key in ("r_changes", "w_updated_at")]))


def update_case(ctx: Ctx, case_id: int, data: CaseUpdate) -> CaseOut:
    """Edit the fields sent; a stale version returns 409 with the changes since."""
    case, d = load_case(ctx, case_id, "case.update")
    refuse_if_erased(case, "case")
    sent = data.model_fields_set - {"version"}
    require_groups(ctx, d, set(sent), "case.update", "case", case_id)
    values = {}
    for name in sent:
        v = getattr(data, name)
        values[name] = v.value if hasattr(v, "value") else v
    if "risk_level" in values and values["risk_level"] is None:
        raise Invalid(key="refusal.case.risk_level_required")
    return write_case(ctx, case, d, "case.update", data.version, values)


def transition_case(ctx: Ctx, case_id: int, data: CaseTransition) -> CaseOut:
    """Move a case along its lifecycle (open → assessment → plan → in progress → closed; reopen)."""
    case, d = load_case(ctx, case_id, "case.transition")
    current = CaseStatus(case.status)
    if data.to not in TRANSITIONS[current]:
        raise Invalid(key="refusal.case.bad_transition", current_value=current.value, data_to_value=data.to.value, detail={"allowed": sorted(s.value for s in TRANSITIONS[current])})
    values: dict[str, Any] = {"status": data.to.value}
    if data.to is CaseStatus.CLOSED:
        closure_guard.refuse_closure_without_required_steps(ctx, case)
        values["closed_at"] = utcnow()
    elif current is CaseStatus.CLOSED:
        values["closed_at"] = None
    return write_case(ctx, case, d, "case.transition", data.version, values)


def assign_case(ctx: Ctx, case_id: int, data: CaseAssign) -> CaseOut:
    """Assign the case to another organisation of the same country and/or an officer. When it
    was the old holder's last case of the person, the person's registration goes with it
    (``registration.move_with_last_case``), as with an accepted transfer."""
    lock_case(ctx, case_id)  # case, then person: the order a transfer and an erasure take
    case, d = load_case(ctx, case_id, "case.assign")
    org_id = data.organisation_id or case.organisation_id
    values: dict[str, Any] = {}
    if org_id != case.organisation_id:
        # Missing, foreign and out-of-grant organisations get the same refusal (no oracle).
        org = org_for(ctx, "case.assign", org_id)
        if org.country != case.country:
            raise Invalid(key="refusal.case.assign_abroad")
        values["organisation_id"] = org_id
        if data.officer_id is None and case.officer_id is not None and not is_member(ctx, case.officer_id, org_id):
            # The officer reaches the case as its assignee (``own``) whatever their organisation:
            # one of the old holder only must not keep it after it moved. Unassigned, the new
            # holder assigns its own (tests/cases/test_attack_reassigned_officer.py).
            values["officer_id"] = None
    if data.officer_id is not None:
        check_officer(ctx, data.officer_id, org_id)
        values["officer_id"] = data.officer_id
    if "organisation_id" in values:
        registration.move_with_last_case(ctx, case, case.organisation_id, org, values.get("officer_id", case.officer_id),
                                         d, f"case:{case.id}")
    return write_case(ctx, case, d, "case.assign", data.version, values)


def share_case(ctx: Ctx, case_id: int, data: CaseShareIn) -> CaseOut:
    """Grant another organisation read access to a case (explicit, recorded, audited). Its reason
    is free text: an erased case is refused, and an erasure in flight finishes first."""
    case, d = load_case_for_work(ctx, case_id, "case.share")
    org = ctx.session.get(Organisation, data.organisation_id)
    if org is None:
        raise ctx.deny(not_found("organisation", data.organisation_id), "case.share", "case", case_id,
                       ["shared_with"])
    if all(s.organisation_id != org.id for s in case.shares) and org.id != case.organisation_id:
        case.shares.append(CaseShare(case_id=case.id, organisation_id=org.id, organisation=org,
                                     granted_by_id=ctx.principal.user_id, reason=data.reason))
        ctx.session.flush()
    ctx.log(d, "case.share", "case", case.id, ["shared_with"])
    out = case_out(case, d)
    ctx.commit()
    return out


#: The audit code of a share ended because a transfer moved the case (``end_shares``).
SHARE_ENDED = "case.share.end"


def end_shares(ctx: Ctx, case: Case, d: Decision, referral_id: int) -> None:
    """End every share of ``case``, which the accepted transfer ``referral_id`` moves to another
    organisation: the shares were the old holder's decisions, and the new holder, now the case's
    data controller, makes its own (it may share again). Left in place, a share would let an
    organisation the old holder chose, or the old holder itself through a share it once
    received, read everything the new holder writes.

    The rows are deleted, so no reader of ``case_share`` (policy, lists, pages) can miss that
    they ended; each ending is audited under ``d`` (the receiver's decision) with the
    organisation shared with and the transfer as its reason. The caller holds the case row's
    lock (``share_case`` takes it too, so no share lands meanwhile) and commits."""
    shares = ctx.session.scalars(select(CaseShare).where(CaseShare.case_id == case.id)
                                 .order_by(CaseShare.id)).all()
    for share in shares:
        ctx.session.delete(share)
        ctx.log(d, SHARE_ENDED, "case", case.id,
                [f"shared_with:{share.organisation_id}", "reason:transfer", f"referral:{referral_id}"])
    ctx.session.flush()
    set_committed_value(case, "shares", [])  # what the row now holds: none
