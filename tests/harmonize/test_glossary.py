"""The glossary maps national terms to flow codes with bilingual definitions and units."""

from __future__ import annotations

import pytest

from observatorio.harmonize.glossary import load_glossary, lookup


@pytest.mark.parametrize(
    ("term", "flow", "unit"),
    [
        ("deportado", "RETURN_RECEIVED", "PERSONS"),
        ("retornado", "RETURN_RECEIVED", "PERSONS"),
        ("devuelto", "RETURN_EXECUTED", "EVENTS"),
        ("repatriado", "RETURN_RECEIVED", "PERSONS"),
        ("presentado", "PRESENTED", "EVENTS"),
        ("evento", "PRESENTED", "EVENTS"),
        ("encounter", "ENCOUNTER", "EVENTS"),
        ("apprehension", "APPREHENSION", "EVENTS"),
        ("inadmissible", "INADMISSIBLE", "EVENTS"),
        ("expulsion", "EXPULSION", "EVENTS"),
    ],
)
def test_national_terms_map_to_flows(term: str, flow: str, unit: str) -> None:
    entry = lookup(term.upper())
    assert entry is not None
    assert (entry.flow, entry.unit) == (flow, unit)
    assert entry.definition("es") and entry.definition("en")
    assert entry.definition("es") != entry.definition("en")


def test_terms_are_unique() -> None:
    terms = [g.term.casefold() for g in load_glossary()]
    assert len(terms) == len(set(terms))
