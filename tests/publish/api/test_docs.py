"""docs/api.md documents every open-data route and every error code (a route or code added
without docs fails here)."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.routing import APIRoute

DOC = Path(__file__).resolve().parents[3] / "docs" / "api.md"
OPEN_DATA_TAGS = {"data", "metadata", "sdmx"}
SOURCES = Path(__file__).resolve().parents[3] / "src" / "observatorio"


def test_every_open_data_route_is_documented(api_app: FastAPI) -> None:
    text = DOC.read_text(encoding="utf-8")
    for route in api_app.routes:
        if isinstance(route, APIRoute) and OPEN_DATA_TAGS & set(route.tags or ()):
            stem = route.path.split("{")[0].rstrip("/")
            assert stem in text, f"{route.path} is not in docs/api.md"


def test_every_error_code_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    code = "\n".join(p.read_text(encoding="utf-8") for p in [
        SOURCES / "store" / "query.py", *sorted((SOURCES / "publish" / "api").rglob("*.py"))])
    raised = set(re.findall(r'(?:QueryError|ApiError)\(\s*(?:\d+,\s*)?"([a-z_]+)"', code))
    assert raised
    missing = sorted(c for c in raised if f"`{c}`" not in text)
    assert not missing, f"error codes missing from docs/api.md: {missing}"
