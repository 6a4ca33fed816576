"""A statistics-only server (``cases_web`` false): the API and the portal as ever, no route of
the cases side, and the cases side (SQLAlchemy, its models, the policy) never imported — the
≈ 25 MB per server process it costs (docs/benchmarks.md, "Memory")."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

SERVE_AND_LOOK = textwrap.dedent(
    """
    import json, os, sys
    from fastapi.testclient import TestClient
    from observatorio.publish.api.app import create_app
    from observatorio.settings import Settings

    app = create_app(Settings(db=sys.argv[1], cases_db=sys.argv[2], cases_web=False))
    paths = ["/api/v1/sources", "/es/", "/en/countries/GTM/", "/es/calendario/",
             "/cases/login", "/api/v1/cases", "/es/directorio/"]
    with TestClient(app) as client:
        status = {p: client.get(p).status_code for p in paths}
        links = "/cases/login" in client.get("/es/").text  # no links to routes it lacks
    loaded = sorted(m for m in sys.modules
                    if m.split(".")[0] == "sqlalchemy" or m.startswith("observatorio.cases"))
    print(json.dumps({"status": status, "loaded": loaded[:5], "links": links}), flush=True)
    # What is checked is written; the interpreter's finalisation is skipped: a thread of the
    # server's pool holding a DuckDB cursor could be torn down inside it and abort the process
    # (one clean-clone run, SIGABRT after the output; tests/model/added_dimension.py does the same).
    os._exit(0)
    """
)


def test_a_statistics_only_server_never_loads_the_cases_side(portal_store_path: Path,
                                                              tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SERVE_AND_LOOK, str(portal_store_path),
         f"sqlite:///{tmp_path / 'cases.sqlite'}"],
        capture_output=True, text=True, timeout=600, check=True)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["loaded"] == []
    assert found["links"] is False
    status = found["status"]
    assert status["/api/v1/sources"] == 200
    assert status["/es/"] == status["/en/countries/GTM/"] == status["/es/calendario/"] == 200
    assert status["/cases/login"] == status["/api/v1/cases"] == status["/es/directorio/"] == 404
