"""The glossary: national migration terms mapped to harmonized flow codes, in both languages."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from observatorio import yaml_load
from observatorio.model.codelists import get_codelist

GLOSSARY_FILE = Path(__file__).resolve().parent / "glossary.yaml"


@dataclass(frozen=True)
class GlossaryTerm:
    """One national term, the flow it maps to and what one count of it means."""

    term: str
    lang: str
    countries: tuple[str, ...]
    flow: str
    unit: str
    definition_es: str
    definition_en: str
    note_es: str = ""
    note_en: str = ""

    def definition(self, lang: str) -> str:
        return self.definition_es if lang == "es" else self.definition_en

    def note(self, lang: str) -> str:
        return self.note_es if lang == "es" else self.note_en


@cache
def load_glossary() -> tuple[GlossaryTerm, ...]:
    """Every glossary term, checked against the flow and unit codelists."""
    with GLOSSARY_FILE.open(encoding="utf-8") as fh:
        entries = yaml_load.safe_load(fh)
    flows, units = get_codelist("flow"), get_codelist("unit")
    terms = []
    for entry in entries:
        term = GlossaryTerm(**{**entry, "countries": tuple(entry.get("countries", ()))})
        if term.flow not in flows or term.unit not in units:
            raise ValueError(f"glossary term {term.term!r}: unknown flow or unit")
        terms.append(term)
    return tuple(terms)


def lookup(term: str) -> GlossaryTerm | None:
    """The glossary entry for a national term (case-insensitive), if any."""
    wanted = term.strip().casefold()
    return next((g for g in load_glossary() if g.term.casefold() == wanted), None)
