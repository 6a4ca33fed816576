"""``observatorio serve`` becomes uvicorn in a fresh interpreter (publish/server_process.py): the
server keeps the command line's process but none of its imports, in its workers neither."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from observatorio.publish.server_process import APP_FACTORY, server_argv, uvicorn_options
from observatorio.settings import Settings

from .live_server import free_port


def test_the_new_interpreter_runs_uvicorn_with_serves_options() -> None:
    argv = server_argv(uvicorn_options(Settings(), "127.0.0.1", 8123, 2))
    # the working directory kept off sys.path (-P), uvicorn.run called, not its command line
    assert argv[:3] == [sys.executable, "-P", "-c"] and argv[4] == APP_FACTORY
    options = json.loads(argv[5])
    assert options == {"host": "127.0.0.1", "port": 8123, "workers": 2, "log_level": "warning",
                       "access_log": False, "proxy_headers": False}
    # nobody's X-Forwarded-For is believed unless the deployment names its proxies


def test_named_proxies_reach_the_server() -> None:
    argv = server_argv(uvicorn_options(
        Settings(forwarded_allow_ips="10.0.0.1, 192.168.0.0/16"), "0.0.0.0", 80, 1))  # noqa: S104
    options = json.loads(argv[5])
    assert options["proxy_headers"] is True
    assert options["forwarded_allow_ips"] == ["10.0.0.1", "192.168.0.0/16"]


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc (Linux)")
def test_serve_execs_uvicorn_and_its_workers_hold_no_command_line(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path),
           "OBSERVATORIO_CASES_DB": f"sqlite:///{tmp_path / 'cases.sqlite'}"}
    process = subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, "-m", "observatorio", "--db", str(tmp_path / "none.duckdb"), "serve",
         "--port", str(port), "--workers", "2", "--no-load", "--no-snapshots"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            try:
                # no store: the API says so (503), the server is up
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/sources", timeout=5).status_code == 503:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server never answered"
            time.sleep(0.2)
        # the same process (its id, its signals), now a fresh interpreter running uvicorn
        command = Path(f"/proc/{process.pid}/cmdline").read_bytes().split(b"\0")
        assert b"-c" in command and APP_FACTORY.encode() in command
        workers = [int(p) for p in Path(f"/proc/{process.pid}/task/{process.pid}/children")
                   .read_text().split()]
        assert workers
        for pid in [process.pid, *workers]:
            mapped = Path(f"/proc/{pid}/maps").read_text()
            # neither the command line's imports (the cases commands: SQLAlchemy's compiled
            # modules) nor the cases side (loaded by a worker on its first cases request)
            assert "sqlalchemy" not in mapped, pid
    finally:
        process.terminate()
        assert process.wait(timeout=60) == 0  # SIGTERM: the server (not a parent of it) stops cleanly
