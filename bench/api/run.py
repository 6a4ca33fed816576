"""API benchmark: our FastAPI server vs Datasette on the same rows, same questions.

    .venv/bin/python bench/api/run.py [--duration 10] [--connections 16] [--workers 2]
        [--statistics-only]

Steps (each printed as it runs):
1. a store with every bundled source (var/bench/api.duckdb, built once; a store written by an
   older schema is upgraded in place, as ``observatorio load`` would) and a stored forecast
   release (``observatorio forecast --store``, as a publication stores one);
2. an SQLite export of ``observations`` with indexes on the filtered columns (Datasette's input;
   exported again when the store's version changes);
3. Datasette in its own virtualenv (var/bench/datasette-venv; installed here, never a project
   dependency) and ``wrk`` from Debian (apt-get install -y wrk, if missing);
4. the servers on loopback; the bench waits until they are idle (each of our server processes
   runs start-up work in the background: the portal's warm-up, the API's in-memory columns —
   measuring during it would measure that), asks each question of each server a few times and
   compares the answers (same numbers), then wrk runs for ``--duration`` seconds per question
   and server at ``--connections`` concurrent connections. ``/proc/loadavg`` is printed before
   each run: other work on the machine shares its cores.

Memory: each server process's RSS and peak RSS (psutil, /proc VmHWM) is printed after
start-up, after a walk through every portal page in both languages, after the wrk runs and
after a run at ``--load-connections`` concurrent uncached requests (bench/api/memory.py).

Why wrk: a C load generator with an event loop; on this 2-core machine a Python client
(httpx/asyncio) at concurrency 16 would eat the CPU the servers need and measure itself.
Our server runs as ``observatorio serve --workers 2`` (one process per core), once as served
(with its response cache) and once with the cache off (every request computes its answer, from
the in-memory columns of the latest releases or with DuckDB); Datasette runs as its documented
single process with ``--immutable``, both read-only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import memory  # bench/api/memory.py (the script's folder is on sys.path)

from observatorio.model.dimensions import OBSERVATION_COLUMNS

REPO = Path(__file__).resolve().parents[2]
WORK = REPO / "var" / "bench"
VENV_PY = Path(sys.executable)
CBP = "cbp_sw_land_border_encounters"
#: Datasette's copy has the columns of our answers (the contract's, model/dimensions.py).
EXPORT_COLUMNS = OBSERVATION_COLUMNS


@dataclass(frozen=True)
class Question:
    """One typical question, as our API and as Datasette SQL (same rows, same sums)."""

    name: str
    ours: str
    sql: str
    params: dict[str, str]
    keys: tuple[str, ...]  # the grouping columns, to compare answers


QUESTIONS = (
    Question(
        "country monthly series by flow",
        f"/api/v1/observations?source={CBP}&ref_area=USA&freq=M&group_by=flow,period",
        "select flow, period, sum(value) as value, count(*) as obs_count from observations "
        "where source = :source and ref_area = :ref_area and freq = :freq "
        "group by flow, period order by flow, period",
        {"source": CBP, "ref_area": "USA", "freq": "M"},
        ("flow", "period"),
    ),
    Question(
        "year's totals by citizenship",
        f"/api/v1/observations?source={CBP}&start=2023&end=2023&group_by=citizenship",
        "select citizenship, sum(value) as value, count(*) as obs_count from observations "
        "where source = :source and period >= :start and period < :end "
        "group by citizenship order by citizenship",
        {"source": CBP, "start": "2023-01-01", "end": "2024-01-01"},
        ("citizenship",),
    ),
    Question(
        "corridor by month and sex",
        f"/api/v1/observations?source={CBP}&ref_area=USA&citizenship=GTM&group_by=period,sex",
        "select period, sex, sum(value) as value, count(*) as obs_count from observations "
        "where source = :source and ref_area = :ref_area and citizenship = :citizenship "
        "group by period, sex order by period, sex",
        {"source": CBP, "ref_area": "USA", "citizenship": "GTM"},
        ("period", "sex"),
    ),
)


def step(text: str) -> None:
    print(f"==> {text}", flush=True)


def build_store(db: Path) -> None:
    if not db.exists():
        step(f"loading the bundled sources into {db}")
        subprocess.run([str(VENV_PY.parent / "observatorio"), "--db", str(db), "load"], check=True)
    else:
        # Opening it for writing brings an older store to the current schema (nothing otherwise);
        # a served store is a published snapshot (serve publishes it), never written in place.
        from observatorio.store import Store, snapshots

        if not snapshots.is_enabled(db):
            Store.open(db).close()
    if not has_forecast_release(db):
        # As a publication does (docs/deployment.md): the servers read the stored release;
        # without one, each worker computes the forecasts at start-up (its memory too).
        step(f"storing a forecast release in {db} (observatorio forecast --store)")
        subprocess.run([str(VENV_PY.parent / "observatorio"), "--db", str(db), "forecast",
                        "--store"], check=True, stdout=subprocess.DEVNULL)


def has_forecast_release(db: Path) -> bool:
    import duckdb

    from observatorio.analysis.forecast.releases import resolve_run

    con = duckdb.connect(str(db), read_only=True)
    try:
        return resolve_run(con, None) is not None
    finally:
        con.close()


def store_version(db: Path) -> str:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute("SELECT value FROM store_meta WHERE key = 'version'").fetchone()
    finally:
        con.close()
    return str(row[0]) if row else "empty"


def export_sqlite(db: Path, target: Path) -> int:
    import duckdb

    version = store_version(db)
    if target.exists():
        with sqlite3.connect(target) as lite:
            try:
                row = lite.execute("SELECT value FROM bench_meta WHERE key = 'store_version'").fetchone()
                fresh = row is not None and row[0] == version
            except sqlite3.OperationalError:  # an export from before bench_meta
                fresh = target.stat().st_mtime > db.stat().st_mtime
            if fresh:
                return int(lite.execute("SELECT count(*) FROM observations").fetchone()[0])
        target.unlink()
    step(f"exporting observations to SQLite {target}")
    con = duckdb.connect(str(db), read_only=True)
    # Dates as ISO text, as Datasette users store them in SQLite.
    cols = ", ".join(
        f'CAST("{c}" AS VARCHAR)' if c in ("release", "period") else f'"{c}"'
        for c in EXPORT_COLUMNS
    )
    rows = con.execute(f"SELECT {cols} FROM observations").fetchall()  # noqa: S608
    con.close()
    lite = sqlite3.connect(target)
    lite.execute(f"CREATE TABLE observations ({', '.join(f'[{c}]' for c in EXPORT_COLUMNS)})")
    marks = ", ".join("?" for _ in EXPORT_COLUMNS)
    lite.executemany(f"INSERT INTO observations VALUES ({marks})", rows)  # noqa: S608
    for name, columns in (("source_area_freq", "source, ref_area, freq"),
                          ("source_period", "source, period"),
                          ("source_area_citizenship", "source, ref_area, citizenship")):
        lite.execute(f"CREATE INDEX {name} ON observations ({columns})")
    lite.execute("CREATE TABLE bench_meta (key TEXT PRIMARY KEY, value TEXT)")
    lite.execute("INSERT INTO bench_meta VALUES ('store_version', ?)", [version])
    lite.commit()
    lite.execute("ANALYZE")
    lite.close()
    return len(rows)


def ensure_datasette() -> Path:
    venv = WORK / "datasette-venv"
    exe = venv / "bin" / "datasette"
    if not exe.exists():
        step("installing Datasette in its own virtualenv (benchmark only)")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "datasette"], check=True,
                       stderr=subprocess.DEVNULL)
    return exe


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    step("installing wrk (apt-get install -y wrk)")
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True,
                   stdout=subprocess.DEVNULL)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not available")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, proc: subprocess.Popen[bytes], seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited while starting: {url}")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server did not start: {url}")


def _cpu_seconds(root: int) -> float:
    """CPU time used so far by a process and all its descendants (from /proc)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    family, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [c for c, p in parents.items() if p == pid and c not in family]
        family.update(children)
        frontier.extend(children)
    return sum(times.get(pid, 0.0) for pid in family)


def wait_idle(procs: list[subprocess.Popen[bytes]], seconds: float = 300) -> float:
    """Wait until the servers (and their workers) use under 5 % of a core over 3 s; the time
    waited. Our servers warm up in background threads after they start answering."""
    start = time.monotonic()
    before = sum(_cpu_seconds(p.pid) for p in procs)
    while time.monotonic() - start < seconds:
        time.sleep(3)
        now = sum(_cpu_seconds(p.pid) for p in procs)
        if now - before < 0.15:
            break
        before = now
    return time.monotonic() - start


def loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().split(" ")[0]
    except OSError:
        return "?"


def fetch_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.loads(response.read())


def datasette_url(base: str, q: Question) -> str:
    query = {"sql": q.sql, "_shape": "array", **q.params}
    return f"{base}/observations/observations.json?{urllib.parse.urlencode(query)}".replace(
        "/observations/observations.json", "/observations.json")


def same_answer(ours: object, theirs: object, keys: tuple[str, ...]) -> bool:
    assert isinstance(ours, dict) and isinstance(theirs, list)
    mine = {tuple(r[k] for k in keys): (float(r["value"]), r["obs_count"]) for r in ours["data"]}
    peer = {tuple(r[k] for k in keys): (float(r["value"]), r["obs_count"]) for r in theirs}
    return mine == peer and len(mine) > 0


def run_wrk(wrk: str, url: str, duration: int, connections: int) -> dict[str, float]:
    script = Path(__file__).resolve().parent / "report.lua"
    out = subprocess.run(
        [wrk, "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", str(script),
         url],
        check=True, capture_output=True, text=True,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("{"))
    result: dict[str, float] = json.loads(line)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per question and server")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="our server's processes")
    parser.add_argument("--db", type=Path, default=WORK / "api.duckdb")
    parser.add_argument("--load-connections", type=int, default=200,
                        help="concurrency of the uncached run whose memory is measured")
    parser.add_argument("--statistics-only", action="store_true",
                        help="serve ours with OBSERVATORIO_CASES_WEB=false (no cases side loaded)")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)

    build_store(args.db)
    lite = WORK / "observations.sqlite"
    rows = export_sqlite(args.db, lite)
    print(f"    {rows} rows in both stores")
    datasette = ensure_datasette()
    wrk = ensure_wrk()

    ours_port, theirs_port, cold_port = free_port(), free_port(), free_port()
    env = {**os.environ, "OBSERVATORIO_DB": str(args.db)}
    if args.statistics_only:
        env["OBSERVATORIO_CASES_WEB"] = "false"
    step(f"starting observatorio serve --workers {args.workers} (with and without its response "
         "cache) and datasette (loopback)")

    def serve(port: int, cache_mb: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [str(VENV_PY.parent / "observatorio"), "--db", str(args.db), "serve", "--no-load",
             "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers)],
            env={**env, "OBSERVATORIO_API_CACHE_MB": cache_mb},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    ours_base, theirs_base = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{theirs_port}"
    cold_base = f"http://127.0.0.1:{cold_port}"
    procs: list[subprocess.Popen[bytes]] = []
    results = []
    readings: list[memory.Reading] = []
    try:
        # One at a time: on a busy 2-core machine, processes importing at once start slowly.
        procs.append(serve(ours_port, "96"))
        wait_for(ours_base + "/api/v1/codelists", procs[-1])
        # The same server with its response cache off: every request computes its answer.
        procs.append(serve(cold_port, "0"))
        wait_for(cold_base + "/api/v1/codelists", procs[-1])
        procs.append(subprocess.Popen(
            [str(datasette), "serve", "-i", str(lite), "--host", "127.0.0.1", "--port",
             str(theirs_port), "--setting", "sql_time_limit_ms", "10000"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ))
        wait_for(theirs_base + "/-/versions.json", procs[-1])
        step("waiting for the servers to finish their start-up work")
        print(f"    idle after {wait_idle(procs):.0f}s", flush=True)
        ours = {"ours": procs[0], "ours (cache off)": procs[1]}
        readings = [r for name, p in ours.items() for r in memory.read("after start-up", name, p)]
        step("walking every portal page in both languages (each server)")
        for name, base in (("ours", ours_base), ("ours (cache off)", cold_base)):
            pages = memory.walk_portal(base, args.workers)
            readings += memory.read("after portal walk", name, ours[name])
        print(f"    {pages} pages per server", flush=True)
        memory.show(readings)
        for q in QUESTIONS:
            ours_url, theirs_url = ours_base + q.ours, datasette_url(theirs_base, q)
            # A few times each: every worker process of ours gets its first request over with.
            for _ in range(4):
                answers = [fetch_json(ours_url), fetch_json(cold_base + q.ours),
                           fetch_json(theirs_url)]
            if not (same_answer(answers[0], answers[2], q.keys)
                    and same_answer(answers[1], answers[2], q.keys)):
                raise SystemExit(f"the servers disagree on: {q.name}")
            step(f"{q.name}: {args.duration}s each at concurrency {args.connections}")
            loads = [loadavg()]
            mine = run_wrk(wrk, ours_url, args.duration, args.connections)
            loads.append(loadavg())
            uncached = run_wrk(wrk, cold_base + q.ours, args.duration, args.connections)
            loads.append(loadavg())
            peer = run_wrk(wrk, theirs_url, args.duration, args.connections)
            print(f"    load average before each run (ours, ours uncached, Datasette): "
                  f"{' / '.join(loads)}", flush=True)
            results.append((q, mine, peer))
            results.append((Question("  (ours, response cache off)", q.ours, q.sql, q.params,
                                     q.keys), uncached, peer))
        readings += [r for name, p in ours.items() for r in memory.read("after wrk runs", name, p)]
        step(f"memory under load: {args.load_connections} connections, response cache off")
        for q in QUESTIONS:
            run_wrk(wrk, cold_base + q.ours, max(2, args.duration // 2), args.load_connections)
        readings += memory.read(f"{args.load_connections} uncached", "ours (cache off)", ours[
            "ours (cache off)"])
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    report(results, args)
    memory.show(readings)
    memory.summary(readings)


def report(results: list[tuple[Question, dict[str, float], dict[str, float]]],
           args: argparse.Namespace) -> None:
    print()
    print(f"API benchmark — concurrency {args.connections}, {args.duration}s per question and "
          f"server, wrk on loopback, {os.cpu_count()} cores, load average now {loadavg()}")
    header = (f"{'question':<32} {'ours req/s':>10} {'DS req/s':>9} {'ratio':>6} "
              f"{'ours p50':>9} {'ours p95':>9} {'DS p50':>8} {'DS p95':>8} {'p95 ratio':>9}")
    print(header)
    print("-" * len(header))
    for q, mine, peer in results:
        ratio = mine["rps"] / peer["rps"] if peer["rps"] else float("inf")
        p95_ratio = peer["p95_us"] / mine["p95_us"] if mine["p95_us"] else float("inf")
        print(f"{q.name:<32} {mine['rps']:>10.0f} {peer['rps']:>9.0f} {ratio:>5.1f}× "
              f"{mine['p50_us'] / 1000:>7.1f}ms {mine['p95_us'] / 1000:>7.1f}ms "
              f"{peer['p50_us'] / 1000:>6.1f}ms {peer['p95_us'] / 1000:>6.1f}ms {p95_ratio:>8.1f}×")
        if mine["errors"] or mine["non2xx"] or peer["errors"] or peer["non2xx"]:
            print(f"    errors: ours {mine['errors']}+{mine['non2xx']} non-2xx, "
                  f"Datasette {peer['errors']}+{peer['non2xx']} non-2xx")
    print()
    ok = all(m["rps"] >= 2 * p["rps"] and m["p95_us"] < 50_000 for _, m, p in results[::2])
    print("target (≥ 2× Datasette throughput and p95 < 50 ms, as served): "
          + ("met" if ok else "NOT met"))
    cold_ok = all(m["rps"] >= 2 * p["rps"] and m["p95_us"] < 50_000 for _, m, p in results[1::2])
    print("same target with the response cache off: " + ("met" if cold_ok else "NOT met"))


if __name__ == "__main__":
    main()
