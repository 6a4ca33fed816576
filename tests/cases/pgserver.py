"""A throwaway PostgreSQL server for the test run (initdb in a temporary folder)."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


def find_bindir() -> Path | None:
    """PostgreSQL server binaries: pg_config --bindir, else the newest /usr/lib/postgresql/*/bin."""
    candidates: list[str] = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(out.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]),
                         reverse=True)
    for c in candidates:
        if c and (Path(c) / "initdb").exists() and (Path(c) / "postgres").exists():
            return Path(c)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    bindir: Path
    datadir: Path
    port: int
    proc: subprocess.Popen[bytes]

    def url(self, db: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{db}"

    def stop(self) -> None:
        # SIGINT is PostgreSQL's "fast" shutdown: it does not wait for pooled clients to leave.
        # The postmaster runs under runuser, so signal it by the pid it records.
        pidfile = self.datadir / "postmaster.pid"
        try:
            os.kill(int(pidfile.read_text().split()[0]), signal.SIGINT)
        except (OSError, ValueError, IndexError):
            self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        shutil.rmtree(self.datadir.parent, ignore_errors=True)


def _as_postgres(cmd: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root; drop to the postgres account when we are root.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def start(extra: tuple[str, ...] = ()) -> PgServer:
    """Initialise and start a server on a free port; fsync off because the data are disposable."""
    bindir = find_bindir()
    if bindir is None:
        raise FileNotFoundError("PostgreSQL server binaries (initdb, postgres) not found")
    base = Path(tempfile.mkdtemp(prefix="obs-pg-"))
    datadir = base / "data"
    datadir.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
        shutil.chown(datadir, "postgres", "postgres")
    subprocess.run(_as_postgres([str(bindir / "initdb"), "-D", str(datadir), "-A", "trust", "-U", "postgres",
                                 "--no-sync", "-E", "UTF8"]), check=True, capture_output=True)
    port = _free_port()
    cmd = [str(bindir / "postgres"), "-D", str(datadir), "-k", str(datadir), "-p", str(port),
           "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200",
           "-c", "synchronous_commit=off", "-c", "full_page_writes=off", *extra]
    proc = subprocess.Popen(_as_postgres(cmd), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = PgServer(bindir, datadir, port, proc)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready = subprocess.run([str(bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                               capture_output=True, check=False)
        if ready.returncode == 0:
            return server
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    server.stop()
    raise RuntimeError("PostgreSQL did not become ready")
