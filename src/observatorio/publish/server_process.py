"""The server's own process: ``observatorio serve`` replaces itself with a fresh interpreter
that runs uvicorn.

The command line imports every command (Typer, Rich, the loaders, the cases commands and what
they import) and may just have loaded the bundled data; a server run inside it would keep all of
that for good. Worse, uvicorn starts its worker processes with multiprocessing's *spawn*, which
imports the parent's main module again in each worker, so every worker would import the whole
command line too (measured, docs/benchmarks.md: ≈ 40 MB more per worker, SQLAlchemy included).
So once the store is ready ``serve`` execs ``python -P -c <run uvicorn>`` with the same options:
the same process (its id, its signals, its exit status), a fresh interpreter that holds only the
app. The program calls ``uvicorn.run`` with the options as keywords, exactly as ``serve`` did,
not uvicorn's command line (which would also read ``UVICORN_*`` variables and put the working
directory first on ``sys.path``); ``-P`` keeps the working directory off ``sys.path`` as well.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

from observatorio.publish.proxies import uvicorn_proxy_options
from observatorio.settings import Settings, environment_for_new_interpreter

#: the application factory the server runs (the environment carries its settings)
APP_FACTORY = "observatorio.publish.api.app:create_served_app"
#: what the new interpreter runs: uvicorn with the options given as JSON
PROGRAM = "import json, sys, uvicorn; uvicorn.run(sys.argv[1], factory=True, **json.loads(sys.argv[2]))"


def uvicorn_options(settings: Settings, host: str, port: int, workers: int) -> dict[str, Any]:
    """The options of the server, as ``uvicorn.run`` keywords."""
    return {"host": host, "port": port, "workers": workers, "log_level": "warning",
            "access_log": False, **uvicorn_proxy_options(settings)}


def server_argv(options: dict[str, Any]) -> list[str]:
    """The new interpreter's command line: uvicorn.run(APP_FACTORY, factory=True, **options)."""
    return [sys.executable, "-P", "-c", PROGRAM, APP_FACTORY, json.dumps(options)]


def server_environment() -> dict[str, str]:
    """This process's environment, with the folder this package was imported from on
    ``PYTHONPATH`` when only this process's own first ``sys.path`` entry gave it (a checkout run
    as ``python -m observatorio`` from ``src/``); an installation (site-packages, a ``.pth``
    file, the user's site) or ``PYTHONPATH`` gives the new interpreter the same code anyway."""
    root = str(Path(__file__).resolve().parents[2])
    found_elsewhere = root in {str(Path(p).resolve()) for p in sys.path[1:] if p}
    return environment_for_new_interpreter(None if found_elsewhere else root)


def run_server(options: dict[str, Any]) -> NoReturn:
    """Become the server: exec the new interpreter where the system can (POSIX), else run
    uvicorn here."""
    if os.name == "posix":
        sys.stdout.flush()
        sys.stderr.flush()
        argv = server_argv(options)
        os.execve(argv[0], argv, server_environment())  # noqa: S606 - our interpreter, no shell
    import uvicorn

    uvicorn.run(APP_FACTORY, factory=True, **options)
    raise SystemExit(0)
