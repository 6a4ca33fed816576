"""The command line's own refusals (a bad or missing option, before any work) come from the
catalogue and show in the user's language: ``--lang`` (before or after the command), else
``OBSERVATORIO_LANG``, else Spanish. An unknown ``--lang`` names no language, so its refusal
speaks both."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from observatorio.cli import app
from observatorio.i18n import t

runner = CliRunner()
#: No language from the environment unless a test sets one; wide lines, so nothing wraps.
ENV: dict[str, str | None] = {"OBSERVATORIO_LANG": None, "COLUMNS": "300"}


def _refusal(*args: str, **env: str) -> str:
    result = runner.invoke(app, list(args), env={**ENV, **env})
    assert result.exit_code == 2, result.output
    return " ".join(result.output.split())


@pytest.mark.parametrize(("args", "key", "values"), [
    (("refresh",), "refresh.sources_or_all", {}),
    (("calendar", "--today", "1/2/2025"), "calendar.bad_today", {"value": "1/2/2025"}),
    (("validate",), "data_cli.source_or_mapping", {}),
])
def test_a_refusal_is_in_the_chosen_language(args: tuple[str, ...], key: str, values: dict[str, str],
                                             tmp_path: Path) -> None:
    db = ("--db", str(tmp_path / "s.duckdb"))
    spanish, english = t(key, "es", **values), t(key, "en", **values)
    by_default = _refusal(*db, *args)
    assert spanish in by_default and english not in by_default
    before = _refusal(*db, "--lang", "en", *args)
    after = _refusal(*db, *args, "--lang", "en")
    from_setting = _refusal(*db, *args, OBSERVATORIO_LANG="en")
    for text in (before, after, from_setting):
        assert english in text and spanish not in text
    assert not (tmp_path / "s.duckdb").exists(), "a refusal opens no store"


def test_load_with_a_file_needs_one_source(tmp_path: Path) -> None:
    text = _refusal("--db", str(tmp_path / "s.duckdb"), "--lang", "en", "load", "--file", str(tmp_path / "x.csv"),
                    "cbp_sw_land_border_encounters", "ohss_cbp_usbp_encounters")
    assert t("data_cli.one_source_for_file", "en") in text
    assert t("data_cli.one_source_for_file", "es") not in text


@pytest.mark.parametrize("args", [("--lang", "fr", "sources"), ("sources",)])
def test_an_unknown_language_is_refused_in_both(args: tuple[str, ...]) -> None:
    env = {} if "--lang" in args else {"OBSERVATORIO_LANG": "fr"}
    text = _refusal(*args, **env)
    assert t("cli.lang_unknown", "es") in text and t("cli.lang_unknown", "en") in text
