"""The message catalogue's lint (run by CI with the tests): every key in both languages, the
same placeholders in each, each key in one file only, and every key the code names present."""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

import observatorio
from observatorio.i18n import CATALOGUE_FILES, LANGS, catalogue, read_catalogue_file, t

PACKAGE = Path(observatorio.__file__).resolve().parent
#: A dotted lower-case name: the shape of a catalogue key.
KEY_SHAPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
#: Dotted names that are file names, not keys (``overview.html``, ``cases.sqlite``).
FILE_SUFFIXES = {"html", "css", "csv", "json", "yaml", "yml", "pdf", "xlsx", "js", "txt", "md",
                 "sqlite", "duckdb", "secret", "svg", "png", "toml", "rda", "py", "xml"}
#: ``tx('key')`` / ``tx('key', n=1)`` in a template, the literal being the whole key.
TEMPLATE_KEY = re.compile(r"""\btx\(\s*['"]([^'"]+)['"]\s*[,)]""")


def _placeholders(template: str) -> set[str]:
    return {name.split(".")[0].split("[")[0]
            for _, name, _, _ in string.Formatter().parse(template) if name is not None}


@pytest.mark.parametrize("path", CATALOGUE_FILES, ids=lambda p: p.name)
def test_every_key_has_both_languages_with_the_same_placeholders(path: Path) -> None:
    problems = []
    for key, entry in read_catalogue_file(path).items():
        if not isinstance(entry, dict) or set(entry) != set(LANGS):
            problems.append(f"{key}: needs exactly {', '.join(LANGS)} (has {entry!r})")
            continue
        if not all(isinstance(entry[lang], str) and entry[lang].strip() for lang in LANGS):
            problems.append(f"{key}: an empty or non-text translation")
            continue
        try:
            es, en = (_placeholders(entry[lang]) for lang in LANGS)
        except ValueError as exc:
            problems.append(f"{key}: unbalanced braces ({exc})")
            continue
        if es != en:
            problems.append(f"{key}: placeholders differ: es {sorted(es)} vs en {sorted(en)}")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_no_key_is_in_two_files() -> None:
    first, second = (set(read_catalogue_file(p)) for p in CATALOGUE_FILES)
    assert not first & second, f"keys in both files: {sorted(first & second)}"


#: Calls whose first argument is a message key, and the keyword that names one (``key=``).
KEY_CALLS = frozenset({"t", "tx", "both", "has_message", "entry", "message_pair"})


def _key_literals(tree: ast.AST) -> Iterator[ast.Constant]:
    """String literals used as message keys: the first argument of a lookup call, a ``key=``
    argument, or an error class's ``key = "…"`` (not every dotted string: policy actions and audit
    events such as ``reception.read`` share the catalogue's prefixes)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in KEY_CALLS and node.args and isinstance(node.args[0], ast.Constant):
                yield node.args[0]
            yield from (k.value for k in node.keywords
                        if k.arg == "key" and isinstance(k.value, ast.Constant))
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and any(
                isinstance(target, ast.Name) and target.id == "key" for target in node.targets):
            yield node.value


def _keys_named_in_python() -> dict[str, str]:
    """Every literal message key of the package, with where it is."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in _key_literals(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node.value, str) and KEY_SHAPE.match(node.value):
                found.setdefault(node.value, f"{path.relative_to(PACKAGE)}:{node.lineno}")
    return found


def _keys_named_in_templates() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in TEMPLATE_KEY.finditer(line):
                found.setdefault(match.group(1), f"{path.relative_to(PACKAGE)}:{number}")
    return found


def test_every_key_the_code_names_is_in_the_catalogue() -> None:
    named = {**_keys_named_in_python(), **_keys_named_in_templates()}
    missing = sorted(f"{where}: {key}" for key, where in named.items() if key not in catalogue())
    assert not missing, "keys used but absent from the catalogue:\n" + "\n".join(missing)


def test_the_lint_reads_the_code() -> None:
    """The walks find keys (guards against a lint that silently checks nothing)."""
    assert len(_keys_named_in_python()) > 100 and len(_keys_named_in_templates()) > 100


def test_one_lookup_serves_both_files() -> None:
    assert t("error.unknown_source", "en", source="x", closest="")  # messages.yaml
    assert t("site.name", "es") == "Observatorio Migratorio Regional"  # the portal's texts.yaml
