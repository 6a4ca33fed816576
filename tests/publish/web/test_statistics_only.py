"""A statistics-only server (``cases_web`` false): the API and the portal as ever, no route of
the cases side, and the cases side (SQLAlchemy, its models, the policy) never imported — the
≈ 25 MB per server process it costs (docs/benchmarks.md, "Memory"). A default server loads it on
the first request that needs it (publish/api/cases_side.py): one that answered only the
statistics side has not imported it either."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

SERVE_AND_LOOK = textwrap.dedent(
    """
    import json, os, sys
    from fastapi.testclient import TestClient
    from observatorio.publish.api.app import create_app
    from observatorio.settings import Settings

    CASES = ["/cases/login", "/api/v1/cases", "/es/directorio/"]
    cases_web = "--then-cases" in sys.argv
    app = create_app(Settings(db=sys.argv[1], cases_db=sys.argv[2], cases_web=cases_web))
    paths = ["/api/v1/sources", "/api/v1/observations?limit=5", "/sdmx/dataflow", "/es/",
             "/en/countries/GTM/", "/es/paises/SLV/", "/en/data/", "/es/calendario/", "/api/v1/no-such"]
    if not cases_web:
        paths += CASES
    with TestClient(app) as client:
        status = {p: client.get(p).status_code for p in paths}
        links = "/cases/login" in client.get("/es/").text  # no links to routes it lacks
    loaded = sorted(m for m in sys.modules
                    if m.split(".")[0] == "sqlalchemy" or m.startswith("observatorio.cases"))
    print(json.dumps({"status": status, "loaded": loaded[:5], "links": links}), flush=True)
    if "--then-cases" in sys.argv:  # the same worker's first requests of the cases side
        with TestClient(app, follow_redirects=False) as client:
            status = {p: client.get(p).status_code for p in CASES}
        loaded = sorted(m for m in sys.modules if m.split(".")[0] == "sqlalchemy")
        print(json.dumps({"status": status, "loaded": loaded[:1]}), flush=True)
    # What is checked is written; the interpreter's finalisation is skipped: a thread of the
    # server's pool holding a DuckDB cursor could be torn down inside it and abort the process
    # (one clean-clone run, SIGABRT after the output; tests/model/added_dimension.py does the same).
    os._exit(0)
    """
)


def _serve_and_look(store: Path, folder: Path, *options: str) -> list[dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-c", SERVE_AND_LOOK, str(store), f"sqlite:///{folder / 'cases.sqlite'}", *options],
        capture_output=True, text=True, timeout=600, check=True)
    return [json.loads(line) for line in done.stdout.strip().splitlines() if line.startswith("{")]


def test_a_statistics_only_server_never_loads_the_cases_side(portal_store_path: Path,
                                                              tmp_path: Path) -> None:
    [found] = _serve_and_look(portal_store_path, tmp_path)
    assert found["loaded"] == []
    assert found["links"] is False
    status = found["status"]
    assert status["/api/v1/sources"] == 200
    assert status["/es/"] == status["/en/countries/GTM/"] == status["/es/calendario/"] == 200
    assert status["/cases/login"] == status["/api/v1/cases"] == status["/es/directorio/"] == 404


def test_a_default_server_loads_the_cases_side_on_its_first_request(portal_store_path: Path,
                                                                     tmp_path: Path) -> None:
    """The API, SDMX and the portal answered without importing it; then the first cases page,
    cases API call and directory page each answered by it."""
    statistics, cases = _serve_and_look(portal_store_path, tmp_path, "--then-cases")
    assert statistics["loaded"] == []
    assert statistics["links"] is True
    assert {p: s for p, s in statistics["status"].items() if s != 200} == {"/api/v1/no-such": 404}
    assert cases["status"] == {"/cases/login": 200, "/api/v1/cases": 401, "/es/directorio/": 200}
    assert cases["loaded"] == ["sqlalchemy"]
