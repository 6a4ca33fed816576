"""The published tables, as data: each is a two-way table (rows × columns) with its margins,
one per combination of the ``layers`` values (month, and the organisation's country where
given). The returnee tables count intakes at reception centres (publication/returnees.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

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
    # returnee records (publication/returnees.py): a department is a sub-national ref_area
    "department": "ref_area",
    # a municipality code of the national list (reception/geography.py) is not an ISO area code
    "municipality": "attributes",
    "accompaniment": "accompaniment",
    "counterpart_area": "counterpart_area",
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
    #: contract values of this table's rows that differ from writer.FIXED (flow, unit…)
    fixed: Mapping[str, str] = field(default_factory=dict)


CONSULAR_TYPES = frozenset(t.value for t in CaseType if t is not CaseType.RETURNEE_REINTEGRATION)
REINTEGRATION_TYPES = frozenset({CaseType.RETURNEE_REINTEGRATION.value})
RETURNEE_TYPES = frozenset({"returnee_received"})  # publication/returnees.RETURNEE
#: returnees received are persons returned to the centre's country, from ``counterpart_area``
RETURNEE_FIXED: Mapping[str, str] = {"dataflow": "RETURNS", "flow": "RETURN_RECEIVED", "unit": "PERSONS",
                                     "counterpart_area": "_T"}

SPECS: tuple[AggregateSpec, ...] = (
    AggregateSpec("consular_by_type", CONSULAR_TYPES, rows="ref_area", columns="case_type"),
    AggregateSpec("consular_by_nationality", CONSULAR_TYPES, rows="ref_area", columns="citizenship"),
    AggregateSpec("consular_by_sex_age", CONSULAR_TYPES, rows="sex", columns="age",
                  layers=("period", "ref_area")),
    AggregateSpec("reintegration_by_sex_age", REINTEGRATION_TYPES, rows="sex", columns="age",
                  layers=("period", "ref_area")),
    # returnees received, per month: department of destination (ISO 3166-2 codes identify
    # their country) × sex; per country: sex × age band, accompaniment × age band, and the
    # country they were returned from × the receiving country
    AggregateSpec("returnees_by_department", RETURNEE_TYPES, rows="department", columns="sex",
                  fixed=RETURNEE_FIXED),
    AggregateSpec("returnees_by_sex_age", RETURNEE_TYPES, rows="sex", columns="age",
                  layers=("period", "ref_area"), fixed=RETURNEE_FIXED),
    AggregateSpec("returnees_by_accompaniment", RETURNEE_TYPES, rows="accompaniment", columns="age",
                  layers=("period", "ref_area"), fixed=RETURNEE_FIXED),
    AggregateSpec("returnees_by_origin", RETURNEE_TYPES, rows="counterpart_area", columns="ref_area",
                  fixed=RETURNEE_FIXED),
    # per department of destination: its municipalities × sex, so campaigns can be aimed at the
    # municipalities people leave from; the table's totals are returnees_by_department's cells,
    # suppressed together with them (the municipality code travels in attributes)
    AggregateSpec("returnees_by_municipality", RETURNEE_TYPES, rows="municipality", columns="sex",
                  layers=("period", "department"), fixed=RETURNEE_FIXED),
    # Reintegration indicators by department (ISO 3166-2): follow-ups due in the month by
    # on_time / late / missing, and plans by score change per dimension (improved / unchanged /
    # worsened, first vs latest follow-up, in the month of the latest).
    AggregateSpec("reintegration_followup_by_department", frozenset({"reintegration_followup"}),
                  rows="ref_area", columns="followup"),
    AggregateSpec("reintegration_score_change_by_department", frozenset({"reintegration_score"}),
                  rows="ref_area", columns="change", layers=("period", "dimension")),
)
