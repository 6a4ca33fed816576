"""Tables of docs/methodology.md generated from the analysis data files, so the document cannot
drift from the method: a test compares the document with ``render``.

``python -m observatorio.analysis.methodology docs/methodology.md`` rewrites the generated
blocks (between ``<!-- generated:es -->`` / ``<!-- generated:en -->`` and ``<!-- end -->``).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from observatorio.analysis.actions import load_matrix
from observatorio.analysis.catalogue import load_catalogue
from observatorio.analysis.mirror import load_book
from observatorio.analysis.roles import load_method

_HEAD: dict[str, dict[str, Any]] = {
    "es": {
        "indicators": "Catálogo de indicadores", "roles": "Umbrales de los roles",
        "actions": "Matriz de acciones y disparadores", "mirror": "Pares espejo",
        "ind_cols": "| id | nombre y definición | unidad | fórmula | fuentes |",
        "role_cols": "| rol | indicador | moderado (puntaje 0,5) | alto (puntaje 1) | años que se arrastra | evidencia |",
        "act_cols": "| acción | rol | subtema | disparadores |",
        "mir_cols": "| par | tipo | lado a | lado b | razones |",
        "direct": "directa", "indirect": "indirecta",
        "tests": {"above": "≥", "below": "≤", "rising": "sube ≥"},
    },
    "en": {
        "indicators": "Indicator catalogue", "roles": "Role thresholds",
        "actions": "Action matrix and triggers", "mirror": "Mirror pairs",
        "ind_cols": "| id | name and definition | unit | formula | sources |",
        "role_cols": "| role | indicator | moderate (score 0.5) | high (score 1) | years carried | evidence |",
        "act_cols": "| action | role | sub-theme | triggers |",
        "mir_cols": "| pair | kind | side a | side b | reasons |",
        "direct": "direct", "indirect": "indirect",
        "tests": {"above": "≥", "below": "≤", "rising": "rises ≥"},
    },
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(lang: str) -> str:
    """The generated tables in one language (Markdown)."""
    h = _HEAD[lang]
    region = " (región)" if lang == "es" else " (region)"
    out: list[str] = [f"### {h['indicators']}", "", h["ind_cols"], "|---|---|---|---|---|"]
    for ind in load_catalogue().indicators:
        out.append(f"| `{ind.id}` | **{_cell(ind.name(lang))}** — {_cell(ind.definition(lang))} | {ind.unit} | "
                   f"`{_cell(ind.formula())}` | "
                   f"{', '.join(ind.sources)} |")
    out += ["", f"### {h['roles']}", "", h["role_cols"], "|---|---|---|---|---|---|"]
    for role in load_method().roles:
        for sig in role.signals:
            out.append(f"| {role.name(lang)} | `{sig.indicator}` | {sig.moderate:g} | {sig.high:g} | "
                       f"{sig.max_age} | {h['indirect'] if sig.indirect else h['direct']} |")
    matrix = load_matrix()
    out += ["", f"### {h['actions']}", "", h["act_cols"], "|---|---|---|---|"]
    for action in matrix.actions:
        triggers = "; ".join(
            f"`{t.indicator}` {h['tests'][t.test]} {t.threshold:g}" + (region if t.scope == "region" else "")
            for t in action.triggers)
        out.append(f"| `{action.id}` — {_cell(action.text(lang))} | {action.role} | "
                   f"{matrix.subtheme_name(action.subtheme, lang)} | {triggers} |")
    book = load_book()
    out += ["", f"### {h['mirror']}", "", h["mir_cols"], "|---|---|---|---|---|"]
    for pair in book.pairs:
        out.append(f"| `{pair.id}` | `{pair.kind}` | {_cell(pair.a.label(lang))} | {_cell(pair.b.label(lang))} | "
                   f"{', '.join(pair.reasons)} |")
    return "\n".join(out) + "\n"


def update(path: Path) -> None:
    """Rewrite the generated blocks of the methodology document in place."""
    text = path.read_text(encoding="utf-8")
    for lang in ("es", "en"):
        pattern = re.compile(rf"(<!-- generated:{lang} -->\n).*?(<!-- end -->)", re.S)
        start, end = f"<!-- generated:{lang} -->\n", "<!-- end -->"
        text = pattern.sub((start + render(lang) + end).replace("\\", "\\\\"), text)
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    update(Path(sys.argv[1]))
