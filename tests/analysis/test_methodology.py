"""The methodology document explains every formula and threshold, in Spanish and English."""

from __future__ import annotations

from pathlib import Path

from observatorio.analysis.catalogue import load_catalogue
from observatorio.analysis.methodology import render
from observatorio.analysis.roles import load_method

DOC = Path(__file__).resolve().parents[2] / "docs" / "methodology.md"


def test_generated_tables_are_up_to_date() -> None:
    text = DOC.read_text(encoding="utf-8")
    for lang in ("es", "en"):
        assert f"<!-- generated:{lang} -->\n{render(lang)}<!-- end -->" in text, (
            "run: python -m observatorio.analysis.methodology docs/methodology.md")


def test_every_indicator_and_threshold_is_documented_in_both_languages() -> None:
    text = DOC.read_text(encoding="utf-8")
    spanish, english = text.split("## English")
    for part in (spanish, english):
        for ind in load_catalogue().indicators:
            assert f"`{ind.id}`" in part
        for role in load_method().roles:
            for sig in role.signals:
                assert f"`{sig.indicator}` | {sig.moderate:g} | {sig.high:g} |" in part
    assert "puntaje(v) = recortar(0,5 + 0,5 × log(v / moderado)" in spanish
    assert "score(v) = clip(0.5 + 0.5 × log(v / moderate)" in english
