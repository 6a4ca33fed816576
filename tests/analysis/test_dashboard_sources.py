"""The portal's series name their sources in data (analysis/dashboards.yaml), not in code, and
every source they name is one the source registry knows."""

from __future__ import annotations

import ast
from pathlib import Path

from observatorio.analysis import dashboards
from observatorio.sources.base import all_adapters


def _registered() -> set[str]:
    return {adapter.info.id for adapter in all_adapters()}


def test_every_source_the_portal_names_is_registered() -> None:
    named = {*dashboards.NAMED_SOURCES, *dashboards.DEATH_SOURCES,
             *dashboards.CHILDREN_ABROAD_SOURCES}
    series = [*dashboards.HEADLINE_SERIES, *(s for _, specs in dashboards.ROUTE_STEPS for s in specs),
              *(m.spec for m in dashboards.MAP_INDICATORS),
              *(spec for _, _, spec, _ in dashboards.PROFILE_FLOWS)]
    named |= {spec.source for spec in series}
    assert named - _registered() == set()


def test_the_dashboards_code_names_no_source() -> None:
    tree = ast.parse(Path(dashboards.__file__).read_text(encoding="utf-8"))
    literals = {node.value for node in ast.walk(tree)
                if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    assert literals & _registered() == set()
