"""One declarative selection of the latest observations: sums per country and period.

A selection (``SeriesSpec``) names a source, the flows, optional table, dimension filters and
attribute filters, and which column identifies the country the figure is about. It is fetched
once for every country (summed by the store's selection builder, store/selection.py) and
cached by the engine, so a table of roles for all members costs one query per selection, not
one per country.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from observatorio.model.dimensions import AREA_DIMENSIONS, FILTER_COLUMNS
from observatorio.store.rows import Row
from observatorio.store.selection import Selection, distinct_rows, sum_rows

#: Columns that can identify "the country the figure is about".
COUNTRY_COLUMNS = frozenset(AREA_DIMENSIONS)
#: Pseudo country code of a selection summed over every country (no country column).
ALL = "_ALL"


@dataclass(frozen=True)
class SeriesSpec:
    """One selection of observations, summed per country and period."""

    source: str
    flows: tuple[str, ...]
    country: str | None = "ref_area"  # column matched against the country asked for
    table: str | None = None
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    exclude_nationals: bool = False  # keep only citizenship <> ref_area (foreigners, abroad)
    sparse_zeros: bool = False  # the publisher omits zero cells: a missing month is 0, not "no data"
    key: str = ""  # the name a published series goes by (dashboards.HEADLINE_SERIES)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> SeriesSpec:
        """Build from the YAML mapping, checking every column name against the vetted list
        (the contract's filterable columns: values are always bound parameters, only these
        names are ever spliced into SQL text)."""
        flows = raw.get("flows") or raw.get("flow")
        if isinstance(flows, str):
            flows = [flows]
        filters = {k: _codes(v) for k, v in (raw.get("filters") or {}).items()}
        bad = set(filters) - set(FILTER_COLUMNS)
        if bad:
            raise ValueError(f"series {raw.get('source')!r}: cannot filter on {sorted(bad)}")
        country = raw.get("country", "ref_area")
        if country is not None and country not in COUNTRY_COLUMNS:
            raise ValueError(f"series {raw.get('source')!r}: country column {country!r} is not one of {sorted(COUNTRY_COLUMNS)}")
        return cls(
            source=str(raw["source"]),
            flows=tuple(flows or ()),
            country=country,
            table=raw.get("table"),
            filters=filters,
            attributes={k: _codes(v) for k, v in (raw.get("attributes") or {}).items()},
            exclude_nationals=bool(raw.get("exclude_nationals", False)),
            sparse_zeros=bool(raw.get("sparse_zeros", False)),
        )

    def identity(self) -> tuple[Any, ...]:
        """Hashable identity for caching."""
        return (self.source, self.flows, self.country, self.table,
                tuple(sorted(self.filters.items())), tuple(sorted(self.attributes.items())),
                self.exclude_nationals)

    def fixed(self, name: str) -> str | None:
        """The one code a filter fixes column ``name`` to (None: not filtered, or several)."""
        codes = self.filters.get(name, ())
        return codes[0] if len(codes) == 1 else None

    def selection(self) -> Selection:
        """The rows this spec reads, as the store's selection (country not included)."""
        chosen: dict[str, tuple[str | None, ...]] = {"source": (self.source,)}
        if self.flows:
            chosen["flow"] = self.flows
        if self.table is not None:
            chosen["table"] = (self.table,)
        chosen.update(sorted(self.filters.items()))
        return Selection(filters=chosen, attributes=self.attributes,
                         exclude_nationals=self.exclude_nationals)

    def describe(self) -> str:
        """A readable formula fragment, e.g. ``Σ value [source=…, flow∈{…}, country=citizenship]``."""
        parts = [f"source={self.source}"]
        if self.table:
            parts.append(f"table={self.table!r}")
        if self.flows:
            parts.append("flow∈{" + ",".join(self.flows) + "}")
        parts += [f"{c}∈{{{','.join(v)}}}" for c, v in sorted(self.filters.items())]
        parts += [f"attributes.{c}∈{{{','.join(v)}}}" for c, v in sorted(self.attributes.items())]
        if self.exclude_nationals:
            parts.append("citizenship≠ref_area")
        if self.country:
            parts.append(f"{self.country}=:country")
        return "Σ value [" + ", ".join(parts) + "]"


def _codes(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list | tuple) else (str(value),)


#: What a selection's sums hold, per country, frequency and period.
MEASURES = {"value": "sum", "n_values": "values", "release": "latest_release"}


def fetch_by_country(con: Any, spec: SeriesSpec) -> list[Row]:
    """Sum of ``value`` per country, freq and period (country ``_ALL`` when the spec has none),
    ordered by them: rows of country, freq, period (a date), value, n_values, release (a date)."""
    if spec.country:
        return sum_rows(con, spec.selection(), [spec.country, "freq", "period"], MEASURES,
                        names={spec.country: "country"})
    return [{"country": ALL, **row} for row in sum_rows(con, spec.selection(), ["freq", "period"], MEASURES)]


def fetch_for_countries(con: Any, spec: SeriesSpec, countries: tuple[str, ...]) -> list[Row]:
    """:func:`fetch_by_country` for ``countries`` only: the selection narrowed to them, read by
    the store's query (a few countries' rows, not the world's). No row when the spec has no
    country column (its sums are about no one country)."""
    if spec.country is None:
        return []
    kept = spec.filters.get(spec.country)
    codes = tuple(c for c in countries if kept is None or c in kept)
    if not codes:
        return []
    return fetch_by_country(con, replace(spec, filters={**spec.filters, spec.country: codes}))


def fetch_coverage(con: Any, spec: SeriesSpec) -> list[Row]:
    """Every (freq, period) the selection holds for any country: what the source covers
    (rows of freq, period, ordered)."""
    return distinct_rows(con, spec.selection(), ["freq", "period"])
