"""Where an officer page render spends its time: cProfile over a loop of renders through the
product's ASGI app in this one process (httpx's ASGI transport; sync routes and dependencies run
inline instead of in the thread pool, so one profile sees the whole request), on a throwaway
PostgreSQL seeded like ``run.py --pages-only`` (four consulates, one consular head each, five
cases per user with a note, a task and a service; the list shows the consulate's cases).

    PYTHONPATH=src .venv/bin/python bench/cases/profile_pages.py [--renders 300] [--top 40]

Under ``valgrind --tool=callgrind --instr-atstart=no`` with ``--callgrind --top 0``, callgrind
also counts the instructions of the renders of each page (a dump per page): a figure other jobs
on the machine do not move, unlike CPU time.

Prints, per page (case list, case page), the CPU milliseconds per render of this process (the
least and the median of ten blocks of renders, not profiled; the client is included), then,
unless ``--top 0``, a cProfile on CPU time: the functions with the most cumulative CPU time,
then the most own CPU time (``--dump PREFIX`` writes the profiles for pstats).

    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/cg.%p \
        .venv/bin/python bench/cases/profile_pages.py --renders 60 --top 0 --callgrind
    grep summary /tmp/cg.*.1 /tmp/cg.*.2   # instructions over the renders of the list, the case page
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib.util
import io
import os
import pstats
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx

HERE = Path(__file__).resolve().parent


def _bench() -> Any:  # run.py, loaded by path (bench/ is no package)
    spec = importlib.util.spec_from_file_location("cases_bench", HERE / "run.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["cases_bench"] = mod
    spec.loader.exec_module(mod)
    return mod


async def _inline(func: Any, *args: Any, **_: Any) -> Any:
    return func(*args)


async def _profile(app: Any, users: int, cases: dict[int, list[int]], renders: int, top: int,
                   dump: str | None, callgrind: bool) -> None:
    transport = httpx.ASGITransport(app=app)
    clients = []
    for i in range(users):
        c = httpx.AsyncClient(transport=transport, base_url="http://bench")
        form = await c.get("/cases/login")
        token = re.search(r"name='csrf_token' value='([0-9a-f]+)'", form.text)
        assert token, form.text[:200]
        r = await c.post("/cases/login", data={"username": f"u{i}", "password": _bench_mod.PASSWORD,
                                               "csrf_token": token.group(1)})
        assert r.status_code == 303, r.text[:200]
        clients.append(c)
    ids = list(cases)

    async def one(kind: str, k: int) -> None:
        i = k % users
        path = "/cases/" if kind == "list" else f"/cases/c/{cases[ids[i]][k % len(cases[ids[i]])]}"
        r = await clients[i].get(path)
        assert r.status_code == 200, (path, r.status_code)

    for kind in ("list", "case"):
        for k in range(30):  # warm: compiled statements, templates
            await one(kind, k)
        if callgrind:  # instructions of this process over the renders (run under valgrind, see the doc)
            pid = str(os.getpid())  # instrumentation stays on from here: turning it off and on miscounts
            subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)
            subprocess.run(["callgrind_control", "-z", pid], check=True, capture_output=True)
            for k in range(renders):
                await one(kind, k)
            subprocess.run(["callgrind_control", "-d", kind, pid], check=True, capture_output=True)
            continue
        blocks = []  # ten blocks: the least CPU per render is the one least disturbed by other jobs
        for b in range(10):
            w, c = time.perf_counter(), time.process_time()
            for k in range(b, renders, 10):
                await one(kind, k)
            blocks.append(((time.perf_counter() - w) * 10000 / renders, (time.process_time() - c) * 10000 / renders))
        blocks.sort(key=lambda wc: wc[1])
        print(f"{kind}: CPU ms per render min {blocks[0][1]:.2f} median {blocks[5][1]:.2f}; wall ms median "
              f"{sorted(b[0] for b in blocks)[5]:.2f} (this process, client included; not profiled; "
              f"load {os.getloadavg()[0]:.1f})")
        if not top:
            continue
        prof = cProfile.Profile(time.process_time)  # CPU time: waits for PostgreSQL and other jobs left out
        w, c = time.perf_counter(), time.process_time()
        prof.enable()
        for k in range(renders):
            await one(kind, k)
        prof.disable()
        w, c = time.perf_counter() - w, time.process_time() - c
        print(f"\n==== {kind}: {w * 1000 / renders:.2f} ms wall, {c * 1000 / renders:.2f} ms CPU per render "
              f"(profiled; load {os.getloadavg()[0]:.1f})")
        if dump:
            prof.dump_stats(f"{dump}-{kind}.prof")
        for order in ("cumulative", "tottime"):
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats(order).print_stats(top)
            print(out.getvalue().split("\n", 6)[-1])
    for c in clients:
        await c.aclose()


def main() -> None:
    global _bench_mod
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--renders", type=int, default=300)
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--callgrind", action="store_true",
                    help="count instructions per page (under valgrind --tool=callgrind --instr-atstart=no)")
    ap.add_argument("--dump", help="also write the profiles to DUMP-list.prof and DUMP-case.prof")
    args = ap.parse_args()
    _bench_mod = bench = _bench()
    from observatorio.cases.runtime import Runtime
    from observatorio.settings import Settings

    pg = bench._pgserver().start(extra=("-c", "fsync=on", "-c", "synchronous_commit=on"))
    try:
        url = bench._fresh_pg(pg, "b_prof")
        rt = Runtime.from_url(url, Settings(secret_key=bench.SECRET), bench.CONFIG)
        users = bench._setup_world(rt, args.clients)
        cases = bench._seed_cases(rt, users, 5)
        rt.close()
        os.environ.update({"OBSERVATORIO_CASES_DB": url, "OBSERVATORIO_SECRET_KEY": bench.SECRET,
                           "OBSERVATORIO_CASES_ARGON2_TIME_COST": "1", "OBSERVATORIO_CASES_ARGON2_MEMORY_COST": "8",
                           "OBSERVATORIO_CASES_ARGON2_PARALLELISM": "1"})
        anyio.to_thread.run_sync = _inline  # type: ignore[assignment]
        from observatorio.publish.api.app import create_app

        app = create_app()

        async def run() -> None:
            async with app.router.lifespan_context(app):
                await _profile(app, args.clients, cases, args.renders, args.top, args.dump, args.callgrind)

        asyncio.run(run())
    finally:
        pg.stop()


_bench_mod: Any = None

if __name__ == "__main__":
    main()
