"""Property-based check of the OpenAPI schema: no 500, every answer matches its schema.

Covers the open-data routes (tags data, metadata, sdmx); other areas test their own routes.
Hypothesis drives schemathesis' strategies directly (its pytest plugin does not run under this
pytest version).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from observatorio.publish.api.app import create_app
from observatorio.settings import Settings

OPEN_DATA_TAGS = {"data", "metadata", "sdmx"}


@pytest.fixture(scope="module")
def api_schema(bundled_store_path: Path) -> schemathesis.BaseSchema:
    app = create_app(Settings(db=bundled_store_path))
    return schemathesis.openapi.from_asgi("/api/openapi.json", app)


def test_open_data_api_conforms(api_schema: schemathesis.BaseSchema) -> None:
    operations = [
        op for op in (r.ok() for r in api_schema.get_all_operations())
        if OPEN_DATA_TAGS & set(op.tags or ())
    ]
    assert len(operations) >= 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            # the unfiltered CSV export streams every row: slower than schemathesis' 10 s
            # default on a busy 2-core machine
            response = case.call(timeout=300)
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )

        check()
