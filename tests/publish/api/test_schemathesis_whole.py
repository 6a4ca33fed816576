"""schemathesis over the rest of the OpenAPI document: the analysis and forecast routes, and the
cases API authenticated as each demo role (and anonymously). No answer may be a 500 (#10).

test_schemathesis.py covers the open-data tags (data, metadata, sdmx) with schema conformance;
together they cover every operation. Deterministic: derandomized Hypothesis, no example
database, a fixed demo world, and few examples per operation so it runs in minutes on 2 cores.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from observatorio.cases import demo
from observatorio.cases.config import CasesConfig
from observatorio.cases.db import upgrade
from observatorio.cases.runtime import Runtime
from observatorio.publish.api.app import create_app
from observatorio.settings import Settings

OPEN_DATA_TAGS = {"data", "metadata", "sdmx"}  # test_schemathesis.py
#: Operations that end the caller's session: run last, so the others run authenticated.
SESSION_ENDING = ("/api/v1/auth/logout", "/api/v1/auth/password")
CASES_EXAMPLES = 6
OTHER_EXAMPLES = 10
#: One demo user per role (demo.USERS), plus no user at all.
ROLES = sorted({role for _, _, role in demo.USERS}) + ["anonymous"]


@pytest.fixture(scope="module")
def whole(bundled_store_path: Path, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[tuple[FastAPI, dict[str, tuple[str, str]]]]:
    """The real app over the bundled store and a demo cases database; role → (user, password)."""
    folder = tmp_path_factory.mktemp("whole")
    url = f"sqlite:///{folder / 'cases.sqlite'}"
    upgrade(url)
    app_settings = Settings(db=bundled_store_path, cases_db=url,
                            secret_key="schemathesis-secret-key-0123456789abcdef")
    # Cheap hashes, and no throttling: generated logins must not lock the demo users out.
    config = CasesConfig(argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1,
                         max_failures_per_user_ip=10**9, max_failures_per_user=10**9 + 1,
                         max_failures_per_ip=10**9)
    rt = Runtime.from_url(url, app_settings, config)
    with rt.sessions() as session:
        world = demo.build(session, config, n_cases=20, seed=1)
        session.commit()
    app = create_app(app_settings)
    app.state.cases_runtime = rt
    users: dict[str, tuple[str, str]] = {}
    for username, password, role, _ in world.credentials:
        users.setdefault(role, (username, password))
    yield app, users
    rt.close()


def _operations(app: FastAPI, keep: Any) -> list[Any]:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    ops = [op for op in (r.ok() for r in schema.get_all_operations()) if keep(set(op.tags or ()))]
    return sorted(ops, key=lambda op: (op.path in SESSION_ENDING, op.path, op.method))


def _never_500(operation: Any, examples: int, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case) -> None:
        case.headers = {**(case.headers or {}), **headers}
        response = case.call(timeout=300)
        case.validate_response(response, checks=[not_a_server_error])

    check()


def test_analysis_and_forecast_routes_never_500(whole: tuple[FastAPI, dict[str, tuple[str, str]]]) -> None:
    app, _ = whole
    operations = _operations(app, lambda tags: not tags & (OPEN_DATA_TAGS | {"cases"}))
    assert len(operations) >= 5
    for operation in operations:
        _never_500(operation, OTHER_EXAMPLES, {})


@pytest.mark.parametrize("role", ROLES)
def test_cases_api_never_500_as_each_role(whole: tuple[FastAPI, dict[str, tuple[str, str]]],
                                          role: str) -> None:
    app, users = whole
    headers: dict[str, str] = {}
    if role != "anonymous":
        username, password = users[role]
        r = TestClient(app).post("/api/v1/auth/token", data={"username": username, "password": password})
        assert r.status_code == 200, r.text
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    operations = _operations(app, lambda tags: "cases" in tags)
    assert len(operations) >= 25
    for operation in operations:
        _never_500(operation, CASES_EXAMPLES, headers)
