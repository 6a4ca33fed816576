"""Every portal page, both languages, desktop and phone width, in Chromium (issue 11, "done when").

Each visit checks: no horizontal overflow of the page, no legend or axis label cut off at its
chart's edge, no text of the other language (see language_markers), no console error, no
failed request and no request outside the server.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from observatorio.model.codelists import CRM_MEMBERS
from observatorio.publish.web.pages import PAGES, page_url

from .conftest import PageLog
from .language_markers import other_language_words

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": 1366, "phone": 390}
LANGS = ("es", "en")
CHARTS_TIMEOUT_MS = 120_000


def every_page() -> list[tuple[str, str | None]]:
    """(page id, country) of every page the portal serves: each section and each member."""
    return [(p.id, None) for p in PAGES] + [("country", iso) for iso in CRM_MEMBERS]


WALK = [(width, lang, page_id, iso) for width in WIDTHS for lang in LANGS
        for page_id, iso in every_page()]

# Text shown to the reader, element by element, minus what the page marks as not to be
# translated (translate="no": proper names, addresses), as another language (lang="…"),
# code, and scripts.
VISIBLE_TEXT_JS = """() => {
  const lang = document.documentElement.lang;
  const skip = 'script, style, noscript, code, [translate="no"]';
  const out = [];
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest(skip)) continue;
    const tagged = el.closest('[lang]');
    if (tagged && tagged.getAttribute('lang') !== lang) continue;
    // a chart label wrapped over several lines (SVG tspans) is one text: read it whole
    const label = el.closest('svg text');
    if (label) {
      if (seen.has(label)) continue;
      seen.add(label);
      const lines = Array.from(label.querySelectorAll('tspan.line')).map(t => t.textContent.trim());
      const whole = (lines.length ? lines.join(' ') : label.textContent).trim();
      if (whole) out.push(whole);
      continue;
    }
    const text = node.textContent.trim();
    if (text) out.push(text);
  }
  return out;
}"""

OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 && !el.closest('.table-scroll')) {
      wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                (el.className && el.className.baseVal === undefined ? '.' + el.className : '') +
                ' ' + Math.round(box.right));
    }
  }
  return {scroll: document.documentElement.scrollWidth, width: width, wide: wide.slice(0, 5)};
}"""


# Legend entries and axis labels that reach past their chart (an SVG clips them unseen).
CLIPPED_JS = """() => {
  const out = [];
  for (const fig of document.querySelectorAll('figure.chart[data-chart-ready] .plot')) {
    const box = fig.getBoundingClientRect();
    for (const t of fig.querySelectorAll('.legendtext, .xtick text, .ytick text')) {
      const r = t.getBoundingClientRect();
      if (r.width && (r.right > box.right + 2 || r.left < box.left - 2)) {
        out.push(fig.closest('figure').id + ': ' + t.textContent.slice(0, 40));
      }
    }
  }
  return out.slice(0, 5);
}"""


@pytest.fixture(scope="module")
def publishers(server_url: str) -> tuple[str, ...]:
    """Publishers' names (proper names, shown as each publisher writes its own)."""
    sources = httpx.get(f"{server_url}/api/v1/sources", timeout=60).raise_for_status().json()
    return tuple({str(s["publisher"]) for s in sources if s.get("publisher")})


@pytest.fixture(scope="module")
def pages_by_width(browser: Any) -> Iterator[dict[str, tuple[Any, PageLog]]]:
    """One browser page per width, each with its own log."""
    contexts, pages = [], {}
    for name, width in WIDTHS.items():
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.set_default_timeout(CHARTS_TIMEOUT_MS)
        log = PageLog()
        page.on("request", lambda r, log=log: log.requests.append(r.url))
        page.on("requestfailed", lambda r, log=log: log.failed.append(f"{r.url} {r.failure}"))
        page.on("console", lambda m, log=log: log.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e, log=log: log.errors.append(str(e)))
        contexts.append(context)
        pages[name] = (page, log)
    yield pages
    for context in contexts:
        context.close()


def walk_problems(page: Any, log: PageLog, lang: str, names: tuple[str, ...] = ()) -> list[str]:
    """Everything wrong with the page now shown (empty when the page is clean)."""
    problems = []
    width = page.evaluate(OVERFLOW_JS)
    if width["scroll"] > width["width"]:
        problems.append(f"page is {width['scroll']} px wide at {width['width']} px: {width['wide']}")
    clipped = page.evaluate(CLIPPED_JS)
    if clipped:
        problems.append(f"chart text cut off at the chart's edge: {clipped}")
    texts = page.evaluate(VISIBLE_TEXT_JS)
    found = sorted({w.lower() for text in texts for w in other_language_words(text, lang, names)})
    if found:
        samples = [t for t in texts if other_language_words(t, lang, names)][:8]
        problems.append(f"text of the other language {found}: {samples}")
    outside = [u for u in log.requests if urlsplit(u).hostname != "127.0.0.1"
               and not u.startswith("data:")]
    if outside:
        problems.append(f"requests outside the server: {outside}")
    if log.failed:
        problems.append(f"failed requests: {log.failed}")
    if log.errors:
        problems.append(f"console errors: {log.errors}")
    return problems


@pytest.mark.parametrize(("width", "lang", "page_id", "iso3"), WALK,
                         ids=[f"{w}-{lang}-{p}{'-' + i if i else ''}" for w, lang, p, i in WALK])
def test_walk_every_page(pages_by_width: dict[str, tuple[Any, PageLog]], server_url: str,
                         publishers: tuple[str, ...], width: str, lang: str, page_id: str,
                         iso3: str | None) -> None:
    page, log = pages_by_width[width]
    log.clear()
    response = page.goto(server_url + page_url(lang, page_id, iso3), wait_until="load")
    assert response is not None and response.status == 200
    page.wait_for_selector("html[data-charts-ready]", state="attached")
    assert page.get_attribute("html", "data-charts-ready") == "true"
    problems = walk_problems(page, log, lang, publishers)
    assert problems == [], "\n".join(problems)


def test_phone_map_keeps_the_width_for_the_map(pages_by_width: dict[str, tuple[Any, PageLog]],
                                               server_url: str) -> None:
    """At 390 px the colour scale lies under the map: beside it, it left the map a third of
    the chart (143 of 358 px) and Central America a few pixels."""
    page, log = pages_by_width["phone"]
    log.clear()
    page.goto(server_url + page_url("es", "overview"), wait_until="load")
    page.wait_for_selector("html[data-charts-ready]", state="attached")
    map_width, plot_width = page.evaluate("""() => {
      const plot = document.querySelector('#chart-map .plot');
      return [plot.querySelector('.geolayer').getBoundingClientRect().width,
              plot.getBoundingClientRect().width];
    }""")
    assert map_width >= 0.8 * plot_width, (map_width, plot_width)
