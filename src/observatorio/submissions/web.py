"""Submission pages, behind the one login (the session cookie of /cases/login): upload with the
validation report at once, the review page with what changes against the published release,
and the decision form. Every page acts through submissions/review.py (one policy, one audit)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select

from observatorio.cases.bounds import PathId, id_of
from observatorio.cases.confirm_page import CONFIRMED, cancelled, confirm_page, confirmed
from observatorio.cases.errors import CasesError, Invalid
from observatorio.cases.page_kit import (
    CsrfField,
    Officer,
    OfficerDep,
    RuntimeDep,
    csrf_refused,
    lang_of,
    now_of,
    page_router,
    render,
)
from observatorio.cases.submission_models import ProvidedSource, Submission
from observatorio.errors import ObservatorioError
from observatorio.harmonize.problems import ValidationFailed
from observatorio.i18n import fmt_number
from observatorio.publish.web.texts import Texts
from observatorio.settings import get_settings
from observatorio.submissions import review

router = page_router()
BASE = "/cases/submissions"
_env = Environment(
    loader=ChoiceLoader([FileSystemLoader(Path(__file__).resolve().parent / "templates"),
                         FileSystemLoader(Path(__file__).resolve().parents[1] / "cases" / "templates")]),
    autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True,
    auto_reload=False,  # as page_kit.pages_env: packaged templates, no stat per render
)


def _render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    return render(request, template, status, env=_env, **context)


def _db_path(request: Request) -> Path:
    settings = getattr(request.app.state, "settings", None) or get_settings()
    return Path(settings.db_path)


def _providing(me: Officer) -> list[tuple[int, ProvidedSource]]:
    """The sources the user may submit for: (organisation, source) of provider memberships."""
    orgs = [g.organisation_id for g in me.principal.grants if g.role == "provider"]
    if not orgs:
        return []
    rows = me.ctx.session.scalars(select(ProvidedSource).where(ProvidedSource.organisation_id.in_(orgs))
                                  .order_by(ProvidedSource.source))
    return [(p.organisation_id, p) for p in rows]


def _listing(me: Officer) -> list[Submission]:
    """Submissions of the user's organisations (providers) or all (reviewers), newest first."""
    roles = {g.role for g in me.principal.grants}
    query = select(Submission).order_by(Submission.id.desc()).limit(100)
    if "reviewer" not in roles:
        orgs = [g.organisation_id for g in me.principal.grants if g.role == "provider"]
        query = query.where(Submission.organisation_id.in_(orgs or [-1]))
    return list(me.ctx.session.scalars(query))


def _page(request: Request, me: Officer, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("values", {})
    return _render(request, "submissions_list.html", status, me=me, sources=_providing(me),
                   submissions=_listing(me), **context)


@router.get(f"{BASE}/")
def submissions_page(request: Request, me: OfficerDep) -> Response:
    """The upload form and the submissions the user may see."""
    return _page(request, me)


@router.post(f"{BASE}/")
async def upload(request: Request, me: OfficerDep, rt: RuntimeDep, csrf: CsrfField = "",
                 source: Annotated[str, Form(max_length=300)] = "",
                 release: Annotated[str, Form(max_length=20)] = "",
                 file: Annotated[UploadFile | None, File()] = None,
                 mapping: Annotated[UploadFile | None, File()] = None) -> Response:
    """Check the file now: the report on this page, or the stored submission's review page."""
    if refused := csrf_refused(request, me, rt, csrf):
        return refused
    lang = lang_of(request)
    kept = {"source": source, "release": release}  # an error page offers them again (not the files: browsers forbid it)
    try:
        org_text, _, source_id = source.partition(":")
        org_id = id_of(org_text)
        if org_id is None or file is None or not file.filename:
            raise Invalid(key="refusal.submission.choose_source_and_file")
        # Read no more than one byte past each limit: a larger file is refused (review.submit)
        # without being held whole in this process's memory.
        mapping_text = (await mapping.read(review.MAX_MAPPING_BYTES + 1)).decode("utf-8", "replace") \
            if mapping and mapping.filename else None
        result = review.submit(me.ctx, review.Upload(
            org_id, source_id, file.filename, await file.read(review.MAX_BYTES + 1), mapping_text,
            _release(release)))
    except CasesError as exc:
        return _page(request, me, exc.status, error=exc.es if lang == "es" else exc.en, values=kept)
    except ValidationFailed as exc:  # a broken mapping file: its own report, with line numbers
        return _page(request, me, 422, report=exc.problems, values=kept)
    except ObservatorioError as exc:
        return _page(request, me, 422, error=exc.message(lang), values=kept)
    if result.submission is None:
        return _page(request, me, 422, report=result.problems, values=kept)
    return RedirectResponse(f"{BASE}/{result.submission.id}?lang={lang}", status_code=303)


def _release(text: str) -> dt.date | None:
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise Invalid(key="refusal.submission.bad_release_date", text=text[:20]) from None


@router.get(BASE + "/{submission_id}")
def review_page(request: Request, me: OfficerDep, submission_id: PathId) -> Response:
    """What the submission changes against the published release, its warnings, the decision."""
    try:
        view = review.review_view(me.ctx, submission_id, _db_path(request))
    except CasesError as exc:
        return _render(request, "cases_error.html", exc.status, me=me,
                       message=exc.es if lang_of(request) == "es" else exc.en)
    return _review(request, me, view)


def _review(request: Request, me: Officer, view: review.ReviewView, status: int = 200,
            error: str | None = None, values: dict[str, str] | None = None) -> HTMLResponse:
    lang = lang_of(request)
    cells = [{"key": ", ".join(f"{k}={v}" for k, v in json.loads(c.cell).items() if v not in (None, "_T", "_Z")),
              "change": c.change, "old": _figure(c.old_value, lang), "new": _figure(c.new_value, lang),
              "pct": "—" if not c.old_value or c.new_value is None
              else _change(100 * (c.new_value - c.old_value) / c.old_value, lang)}
             for c in view.changes.cells[:500]]
    may_review = any(g.role == "reviewer" for g in me.principal.grants) and \
        view.submission.uploader_id != me.principal.user_id
    # after a post (a refusal, a cancelled question) the language switch leads to the review's
    # own address: the decision's answers no GET
    return _render(request, "submissions_review.html", status, switch_to=f"{BASE}/{view.submission.id}#decide",
                   me=me, sub=view.submission,
                   changes=view.changes, cells=cells, warnings=view.warnings, may_review=may_review,
                   error=error, values=values or {})


def _figure(value: float | None, lang: str) -> str:
    """A cell's value in the reader's format (1.673 / 1,673; decimals only where it has some)."""
    if value is None:
        return "—"
    return fmt_number(value, lang, 0 if float(value).is_integer() else 2)


def _change(pct: float, lang: str) -> str:
    """A signed percentage with one decimal in the reader's format (+100,0 / +100.0)."""
    return ("+" if pct >= 0 else "-") + fmt_number(abs(pct), lang, 1)


@router.post(BASE + "/{submission_id}/decision")
def decision(request: Request, me: OfficerDep, rt: RuntimeDep, submission_id: PathId, csrf: CsrfField = "",
             verdict: Annotated[str, Form(max_length=10)] = "",
             comment: Annotated[str, Form(max_length=5000)] = "",
             notes: Annotated[str, Form(max_length=20000)] = "",
             embargo: Annotated[str, Form(max_length=40)] = "",
             confirm: Annotated[str, Form(alias=CONFIRMED, max_length=10)] = "") -> Response:
    """Approve (at once or at the embargo, UTC) or reject, with a comment; the first post asks
    for confirmation (cases/confirm_page.py), the confirming one decides."""
    if refused := csrf_refused(request, me, rt, csrf):
        return refused
    lang = lang_of(request)
    typed = {"comment": comment, "notes": notes, "embargo": embargo}
    try:
        if cancelled({CONFIRMED: confirm}):  # the question's Cancel: the review, holding what was typed
            return _review(request, me, review.review_view(me.ctx, submission_id, _db_path(request)), values=typed)
        chosen = review.Decision(verdict == "approve", comment, notes, _embargo(embargo))
        if verdict not in ("approve", "reject"):
            raise Invalid(key="refusal.submission.choose_approve_reject")
        if not confirmed({CONFIRMED: confirm}):  # the same checks, then the question
            sub = review.check_decision(me.ctx, submission_id, chosen, now_of(request))
            return _confirm_decision(request, me, sub, chosen, verdict, typed)
        review.decide(me.ctx, submission_id, chosen, _db_path(request), now_of(request))
    except CasesError as exc:
        message = exc.es if lang == "es" else exc.en
        try:
            view = review.review_view(me.ctx, submission_id, _db_path(request))
        except CasesError:
            return _render(request, "cases_error.html", exc.status, switch_to=f"{BASE}/{submission_id}", me=me,
                           message=message)
        # the reviewer's comment, notes and embargo come back with the reason, not blanked
        return _review(request, me, view, exc.status, message, typed)
    return RedirectResponse(f"{BASE}/{submission_id}?lang={lang}", status_code=303)


def _confirm_decision(request: Request, me: Officer, sub: Submission, chosen: review.Decision, verdict: str,
                      values: dict[str, str]) -> Response:
    tx = Texts(lang_of(request))
    if verdict == "reject":
        key = "confirm.reject_submission"
    else:
        key = "confirm.approve_submission_embargo" if chosen.embargo_at else "confirm.approve_submission"
    at = chosen.embargo_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") if chosen.embargo_at else ""
    line = tx(key, id=sub.id, source=sub.source, file=sub.file_name, **({"at": at} if at else {}))
    button = "confirm.reject_submission.button" if verdict == "reject" else "confirm.approve_submission.button"
    return confirm_page(request, me, lines=[line], action=f"{BASE}/{sub.id}/decision",
                        fields=[("verdict", verdict), *values.items()], cancel=f"{BASE}/{sub.id}#decide",
                        confirm_label=tx(button), env=_env)


def _embargo(text: str) -> dt.datetime | None:
    """``YYYY-MM-DDTHH:MM`` (a datetime-local field), read as UTC; empty: publish at once."""
    if not text.strip():
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise Invalid(key="refusal.submission.bad_embargo", text=text[:40]) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
