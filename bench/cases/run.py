"""Cases write benchmark: creation and update throughput and latency, audit log on.

Modes (each a row of the table):
  pg-service-16   PostgreSQL, 16 concurrent clients calling the use-case layer (policy + audit)
  pg-http-16      PostgreSQL, 16 concurrent HTTP clients against uvicorn (2 workers), full stack
  pg-bare-16      peer: the same writes as bare SQLAlchemy inserts/updates, no policy, no audit
  sqlite-1        SQLite file, one client, use-case layer (policy + audit)
  pg-pages-16     PostgreSQL, 16 concurrent browser sessions against uvicorn (2 workers): officer
                  page renders, the case list (filter form, 25 rows) and a case page (checklist,
                  notes, tasks, services, history), each audited; p95 target < 150 ms. Each
                  client first renders 4 pages, not measured (product and peer alike), so the
                  figures are a working session's, not each worker's cold first renders

A "write" is one of: register a person, open a case, edit a case (each audited).
The PostgreSQL server is started here (initdb in a temporary folder) with durable settings
(fsync and synchronous_commit on), unlike the test server.

    .venv/bin/python bench/cases/run.py [--updates 30] [--clients 16] [--skip-http] [--renders 40]

On a machine other jobs share, latency is mostly queueing (the load average is printed): the CPU
per render is the steadier figure, and steadiest with one user at a time:

    .venv/bin/python bench/cases/run.py --pages-only --clients 1 --renders 400
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
from sqlalchemy import create_engine, text

from observatorio.cases import (
    accounts,
    case_records,
    case_work,
    case_writes,
    person_records,
    use_context,
)
from observatorio.cases.auth import principal_of
from observatorio.cases.config import CasesConfig
from observatorio.cases.db import upgrade
from observatorio.cases.models import Case, Person
from observatorio.cases.runtime import Runtime
from observatorio.cases.schemas import CaseCreate, CaseUpdate, PersonCreate
from observatorio.cases.vocab import CaseType, OrgKind
from observatorio.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
CONFIG = CasesConfig(argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1)  # login cost is not measured
SECRET = "bench-secret-bench-secret-bench-secret-bench"
PASSWORD = "bench password 0123456789"
WARM_UP_RENDERS = 4  # per client before the measured renders, product and peer alike


def _pgserver():  # the test suite's throwaway-server helper, loaded by path (tests/ is no package)
    spec = importlib.util.spec_from_file_location("pgserver", ROOT / "tests" / "cases" / "pgserver.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["pgserver"] = mod  # dataclasses look their module up while the class is built
    spec.loader.exec_module(mod)
    return mod


@dataclass
class Result:
    mode: str
    clients: int
    writes: int
    seconds: float
    latencies: list[float]
    conflicts: int = 0
    kinds: list[str] | None = None  # per latency: "create" (person, case) or "edit"
    cpu: dict[str, float] | None = None  # CPU seconds of the "server" and "database" processes
    load: tuple[float, float] | None = None  # the machine's 1-minute load average at start and end

    def cpu_ms(self, part: str) -> float:
        """CPU milliseconds per request of the server's or the database's processes."""
        return (self.cpu or {}).get(part, 0.0) * 1000 / self.writes

    @property
    def rate(self) -> float:
        return self.writes / self.seconds

    def pct(self, q: float, kind: str | None = None) -> float:
        xs = sorted(x for x, k in zip(self.latencies, self.kinds or [None] * len(self.latencies), strict=True)
                    if kind is None or k == kind)
        return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000

    def count(self, kind: str) -> int:
        return sum(k == kind for k in self.kinds or [])


class CpuMeter:
    """CPU seconds spent by process trees over a phase (the web server and its workers,
    PostgreSQL's postmaster and backends). On a machine other jobs share, latency is mostly
    queueing behind them; the CPU a request costs is hardly moved by them, so it is printed too."""

    def __init__(self, **roots: int) -> None:
        self.roots = roots
        self.start = self._sample()

    def _sample(self) -> dict[str, dict[int, float]]:
        out: dict[str, dict[int, float]] = {}
        for name, pid in self.roots.items():
            out[name] = {}
            root = psutil.Process(pid)
            for proc in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    t = proc.cpu_times()
                    out[name][proc.pid] = t.user + t.system
        return out

    def seconds(self) -> dict[str, float]:
        """CPU seconds since the meter started, per tree (a process that ended meanwhile is not seen)."""
        end = self._sample()
        return {name: sum(t - self.start[name].get(pid, 0.0) for pid, t in end[name].items()) for name in end}


def _postmaster_pid(server) -> int:  # type: ignore[no-untyped-def]
    return int((server.datadir / "postmaster.pid").read_text().split()[0])


def _fresh_pg(server, name: str) -> str:
    admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = server.url(name)
    upgrade(url)
    return url


def _setup_world(rt: Runtime, clients: int) -> list[int]:
    """Four consulates; one consular head per client (may edit any case of the consulate)."""
    with rt.sessions() as s:
        orgs = [accounts.add_organisation(s, f"Consulado {i}", OrgKind.CONSULATE, c, "MEX", "Tapachula")
                for i, c in enumerate(["GTM", "HND", "SLV", "NIC"])]
        ids = [accounts.add_user(s, f"u{i}", PASSWORD, rt.config, [(orgs[i % 4], "consular_head")]).id
               for i in range(clients)]
        s.commit()
    return ids


def _kinds(n: int) -> list[str]:
    """Each client's latencies, in order: register a person, open a case, then edits."""
    return ["create", "create"] + ["edit"] * (n - 2)


def _run_threads(clients: int, work: Callable[[int, list[float]], int]) -> tuple[float, list[float], int]:
    lat: list[list[float]] = [[] for _ in range(clients)]
    conflicts = [0] * clients
    barrier = threading.Barrier(clients + 1)
    errors: list[BaseException] = []

    def target(i: int) -> None:
        try:
            barrier.wait()
            conflicts[i] = work(i, lat[i])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return elapsed, [x for xs in lat for x in xs], sum(conflicts)


def bench_service(mode: str, url: str, clients: int, updates: int) -> Result:
    rt = Runtime.from_url(url, Settings(secret_key=SECRET), CONFIG)
    users = _setup_world(rt, clients)

    def work(i: int, lat: list[float]) -> int:
        conflicts = 0
        with rt.sessions() as s:
            ctx = use_context.Ctx(s, principal_of(s, users[i]), "10.0.0.1", SECRET)
            s.commit()
            t = time.perf_counter()
            p = person_records.create_person(ctx, PersonCreate(given_names=f"Persona {i}", family_names="Bench"))
            lat.append(time.perf_counter() - t)
            t = time.perf_counter()
            c = case_records.create_case(ctx, CaseCreate(case_type=CaseType.DETENTION, person_id=p.id, summary="s"))
            lat.append(time.perf_counter() - t)
            version = c.version
            for k in range(updates):
                t = time.perf_counter()
                version = case_writes.update_case(ctx, c.id, CaseUpdate(version=version, summary=f"edit {k}")).version
                lat.append(time.perf_counter() - t)
        return conflicts

    elapsed, lat, conflicts = _run_threads(clients, work)
    rt.close()
    return Result(mode, clients, len(lat), elapsed, lat, conflicts, _kinds(updates + 2) * clients)


def bench_bare(mode: str, url: str, clients: int, updates: int) -> Result:
    """The peer: identical rows written with plain SQLAlchemy, no policy checks, no audit."""
    rt = Runtime.from_url(url, Settings(secret_key=SECRET), CONFIG)
    users = _setup_world(rt, clients)
    with rt.sessions() as s:
        org_ids = [m.organisation_id for m in principal_of(s, users[0]).grants]

    def work(i: int, lat: list[float]) -> int:
        with rt.sessions() as s:
            t = time.perf_counter()
            p = Person(given_names=f"Persona {i}", family_names="Bench", organisation_id=org_ids[0], documents=[],
                       contacts=[])
            s.add(p)
            s.commit()
            lat.append(time.perf_counter() - t)
            t = time.perf_counter()
            c = Case(reference=f"B-{i}", case_type="detention", person_id=p.id, organisation_id=org_ids[0],
                     country="GTM", summary="s")
            s.add(c)
            s.commit()
            lat.append(time.perf_counter() - t)
            for k in range(updates):
                t = time.perf_counter()
                c.summary = f"edit {k}"
                s.commit()
                lat.append(time.perf_counter() - t)
        return 0

    elapsed, lat, _ = _run_threads(clients, work)
    rt.close()
    return Result(mode, clients, len(lat), elapsed, lat, kinds=_kinds(updates + 2) * clients)


def bench_http(mode: str, url: str, clients: int, updates: int) -> Result:
    """Full stack: uvicorn with two workers, bearer tokens, JSON, policy, audit."""
    rt = Runtime.from_url(url, Settings(secret_key=SECRET), CONFIG)
    users = _setup_world(rt, clients)
    rt.close()
    proc, base, cwd = _start_server(url)
    try:
        tokens = []
        for i in range(len(users)):
            r = httpx.post(f"{base}/api/v1/auth/token", data={"username": f"u{i}", "password": PASSWORD})
            r.raise_for_status()
            tokens.append(r.json()["access_token"])

        def work(i: int, lat: list[float]) -> int:
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens[i]}"}, timeout=60) as c:
                t = time.perf_counter()
                p = c.post("/api/v1/people", json={"given_names": f"Persona {i}", "family_names": "Bench"})
                lat.append(time.perf_counter() - t)
                p.raise_for_status()
                t = time.perf_counter()
                case = c.post("/api/v1/cases", json={"case_type": "detention", "person_id": p.json()["id"]})
                lat.append(time.perf_counter() - t)
                case.raise_for_status()
                version = case.json()["version"]
                for k in range(updates):
                    t = time.perf_counter()
                    r = c.patch(f"/api/v1/cases/{case.json()['id']}", json={"version": version, "summary": f"e{k}"})
                    lat.append(time.perf_counter() - t)
                    r.raise_for_status()
                    version = r.json()["version"]
            return 0

        elapsed, lat, _ = _run_threads(clients, work)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(cwd, ignore_errors=True)
    return Result(mode, clients, len(lat), elapsed, lat, kinds=_kinds(updates + 2) * clients)


def _start_server(url: str, app: tuple[str, ...] = ("observatorio.publish.api.app:create_app",),
                  probe: str = "/api/v1/cases/policy") -> tuple[subprocess.Popen[bytes], str, str]:
    """uvicorn with two workers serving ``app`` (the product by default) on the database ``url``;
    its process, base URL and folder."""
    port = _free_port()
    env = {**os.environ, "OBSERVATORIO_CASES_DB": url, "OBSERVATORIO_SECRET_KEY": SECRET,
           "OBSERVATORIO_CASES_ARGON2_TIME_COST": "1", "OBSERVATORIO_CASES_ARGON2_MEMORY_COST": "8",
           "OBSERVATORIO_CASES_ARGON2_PARALLELISM": "1", "OBSERVATORIO_CASES_MAX_FAILURES_PER_IP": "100000"}
    cwd = tempfile.mkdtemp(prefix="obs-bench-")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", *app, "--factory",
         "--port", str(port), "--workers", "2", "--log-level", "warning", "--no-access-log"],
        env=env, cwd=cwd)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(f"{base}{probe}", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    return proc, base, cwd


def _seed_cases(rt: Runtime, users: list[int], per_user: int) -> dict[int, list[int]]:
    """``per_user`` people and cases opened by each user, with a note, a task and a service each
    (the case page shows them all); returns each user's case ids."""
    from observatorio.cases.schemas import NoteIn, ServiceIn, TaskIn

    out: dict[int, list[int]] = {}
    with rt.sessions() as s:
        for uid in users:
            ctx = use_context.Ctx(s, principal_of(s, uid), "10.0.0.1", SECRET)
            s.commit()
            out[uid] = []
            for k in range(per_user):
                p = person_records.create_person(ctx, PersonCreate(given_names=f"Persona {uid}-{k}", family_names="Bench"))
                c = case_records.create_case(ctx, CaseCreate(case_type=CaseType.UNACCOMPANIED_CHILD, person_id=p.id,
                                                             summary=f"caso {k}", health_details="reservado"))
                case_work.add_note(ctx, c.id, NoteIn(body="nota"))
                case_work.add_task(ctx, c.id, TaskIn(title="tarea"))
                case_work.add_service(ctx, c.id, ServiceIn(service_type="legal"))
                out[uid].append(c.id)
    return out


def _web_session(c: httpx.Client, username: str) -> None:
    """Sign in through the login form (pre-login cookie and CSRF token), as a browser does."""
    import re

    form = c.get("/cases/login")
    token = re.search(r"name='csrf_token' value='([0-9a-f]+)'", form.text)
    assert token, form.text[:200]
    r = c.post("/cases/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)})
    assert r.status_code == 303, r.text[:200]


def bench_pages(mode: str, url: str, db_pid: int, clients: int, renders: int,
                per_user: int = 5) -> tuple[Result, dict[int, list[int]]]:
    """Officer page renders over HTTP: each client alternates the case list and a case page.
    Also returns each user's cases (the peer renders the same ones)."""
    rt = Runtime.from_url(url, Settings(secret_key=SECRET), CONFIG)
    users = _setup_world(rt, clients)
    cases = _seed_cases(rt, users, per_user)
    rt.close()
    proc, base, cwd = _start_server(url)
    try:
        sessions = []
        for i in range(clients):
            c = httpx.Client(base_url=base, timeout=60)
            _web_session(c, f"u{i}")
            sessions.append(c)

        def path(i: int, k: int) -> str:
            mine = cases[users[i]]
            return "/cases/" if k % 2 == 0 else f"/cases/c/{mine[k // 2 % len(mine)]}"

        elapsed, lat, kinds, cpu, load = _render_pages(sessions, path, renders, server=proc.pid, database=db_pid)
        for c in sessions:
            c.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(cwd, ignore_errors=True)
    return Result(mode, clients, len(lat), elapsed, lat, kinds=kinds, cpu=cpu, load=load), cases


def _render_pages(clients: list[httpx.Client], path: Callable[[int, int], str], renders: int,
                  **roots: int) -> tuple[float, list[float], list[str], dict[str, float], tuple[float, float]]:
    """Client ``i`` gets ``path(i, k)`` for k < ``renders`` (even k: the list, odd: a case page);
    the elapsed seconds, the latencies, their kinds, the CPU seconds of ``roots`` meanwhile and
    the machine's load average before and after (latency on a shared machine is mostly queueing)."""
    kinds: list[list[str]] = [[] for _ in clients]

    def warm(i: int, lat: list[float]) -> int:  # not measured: each worker's first renders of each page
        for k in range(WARM_UP_RENDERS):          # (imports, compiled statements, kept choices) are cold
            r = clients[i].get(path(i, k))
            assert r.status_code == 200, (path(i, k), r.status_code)
        return 0

    def work(i: int, lat: list[float]) -> int:
        for k in range(renders):
            t = time.perf_counter()
            r = clients[i].get(path(i, k))
            lat.append(time.perf_counter() - t)
            kinds[i].append("list" if k % 2 == 0 else "case")
            assert r.status_code == 200, (path(i, k), r.status_code)
        return 0

    _run_threads(len(clients), warm)
    load = os.getloadavg()[0]
    meter = CpuMeter(**roots)
    elapsed, lat, _ = _run_threads(len(clients), work)
    return elapsed, lat, [k for ks in kinds for k in ks], meter.seconds(), (load, os.getloadavg()[0])


def bench_bare_pages(mode: str, url: str, db_pid: int, cases: dict[int, list[int]], renders: int) -> Result:
    """The peer of ``bench_pages``: the same renders of the same rows from bench/cases/bare_pages.py
    (bare SQLAlchemy, minimal template; no sign-in, policy or audit), same server and workers."""
    users = list(cases)
    with create_engine(url).connect() as conn:
        org_of = {u: conn.scalar(text("SELECT organisation_id FROM case_file WHERE id = :id"), {"id": cases[u][0]})
                  for u in users}
    proc, base, cwd = _start_server(url, ("--app-dir", str(ROOT / "bench" / "cases"), "bare_pages:create_app"),
                                    probe=f"/bare/case/{cases[users[0]][0]}")
    clients = [httpx.Client(base_url=base, timeout=60) for _ in users]
    try:
        def path(i: int, k: int) -> str:
            mine = cases[users[i]]
            return f"/bare/list?org={org_of[users[i]]}" if k % 2 == 0 else f"/bare/case/{mine[k // 2 % len(mine)]}"

        elapsed, lat, kinds, cpu, load = _render_pages(clients, path, renders, server=proc.pid, database=db_pid)
    finally:
        for c in clients:
            c.close()
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(cwd, ignore_errors=True)
    return Result(mode, len(users), len(lat), elapsed, lat, kinds=kinds, cpu=cpu, load=load)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--updates", type=int, default=30, help="edits per client after creating person and case")
    ap.add_argument("--skip-http", action="store_true")
    ap.add_argument("--renders", type=int, default=40, help="page renders per client (half list, half case page)")
    ap.add_argument("--skip-pages", action="store_true")
    ap.add_argument("--pages-only", action="store_true", help="only the page renders and their peer")
    args = ap.parse_args()

    pg = _pgserver().start(extra=("-c", "fsync=on", "-c", "synchronous_commit=on", "-c", "full_page_writes=on"))
    results: list[Result] = []
    pages = bare_pages = None
    try:
        if not args.pages_only:
            results.append(bench_service("pg-service-16", _fresh_pg(pg, "b_service"), args.clients, args.updates))
            if not args.skip_http:
                results.append(bench_http("pg-http-16", _fresh_pg(pg, "b_http"), args.clients, args.updates))
            results.append(bench_bare("pg-bare-16 (peer)", _fresh_pg(pg, "b_bare"), args.clients, args.updates))
        if not args.skip_pages:
            url = _fresh_pg(pg, "b_pages")
            pages, cases = bench_pages("pg-pages-16", url, _postmaster_pid(pg), args.clients, args.renders)
            bare_pages = bench_bare_pages("peer: bare pages", url, _postmaster_pid(pg), cases, args.renders)
        if not args.pages_only:
            with tempfile.TemporaryDirectory() as d:
                url = f"sqlite:///{d}/bench.sqlite"
                upgrade(url)
                results.append(bench_service("sqlite-1", url, 1, args.updates * 4))
    finally:
        pg.stop()

    print(f"\ncases benchmark — {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, audit on "
          "(except the bare peers); PostgreSQL durable (fsync on)")
    if results:
        _print_writes(results)
    if pages is not None and bare_pages is not None:
        _print_pages(pages, bare_pages, next((r for r in results if r.mode == "pg-http-16"), None))


def _print_writes(results: list[Result]) -> None:
    print(f"\n{'mode':<20}{'clients':>8}{'writes':>8}{'writes/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for r in results:
        print(f"{r.mode:<20}{r.clients:>8}{r.writes:>8}{r.rate:>10.0f}{r.pct(0.5):>9.1f}{r.pct(0.95):>9.1f}"
              f"{max(r.latencies) * 1000:>9.1f}")
    # The first writes of each client run while every thread compiles the same statements for
    # the first time (a fresh engine): creations are slower than edits for that reason too.
    print(f"\n{'by operation, p50 / p95 ms':<30}{'creates':>15}{'edits':>31}   (creates: each client's first two writes)")
    for r in results:
        print(f"{r.mode:<30}{r.pct(0.5, 'create'):>15.1f} / {r.pct(0.95, 'create'):<6.1f} ({r.count('create'):>3})"
              f"{r.pct(0.5, 'edit'):>10.1f} / {r.pct(0.95, 'edit'):<6.1f} ({r.count('edit')})")
    by = {r.mode.split()[0]: r for r in results}
    svc, bare, lite = by["pg-service-16"], by["pg-bare-16"], by["sqlite-1"]
    print("\nratios:")
    print(f"  pg-service-16 / pg-bare-16 throughput: {svc.rate / bare.rate:.2f}  (cost of policy + audit chain)")
    print(f"  pg-service-16 / sqlite-1 throughput:   {svc.rate / lite.rate:.2f}")
    if "pg-http-16" in by:
        print(f"  pg-http-16 / pg-service-16 throughput: {by['pg-http-16'].rate / svc.rate:.2f}  (cost of HTTP + JSON)")
    target = "met" if svc.rate >= 200 and svc.pct(0.95) < 100 else "NOT met"
    print(f"\ntarget ≥200 writes/s with p95 <100 ms on PostgreSQL, 16 clients (use-case layer): {target}")


def _print_pages(pages: Result, peer: Result, api: Result | None) -> None:
    print(f"\n{'page renders (HTTP)':<34}{'clients':>8}{'renders':>8}{'pages/s':>9}"
          f"{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for r, what in ((pages, "(audited)"), (peer, "(no policy, no audit)")):
        for kind, label in (("list", "case list"), ("case", "case page")):
            xs = [x for x, k in zip(r.latencies, r.kinds or [], strict=True) if k == kind]
            print(f"{r.mode + ' ' + label:<34}{r.clients:>8}{len(xs):>8}{len(xs) / r.seconds:>9.0f}"
                  f"{r.pct(0.5, kind):>9.1f}{r.pct(0.95, kind):>9.1f}{max(xs) * 1000:>9.1f}  {what}")
    if api is not None:
        print(f"{'pg-http-16 API writes (above)':<34}{api.clients:>8}{api.writes:>8}{api.rate:>9.0f}"
              f"{api.pct(0.5):>9.1f}{api.pct(0.95):>9.1f}{max(api.latencies) * 1000:>9.1f}")
    print("\nratios to the peer (bare pages), p50 / p95:")
    for kind, label in (("list", "case list"), ("case", "case page")):
        print(f"  {label}: {pages.pct(0.5, kind) / peer.pct(0.5, kind):.2f} / "
              f"{pages.pct(0.95, kind) / peer.pct(0.95, kind):.2f}")
    print("\nCPU ms per render, both pages (server workers / PostgreSQL backends; little moved by other jobs):")
    for r in (pages, peer):
        print(f"  {r.mode:<28}{r.cpu_ms('server'):>7.1f} / {r.cpu_ms('database'):<7.1f}")
    print(f"  ratio to the peer:          {pages.cpu_ms('server') / peer.cpu_ms('server'):>7.2f} / "
          f"{pages.cpu_ms('database') / peer.cpu_ms('database'):.2f}")
    print("\nmachine load (1-minute average) at start / end of each phase; above the CPU count, the")
    print("latencies are mostly waiting for a core (compare CPU per render, or rerun with --clients 1):")
    for r in (pages, peer):
        start, end = r.load or (0.0, 0.0)
        print(f"  {r.mode:<28}{start:>7.1f} / {end:<7.1f}")
    met = all(pages.pct(0.95, k) < 150 for k in ("list", "case"))
    print(f"\ntarget case list and case page p95 <150 ms, PostgreSQL, 16 users: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
