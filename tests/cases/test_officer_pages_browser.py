"""Chromium (Playwright) at 1366 and 390 px, in both languages: a notice's link followed before
signing in leads to its case after the login form; the inbox shows the case's reference and the
audit trail its labels and times, each page (and the trail's table) within the window's width."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from observatorio.cases import notifications
from observatorio.cases.audit_labels import action_label
from observatorio.i18n import t

from .conftest import PASSWORD
from .test_officer_forms_browser import FITS, detention_case

TABLE_FITS = "(() => { const box = document.querySelector('.table-scroll'); return box.scrollWidth <= box.clientWidth; })()"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_sign_in_next_inbox_and_trail_in_chromium(rt, world, server, browser, tmp_path: Path) -> None:  # noqa: F811
    with rt.sessions() as s:
        case = detention_case(s, world)
        notifications.announce(s, [world.users["gtm_head"]], "step_overdue", "step_overdue:browser", case_id=case.id)
        s.commit()
    for width in (1366, 390):
        for lang in ("es", "en"):
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            try:
                # the e-mailed link, before signing in: the login form, then the case itself
                page.goto(f"{server}/cases/c/{case.id}?lang={lang}")
                assert "/cases/login?" in page.url and "next=" in page.url
                page.get_by_label(t("cases.login.username", lang)).fill("gtm_head")
                page.get_by_label(t("cases.login.password", lang)).fill(PASSWORD)
                page.get_by_role("button", name=t("cases.login.submit", lang)).click()
                page.wait_for_url(f"**/cases/c/{case.id}?lang={lang}")
                assert page.evaluate(FITS), (width, lang)
                # the inbox: the notice with its case's reference, a link to the case
                page.goto(f"{server}/cases/inbox?lang={lang}")
                assert page.get_by_role("link", name=case.reference).count() == 1
                assert page.evaluate(FITS), (width, lang)
                page.screenshot(path=str(tmp_path / f"inbox-{width}-{lang}.png"), full_page=True)
                # the audit trail: labels in the page's language, the codes beside them
                page.goto(f"{server}/cases/c/{case.id}/trail?lang={lang}")
                table = page.locator("table").inner_text()
                assert action_label("case.create", lang) in table and "case.create" in table
                assert table.count(" UTC") == page.locator("time").count() and not re.search(r"\d{4}-\d\d-\d\dT", table)
                assert page.evaluate(FITS), (width, lang)
                # nor does the table scroll sideways inside its box: on a phone each entry is a
                # block of lines labelled by the header's texts, the outcome among them
                assert page.evaluate(TABLE_FITS), (width, lang)
                page.screenshot(path=str(tmp_path / f"trail-{width}-{lang}.png"), full_page=True)
            finally:
                context.close()
