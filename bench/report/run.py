"""Time and peak memory of a country bulletin and the regional bulletin (PDF), against peers.

Run: ``.venv/bin/python bench/report/run.py [--db PATH] [--period 2024-03] [--country GTM]``

Each bulletin is produced by the real command (``observatorio report … --format pdf``) in a
fresh process: wall time and that process's peak resident memory (``wait4``). Peers, on the very
same HTML the bulletin printed (written once with ``--format html``):

* ``weasyprint-static``: plain WeasyPrint printing the static page (layout and PDF only, no
  store, no queries) — what the bulletin adds on top of its printer;
* ``chromium-print``: headless Chromium's print-to-PDF of the same page, when installed.

Target: under 10 s per bulletin. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TARGET_S = 10.0


def timed(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MiB) of one child process.

    On a shared machine the CPU seconds say more than the wall time (which waits for cores)."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"failed ({status}): {' '.join(command)}\n{child.stderr.read().decode() if child.stderr else ''}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def build_store(path: Path) -> None:
    if path.exists():
        return
    print(f"building store {path} …", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "observatorio", "--db", str(path), "load"], check=True,
                   stdout=subprocess.DEVNULL)


def chromium() -> str | None:
    return next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(n)), None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=REPO / "var" / "bench-report.duckdb")
    parser.add_argument("--period", default="2024-03")
    parser.add_argument("--country", default="GTM")
    args = parser.parse_args()
    build_store(args.db)
    results: dict[str, dict[str, float | None]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, scope in (("regional", ["regional"]), (args.country, ["country", args.country])):
            base = [sys.executable, "-m", "observatorio", "--db", str(args.db), "report", *scope,
                    "--period", args.period, "--lang", "es"]
            html = work / f"{name}.html"
            subprocess.run([*base, "--format", "html", "--out", str(html)], check=True,
                           stdout=subprocess.DEVNULL)
            seconds, cpu, peak = timed([*base, "--format", "pdf", "--out", str(work / f"{name}.pdf")])
            static_s, static_cpu, static_peak = timed([sys.executable, "-c", (
                "import sys, weasyprint; weasyprint.HTML(filename=sys.argv[1]).write_pdf(sys.argv[2])"),
                str(html), str(work / f"{name}-static.pdf")])
            browser = chromium()
            chrome_s = None
            if browser:
                chrome_s, _, _ = timed([browser, "--headless", "--no-sandbox", "--disable-gpu",
                                     "--no-pdf-header-footer",
                                     f"--print-to-pdf={work / f'{name}-chromium.pdf'}", html.as_uri()])
            results[name] = {
                "seconds": round(seconds, 2), "cpu_s": round(cpu, 2), "peak_mib": round(peak, 1),
                "weasyprint_static_s": round(static_s, 2), "weasyprint_static_cpu_s": round(static_cpu, 2),
                "weasyprint_static_peak_mib": round(static_peak, 1),
                "ratio_vs_weasyprint_static": round(seconds / static_s, 2),
                "cpu_ratio_vs_weasyprint_static": round(cpu / static_cpu, 2),
                "chromium_print_s": None if chrome_s is None else round(chrome_s, 2),
                "ratio_vs_chromium_print": None if chrome_s is None else round(seconds / chrome_s, 2),
                "under_target": seconds < TARGET_S, "cpu_under_target": cpu < TARGET_S,
            }
            r = results[name]
            print(f"{name:9s} bulletin {r['seconds']:6.2f} s (cpu {r['cpu_s']:.2f} s)  peak {r['peak_mib']:6.1f} MiB | "
                  f"weasyprint-static {r['weasyprint_static_s']:5.2f} s (ratio {r['ratio_vs_weasyprint_static']}) | "
                  f"chromium-print {r['chromium_print_s']} s (ratio {r['ratio_vs_chromium_print']})")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
