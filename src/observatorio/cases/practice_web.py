"""Browser forms of the good-practice registry, on the signed-in cases pages:

    /cases/practices/new          an organisation submits a practice (roles with practice.submit)
    /cases/practices/queue        editors: complete the second language, then publish or reject

The forms call the same use cases as the API (cases/practices.py: policy and audit); a refusal
is a 403 page and an audited "denied" entry; bad fields re-show the form with the reason.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from observatorio.cases import directory, practices
from observatorio.cases.bounds import PathId
from observatorio.cases.confirm_page import cancelled, confirm_page, confirmed
from observatorio.cases.directory_schemas import (
    POPULATIONS,
    Moderation,
    PracticeIn,
    PracticeTranslation,
)
from observatorio.cases.errors import CasesError
from observatorio.cases.page_kit import (
    OfficerDep,
    RuntimeDep,
    as_error,
    csrf_refused,
    error_text,
    form_refused,
    lang_of,
    page_router,
    render,
)
from observatorio.model.codelists import CRM_MEMBERS
from observatorio.publish.web.texts import Texts

router = page_router()
TEXT_FIELDS = ("country", "theme", "title_es", "summary_es", "title_en", "summary_en", "description", "results",
               "period_start", "period_end", "contact")


def _choices(me: Any) -> dict[str, Any]:
    return {"themes": list(practices.themes().values()), "countries": CRM_MEMBERS, "populations": POPULATIONS,
            "organisations": directory.organisations(me.ctx.session)}


@router.get("/cases/practices/new")
def practice_form(request: Request, me: OfficerDep) -> Response:
    if refused := form_refused(request, me, "practice.submit"):
        return refused
    return render(request, "cases_practice_new.html", me=me, values={}, **_choices(me))


@router.post("/cases/practices/new")
async def practice_submit(request: Request, me: OfficerDep, rt: RuntimeDep) -> Response:
    """Submit a practice for moderation."""
    raw = await request.form()
    form = {k: str(v)[:8000] for k, v in raw.items()}
    if refused := csrf_refused(request, me, rt, form.get("csrf_token", "")):
        return refused
    values: dict[str, Any] = {k: form[k].strip() for k in TEXT_FIELDS if form.get(k, "").strip()}
    values["populations"] = [str(p) for p in raw.getlist("populations")][:len(POPULATIONS)]
    values["organisations"] = [str(o) for o in raw.getlist("organisations")][:20]
    values["documents"] = [line.strip() for line in form.get("documents", "").splitlines() if line.strip()][:10]
    try:
        practice = practices.submit(me.ctx, PracticeIn.model_validate(values))
    except (ValidationError, CasesError) as exc:
        err = as_error(exc)
        return render(request, "cases_practice_new.html", err.status, me=me, values=values,
                      error=error_text(request, err), **_choices(me))
    return render(request, "cases_practice_new.html", 201, me=me, values={}, submitted=practice.id, **_choices(me))


@router.get("/cases/practices/queue")
def practice_queue(request: Request, me: OfficerDep) -> Response:
    """Editors: the practices awaiting moderation."""
    return _queue_page(request, me)


#: The moderation form's typed fields, which a cancelled question gives back to it.
TYPED = ("version", "title_es", "summary_es", "title_en", "summary_en", "note")
QUEUE = "/cases/practices/queue"


def _queue_page(request: Request, me: Any, typed: dict[int, dict[str, str]] | None = None) -> Response:
    """The queue; ``typed``: a practice's form values as the editor left them (a cancelled
    question), shown instead of the stored ones. After a post the language switch leads to the
    queue's own address (the post's answers no GET)."""
    back = QUEUE + "".join(f"#practice-{i}" for i in typed or {})  # the cancelled practice's form
    try:
        waiting = practices.queue(me.ctx)
    except CasesError as exc:
        return render(request, "cases_error.html", exc.status, switch_to=back, me=me,
                      message=error_text(request, exc))
    return render(request, "cases_practice_queue.html", switch_to=back, me=me, waiting=waiting,
                  themes=practices.themes(), done=request.query_params.get("done"), typed=typed or {})


@router.post("/cases/practices/{practice_id}/moderate")
async def practice_moderate(request: Request, practice_id: PathId, me: OfficerDep, rt: RuntimeDep) -> Response:
    """Complete the texts (if any field is given), then publish or reject."""
    form = {k: str(v)[:2000] for k, v in (await request.form()).items()}
    if refused := csrf_refused(request, me, rt, form.get("csrf_token", "")):
        return refused
    if cancelled(form):  # the question's Cancel: the queue again, this practice's form as it was typed
        return _queue_page(request, me, {practice_id: {k: form[k] for k in TYPED if k in form}})
    texts = {k: form[k].strip() for k in ("title_es", "summary_es", "title_en", "summary_en")
             if form.get(k, "").strip()}
    version = form.get("version", "")
    try:
        translation = PracticeTranslation.model_validate(
            {**texts, "version": int(version) if version.isdecimal() and len(version) < 10 else 0}) if texts else None
        moderation = Moderation.model_validate({"decision": form.get("decision", ""), "note": form.get("note", "")})
        if not confirmed(form):  # the first post: the same checks, then the question
            practice = practices.check_moderation(me.ctx, practice_id, moderation, texts,
                                                  translation.version if translation else None)
            return _confirm_moderation(request, me, practice, moderation, texts, form)
        if translation is not None:
            practices.translate(me.ctx, practice_id, translation)
        practices.moderate(me.ctx, practice_id, moderation)
    except (ValidationError, CasesError) as exc:
        err = as_error(exc)
        return render(request, "cases_error.html", err.status, switch_to=f"{QUEUE}#practice-{practice_id}", me=me,
                      message=error_text(request, err))
    return RedirectResponse(f"/cases/practices/queue?lang={lang_of(request)}&done={practice_id}", status_code=303)


def _confirm_moderation(request: Request, me: Any, practice: Any, moderation: Moderation, texts: dict[str, str],
                        form: dict[str, str]) -> Response:
    """The question before publishing or rejecting: the practice by number, title and country."""
    lang = lang_of(request)
    tx = Texts(lang)
    key = "confirm.publish_practice" if moderation.decision == "publish" else "confirm.reject_practice"
    title = texts.get(f"title_{lang}") or getattr(practice, f"title_{lang}") \
        or texts.get("title_es") or texts.get("title_en") or practice.title_es or practice.title_en or ""
    fields = [(k, form[k]) for k in TYPED if k in form]
    return confirm_page(request, me, lines=[tx(key, id=practice.id, title=title, country=practice.country)],
                        action=f"/cases/practices/{practice.id}/moderate",
                        fields=[*fields, ("decision", moderation.decision)],
                        cancel=f"{QUEUE}#practice-{practice.id}", confirm_label=tx(f"{key}.button"))
