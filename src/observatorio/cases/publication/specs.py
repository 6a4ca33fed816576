"""The published tables, as data: each is a two-way table (rows × columns) with its margins,
one per combination of the ``layers`` values (month, and the organisation's country where
given). The returnee tables count intakes at reception centres (publication/returnees.py).

A case opened by a reception intake (records.py ``at_intake``) is a returnee's whatever its type
(an unaccompanied child received gets an ``unaccompanied_child`` case): it is counted only in the
tables with ``intake_cases`` (reintegration_by_sex_age, with the returnee_reintegration cases
opened by hand) and never in the consular tables, which count the cases a consulate or partner
opened. So every case is in exactly one of consular_by_type and reintegration_by_sex_age."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

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
    #: True: the table also counts every case opened by a reception intake, whatever its type;
    #: False: it counts none of them (the case types alone would let a received child's
    #: ``unaccompanied_child`` case into the consular tables)
    intake_cases: bool = False
    #: a table counting nearly the same people by the same dimensions: this table hides every
    #: entry the other hides, and more, so that no difference of the two gives a hidden cell or
    #: a small group away (differences.py); the other publishes what it would alone
    suppressed_with: AggregateSpec | None = None
    #: False: a table suppression sees but nobody reads (a *link*): it declares how published
    #: tables add up across their layers (a country's departments to its totals), so secondary
    #: suppression is done jointly; its entries no published table has are unknown to everyone
    published: bool = True

    def selects(self, records: pd.DataFrame) -> pd.Series:
        """The records this table counts: by case type, and by ``intake_cases`` for the case
        records opened at intake (other records have no ``at_intake``: never opened at intake)."""
        by_type = records["case_type"].isin(list(self.case_types))
        if "at_intake" not in records:
            return by_type
        at_intake = records["at_intake"].eq(True)
        return (by_type | at_intake) if self.intake_cases else (by_type & ~at_intake)


CONSULAR_TYPES = frozenset(t.value for t in CaseType if t is not CaseType.RETURNEE_REINTEGRATION)
REINTEGRATION_TYPES = frozenset({CaseType.RETURNEE_REINTEGRATION.value})
RETURNEE_TYPES = frozenset({"returnee_received"})  # publication/returnees.RETURNEE
#: returnees received are persons returned to the centre's country, from ``counterpart_area``
RETURNEE_FIXED: Mapping[str, str] = {"dataflow": "RETURNS", "flow": "RETURN_RECEIVED", "unit": "PERSONS",
                                     "counterpart_area": "_T"}

#: A value of the first dimension names a part of one value of the second (an ISO 3166-2
#: department code its country): an entry's key (tables.Table.entry_key) names the whole too when
#: the records give the part a single one, so a department's cell is the same number whether a
#: table is laid out per month or per country. ``_U`` (unknown) is a part of every whole.
NESTED_IN: Mapping[str, str] = {"department": "ref_area"}

RETURNEES_BY_SEX_AGE = AggregateSpec("returnees_by_sex_age", RETURNEE_TYPES, rows="sex", columns="age",
                                     layers=("period", "ref_area"), fixed=RETURNEE_FIXED)

SPECS: tuple[AggregateSpec, ...] = (
    AggregateSpec("consular_by_type", CONSULAR_TYPES, rows="ref_area", columns="case_type"),
    AggregateSpec("consular_by_nationality", CONSULAR_TYPES, rows="ref_area", columns="citizenship"),
    AggregateSpec("consular_by_sex_age", CONSULAR_TYPES, rows="sex", columns="age",
                  layers=("period", "ref_area")),
    # the cases opened at intake (one per returnee received) and the returnee_reintegration cases
    # opened by hand: mostly the people returnees_by_sex_age counts, by the same dimensions, but
    # not exactly (a case opened by hand, a case opened on another day than the intake's date),
    # so this one hides what the returnee table hides and every entry whose difference with it
    # is small (differences.py): a difference of the two must not give a cell or a few cases away
    AggregateSpec("reintegration_by_sex_age", REINTEGRATION_TYPES, rows="sex", columns="age",
                  layers=("period", "ref_area"), intake_cases=True, suppressed_with=RETURNEES_BY_SEX_AGE),
    # returnees received, per month: department of destination (ISO 3166-2 codes identify
    # their country) × sex; per country: sex × age band, accompaniment × age band, and the
    # country they were returned from × the receiving country
    AggregateSpec("returnees_by_department", RETURNEE_TYPES, rows="department", columns="sex",
                  fixed=RETURNEE_FIXED),
    RETURNEES_BY_SEX_AGE,
    AggregateSpec("returnees_by_accompaniment", RETURNEE_TYPES, rows="accompaniment", columns="age",
                  layers=("period", "ref_area"), fixed=RETURNEE_FIXED),
    AggregateSpec("returnees_by_origin", RETURNEE_TYPES, rows="counterpart_area", columns="ref_area",
                  fixed=RETURNEE_FIXED),
    # per department of destination: its municipalities × sex, so campaigns can be aimed at the
    # municipalities people leave from; the table's totals are returnees_by_department's cells,
    # suppressed together with them (the municipality code travels in attributes)
    AggregateSpec("returnees_by_municipality", RETURNEE_TYPES, rows="municipality", columns="sex",
                  layers=("period", "department"), fixed=RETURNEE_FIXED),
    # Links (not published): returnees_by_department is one table per month over every country,
    # but a country's departments of one sex add up to that country's sex total
    # (returnees_by_sex_age's margin), and the countries' sex totals to the month's (the
    # department table's column totals). Declared as the tables these sums are the margins of,
    # they are suppressed with the published ones: a department cell hidden gets a complement in
    # its own country, and the joint attack (suppression.suppress_linked) solves them together.
    AggregateSpec("returnees_by_department_in_country", RETURNEE_TYPES, rows="department", columns="sex",
                  layers=("period", "ref_area"), fixed=RETURNEE_FIXED, published=False),
    AggregateSpec("returnees_by_country_sex", RETURNEE_TYPES, rows="ref_area", columns="sex",
                  fixed=RETURNEE_FIXED, published=False),
    # Reintegration indicators by department (ISO 3166-2): follow-ups due in the month by
    # on_time / late / missing, and plans by score change per dimension (improved / unchanged /
    # worsened, first vs latest follow-up, in the month of the latest).
    AggregateSpec("reintegration_followup_by_department", frozenset({"reintegration_followup"}),
                  rows="ref_area", columns="followup"),
    AggregateSpec("reintegration_score_change_by_department", frozenset({"reintegration_score"}),
                  rows="ref_area", columns="change", layers=("period", "dimension")),
)
