"""Portal page-load benchmark: bytes on the wire, DOMContentLoaded and charts drawn, per page.

Each page loads in a fresh headless-Chromium context (empty browser cache) from a real uvicorn
server on 127.0.0.1. The server's page cache is warmed first (one request per page, whose time
is printed as "build"), so the browser timings measure delivery and drawing, not first queries.

Peer, in the same run and from the same server: the overview's trends chart written by
``plotly.io.to_html(include_plotlyjs=True)`` — the usual way to publish one Plotly chart as a
static page (plotly.js inlined). Ratios are portal page / peer.

Budget (issue 11, item 19): ≤ 600 KB compressed per page cold; charts drawn ≤ 1 s. Run it
after ``make run`` (which builds the light plotly.js) to measure what a fresh clone serves.

    .venv/bin/python bench/portal/run.py [--db var/observatorio.duckdb] [--repeat 3] [--lang es]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import plotly.io
import uvicorn
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from observatorio.publish.api.app import create_app
from observatorio.publish.web import assets
from observatorio.publish.web.pages import PAGE_BY_ID, PageRequest, build_overview, page_url
from observatorio.settings import Settings, get_settings
from observatorio.store.duck import Store

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-dev-shm-usage"]
BUDGET_BYTES = 600 * 1024
BUDGET_CHARTS_MS = 1000.0
PAGES: tuple[tuple[str, str, str | None], ...] = (
    ("overview", "overview", None), ("countries", "countries", None),
    ("country-GTM", "country", "GTM"), ("routes", "routes", None),
    ("children", "children", None), ("returns", "returns", None), ("deaths", "deaths", None),
    ("data", "data", None), ("methodology", "methodology", None),
)

# Timings relative to the navigation start, read from the page itself.
TIMINGS_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const all = performance.getEntriesByName('charts-drawn')[0];
  const seen = performance.getEntriesByName('charts-in-view')[0] || all;
  return {dcl: nav.domContentLoadedEventEnd, drawn: seen ? seen.startTime : null,
          all: all ? all.startTime : null};
}"""


@dataclass
class Sample:
    bytes: int
    dcl_ms: float
    charts_ms: float | None  # the charts of the first screen drawn
    all_ms: float | None = None  # every chart of the page drawn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_store(db: Path | None) -> Path:
    """The store to serve: the one given, the configured one, or a fresh bundled load."""
    path = db or get_settings().db_path
    if path.exists():
        return path
    from observatorio.loading import load_bundled

    path = Path(tempfile.mkdtemp(prefix="portal-bench-")) / "observatorio.duckdb"
    print(f"building a store from the bundled data in {path} …", file=sys.stderr)
    with Store.open(path) as store:
        load_bundled(store)
    return path


def peer_html(settings: Settings) -> str:
    """The overview's trends figure as a standalone to_html page (plotly.js inlined)."""
    with Store.open(settings.db_path, read_only=True) as store:
        req = PageRequest("es", PAGE_BY_ID["overview"], store, settings)
        figure = json.loads(build_overview(req)["charts"]["trends"].figure_json())
    post = ("performance.mark('charts-drawn');"
            "document.documentElement.setAttribute('data-charts-ready','true');")
    return str(plotly.io.to_html(figure, include_plotlyjs=True, full_html=True, post_script=post))


def add_peer(app: FastAPI, html: str) -> None:
    # Bench-only route on the bench's own app instance; the product app has no such page.
    @app.get("/bench/peer/trends.html", include_in_schema=False)
    def peer() -> HTMLResponse:
        return HTMLResponse(html)


def serve(app: FastAPI) -> tuple[str, uvicorn.Server, threading.Thread]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, thread


def measure(browser: Any, url: str, warm_with: str | None = None) -> Sample:
    """One load: wire bytes (compressed, from the DevTools protocol) and timings.

    Cold: a fresh context. Warm (``warm_with``): the context first visits another portal page,
    as a reader moving between pages does, so plotly.js comes from the browser's cache.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    if warm_with:
        for _ in range(2):  # twice: Chromium keeps compiled code from the second load on
            page.goto(warm_with, wait_until="load")
            page.wait_for_selector("html[data-charts-ready]", state="attached", timeout=120_000)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    sizes: list[float] = []
    cdp.on("Network.loadingFinished", lambda e: sizes.append(float(e["encodedDataLength"])))
    page.goto(url, wait_until="load")
    page.wait_for_selector("html[data-charts-ready]", state="attached", timeout=120_000)
    timings = page.evaluate(TIMINGS_JS)
    page.wait_for_timeout(100)  # let the last loadingFinished events arrive
    context.close()
    return Sample(int(sum(sizes)), float(timings["dcl"]),
                  None if timings["drawn"] is None else float(timings["drawn"]),
                  None if timings["all"] is None else float(timings["all"]))


def median(samples: list[Sample]) -> Sample:
    drawn = [s.charts_ms for s in samples if s.charts_ms is not None]
    every = [s.all_ms for s in samples if s.all_ms is not None]
    return Sample(int(statistics.median(s.bytes for s in samples)),
                  statistics.median(s.dcl_ms for s in samples),
                  statistics.median(drawn) if drawn else None,
                  statistics.median(every) if every else None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lang", default="es", choices=("es", "en"))
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    settings = Settings(db=ensure_store(args.db))
    app = create_app(settings)
    add_peer(app, peer_html(settings))
    base, server, thread = serve(app)
    paths = [(name, page_url(args.lang, pid, iso)) for name, pid, iso in PAGES]
    builds = {}
    with httpx.Client(base_url=base, timeout=120) as client:
        for name, path in paths:  # warm the server's page cache; time the cold build
            started = time.perf_counter()
            client.get(path).raise_for_status()
            builds[name] = (time.perf_counter() - started) * 1000
    results: dict[str, Sample] = {}
    warm: dict[str, Sample] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        measure(browser, base + paths[0][1])  # first launch pays Chromium's own start-up
        results["peer: to_html trends"] = median(
            [measure(browser, base + "/bench/peer/trends.html") for _ in range(args.repeat)])
        for name, path in paths:
            results[name] = median([measure(browser, base + path) for _ in range(args.repeat)])
        # the page a reader usually comes from: the routes page (a chart page other than these)
        via = base + page_url(args.lang, "routes", None)
        for name, path in paths:
            warm[name] = median([measure(browser, base + path, warm_with=via)
                                 for _ in range(args.repeat)])
        browser.close()
    server.should_exit = True
    thread.join(timeout=10)

    peer = results["peer: to_html trends"]
    print(f"portal bench — {args.lang}, median of {args.repeat} cold loads, store {settings.db_path},"
          f" plotly.js {assets.plotly_version()}")
    header = (f"{'page':<22}{'KB wire':>9}{'DCL ms':>9}{'charts ms':>11}{'all ms':>8}{'build ms':>10}"
              f"{'×bytes':>8}{'×charts':>9}{'warm KB':>9}{'warm charts':>13}  budget")
    print(header)
    print("-" * len(header))
    for name, s in results.items():
        drawn = "—" if s.charts_ms is None else f"{s.charts_ms:.0f}"
        every = "—" if s.all_ms is None else f"{s.all_ms:.0f}"
        ratio_b = s.bytes / peer.bytes
        ratio_c = "—" if s.charts_ms is None or not peer.charts_ms else f"{s.charts_ms / peer.charts_ms:.2f}"
        ok = s.bytes <= BUDGET_BYTES and (s.charts_ms or 0) <= BUDGET_CHARTS_MS
        build = f"{builds[name]:.0f}" if name in builds else "—"
        w = warm.get(name)
        warm_kb = "—" if w is None else f"{w.bytes / 1024:.0f}"
        warm_ms = "—" if w is None or w.charts_ms is None else f"{w.charts_ms:.0f}"
        print(f"{name:<22}{s.bytes / 1024:>9.0f}{s.dcl_ms:>9.0f}{drawn:>11}{every:>8}{build:>10}"
              f"{ratio_b:>8.2f}{ratio_c:>9}{warm_kb:>9}{warm_ms:>13}  {'ok' if ok else 'OVER'}")
    print("charts: the charts of the first screen drawn (the budget); all: every chart drawn;"
          " cold: fresh browser context; warm: after visiting the routes page (plotly.js cached);"
          " build: first server-side build of the page (later visits hit the page cache);"
          " × = ratio to the peer (lower is better); budget on the cold load")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
