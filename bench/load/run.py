"""Load benchmark: the whole bundled set (rows/s, peak memory) and our CBP CSV load against the
floor, DuckDB's bare ``read_csv`` plus the same aggregation, in the same run.

Run: ``.venv/bin/python bench/load/run.py [--repeat N]``. Targets on a 2-core machine: the whole
set under 60 s; CBP ratio at most 3.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from observatorio.loading import load_file
from observatorio.settings import get_settings
from observatorio.sources.base import get_adapter
from observatorio.store import Store

CBP = "cbp_sw_land_border_encounters"
FY2022_TOTAL = 2378944


def whole_set(tmp: Path) -> dict[str, float]:
    """Load every bundled source in a fresh process; wall time, rows and peak RSS."""
    db = tmp / "whole.duckdb"
    script = (
        "import json, time\n"
        "from observatorio.loading import load_file\n"
        "from observatorio.settings import get_settings\n"
        "from observatorio.sources.base import all_adapters\n"
        "from observatorio.store import Store\n"
        f"store = Store.open({str(db)!r})\n"
        "out = {}\n"
        "start = time.perf_counter()\n"
        "for a in all_adapters():\n"
        "    t = time.perf_counter()\n"
        "    rows = sum(load_file(store, a, p).rows for p in a.bundled_paths(get_settings().data_path))\n"
        "    out[a.info.id] = [rows, time.perf_counter() - t]\n"
        "out['__total__'] = [sum(v[0] for v in out.values()), time.perf_counter() - start]\n"
        "print(json.dumps(out))\n"
    )
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    per_source = json.loads(proc.stdout.strip().splitlines()[-1])
    rows, load_seconds = per_source.pop("__total__")
    print(f"{'source':<48}{'rows':>10}{'seconds':>10}{'rows/s':>12}")
    for source, (n, secs) in sorted(per_source.items()):
        print(f"{source:<48}{n:>10,}{secs:>10.2f}{n / secs if secs else 0:>12,.0f}")
    print(f"{'whole set (in process)':<48}{rows:>10,}{load_seconds:>10.2f}{rows / load_seconds:>12,.0f}")
    print(f"whole set incl. interpreter start: {wall:.2f} s; peak memory {peak_kib / 1024:.0f} MiB")
    return {"rows": rows, "seconds": load_seconds, "wall_seconds": wall, "peak_mib": peak_kib / 1024}


def cbp_ratio(tmp: Path, repeat: int) -> dict[str, float]:
    """Median time of our load + FY2022 total vs DuckDB read_csv + the same total."""
    adapter = get_adapter(CBP)
    path = adapter.bundled_path(get_settings().data_path)
    ours, floor = [], []
    for i in range(repeat):
        db = tmp / f"cbp{i}.duckdb"
        start = time.perf_counter()
        with Store.open(db) as store:
            load_file(store, adapter, path)
            total = store.con.execute(
                "select sum(value) from observations where source = ? "
                "and period >= DATE '2021-10-01' and period < DATE '2022-10-01'", [CBP]
            ).fetchone()
        ours.append(time.perf_counter() - start)
        assert total is not None and total[0] == FY2022_TOTAL, total
        start = time.perf_counter()
        con = duckdb.connect(str(tmp / f"floor{i}.duckdb"))
        bare = con.execute(
            "select sum(\"Encounter Count\") from read_csv(?) where \"Fiscal Year\" = '2022'", [str(path)]
        ).fetchone()
        con.close()
        floor.append(time.perf_counter() - start)
        assert bare is not None and bare[0] == FY2022_TOTAL, bare
    our_s, floor_s = statistics.median(ours), statistics.median(floor)
    print(f"CBP SW CSV (1,936 rows) — ours: load+validate+store+FY2022 total {our_s * 1000:.1f} ms; "
          f"floor (DuckDB read_csv + same total): {floor_s * 1000:.1f} ms; ratio {our_s / floor_s:.2f} (target ≤ 3)")
    return {"ours_ms": our_s * 1000, "floor_ms": floor_s * 1000, "ratio": our_s / floor_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        result = {"whole": whole_set(tmp), "cbp": cbp_ratio(tmp, args.repeat)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
