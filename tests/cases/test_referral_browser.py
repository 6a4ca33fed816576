"""The referral scenario of #14 in Chromium (Playwright), on SQLite and on the tests' own
PostgreSQL: a consular officer of Guatemala in Tapachula (Mexico) registers a Guatemalan child,
opens an unaccompanied-child case, records the guardian's consent and refers the case (as a
transfer) to Guatemala's child-protection agency; the agency's officer sees it in "my work",
accepts it and completes the protocol steps; a user of a third country sees nothing of it (404,
audited as denied); the audit chain verifies."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from observatorio.cases import audit
from observatorio.cases.models import AuditEntry, Case
from observatorio.cases.referral_models import Referral

from .conftest import BACKENDS, PASSWORD


def _sign_in(browser: Any, server: str, username: str) -> Any:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{server}/cases/login")
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url("**/cases/work?lang=*")
    return context, page


def _complete(page: Any, step: str, *fields: tuple[str, str]) -> None:
    item = page.locator(f"#step-{step}")
    for label, value in fields:
        item.get_by_label(label).fill(value)
    with page.expect_navigation():
        item.get_by_role("button", name="Completar el paso").click()
    page.locator(f"#step-{step} .cases-done").wait_for()


@pytest.mark.parametrize("backend", BACKENDS)
def test_cross_border_referral_in_the_browser(rt, world, server, browser) -> None:
    # 1. the consular officer in Mexico registers the child and opens the case
    context, page = _sign_in(browser, server, "gtm_officer")
    try:
        page.get_by_role("link", name="Registrar persona").click()
        page.get_by_label("Nombres").fill("Ana Lucía")
        page.get_by_label("Apellidos").fill("Pérez Prueba")
        page.get_by_label("Fecha de nacimiento").fill("2014-03-02")
        page.get_by_label("Nacionalidad").fill("GTM")
        page.get_by_role("button", name="Registrar y abrir un caso").click()
        page.wait_for_url("**/cases/c/new?**")
        page.get_by_label("Tipo").select_option("unaccompanied_child")
        page.get_by_role("button", name="Abrir un caso").click()
        page.wait_for_url(re.compile(r".*/cases/c/\d+\?.*"))
        case_id = int(re.search(r"/cases/c/(\d+)", page.url).group(1))
        # 2. records the guardian's consent, then refers (transfers) the case
        page.get_by_role("link", name="Registrar consentimiento y remitir").click()
        page.get_by_role("combobox", name="Dado por").select_option("guardian")
        page.get_by_label("Nombre de la persona tutora").fill("María Pérez (tía)")
        page.get_by_label("Fecha y hora (UTC)").fill("2026-12-01T10:30")
        page.get_by_label("Dado a", exact=True).fill("Consulado de Guatemala en Tapachula")
        page.get_by_label("Para qué").fill("Remisión a la autoridad de protección de la niñez")
        page.get_by_role("button", name="Registrar el consentimiento").click()
        page.wait_for_url("**/refer?**")
        page.get_by_role("combobox", name="Organización receptora").select_option(label="GTM — Procuraduría General de la Nación (niñez)")
        page.get_by_role("combobox", name="Tipo de remisión").select_option("child_protection")
        page.get_by_label("Protección especial de la niñez").check()
        page.get_by_label("Búsqueda y reunificación familiar").check()
        page.get_by_label("Motivo").fill("Niña no acompañada detectada en Tapachula")
        page.get_by_label("Transferir el caso").check()
        page.get_by_role("button", name="Enviar la remisión").click()
        # the confirmation step names the receiver and says it cannot be undone; then it is sent
        question = page.locator("#confirm").inner_text()
        assert "Procuraduría General de la Nación" in question and "no se puede deshacer" in question
        page.get_by_role("button", name="Confirmar la transferencia").click()
        page.wait_for_url(f"**/cases/c/{case_id}?**")
        assert "Pendiente" in page.locator("#referrals + ul").inner_text()
    finally:
        context.close()
    with rt.sessions() as s:
        referral_id = s.scalar(select(Referral.id).where(Referral.case_id == case_id))
        reference = s.scalar(select(Case.reference).where(Case.id == case_id))

    # 3. the agency's officer sees it in "my work", accepts it and completes the protocol steps
    context, page = _sign_in(browser, server, "gtm_protection")
    try:
        page.locator("#incoming + ul").get_by_role("link", name=reference).click()
        page.wait_for_url(f"**/cases/referrals/{referral_id}?**")
        assert "Ana Lucía" in page.content()  # the profile's fields travel
        page.get_by_role("button", name="Aceptar").click()
        assert "pasa a Procuraduría General de la Nación" in page.locator("#confirm").inner_text()
        page.get_by_role("button", name="Confirmar la aceptación").click()
        page.wait_for_url(f"**/cases/c/{case_id}?**")
        # protocol v3, Guatemala's variant: the full best-interests procedure
        _complete(page, "identify", ("Base de la edad (documento o estimación)", "Partida de nacimiento"))
        _complete(page, "notify_child_protection", ("Autoridad a la que se remite", "PGN"))
        _complete(page, "pgn_hearing", ("Fecha de audiencia", "2026-12-03"))
        _complete(page, "best_interests", ("Evaluación a cargo de", "Equipo PGN"))
        _complete(page, "family_tracing", ("Resultado de la búsqueda", "Madre localizada en Huehuetenango"))
        _complete(page, "guardian", ("Persona tutora o representante designada", "María Pérez (tía)"),
                  ("Autoridad que la designa", "PGN"))
        _complete(page, "best_interests_determination",
                  ("Decisión (reunificación, retorno, cuidado alternativo…)", "Reunificación con la madre"),
                  ("Panel o autoridad que decide", "PGN"),
                  ("Opinión de la niña o el niño, escuchada", "Quiere vivir con su madre"))
        assert page.locator(".cases-checklist form").count() == 0  # every step complete
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # fits 390 px
    finally:
        context.close()

    # 4. a user of a third country sees nothing of it
    context, page = _sign_in(browser, server, "hnd_head")
    try:
        for path in (f"/cases/referrals/{referral_id}", f"/cases/c/{case_id}", f"/cases/c/{case_id}/refer"):
            response = page.goto(f"{server}{path}")
            assert response is not None and response.status == 404, path
            assert "Ana Lucía" not in page.content() and reference not in page.content()
        assert reference not in page.goto(f"{server}/cases/work").text()
    finally:
        context.close()

    with rt.sessions() as s:
        denied = s.scalars(select(AuditEntry).where(AuditEntry.actor == "hnd_head",
                                                    AuditEntry.outcome == "denied")).all()
        assert {(e.record_type, e.record_id) for e in denied} >= {("referral", str(referral_id)),
                                                                   ("case", str(case_id))}
        assert audit.verify(s).ok
