"""The unit line of a chart, from the contract's unit codelist (shared by every page module)."""

from __future__ import annotations

from collections.abc import Iterable

from observatorio.model.codelists import get_codelist


def unit_label(units: Iterable[str], lang: str) -> str:
    """The unit of a chart: one label, or "persons or events" when series differ."""
    found = sorted(set(units))
    codes = get_codelist("unit")
    return " / ".join(codes.label(u, lang) for u in found) if found else ""
