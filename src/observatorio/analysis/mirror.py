"""Mirror reconciliation: one movement as reported by two parties, month by month or by year."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from observatorio import yaml_load
from observatorio.analysis.float_sums import group_sum, series_sum
from observatorio.analysis.indicators import IndicatorEngine, ratio
from observatorio.analysis.series import SeriesSpec
from observatorio.store.rows import Row

MIRROR_PATH = Path(__file__).resolve().parent / "mirror.yaml"
KINDS = ("countries", "route", "compilers", "publications")
COLUMNS = ("pair", "kind", "period", "a", "b", "gap", "gap_pct", "months_a", "months_b", "complete")


@dataclass(frozen=True)
class Side:
    """One party's figure for the movement."""

    label_es: str
    label_en: str
    unit: str
    series: SeriesSpec

    def label(self, lang: str) -> str:
        return self.label_es if lang == "es" else self.label_en


@dataclass(frozen=True)
class Pair:
    """A movement reported by two parties, and the known reasons their figures differ."""

    id: str
    kind: str
    movement_es: str
    movement_en: str
    a: Side
    b: Side
    reasons: tuple[str, ...]

    def movement(self, lang: str) -> str:
        return self.movement_es if lang == "es" else self.movement_en


@dataclass(frozen=True)
class MirrorBook:
    """Every pair and the reasons' texts."""

    pairs: tuple[Pair, ...]
    reasons: Mapping[str, Mapping[str, str]]

    def pair(self, pair_id: str) -> Pair:
        for p in self.pairs:
            if p.id == pair_id:
                return p
        raise KeyError(pair_id)

    def reason(self, code: str, lang: str) -> str:
        return self.reasons[code]["en" if lang == "en" else "es"]


def _fill(value: Any, nat: str) -> Any:
    """Replace ``{nat}`` in every string of a nested YAML value."""
    if isinstance(value, str):
        return value.replace("{nat}", nat)
    if isinstance(value, list):
        return [_fill(v, nat) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, nat) for k, v in value.items()}
    return value


def _side(raw: Mapping[str, Any]) -> Side:
    return Side(raw["label"]["es"], raw["label"]["en"], raw["unit"], SeriesSpec.from_dict(raw["series"]))


def _pair(raw: Mapping[str, Any], reasons: Mapping[str, Any]) -> Pair:
    if raw["kind"] not in KINDS:
        raise ValueError(f"mirror pair {raw['id']!r}: unknown kind {raw['kind']!r}")
    missing = [r for r in raw["reasons"] if r not in reasons]
    if missing:
        raise ValueError(f"mirror pair {raw['id']!r}: unknown reasons {missing}")
    return Pair(raw["id"], raw["kind"], raw["movement"]["es"], raw["movement"]["en"],
                _side(raw["a"]), _side(raw["b"]), tuple(raw["reasons"]))


def parse_book(data: Mapping[str, Any]) -> MirrorBook:
    """Pairs from the YAML mapping, templates expanded."""
    reasons = data["reasons"]
    raws = list(data.get("pairs", ()))
    for template in data.get("templates", ()):
        for nat in template["for_each"]:
            raws.append(_fill({k: v for k, v in template.items() if k != "for_each"}, nat))
    pairs = tuple(_pair(r, reasons) for r in raws)
    ids = [p.id for p in pairs]
    if len(ids) != len(set(ids)):
        raise ValueError("mirror pair ids must be unique")
    return MirrorBook(pairs, reasons)


@cache
def load_book(path: Path = MIRROR_PATH) -> MirrorBook:
    with path.open(encoding="utf-8") as fh:
        return parse_book(yaml_load.safe_load(fh))


def _monthly(engine: IndicatorEngine, side: Side) -> dict[date, float]:
    """One side's figure per month."""
    months: dict[date, list[float]] = {}
    for r in engine.series_rows(side.series, None):
        if r["freq"] == "M" and r["value"] is not None:
            months.setdefault(r["period"], []).append(r["value"])
    return {period: group_sum(values) for period, values in months.items()}


def reconcile(engine: IndicatorEngine, pair: Pair, freq: str = "M") -> list[Row]:
    """Both sides, the gap (b − a) and the gap in percent of a, by month or calendar year
    (rows of COLUMNS, by period; a side without a figure is None)."""
    a, b = _monthly(engine, pair.a), _monthly(engine, pair.b)
    periods = sorted(a.keys() | b.keys())
    if freq == "A":
        years: dict[int, list[date]] = {}
        for period in periods:
            years.setdefault(period.year, []).append(period)
        sides = []
        for year, months in years.items():
            a_months, b_months = [a.get(m) for m in months], [b.get(m) for m in months]
            months_a = sum(v is not None for v in a_months)
            months_b = sum(v is not None for v in b_months)
            # A yearly gap only compares like with like: the same number of months on both sides.
            comparable = months_a == months_b
            sides.append((date(year, 1, 1), series_sum(a_months, 1), series_sum(b_months, 1),
                          months_a, months_b, comparable, comparable and months_a == 12))
    else:
        sides = []
        for period in periods:
            va, vb = a.get(period), b.get(period)
            comparable = va is not None and vb is not None
            sides.append((period, va, vb, int(va is not None), int(vb is not None), comparable, comparable))
    rows = []
    for period, va, vb, months_a, months_b, comparable, complete in sides:
        gap = vb - va if comparable and va is not None and vb is not None else None
        ok = comparable and va is not None and va > 0
        rows.append({"pair": pair.id, "kind": pair.kind, "period": period, "a": va, "b": vb,
                     "gap": gap, "gap_pct": ratio(gap, va, 100.0) if ok else None,
                     "months_a": months_a, "months_b": months_b, "complete": complete})
    return rows


def reconcile_all(
    engine: IndicatorEngine, freq: str = "M", pair_ids: tuple[str, ...] | None = None,
    kinds: tuple[str, ...] | None = None, book: MirrorBook | None = None,
) -> list[Row]:
    """Every pair (or the ones asked for), one after the other."""
    book = book or load_book()
    return [row for p in book.pairs
            if (not pair_ids or p.id in pair_ids) and (not kinds or p.kind in kinds)
            for row in reconcile(engine, p, freq)]


def pair_metadata(pair: Pair, book: MirrorBook, lang: str) -> dict[str, Any]:
    """What a pair compares and why its sides differ, in one language."""
    return {
        "id": pair.id, "kind": pair.kind, "movement": pair.movement(lang),
        "a": {"label": pair.a.label(lang), "unit": pair.a.unit, "source": pair.a.series.source,
              "selection": pair.a.series.describe()},
        "b": {"label": pair.b.label(lang), "unit": pair.b.unit, "source": pair.b.series.source,
              "selection": pair.b.series.describe()},
        "reasons": [{"code": r, "text": book.reason(r, lang)} for r in pair.reasons],
    }
