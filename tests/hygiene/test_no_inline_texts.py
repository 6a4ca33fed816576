"""No user-facing text written inline as a Spanish/English pair: texts live in the catalogue
(messages.yaml, publish/web/texts.yaml) and code names them by key (``t``, ``both``, ``pair``,
``CasesError(key=…)``). The walk finds the three shapes such pairs took before they were moved:

- a dict literal ``{"es": "…", "en": "…"}`` whose two values are written texts;
- two written texts side by side as a call's positional arguments (``Invalid("…", "…")``,
  ``Verification(False, n, id, "…", "…")``) or as a 2-tuple (``("El caso", "The case")``);
- ``es="…"`` / ``en="…"`` keyword arguments.

The command line's help texts are named by key too (``help=cli_help("cli.help.…")``, cli_help.py):
a written ``help=`` text, or a command or group declared without ``help=`` (Typer would show its
function's docstring, written in both languages at once), is caught as well.

A "written text" is a string literal or f-string with a letter in it; route slugs and paths
(``{"es": "calendario", "en": "calendar"}``) are not texts.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import observatorio

PACKAGE = Path(observatorio.__file__).resolve().parent
#: A URL slug or path: the same page's address in each language, not a text.
SLUG = re.compile(r"^[/a-z0-9-]*$")
LETTER = re.compile(r"[^\W\d_]")
TWO_WORDS = re.compile(r"[^\W\d_]{2,}\s+[^\W\d_]{2,}")
#: Places that keep a pair on purpose, with why.
ALLOWED = {
    # The headings that split docs/methodology.md into its two halves: they match the document.
    "publish/web/analysis_bridge.py:METHODOLOGY_SECTIONS",
}
#: Sources describe themselves where they are declared (caveats, "via" credits, titles), as a
#: mapping file does in YAML: that is the source's metadata, reviewed with the source, not a
#: text of the application.
SOURCE_DECLARATIONS = PACKAGE / "sources" / "adapters"


def _written(node: ast.AST) -> str | None:
    """The text of a string literal or f-string (placeholders as ``{}``), if it has a letter."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    else:
        return None
    return text if LETTER.search(text) else None


def _sentence(node: ast.AST) -> bool:
    """A written text of two words or more (codes, column names, MIME types and markup are not)."""
    text = _written(node)
    return text is not None and TWO_WORDS.search(text) is not None


def _assigned_names(tree: ast.Module) -> dict[int, str]:
    """``id(value) -> NAME`` for module-level ``NAME = …`` (to allow a named constant)."""
    names: dict[int, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    names[id(node.value)] = target.id
    return names


def inline_pairs(source: str) -> Iterator[tuple[int, str]]:
    """``(line, what)`` for every inline Spanish/English pair in a module's source."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            by_key = {k.value: v for k, v in zip(node.keys, node.values, strict=True)
                      if isinstance(k, ast.Constant)}
            texts = [_written(by_key[lang]) for lang in ("es", "en") if lang in by_key]
            if len(texts) == 2 and None not in texts and not all(SLUG.match(str(t)) for t in texts):
                yield node.lineno, f'{{"es": {texts[0]!r}, "en": …}}'
        elif isinstance(node, ast.Call):
            for first, second in zip(node.args, node.args[1:], strict=False):
                if _sentence(first) and _sentence(second):
                    yield node.lineno, f"call with the texts {_written(first)!r}, {_written(second)!r}"
                    break
            langs = {k.arg: k.value for k in node.keywords if k.arg in ("es", "en")}
            if len(langs) == 2 and all(_written(v) for v in langs.values()):
                yield node.lineno, f"es={_written(langs['es'])!r}, en=…"
        elif isinstance(node, ast.Tuple) and len(node.elts) == 2:
            first, second = node.elts
            if _sentence(first) and _sentence(second):
                yield node.lineno, f"pair {_written(first)!r}, {_written(second)!r}"


#: Typer declarations whose help Typer takes from a docstring when ``help=`` is not given.
DECLARES_A_COMMAND = ("command", "Typer")


def _help_is_written(value: ast.AST) -> bool:
    """A ``help=`` written in place: a literal, an f-string, or texts joined with ``+``."""
    if isinstance(value, ast.BinOp):
        return _help_is_written(value.left) or _help_is_written(value.right)
    return _written(value) is not None


def inline_help_texts(source: str) -> Iterator[tuple[int, str]]:
    """``(line, what)`` for every command-line help text written in place (``help="…"``) and
    every command or Typer group declared without ``help=`` (its docstring would be the help)."""
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        helps = [k.value for k in node.keywords if k.arg == "help"]
        if helps and _help_is_written(helps[0]):
            yield node.lineno, "help= written in place: give cli_help(\"cli.help.…\") and add the key to messages.yaml"
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name in DECLARES_A_COMMAND and not helps:
            yield node.lineno, f"{name}(…) without help=: Typer would show the docstring; give cli_help(\"cli.help.…\")"


def _offences() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if SOURCE_DECLARATIONS in path.parents:
            continue
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        names = _assigned_names(tree)
        allowed_lines = {node.lineno for node in tree.body
                         if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None
                         and f"{path.relative_to(PACKAGE)}:{names.get(id(node.value))}" in ALLOWED}
        found += [f"{path.relative_to(PACKAGE)}:{line}: {what}"
                  for line, what in inline_pairs(source) if line not in allowed_lines]
        found += [f"{path.relative_to(PACKAGE)}:{line}: {what}" for line, what in inline_help_texts(source)]
    return found


def test_no_text_is_written_inline_as_a_pair() -> None:
    offences = _offences()
    assert not offences, (
        "inline Spanish/English texts: add a key to messages.yaml (or publish/web/texts.yaml) and "
        "use t()/both()/pair() or CasesError(key=…, detail=…):\n" + "\n".join(offences))


def test_the_walk_finds_each_shape() -> None:
    """The rule is not vacuous: each shape of pair is caught, slugs and codes are not."""
    caught = [what for _, what in inline_pairs(
        'raise Invalid("No existe el caso.", f"No case {n}.", field="x")\n'
        'msg = {"es": "Cadena íntegra.", "en": "Chain intact."}\n'
        'es, en = {"case": ("El caso", "The case")}[kind]\n'
        'Label(es="Caso", en="Case")\n')]
    assert len(caught) == 4, caught
    assert not list(inline_pairs(
        'SLUG = {"es": "calendario", "en": "calendar"}\n'
        'UniqueConstraint("case_id", "step_id")\n'
        'raise Invalid(key="refusal.case.risk_level_required", detail={"field": "risk"})\n'
        'prefix = {"es": "", "en": ""}\n'))


def test_the_walk_finds_inline_help_texts() -> None:
    """A written help text, a bilingual docstring left as a command's help and a group without
    help are caught; help by key, and Typer options without help, are not."""
    caught = [what for _, what in inline_help_texts(
        'x: Annotated[str, typer.Option("--x", help="Archivo / file")]\n'
        'y: Annotated[str, typer.Argument(help=f"Los {N} primeros / the first {N}")]\n'
        'z: Annotated[str, typer.Option(help="Fuente / " "source")]\n'
        'w: Annotated[str, typer.Option(help="Mes " + "/ month")]\n'
        'app.command("load")(load)\n'
        '@app.command("list")\ndef listing() -> None:\n    """Listar / list."""\n'
        'sub = typer.Typer(no_args_is_help=True)\n')]
    assert len(caught) == 7, caught
    assert not list(inline_help_texts(
        'x: Annotated[str, typer.Option("--x", help=cli_help("cli.help.load.file"))]\n'
        'y: Annotated[str, typer.Option("--format")]\n'
        'app.command("load", help=cli_help("cli.help.load"))(load)\n'
        'sub = typer.Typer(help=cli_help("cli.help.cases"), no_args_is_help=True)\n'))
