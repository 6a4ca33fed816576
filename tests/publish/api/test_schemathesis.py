"""Property-based check of the OpenAPI schema: no 500, every answer matches its schema.

Covers the open-data routes (tags data, metadata, sdmx); other areas test their own routes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from observatorio.publish.api.app import create_app
from observatorio.settings import Settings


@pytest.fixture(scope="session")
def api_schema(bundled_store_path: Path) -> schemathesis.BaseSchema:
    app = create_app(Settings(db=bundled_store_path))
    return schemathesis.openapi.from_asgi("/api/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.include(tag_regex="^(data|metadata|sdmx)$").parametrize()
@settings(max_examples=25, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_open_data_api_conforms(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, response.text
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
