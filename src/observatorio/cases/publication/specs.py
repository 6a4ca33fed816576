"""The published tables, as data: each is a two-way table (rows × columns) with its margins,
one per combination of the ``layers`` values (month, and the organisation's country where
given). Reception tables (returnees received, by department…) plug in as more specs."""

from __future__ import annotations

from dataclasses import dataclass

from observatorio.cases.vocab import CaseType

#: Record columns a spec may name (records.RECORD_COLUMNS) and the contract column each fills;
#: ``case_type`` has no contract dimension and goes into ``attributes``.
DIMENSION_COLUMN: dict[str, str] = {
    "period": "period",
    "ref_area": "ref_area",
    "citizenship": "citizenship",
    "sex": "sex",
    "age": "age",
    "case_type": "attributes",
}


@dataclass(frozen=True)
class AggregateSpec:
    """One published table: which cases it counts and how it breaks them down."""

    name: str  # the contract's ``table`` value of the inner cells (margins get suffixes)
    case_types: frozenset[str]
    rows: str
    columns: str
    layers: tuple[str, ...] = ("period",)


CONSULAR_TYPES = frozenset(t.value for t in CaseType if t is not CaseType.RETURNEE_REINTEGRATION)
REINTEGRATION_TYPES = frozenset({CaseType.RETURNEE_REINTEGRATION.value})

SPECS: tuple[AggregateSpec, ...] = (
    AggregateSpec("consular_by_type", CONSULAR_TYPES, rows="ref_area", columns="case_type"),
    AggregateSpec("consular_by_nationality", CONSULAR_TYPES, rows="ref_area", columns="citizenship"),
    AggregateSpec("consular_by_sex_age", CONSULAR_TYPES, rows="sex", columns="age",
                  layers=("period", "ref_area")),
    AggregateSpec("reintegration_by_sex_age", REINTEGRATION_TYPES, rows="sex", columns="age",
                  layers=("period", "ref_area")),
)
