"""What a server worker has imported after answering requests: a fresh interpreter creates the
app, answers the given paths and reports ``sorted(sys.modules)`` (issue #12: a worker must not
load the ingest side, nor, once every page is converted, pandas), with the chain of project
modules that first imported pandas. Shared by the worker-import tests."""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]

SERVE_AND_LIST = textwrap.dedent(
    """
    import importlib.util, json, os, sys, traceback

    class FirstPandas:
        # Records which project modules were importing when pandas was first asked for.
        chain = None

        @classmethod
        def find_spec(cls, name, path=None, target=None):
            if name == "pandas" and cls.chain is None:
                cls.chain = [f.filename for f in traceback.extract_stack() if "/observatorio/" in f.filename]
            return None

    sys.meta_path.insert(0, FirstPandas)
    from fastapi.testclient import TestClient
    from observatorio.publish.api.app import create_served_app
    from observatorio.settings import Settings

    config = json.loads(sys.argv[1])
    paths = list(config["paths"])
    if config["portal"]:  # every portal page, both languages (bench/api/memory.py)
        spec = importlib.util.spec_from_file_location("bench_memory", config["bench"])
        bench = sys.modules["bench_memory"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(bench)
        paths = bench.portal_paths() + paths
    app = create_served_app(Settings(db=config["db"], cases_db=config["cases_db"], cases_web=config["cases_web"]))
    with TestClient(app) as client:
        status = {p: client.get(p).status_code for p in paths}
    print(json.dumps({"status": status, "modules": sorted(sys.modules),
                      "pandas_chain": FirstPandas.chain}), flush=True)
    # The interpreter's finalisation is skipped: a thread of the server's pool holding a DuckDB
    # cursor could be torn down inside it and abort the process (tests/publish/web/test_statistics_only.py).
    os._exit(0)
    """
)


def serve_and_list(db: Path, cases_db: str, paths: list[str], *, portal: bool = True,
                   cases_web: bool = True) -> dict[str, Any]:
    """Status of every path answered, the modules loaded after them and ``pandas_chain`` (the
    project files on the stack when pandas was first imported; None if it never was)."""
    config = {"db": str(db), "cases_db": cases_db, "paths": paths, "portal": portal,
              "cases_web": cases_web, "bench": str(REPO / "bench" / "api" / "memory.py")}
    done = subprocess.run([sys.executable, "-c", SERVE_AND_LIST, json.dumps(config)],
                          capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    [line] = [line for line in done.stdout.splitlines() if line.startswith("{")]
    found: dict[str, Any] = json.loads(line)
    return found


def pandas_importers(modules: list[str]) -> list[str]:
    """The loaded project modules that import pandas when they are imported (outside a
    function and outside ``if TYPE_CHECKING``): what stands between a worker and no pandas."""
    out = []
    for name in modules:
        if not name.startswith("observatorio"):
            continue
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
            continue
        if _imports_pandas(ast.parse(Path(spec.origin).read_text(encoding="utf-8"))):
            out.append(name)
    return out


def _imports_pandas(tree: ast.Module) -> bool:
    for node in tree.body:  # module level only: a function's import runs when it is called
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "pandas" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "pandas":
            return True
    return False
