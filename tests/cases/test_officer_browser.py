"""Chromium (Playwright) on SQLite: a consular officer logs in, opens a case from "my work" and
completes a protocol step, on a 390 px wide screen, with the keyboard for the step form."""

from __future__ import annotations

import pytest

from observatorio.cases import case_records, person_records
from observatorio.cases.schemas import CaseCreate, PersonCreate
from observatorio.cases.vocab import CaseType

from .browser_login import sign_in
from .conftest import ctx_for


@pytest.mark.parametrize("backend", ["sqlite"])
def test_officer_logs_in_opens_a_case_and_completes_a_step(rt, world, server, browser) -> None:
    with rt.sessions() as s:
        ctx = ctx_for(s, world, "gtm_officer")
        person = person_records.create_person(ctx, PersonCreate(given_names="Niña", organisation_id=world.orgs["gtm_consulate_mex"]))
        case = case_records.create_case(ctx, CaseCreate(case_type=CaseType.UNACCOMPANIED_CHILD, person_id=person.id,
                                                        organisation_id=world.orgs["gtm_consulate_mex"]))
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, server, "gtm_officer")
        assert page.locator("h1").inner_text() == "Mi trabajo"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.get_by_role("link", name=case.reference).click()
        page.wait_for_url(f"**/cases/c/{case.id}?**")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # fits 390 px
        field = page.get_by_label("Base de la edad (documento o estimación)")
        field.focus()
        page.keyboard.type("Partida de nacimiento")
        with page.expect_navigation():
            page.keyboard.press("Enter")  # the keyboard submits the step form
        step = page.locator("#step-identify")
        step.locator(".cases-done").wait_for()
        assert "Completado" in step.inner_text()
        assert page.get_by_label("Base de la edad (documento o estimación)").count() == 0
    finally:
        context.close()
