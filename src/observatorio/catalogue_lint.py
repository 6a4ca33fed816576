"""The message catalogue's lint: what ``observatorio texts check`` and tests/hygiene run.

Fails on a key without both languages (or with an empty text), on placeholders that differ
between the languages, on a key in two catalogue files and on a key the code or a template
names that is absent (a message in plural forms, ``key.one`` and ``key.other``, counts as
``key``; it needs both forms). Reports, without failing, the keys nothing seems to use (a key may be
built at run time: ``f"cases.refusal.kind.{kind}"`` counts as using every ``cases.refusal.kind.*``).
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

import yaml

from observatorio import i18n

PACKAGE = Path(__file__).resolve().parent
#: A dotted lower-case name: the shape of a catalogue key.
KEY_SHAPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
#: Calls whose first argument is a message key (``key=`` names one too).
KEY_CALLS = frozenset({"t", "tx", "both", "pair", "in_both", "has_message", "entry", "message_pair", "cli_help",
                       "api_text"})
#: ``tx('key')`` / ``tx('key', n=1)`` in a template, the literal being the whole key.
TEMPLATE_KEY = re.compile(r"""\btx\(\s*['"]([^'"]+)['"]\s*[,)]""")
#: A quoted dotted name anywhere in a template or data file (a key kept in data, e.g. a rule's).
QUOTED_NAME = re.compile(r"""['"]([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)['"]|^\s*[a-z_]*key:\s*([a-z][\w.]+)\s*$""",
                         re.MULTILINE)


def placeholders(template: str) -> set[str]:
    """The ``str.format`` names a text fills (``{n}``, ``{row[0]}`` → ``n``, ``row``)."""
    return {name.split(".")[0].split("[")[0]
            for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def entry_problems(key: str, entry: object) -> Iterator[str]:
    """What is wrong with one catalogue entry: a missing or empty language, unbalanced braces,
    placeholders that differ between the languages."""
    if not isinstance(entry, dict) or set(entry) != set(i18n.LANGS):
        yield f"{key}: needs exactly {', '.join(i18n.LANGS)} (has {entry!r})"
        return
    if not all(isinstance(entry[lang], str) and entry[lang].strip() for lang in i18n.LANGS):
        yield f"{key}: an empty or non-text translation"
        return
    try:
        es, en = (placeholders(entry[lang]) for lang in i18n.LANGS)
    except ValueError as exc:
        yield f"{key}: unbalanced braces ({exc})"
        return
    if es != en:
        yield f"{key}: placeholders differ: es {sorted(es)} vs en {sorted(en)}"


def file_problems(path: Path) -> list[str]:
    return [f"{path.name}: {problem}" for key, entry in i18n.read_catalogue_file(path).items()
            for problem in entry_problems(key, entry)]


def keys_written_twice(path: Path) -> list[str]:
    """Keys a file defines twice (YAML keeps the last one silently)."""
    lines: dict[str, list[int]] = {}
    root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    for key_node, _ in getattr(root, "value", []):
        lines.setdefault(str(key_node.value), []).append(key_node.start_mark.line + 1)
    return [f"{path.name}: {key} on lines {', '.join(map(str, at))}" for key, at in lines.items() if len(at) > 1]


def keys_in_two_files(paths: Iterable[Path] | None = None) -> list[str]:
    seen: dict[str, str] = {}
    twice = []
    for path in i18n.CATALOGUE_FILES if paths is None else paths:
        for key in i18n.read_catalogue_file(path):
            if key in seen:
                twice.append(f"{key}: in {seen[key]} and {path.name}")
            seen.setdefault(key, path.name)
    return twice


def _call_name(node: ast.Call) -> str:
    return node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")


def key_literals(tree: ast.AST) -> Iterator[ast.Constant | ast.JoinedStr]:
    """String literals and f-strings used as message keys: the first argument of a lookup call,
    a ``key=`` argument, or an error class's ``key = "…"`` (not every dotted string: policy
    actions and audit events such as ``reception.read`` share the catalogue's prefixes)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if _call_name(node) in KEY_CALLS and node.args and isinstance(node.args[0], ast.Constant | ast.JoinedStr):
                yield node.args[0]
            yield from (k.value for k in node.keywords
                        if k.arg == "key" and isinstance(k.value, ast.Constant | ast.JoinedStr))
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and any(
                isinstance(target, ast.Name) and target.id == "key" for target in node.targets):
            yield node.value


def _sources(suffix: str) -> list[Path]:
    return sorted(PACKAGE.rglob(f"*{suffix}"))


@cache
def _python_trees() -> tuple[tuple[Path, ast.Module], ...]:
    """Every module of the package, parsed once per process (the walks below share them)."""
    return tuple((path, ast.parse(path.read_text(encoding="utf-8"))) for path in _sources(".py"))


def keys_named_in_python() -> dict[str, str]:
    """Every literal message key of the package, with where it is."""
    found: dict[str, str] = {}
    for path, tree in _python_trees():
        for node in key_literals(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and KEY_SHAPE.match(node.value):
                found.setdefault(node.value, f"{path.relative_to(PACKAGE)}:{node.lineno}")
    return found


def keys_named_in_templates() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in _sources(".html"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in TEMPLATE_KEY.finditer(line):
                found.setdefault(match.group(1), f"{path.relative_to(PACKAGE)}:{number}")
    return found


def missing_keys() -> list[str]:
    """``where: key`` for each key the code or a template names that the catalogue lacks."""
    named = {**keys_named_in_python(), **keys_named_in_templates()}
    return sorted(f"{where}: {key}" for key, where in named.items() if not i18n.has_message(key))


def plural_problems() -> list[str]:
    """A message in plural forms needs every form (``key.one`` and ``key.other``) and no plain
    ``key`` beside them (which would win, whatever the count)."""
    known = i18n.catalogue()
    found = []
    for key in known:
        if key.endswith(".one"):
            base = key.removesuffix(".one")
            found += [f"{base}: plural form {base}.{form} missing" for form in i18n.PLURAL_FORMS
                      if f"{base}.{form}" not in known]
            if base in known:
                found.append(f"{base}: both a plain text and plural forms")
    return found


def _plural_base(key: str) -> str | None:
    """``a.b`` for ``a.b.one`` / ``a.b.other`` when ``a.b`` is a message in plural forms."""
    base, _, form = key.rpartition(".")
    return base if form in i18n.PLURAL_FORMS and f"{base}.one" in i18n.catalogue() else None


#: The constant start of a key built at run time: ``a.b.`` or ``a.b_`` (``f"a.b.{x}"``).
KEY_PREFIX = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*[._]$")


def _key_prefixes() -> set[str]:
    """The constant start of every key the code builds at run time: an f-string's
    (``f"cases.refusal.kind.{kind}"``), a ``startswith("licence.")`` test's, a template's
    ``tx('overview.change_' ~ direction)``."""
    prefixes: set[str] = set()
    for _, tree in _python_trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
                prefixes.add(str(node.values[0].value))
            elif isinstance(node, ast.Call) and _call_name(node) == "startswith" and node.args \
                    and isinstance(node.args[0], ast.Constant):
                prefixes.add(str(node.args[0].value))
    for path in _sources(".html"):
        prefixes.update(re.findall(r"""\btx\(\s*['"]([a-z][\w.]*)['"]\s*[~+]""", path.read_text(encoding="utf-8")))
    return {p for p in prefixes if KEY_PREFIX.match(p)}


def unused_keys() -> list[str]:
    """Keys nothing seems to use: not named by a lookup, not under a prefix the code builds keys
    from, and not quoted anywhere else (a key kept in data: a rule, a page's table)."""
    used = set(keys_named_in_python()) | set(keys_named_in_templates())
    catalogue_files = {p.resolve() for p in i18n.CATALOGUE_FILES}
    for suffix in (".py", ".html", ".yaml", ".yml", ".js", ".toml"):
        for path in _sources(suffix):
            if path.resolve() not in catalogue_files:
                text = path.read_text(encoding="utf-8")
                used.update(a or b for a, b in QUOTED_NAME.findall(text))
    prefixes = tuple(_key_prefixes())
    return sorted(key for key in i18n.catalogue()
                  if key not in used and _plural_base(key) not in used and not key.startswith(prefixes))


def problems() -> list[str]:
    """Everything that fails the lint (empty: the catalogue is sound)."""
    found = [p for path in i18n.CATALOGUE_FILES for p in file_problems(path)]
    found += [f"key written twice: {p}" for path in i18n.CATALOGUE_FILES for p in keys_written_twice(path)]
    found += [f"key in two files: {p}" for p in keys_in_two_files()]
    found += [f"key used but absent: {p}" for p in missing_keys()]
    found += [f"plural forms: {p}" for p in plural_problems()]
    return found
