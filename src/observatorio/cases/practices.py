"""The good-practice registry: organisations submit, editors translate and moderate, the public
searches what is published.

A practice's theme is a line of action of the CRM action matrix (analysis/actions.yaml), so a
country profile can show, under each recommended action, the practices of *other* countries
that address it. Submitting needs ``practice.submit``; translating and moderating need
``practice.moderate`` (the ``editor`` role). Every write and refusal is audited.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from observatorio.analysis.actions import load_matrix
from observatorio.cases.directory_models import (
    DirectoryOrganisation,
    Practice,
    PracticeOrganisation,
)
from observatorio.cases.directory_schemas import Moderation, PracticeIn, PracticeTranslation
from observatorio.cases.errors import Conflict, Invalid, forbidden, not_found
from observatorio.cases.policy import Decision, Resource, authorize
from observatorio.cases.practice_search import folded_text, match_clause
from observatorio.cases.use_context import Ctx
from observatorio.model.app_tables import PUBLISHED, REJECTED, SUBMITTED
from observatorio.model.codelists import CRM_MEMBERS

SUBMIT, MODERATE = "practice.submit", "practice.moderate"
TEXT_FIELDS = ("title_es", "title_en", "summary_es", "summary_en", "description", "results")
PUBLIC_FIELDS = ("id", "country", "theme", "populations", *TEXT_FIELDS, "period_start", "period_end",
                 "contact", "documents")


def themes() -> dict[str, Any]:
    """Action id → action of the CRM matrix (the practice themes)."""
    return {a.id: a for a in load_matrix().actions}


def _decide(ctx: Ctx, action: str, country: str, record_id: object) -> Decision:
    orgs = frozenset(g.organisation_id for g in ctx.principal.grants)
    decision = authorize(ctx.principal, action, Resource(organisation_ids=orgs, countries=frozenset({country})))
    if not decision.allowed:
        raise ctx.deny(forbidden(action), action, "practice", record_id)
    return decision


def _check(session: Session, data: PracticeIn) -> list[DirectoryOrganisation]:
    if data.country not in CRM_MEMBERS:
        raise Invalid(key="refusal.practice.country_not_member", data_country=data.country)
    if data.theme not in themes():
        raise Invalid(key="refusal.practice.unknown_theme", data_theme=data.theme)
    found = list(session.scalars(select(DirectoryOrganisation).where(
        DirectoryOrganisation.slug.in_(data.organisations))))
    if missing := sorted(set(data.organisations) - {o.slug for o in found}):
        raise Invalid(key="refusal.practice.unknown_organisations", missing=', '.join(missing))
    return found


def _refresh_search_text(practice: Practice) -> None:
    practice.search_text = folded_text(getattr(practice, f) for f in TEXT_FIELDS)


def submit(ctx: Ctx, data: PracticeIn) -> Practice:
    """Record a practice for moderation (not public until an editor publishes it)."""
    decision = _decide(ctx, SUBMIT, data.country, None)
    orgs = _check(ctx.session, data)
    values = data.model_dump(exclude={"organisations"})
    practice = Practice(**values, status=SUBMITTED, submitted_by_id=ctx.principal.user_id,
                        submitted_org_id=decision.acting.organisation_id if decision.acting else None)
    practice.organisations = [PracticeOrganisation(organisation_id=o.id, organisation=o) for o in orgs]
    _refresh_search_text(practice)
    ctx.session.add(practice)
    ctx.session.flush()
    ctx.log(decision, SUBMIT, "practice", practice.id, sorted(data.model_fields_set))
    ctx.commit()
    return practice


def _load(ctx: Ctx, practice_id: int, action: str, *, lock: bool = False) -> tuple[Practice, Decision]:
    # lock: the row held until commit (PostgreSQL), so two editors deciding at once decide once
    practice = ctx.session.get(Practice, practice_id, with_for_update=lock, populate_existing=lock)
    decision = _decide(ctx, action, practice.country if practice else "", practice_id)
    if practice is None:
        raise not_found("practice", practice_id)
    return practice, decision


def translate(ctx: Ctx, practice_id: int, data: PracticeTranslation) -> Practice:
    """An editor adds the second language or corrects a title or summary."""
    practice, decision = _load(ctx, practice_id, MODERATE)
    if data.version != practice.version:
        raise Conflict(key="refusal.practice.changed_meanwhile")
    changed = sorted(data.model_fields_set - {"version"})
    for key in changed:
        setattr(practice, key, getattr(data, key) or None)
    _refresh_search_text(practice)
    ctx.session.flush()
    ctx.log(decision, MODERATE, "practice", practice.id, changed)
    ctx.commit()
    return practice


def moderate(ctx: Ctx, practice_id: int, data: Moderation) -> Practice:
    """Publish or reject; a practice is published only with its texts in both languages."""
    practice, decision = _load(ctx, practice_id, MODERATE, lock=True)
    _refuse_decided(practice)
    _refuse_incomplete(practice, data, {})
    practice.status = PUBLISHED if data.decision == "publish" else REJECTED
    practice.moderation_note = data.note
    practice.moderated_by_id = ctx.principal.user_id
    ctx.session.flush()
    ctx.log(decision, MODERATE, "practice", practice.id, ["status", "moderation_note"])
    ctx.commit()
    return practice


def _refuse_decided(practice: Practice) -> None:
    """Only a practice awaiting moderation is decided: a published or rejected one was decided
    already (publishing it again, or rejecting it behind the queue, is a 409, nothing changed)."""
    if practice.status != SUBMITTED:
        raise Conflict(key="refusal.practice.decided_already", detail={"status": practice.status})


def _refuse_incomplete(practice: Practice, data: Moderation, texts: dict[str, str]) -> None:
    """A practice is published only with its texts in both languages (``texts``: those the
    editor is adding with the decision)."""
    if data.decision == "publish":
        missing = [f for f in ("title_es", "title_en", "summary_es", "summary_en")
                   if not (texts.get(f) or getattr(practice, f))]
        if missing:
            raise Invalid(key="refusal.practice.languages_incomplete", missing=', '.join(missing))


def check_moderation(ctx: Ctx, practice_id: int, data: Moderation, texts: dict[str, str],
                     version: int | None) -> Practice:
    """The practice ``translate`` (with ``texts``, at ``version``) then ``moderate`` would act on,
    refused as they would refuse, changing nothing: the editor's confirmation page. Nothing is
    logged when allowed (the queue's read of the practice was audited already)."""
    practice, _ = _load(ctx, practice_id, MODERATE)
    if texts and version != practice.version:
        raise Conflict(key="refusal.practice.changed_meanwhile")
    _refuse_decided(practice)
    _refuse_incomplete(practice, data, texts)
    ctx.commit()
    return practice


def queue(ctx: Ctx) -> list[Practice]:
    """Practices awaiting moderation (editors only; the read is audited: they carry a contact)."""
    decision = authorize(ctx.principal, MODERATE, Resource(countries=frozenset({""})))
    if not decision.allowed:
        raise ctx.deny(forbidden(MODERATE), MODERATE, "practice", None)
    found = list(ctx.session.scalars(select(Practice).where(Practice.status == SUBMITTED).order_by(Practice.id)))
    for p in found:
        ctx.log(decision, "practice.read", "practice", p.id, ["contact"])
    ctx.commit()
    return found


# -- public reading ---------------------------------------------------------------------------


def search(session: Session, query: str = "", theme: str | None = None, country: str | None = None,
           population: str | None = None, limit: int = 100) -> list[Practice]:
    """Published practices matching every word of ``query`` (either language, accents ignored)
    and the filters, newest first."""
    stmt = select(Practice).where(Practice.status == PUBLISHED)
    if (clause := match_clause(session, query)) is not None:
        stmt = stmt.where(clause)
    if theme:
        stmt = stmt.where(Practice.theme == theme)
    if country:
        stmt = stmt.where(Practice.country == country)
    found = session.scalars(stmt.order_by(Practice.id.desc())).all()
    # populations are a short JSON list: filtered here, the same on every database
    return [p for p in found if not population or population in (p.populations or [])][:limit]


def published(session: Session, practice_id: int) -> Practice | None:
    practice = session.get(Practice, practice_id)
    return practice if practice is not None and practice.status == PUBLISHED else None


def for_actions(session: Session, action_ids: list[str], exclude_country: str,
                per_action: int = 5) -> dict[str, list[Practice]]:
    """For each action id, published practices of countries other than ``exclude_country``."""
    out: dict[str, list[Practice]] = {a: [] for a in action_ids}
    rows = session.scalars(select(Practice).where(
        Practice.status == PUBLISHED, Practice.theme.in_(action_ids),
        Practice.country != exclude_country).order_by(Practice.id.desc()))
    for p in rows:
        if len(out[p.theme]) < per_action:
            out[p.theme].append(p)
    return out


def practice_out(practice: Practice, *, with_status: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {k: getattr(practice, k) for k in PUBLIC_FIELDS}
    out["organisations"] = [link.organisation.slug for link in practice.organisations]
    if with_status:
        out |= {"status": practice.status, "version": practice.version,
                "moderation_note": practice.moderation_note}
    return out
