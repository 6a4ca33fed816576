"""Memory of the benchmark's servers: resident and peak resident memory of every process of a
server (the supervisor and its workers), and a walk through every portal page in both languages.

Peak RSS is the kernel's high-water mark (``VmHWM`` in /proc/<pid>/status, Linux); elsewhere
psutil's current RSS stands in for it.
"""

from __future__ import annotations

import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil

from observatorio.model.codelists import CRM_MEMBERS
from observatorio.publish.web.pages import PAGES, page_url

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


def _peak_bytes(process: psutil.Process) -> int:
    try:
        for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(process.memory_info().rss)


def read(stage: str, server: str, proc: subprocess.Popen[bytes]) -> list[Reading]:
    """RSS and peak RSS of the server's processes now (the workers are its descendants)."""
    root = psutil.Process(proc.pid)
    family = [root, *root.children(recursive=True)]
    out = []
    for process in family:
        try:
            rss = process.memory_info().rss
            peak = max(_peak_bytes(process), rss)
        except psutil.NoSuchProcess:
            continue
        role = "supervisor" if process.pid == root.pid and len(family) > 1 else "worker"
        out.append(Reading(stage, server, process.pid, role, rss / 2**20, peak / 2**20))
    return out


def show(readings: list[Reading]) -> None:
    for r in readings:
        print(f"    {r.stage:<22} {r.server:<18} pid {r.pid:<7} {r.role:<10} "
              f"RSS {r.rss_mb:>6.0f} MB   peak {r.peak_mb:>6.0f} MB", flush=True)


def walk_portal(base: str, passes: int) -> int:
    """Every portal page (each section, each member country) in both languages, ``passes``
    times (one per worker: the kernel spreads connections over the workers); pages fetched."""
    paths = [page_url(lang, p.id) for lang in ("es", "en") for p in PAGES]
    paths += [page_url(lang, "country", iso) for lang in ("es", "en") for iso in CRM_MEMBERS]
    for _ in range(passes):
        for path in paths:
            with urllib.request.urlopen(base + path, timeout=300) as response:
                response.read()
    return len(paths) * passes


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
        print(f"    {server:<18} peak {peak:.0f} MB, target {TARGET_MB} MB: "
              + ("met" if peak < TARGET_MB else "NOT met"))
    worst = max((r.peak_mb for r in readings), default=0.0)
    print(f"largest peak {worst:.0f} MB: target " + ("met" if worst < TARGET_MB else "NOT met"))
