"""The server's own process: ``observatorio serve`` replaces itself with uvicorn's command line.

The command line imports every command (Typer, Rich, the loaders, the cases commands and what
they import) and may just have loaded the bundled data; a server run inside it would keep all of
that for good. Worse, uvicorn starts its worker processes with multiprocessing's *spawn*, which
imports the parent's main module again in each worker, so every worker would import the whole
command line too (measured, docs/benchmarks.md: ≈ 30 MB more per worker, SQLAlchemy included).
So once the store is ready ``serve`` execs ``python -m uvicorn`` with the same options: the same
process (its id, its signals, its exit status), a fresh interpreter that holds only the app.
"""

from __future__ import annotations

import os
import site
import sys
from pathlib import Path
from typing import Any, NoReturn

from observatorio.publish.proxies import uvicorn_proxy_options
from observatorio.settings import Settings

#: the application factory the server runs (the environment carries its settings)
APP_FACTORY = "observatorio.publish.api.app:create_app"


def uvicorn_options(settings: Settings, host: str, port: int, workers: int) -> dict[str, Any]:
    """The options of the server, as ``uvicorn.run`` keywords."""
    return {"host": host, "port": port, "workers": workers, "log_level": "warning",
            "access_log": False, **uvicorn_proxy_options(settings)}


def uvicorn_argv(options: dict[str, Any]) -> list[str]:
    """The same options as uvicorn's command line (``python -m uvicorn …``)."""
    argv = [sys.executable, "-m", "uvicorn", APP_FACTORY, "--factory",
            "--host", str(options["host"]), "--port", str(options["port"]),
            "--workers", str(options["workers"]), "--log-level", str(options["log_level"]),
            "--access-log" if options["access_log"] else "--no-access-log",
            "--proxy-headers" if options["proxy_headers"] else "--no-proxy-headers"]
    proxies = options.get("forwarded_allow_ips")
    if proxies:
        argv += ["--forwarded-allow-ips", ",".join(proxies)]
    return argv


def server_environment() -> dict[str, str]:
    """This process's environment, with the folder this package was imported from on
    ``PYTHONPATH`` when no installation puts it there (a checkout run with ``python -m``), so
    the new interpreter imports the same code."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    listed = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    installed = {str(Path(p).resolve()) for p in site.getsitepackages()}
    if root not in installed and root not in listed:
        env["PYTHONPATH"] = os.pathsep.join([root, *listed])
    return env


def run_server(options: dict[str, Any]) -> NoReturn:
    """Become the server: exec uvicorn where the system can (POSIX), else run it here."""
    if os.name == "posix":
        sys.stdout.flush()
        sys.stderr.flush()
        argv = uvicorn_argv(options)
        os.execve(argv[0], argv, server_environment())  # noqa: S606 - our interpreter, no shell
    import uvicorn

    uvicorn.run(APP_FACTORY, factory=True, **options)
    raise SystemExit(0)
