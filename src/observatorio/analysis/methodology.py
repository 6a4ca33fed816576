"""Tables of docs/methodology.md generated from the analysis data files, so the document cannot
drift from the method: a test compares the document with ``render``.

``python -m observatorio.analysis.methodology docs/methodology.md`` rewrites the generated
blocks (between ``<!-- generated:es -->`` / ``<!-- generated:en -->`` and ``<!-- end -->``).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from observatorio.analysis.actions import load_matrix
from observatorio.analysis.catalogue import load_catalogue
from observatorio.analysis.mirror import load_book
from observatorio.analysis.roles import load_method
from observatorio.i18n import t


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(lang: str) -> str:
    """The generated tables in one language (Markdown)."""
    def head(name: str) -> str:  # the headings are in messages.yaml (methodology_table.*)
        return t(f"methodology_table.{name}", lang)

    out: list[str] = [f"### {head('indicators')}", "", head("ind_cols"), "|---|---|---|---|---|"]
    for ind in load_catalogue().indicators:
        out.append(f"| `{ind.id}` | **{_cell(ind.name(lang))}** — {_cell(ind.definition(lang))} | {ind.unit} | "
                   f"`{_cell(ind.formula())}` | "
                   f"{', '.join(ind.sources)} |")
    out += ["", f"### {head('roles')}", "", head("role_cols"), "|---|---|---|---|---|---|"]
    for role in load_method().roles:
        for sig in role.signals:
            out.append(f"| {role.name(lang)} | `{sig.indicator}` | {sig.moderate:g} | {sig.high:g} | "
                       f"{sig.max_age} | {head('indirect' if sig.indirect else 'direct')} |")
    matrix = load_matrix()
    out += ["", f"### {head('actions')}", "", head("act_cols"), "|---|---|---|---|"]
    for action in matrix.actions:
        triggers = "; ".join(
            f"`{trigger.indicator}` {head('test_' + trigger.test)} {trigger.threshold:g}"
            + (head("region") if trigger.scope == "region" else "")
            for trigger in action.triggers)
        out.append(f"| `{action.id}` — {_cell(action.text(lang))} | {action.role} | "
                   f"{matrix.subtheme_name(action.subtheme, lang)} | {triggers} |")
    book = load_book()
    out += ["", f"### {head('mirror')}", "", head("mir_cols"), "|---|---|---|---|---|"]
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
