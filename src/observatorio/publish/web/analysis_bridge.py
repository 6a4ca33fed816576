"""The one boundary between the portal and modules other teams own (roles, glossary, methods).

Each of those may not exist yet: an ImportError here (and only here) turns into a "not
available yet" slot on the page instead of a broken page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from observatorio.store.duck import Store


def country_analysis(store: Store, iso3: str, lang: str) -> dict[str, Any]:
    """Roles (origin, transit, destination, return) and recommended actions of a country."""
    try:
        from observatorio.analysis import roles as roles_module  # type: ignore[attr-defined]
    except ImportError:
        return {"available": False, "roles": [], "actions": []}
    return _read_roles(roles_module, store, iso3, lang)


def _read_roles(module: Any, store: Store, iso3: str, lang: str) -> dict[str, Any]:
    """Adapt whatever the roles module returns into rows the template can print."""
    classify = getattr(module, "country_roles", None) or getattr(module, "classify_country", None)
    if classify is None:
        return {"available": False, "roles": [], "actions": []}
    result = classify(store, iso3)
    roles = [_as_row(r, lang) for r in getattr(result, "roles", result if isinstance(result, list) else [])]
    actions_fn = getattr(module, "recommended_actions", None)
    actions = [_as_row(a, lang) for a in (actions_fn(store, iso3) if actions_fn else [])]
    return {"available": True, "roles": roles, "actions": actions}


def _as_row(item: Any, lang: str) -> dict[str, str]:
    if isinstance(item, dict):
        get = item.get
    else:
        def get(name: str, default: Any = None) -> Any:
            return getattr(item, name, default)
    label = get(f"label_{lang}") or get("label") or get("role") or get("id") or ""
    detail = get(f"evidence_{lang}") or get(f"description_{lang}") or get(f"text_{lang}") or \
        get("evidence") or get("description") or ""
    return {"label": str(label), "detail": str(detail)}


def glossary(lang: str) -> list[dict[str, str]]:
    """The national-terms glossary, sorted by term, in the page's language."""
    try:
        from observatorio.harmonize.glossary import load_glossary
    except ImportError:
        return []
    from observatorio.model.codelists import country_label, get_codelist

    flows, units = get_codelist("flow"), get_codelist("unit")
    return [{"term": g.term, "term_lang": g.lang, "definition": g.definition(lang),
             "note": g.note(lang), "flow": flows.label(g.flow, lang), "flow_code": g.flow,
             "unit": units.label(g.unit, lang),
             "countries": ", ".join(country_label(c, lang) for c in g.countries)}
            for g in sorted(load_glossary(), key=lambda g: g.term.casefold())]


def methodology_html(docs_dir: Path) -> str:
    """docs/methodology.md rendered to HTML (raw HTML in it is escaped), or "" if absent."""
    path = docs_dir / "methodology.md"
    if not path.is_file():
        return ""
    from markdown_it import MarkdownIt

    renderer = MarkdownIt("commonmark", {"html": False}).enable("table")
    return str(renderer.render(path.read_text(encoding="utf-8")))
