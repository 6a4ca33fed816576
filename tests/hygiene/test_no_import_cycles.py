"""No import cycles in ``observatorio``: the graph (grimp) counts imports anywhere in a module,
inside functions too, so an import moved into a function to dodge a cycle is still seen.

Imports under ``if TYPE_CHECKING:`` are left out: they never run, and annotations may name a
class of a module that uses this one (``store/memory.py`` annotates with ``ObservationQuery``).
"""

from __future__ import annotations

import grimp

PACKAGE = "observatorio"


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph(PACKAGE, cache_dir=None, exclude_type_checking_imports=True)


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in sorted(graph.modules)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in edges:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            if i < len(edges[node]):
                work.append((node, i + 1))
                nxt = edges[node][i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if work:  # node done: its caller's low-link takes it into account
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _describe(graph: grimp.ImportGraph, component: list[str]) -> str:
    members = set(component)
    lines = [" ↔ ".join(component)]
    for importer in component:
        for imported in sorted(graph.find_modules_directly_imported_by(importer) & members):
            where = [d["line_number"] for d in graph.get_import_details(importer=importer, imported=imported)]
            lines.append(f"    {importer} imports {imported} (line {', '.join(map(str, where))})")
    return "\n".join(lines)


def test_observatorio_has_no_import_cycle() -> None:
    graph = _graph()
    found = cycles(graph)
    assert not found, "import cycles (move the shared part to a lower module):\n" + "\n".join(
        _describe(graph, c) for c in found
    )


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The finder itself: a made-up graph with a cycle a → b → c → a and a tail d → a."""
    graph = grimp.ImportGraph()
    for module in ("p", "p.a", "p.b", "p.c", "p.d"):
        graph.add_module(module)
    for importer, imported in (("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.d", "p.a")):
        graph.add_import(importer=importer, imported=imported)
    assert cycles(graph) == [["p.a", "p.b", "p.c"]]
