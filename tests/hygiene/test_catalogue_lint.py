"""The message catalogue's lint (observatorio/catalogue_lint.py, also ``observatorio texts
check`` in ``make lint``): every key in both languages, the same placeholders in each (also
through gettext's ``msgfmt --check-format``), each key in one file only, and every key the code
names present."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from observatorio import catalogue_lint, catalogue_po, i18n
from observatorio.cli import app
from observatorio.i18n import CATALOGUE_FILES, t


@pytest.mark.parametrize("path", CATALOGUE_FILES, ids=lambda p: p.name)
def test_every_key_has_both_languages_with_the_same_placeholders(path: Path) -> None:
    problems = catalogue_lint.file_problems(path)
    assert not problems, "\n".join(problems)


def test_no_key_is_in_two_files() -> None:
    twice = catalogue_lint.keys_in_two_files()
    assert not twice, "keys in both files:\n" + "\n".join(twice)


def test_every_key_the_code_names_is_in_the_catalogue() -> None:
    missing = catalogue_lint.missing_keys()
    assert not missing, "keys used but absent from the catalogue:\n" + "\n".join(missing)


def test_the_lint_reads_the_code() -> None:
    """The walks find keys (guards against a lint that silently checks nothing)."""
    assert len(catalogue_lint.keys_named_in_python()) > 100
    assert len(catalogue_lint.keys_named_in_templates()) > 100


def test_the_lint_reads_the_command_line_help_keys() -> None:
    """``cli_help("cli.help.…")`` names a key like ``t``: the lint counts the command line's help
    texts as used and fails on one the catalogue lacks."""
    named = catalogue_lint.keys_named_in_python()
    assert "cli.help.refresh.all" in named and "cli.help.help_option" in named
    tree = ast.parse('x = typer.Option("--x", help=cli_help("cli.help.no_such_text"))')
    assert [node.value for node in catalogue_lint.key_literals(tree)] == ["cli.help.no_such_text"]


def test_one_lookup_serves_both_files() -> None:
    assert t("error.unknown_source", "en", source="x", closest="")  # messages.yaml
    assert t("site.name", "es") == "Observatorio Migratorio Regional"  # the portal's texts.yaml


def test_each_kind_of_broken_entry_is_named() -> None:
    problems = {key: list(catalogue_lint.entry_problems(key, entry)) for key, entry in {
        "a.missing_en": {"es": "hola"},
        "a.empty_en": {"es": "hola", "en": " "},
        "a.placeholders": {"es": "{n} casos", "en": "{count} cases"},
        "a.braces": {"es": "{n casos", "en": "{n cases"},
        "a.sound": {"es": "{n} casos", "en": "{n} cases"},
    }.items()}
    assert "needs exactly es, en" in problems["a.missing_en"][0]
    assert "empty" in problems["a.empty_en"][0]
    assert "placeholders differ: es ['n'] vs en ['count']" in problems["a.placeholders"][0]
    assert "unbalanced braces" in problems["a.braces"][0]
    assert problems["a.sound"] == []


@pytest.fixture
def catalogue_with_a_gap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The real catalogue plus one file whose entry lacks its English text."""
    extra = tmp_path / "extra.yaml"
    extra.write_text('texts_test.untranslated:\n  es: "Sin traducir"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "CATALOGUE_FILES", (*CATALOGUE_FILES, extra))
    i18n.catalogue.cache_clear()
    yield extra
    i18n.catalogue.cache_clear()


def test_the_ci_step_fails_on_a_missing_translation(catalogue_with_a_gap: Path) -> None:
    result = CliRunner().invoke(app, ["--lang", "en", "texts", "check"])
    assert result.exit_code == 1, result.output
    assert "texts_test.untranslated: needs exactly es, en" in result.output
    assert "in the message catalogue: fix" in result.output


def test_the_ci_step_passes_on_the_catalogue() -> None:
    result = CliRunner().invoke(app, ["--lang", "en", "texts", "check"])
    assert result.exit_code == 0, result.output
    assert "Catalogue sound" in result.output


def test_the_gettext_export_carries_every_key(tmp_path: Path) -> None:
    written = catalogue_po.export(tmp_path)
    assert {p.relative_to(tmp_path).as_posix() for p in written} >= {
        "observatorio.pot", "en/LC_MESSAGES/observatorio.po", "en/LC_MESSAGES/observatorio.mo"}
    english = catalogue_po.read_translations(tmp_path / "en" / "LC_MESSAGES" / "observatorio.po")
    assert english == {key: texts["en"] for key, texts in i18n.catalogue().items()}


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt (scripts/install-system-deps.sh)")
def test_msgfmt_finds_placeholders_that_differ(tmp_path: Path) -> None:
    """gettext's own check, on a file a translator might send back with a placeholder renamed."""
    catalogue_po.export(tmp_path)
    assert catalogue_po.msgfmt_problems(tmp_path) == []
    po = tmp_path / "en" / "LC_MESSAGES" / "observatorio.po"
    text = po.read_text(encoding="utf-8")
    po.write_text(text.replace('msgstr "Cannot move from \'{current_value}\'',
                               'msgstr "Cannot move from \'{current}\'', 1), encoding="utf-8")
    problems = catalogue_po.msgfmt_problems(tmp_path)
    assert problems and any("current" in line for line in problems), problems


def test_a_key_written_twice_in_one_file_is_named(tmp_path: Path) -> None:
    """YAML keeps the second of two entries silently; the lint names both lines."""
    path = tmp_path / "twice.yaml"
    path.write_text('a.b:\n  es: "x"\n  en: "y"\nc.d:\n  es: "x"\n  en: "y"\na.b:\n  es: "z"\n  en: "w"\n',
                    encoding="utf-8")
    assert catalogue_lint.keys_written_twice(path) == ["twice.yaml: a.b on lines 1, 7"]
