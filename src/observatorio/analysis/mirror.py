"""Mirror reconciliation: one movement as reported by two parties, month by month or by year."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from observatorio import yaml_load
from observatorio.analysis.indicators import IndicatorEngine
from observatorio.analysis.series import SeriesSpec

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


def _monthly(engine: IndicatorEngine, side: Side) -> pd.Series:
    rows = engine.series_rows(side.series, None)
    rows = rows[(rows["freq"] == "M") & rows["value"].notna()]
    return rows.groupby("period")["value"].sum()


def reconcile(engine: IndicatorEngine, pair: Pair, freq: str = "M") -> pd.DataFrame:
    """Both sides, the gap (b − a) and the gap in percent of a, by month or calendar year."""
    a, b = _monthly(engine, pair.a), _monthly(engine, pair.b)
    frame = pd.DataFrame({"a": a, "b": b}).sort_index()
    frame.index.name = "period"
    frame = frame.reset_index()
    if freq == "A":
        frame["year"] = frame["period"].dt.year
        frame = (frame.groupby("year")
                 .agg(a=("a", lambda s: s.sum(min_count=1)), b=("b", lambda s: s.sum(min_count=1)),
                      months_a=("a", "count"), months_b=("b", "count"))
                 .reset_index())
        frame["period"] = pd.to_datetime(frame["year"].astype(str) + "-01-01")
        # A yearly gap only compares like with like: the same number of months on both sides.
        comparable = frame["months_a"] == frame["months_b"]
        frame["complete"] = comparable & (frame["months_a"] == 12)
    else:
        frame["months_a"] = frame["a"].notna().astype(int)
        frame["months_b"] = frame["b"].notna().astype(int)
        comparable = frame["a"].notna() & frame["b"].notna()
        frame["complete"] = comparable
    frame["gap"] = np.where(comparable, frame["b"] - frame["a"], np.nan)
    ok = comparable & (frame["a"] > 0)
    frame["gap_pct"] = np.where(ok, (frame["b"] - frame["a"]) / frame["a"].where(ok) * 100.0, np.nan)
    frame["pair"] = pair.id
    frame["kind"] = pair.kind
    return frame.loc[:, list(COLUMNS)].reset_index(drop=True)


def reconcile_all(
    engine: IndicatorEngine, freq: str = "M", pair_ids: tuple[str, ...] | None = None,
    kinds: tuple[str, ...] | None = None, book: MirrorBook | None = None,
) -> pd.DataFrame:
    """Every pair (or the ones asked for) stacked in one frame."""
    book = book or load_book()
    pairs = [p for p in book.pairs
             if (not pair_ids or p.id in pair_ids) and (not kinds or p.kind in kinds)]
    frames = [reconcile(engine, p, freq) for p in pairs]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame({c: [] for c in COLUMNS})
    return pd.concat(frames, ignore_index=True)


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
