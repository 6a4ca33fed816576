"""The confirmation page's Cancel in Chromium with JavaScript off, at a phone's and a desktop's
width, in both languages: the transfer question's Cancel gives back the refer form holding what
was typed (reason, services, transfer box, receiver); the question and the form given back fit
the width; the language switch of both leads to a page (never a 405)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from .browser_login import sign_in

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
REASON = "Niña sola en Tapachula; la tía vive en Quetzaltenango"


def _fits(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def _submit(page: Any, form: str) -> None:
    with page.expect_navigation():
        page.locator(f'form[action*="{form}"] button[type="submit"]').first.click()


def _child_case_with_consent(page: Any, server: str) -> int:
    """A child's case of the signed-in consul, with a recorded consent (the forms, by field name)."""
    page.goto(f"{server}/cases/people/new?lang=es")
    page.locator('input[name="given_names"]').fill("Ana")
    page.locator('input[name="nationality"]').fill("GTM")
    _submit(page, "/cases/people/new")
    if "/cases/c/new" not in page.url:  # the second width's Ana: "another person; register anyway"
        _submit(page, "/cases/people/new")
    page.locator('select[name="case_type"]').select_option("unaccompanied_child")
    _submit(page, "/cases/c/new")
    case_id = int(re.search(r"/cases/c/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    page.goto(f"{server}/cases/c/{case_id}/refer?lang=es")
    page.locator('select[name="given_by"]').select_option("guardian")
    page.locator('input[name="guardian_name"]').fill("María (tía)")
    page.locator('input[name="given_at"]').fill("2026-12-01T10:30")
    page.locator('input[name="given_to"]').fill("Consulado")
    page.locator('input[name="purpose"]').fill("protección")
    _submit(page, "/consents")
    return case_id


@pytest.mark.parametrize("backend", ["sqlite"])
def test_cancel_gives_back_the_typed_form_without_javascript(rt, world, server, browser) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width in (390, 1366):
        context = browser.new_context(viewport={"width": width, "height": 844}, java_script_enabled=False)
        page = context.new_page()
        try:
            sign_in(page, server, "gtm_officer")
            case_id = _child_case_with_consent(page, server)
            for lang in ("es", "en"):
                page.goto(f"{server}/cases/c/{case_id}/refer?lang={lang}")
                receiver = page.locator('select[name="to_organisation_id"] option', has_text="(niñez)").first
                page.locator('select[name="to_organisation_id"]').select_option(receiver.get_attribute("value"))
                page.locator('input[name="services"][value="family_tracing"]').check()
                page.locator('textarea[name="reason"]').fill(REASON)
                page.locator('input[name="transfer"]').check()
                _submit(page, "/referrals")
                assert page.locator("#confirm").is_visible() and _fits(page), (width, lang)
                page.screenshot(path=str(ARTIFACTS / f"confirmback-{width}-{lang}-question.png"), full_page=True)
                switch = page.locator("a.lang-switch").get_attribute("href")
                with page.expect_navigation():
                    page.locator("#confirm-cancel").click()
                # the form again, as typed, at the question's address (a post's answer)
                assert page.locator('textarea[name="reason"]').input_value() == REASON, (width, lang)
                assert page.locator('input[name="transfer"]').is_checked()
                assert page.locator('input[name="services"][value="family_tracing"]').is_checked()
                assert page.locator('select[name="to_organisation_id"]').input_value() == receiver.get_attribute("value")
                assert page.get_attribute("html", "lang") == lang and _fits(page), (width, lang)
                page.screenshot(path=str(ARTIFACTS / f"confirmback-{width}-{lang}-cancelled.png"), full_page=True)
                for link in (switch, page.locator("a.lang-switch").get_attribute("href")):
                    answer = page.goto(f"{server}{link}")
                    assert answer is not None and answer.status == 200, (width, lang, link)
                    assert page.get_attribute("html", "lang") == ("en" if lang == "es" else "es")
                page.screenshot(path=str(ARTIFACTS / f"confirmback-{width}-{lang}-switched.png"), full_page=True)
        finally:
            context.close()
