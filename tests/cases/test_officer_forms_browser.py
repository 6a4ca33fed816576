"""Chromium (Playwright) at 390 px, on SQLite and PostgreSQL: the new officer pages fit a phone's
width and their forms work from the keyboard — filters, a task, the edit form (with a stale
edit), the audit trail and possible duplicates."""

from __future__ import annotations

import pytest

from observatorio.cases import case_records, case_writes, person_records
from observatorio.cases.schemas import CaseCreate, CaseUpdate, PersonCreate
from observatorio.cases.vocab import CaseType

from .browser_login import sign_in
from .conftest import ctx_for
from .test_officer_web import _relative_luminance

FITS = "document.documentElement.scrollWidth <= window.innerWidth"


def detention_case(s, world):  # noqa: ANN001, ANN201 - a session and the test world
    """A detention case of the Guatemalan consulate in Mexico, opened by its head (the browser
    tests' case: a person with accents in their names, a summary to search for)."""
    org = world.orgs["gtm_consulate_mex"]
    ctx = ctx_for(s, world, "gtm_head")
    person = person_records.create_person(ctx, PersonCreate(given_names="María José", family_names="Pérez Xol",
                                                            organisation_id=org))
    return case_records.create_case(ctx, CaseCreate(case_type=CaseType.DETENTION, person_id=person.id,
                                                    organisation_id=org, summary="Retenida en Tapachula"))


def _type_and_enter(page, label: str, text: str) -> None:
    """Type into the field from the keyboard and submit its form with Enter."""
    page.get_by_label(label).focus()
    page.keyboard.type(text)
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_new_officer_pages_at_390_px_with_the_keyboard(rt, world, server, browser) -> None:  # noqa: F811
    with rt.sessions() as s:
        case = detention_case(s, world)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, server, "gtm_head")
        # the list with every filter, at 390 px; the search field submits with Enter
        page.goto(f"{server}/cases/")
        assert page.evaluate(FITS)
        _type_and_enter(page, "Buscar", "tapachula")
        assert "q=tapachula" in page.url and page.get_by_role("link", name=case.reference).count() == 1
        # the case page with the transition, task and service forms
        page.get_by_role("link", name=case.reference).click()
        page.wait_for_url(f"**/cases/c/{case.id}?**")
        assert page.evaluate(FITS)
        _type_and_enter(page, "Nueva tarea", "Visitar la estación migratoria")
        assert "Visitar la estación migratoria" in page.locator("#tasks + ul").inner_text()
        # the edit form; someone else saves first, so the second page shows what changed
        page.get_by_role("link", name="Modificar el caso").click()
        assert page.evaluate(FITS)
        with rt.sessions() as s:
            case_writes.update_case(ctx_for(s, world, "gtm_head"), case.id, CaseUpdate(version=1, location="Huixtla"))
        _type_and_enter(page, "Lugar", "Ciudad Hidalgo")
        assert "Cambios de otras personas" in page.content() and "Huixtla" in page.content()
        assert page.evaluate(FITS)
        with page.expect_navigation():
            page.get_by_role("button", name="Guardar los cambios").press("Enter")
        assert "Ciudad Hidalgo" in page.locator("#facts").inner_text()
        page.get_by_role("link", name="Bitácora de auditoría del caso").click()  # the head reads the audit
        page.wait_for_url(f"**/cases/c/{case.id}/trail?**")
        assert page.evaluate(FITS) and "case.update" in page.locator("table").inner_text()
        # registering someone similar shows the possible duplicate first
        page.goto(f"{server}/cases/people/new")
        page.get_by_label("Nombres").fill("Maria Jose")
        page.get_by_label("Apellidos").fill("Perez Xol")
        with page.expect_navigation():
            page.get_by_label("Apellidos").press("Enter")
        assert page.get_by_role("heading", name="Posibles duplicados").count() == 1
        assert page.evaluate(FITS)
        page.get_by_role("link", name="Abrir el caso para esta persona").click()
        page.wait_for_url(f"**person_id={case.person_id}**")
    finally:
        context.close()


def test_colours_of_the_new_boxes_meet_wcag_aa() -> None:
    # text (#1a1a1a) and links (#00528a) on the duplicates / changes box (#fff7e0)
    for fg in ("#1a1a1a", "#00528a"):
        hi, lo = sorted((_relative_luminance(fg), _relative_luminance("#fff7e0")), reverse=True)
        assert (hi + 0.05) / (lo + 0.05) >= 4.5, fg
