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
    # reintegration indicators (cases/reintegration/records.py)
    "followup": "attributes",
    "dimension": "attributes",
    "change": "attributes",
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
    # Reintegration indicators by department (ISO 3166-2): follow-ups due in the month by
    # on_time / late / missing, and plans by score change per dimension (improved / unchanged /
    # worsened, first vs latest follow-up, in the month of the latest).
    AggregateSpec("reintegration_followup_by_department", frozenset({"reintegration_followup"}),
                  rows="ref_area", columns="followup"),
    AggregateSpec("reintegration_score_change_by_department", frozenset({"reintegration_score"}),
                  rows="ref_area", columns="change", layers=("period", "dimension")),
)
