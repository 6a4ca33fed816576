"""Memory of the benchmark's servers: resident and peak resident memory of every process of a
server (the supervisor and its workers), and a walk through every portal page in both languages.

Peak RSS is the kernel's high-water mark (``VmHWM`` in /proc/<pid>/status, Linux); elsewhere
psutil's current RSS stands in for it. RSS counts two kinds of pages: the process's own memory
(``RssAnon``: its heap, the data it holds) and pages of files it maps (``RssFile``: mostly the code
of the shared libraries it loaded — numpy, Arrow, DuckDB, pandas —, read from disk and held once
by the kernel for every process that maps them). Both are printed; the target is on RSS.

Run on its own (``python bench/api/memory.py [--db …] [--statistics-only]``) it measures one
process doing a server worker's work step by step (:func:`phases`): where the memory goes.
"""

from __future__ import annotations

import contextlib
import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

#: The target of issue 12: every server process under this after a full walk and under load.
TARGET_MB = 300


@dataclass(frozen=True)
class Reading:
    stage: str
    server: str
    pid: int
    role: str  # "supervisor" or "worker"
    rss_mb: float
    peak_mb: float
    own_mb: float  # RssAnon: the process's own memory (RSS less the files it maps)


def _status_bytes(process: psutil.Process, field: str) -> int | None:
    """A ``kB`` field of /proc/<pid>/status in bytes (None where there is none: not Linux)."""
    try:
        for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _peak_bytes(process: psutil.Process) -> int:
    found = _status_bytes(process, "VmHWM")
    return int(process.memory_info().rss) if found is None else found


def read(stage: str, server: str, proc: subprocess.Popen[bytes]) -> list[Reading]:
    """RSS and peak RSS of the server's processes now (the workers are its descendants)."""
    root = psutil.Process(proc.pid)
    family = [root, *root.children(recursive=True)]
    out = []
    for process in family:
        try:
            rss = process.memory_info().rss
            peak = max(_peak_bytes(process), rss)
            own = _status_bytes(process, "RssAnon")
        except psutil.NoSuchProcess:
            continue
        role = "supervisor" if process.pid == root.pid and len(family) > 1 else "worker"
        out.append(Reading(stage, server, process.pid, role, rss / 2**20, peak / 2**20,
                           (rss if own is None else own) / 2**20))
    return out


def show(readings: list[Reading]) -> None:
    for r in readings:
        print(f"    {r.stage:<22} {r.server:<18} pid {r.pid:<7} {r.role:<10} "
              f"RSS {r.rss_mb:>6.0f} MB   peak {r.peak_mb:>6.0f} MB   own {r.own_mb:>6.0f} MB",
              flush=True)


def walk_portal(base: str, passes: int) -> int:
    """Every portal page (each section, each member country) in both languages, ``passes``
    times (one per worker: the kernel spreads connections over the workers); pages fetched."""
    paths = portal_paths()
    for _ in range(passes):
        for path in paths:
            with urllib.request.urlopen(base + path, timeout=300) as response:
                response.read()
    return len(paths) * passes


def portal_paths() -> list[str]:
    """Every portal page: each section and each member country, in both languages."""
    # imported here: the step-by-step run below measures a process before any of the project
    from observatorio.model.codelists import CRM_MEMBERS
    from observatorio.publish.web.pages import PAGES, page_url

    paths = [page_url(lang, p.id) for lang in ("es", "en") for p in PAGES]
    return paths + [page_url(lang, "country", iso) for lang in ("es", "en") for iso in CRM_MEMBERS]


def summary(readings: list[Reading]) -> None:
    """The largest peak per server and stage, and whether every worker is under TARGET_MB."""
    print()
    print(f"Peak RSS per server process (target: every process under {TARGET_MB} MB)")
    stages = list(dict.fromkeys(r.stage for r in readings))
    servers = list(dict.fromkeys(r.server for r in readings))
    for server in servers:
        cells = []
        for stage in stages:
            mine = [r for r in readings if r.server == server and r.stage == stage]
            if mine:
                cells.append(f"{stage}: " + ", ".join(f"{r.peak_mb:.0f}" for r in mine))
        print(f"    {server:<18} " + " | ".join(cells) + " MB")
        peak = max(r.peak_mb for r in readings if r.server == server)
        own = max(r.own_mb for r in readings if r.server == server and r.role == "worker")
        print(f"    {server:<18} peak {peak:.0f} MB, target {TARGET_MB} MB: "
              + ("met" if peak < TARGET_MB else "NOT met")
              + f" (largest own memory of a worker, RssAnon: {own:.0f} MB)")
    worst = max((r.peak_mb for r in readings), default=0.0)
    print(f"largest peak {worst:.0f} MB: target " + ("met" if worst < TARGET_MB else "NOT met"))


# -- one worker, step by step ------------------------------------------------------------------
#
#     .venv/bin/python bench/api/memory.py --db var/bench/api.duckdb [--statistics-only]
#
# One process does what a server worker does, one step at a time, and prints after each step
# its RSS and the peak reached during the step (the kernel's high-water mark is reset before
# each step: ``echo 5 > /proc/self/clear_refs``, Linux), and which heavy libraries are loaded.

#: The pause of the last step: longer than DuckDB's allocator waits before giving memory back.
IDLE_S = 15.0

_HEAVY = ("numpy", "pyarrow", "pandas", "duckdb", "fastapi", "sqlalchemy", "scipy", "jinja2")


def _own_status() -> tuple[float, float, float]:
    """This process's RSS, peak RSS and own memory (RssAnon), in MB."""
    found = {"VmRSS": 0.0, "VmHWM": 0.0, "RssAnon": 0.0}
    for line in Path("/proc/self/status").read_text().splitlines():
        name = line.split(":")[0]
        if name in found:
            found[name] = int(line.split()[1]) / 1024
    return found["VmRSS"], found["VmHWM"], found["RssAnon"]


def _reset_peak() -> None:
    # not Linux, or not allowed: the peak is then the process's so far
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def phases(db: Path, statistics_only: bool) -> None:  # pragma: no cover - a bench
    import sys
    import threading
    import time

    rows: list[tuple[str, float, float, float, str]] = []
    start = time.perf_counter()
    opened: list[Any] = []  # the store, once open

    def duckdb_mb() -> float:  # what DuckDB's buffer manager holds (table blocks, queries)
        if not opened:
            return 0.0
        cursor = opened[0].cursor()
        try:
            found = cursor.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchall()
        finally:
            cursor.close()
        return float(found[0][0] or 0) / 2**20

    def mark(step: str) -> None:
        nonlocal start
        rss, peak, own = _own_status()
        loaded = ",".join(m for m in _HEAVY if m in sys.modules)
        rows.append((step, rss, peak, time.perf_counter() - start, loaded))
        print(f"  {step:<34} RSS {rss:6.0f} MB  step peak {peak:6.0f} MB  own {own:6.0f} MB  "
              f"DuckDB {duckdb_mb():5.0f} MB  {rows[-1][3]:6.2f} s  [{loaded}]", flush=True)
        _reset_peak()
        start = time.perf_counter()

    mark("interpreter (+ psutil)")
    from observatorio.publish.api.app import create_served_app
    from observatorio.settings import Settings
    mark("import publish.api.app")
    app = create_served_app(Settings(db=db, cases_web=not statistics_only, api_cache_mb=0))
    mark("create_app")
    from fastapi.testclient import TestClient

    from observatorio.publish.api.store_access import get_handle, warm_up
    from observatorio.publish.web import analysis_bridge
    from observatorio.store.catalogue import StoreCatalogue
    mark("imports of the later steps")
    handle = get_handle(app.state)
    opened.append(handle.store)
    mark("store opened")
    StoreCatalogue.of(handle.store)
    mark("catalogue")
    warm_up(app.state, threading.Event())  # the in-memory columns, then memory given back
    mark("in-memory columns (API warm-up)")
    analysis_bridge.warm_up(app.state, threading.Event())
    mark("portal warm-up")
    client = TestClient(app)  # no lifespan: the warm-ups above were the start-up's
    paths = portal_paths()
    for walk in (1, 2):
        for path in paths:
            response = client.get(path)
            response.raise_for_status()
        mark(f"portal walk {walk} ({len(paths)} pages)")
    for q in ("/api/v1/observations?source=cbp_sw_land_border_encounters&ref_area=USA&freq=M"
              "&group_by=flow,period",
              "/api/v1/observations?source=cbp_sw_land_border_encounters&start=2023&end=2023"
              "&group_by=citizenship"):
        client.get(q).raise_for_status()
    mark("API questions")
    # a server between visits: what the allocators give back once idle (DuckDB's background
    # thread returns what queries freed after a few seconds, store/duck.py)
    time.sleep(IDLE_S)
    mark(f"idle {IDLE_S:.0f} s")


if __name__ == "__main__":  # pragma: no cover
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=Path("var/bench/api.duckdb"))
    parser.add_argument("--statistics-only", action="store_true")
    arguments = parser.parse_args()
    phases(arguments.db, arguments.statistics_only)
