"""The message catalogues: one entry per key (YAML keeps the last of two silently)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from observatorio import i18n
from observatorio.catalogue_lint import plural_problems
from observatorio.errors import StoreBusy
from observatorio.i18n import catalogue, plural_form, read_catalogue_file, t
from observatorio.publish.web.texts import Texts

SRC = Path(__file__).resolve().parents[1] / "src" / "observatorio"
CATALOGUES = [SRC / "messages.yaml", SRC / "publish" / "web" / "texts.yaml"]


class _NoDuplicates(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise AssertionError(f"line {key_node.start_mark.line + 1}: key {key!r} twice")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.name)
def test_no_key_is_defined_twice(path: Path) -> None:
    """Two branches added ``error.store_busy`` with different placeholders: the second won and
    every command that met a busy store ended in a KeyError traceback."""
    yaml.load(path.read_text(encoding="utf-8"), Loader=_NoDuplicates)  # noqa: S506 - a SafeLoader


def test_store_busy_message_fills_in_both_languages() -> None:
    error = StoreBusy(path="/tmp/s.duckdb", holder="PID 1, python")
    assert "PID 1, python" in error.message("es") and "PID 1, python" in error.message("en")


def test_a_value_given_in_both_languages_fills_each_language() -> None:
    """The steps' labels and hints given in both languages land in the message's language (a
    closure refusal once said «'Evaluación'» in the English text)."""
    from observatorio.i18n import both, pair, t

    label = {"es": "Evaluación", "en": "Assessment"}
    assert pair("refusal.step.already_complete", label=label) == (
        "El paso «Evaluación» ya está completado.", "The step 'Assessment' is already complete.")
    hint = both("refusal.case.use_referral_hint")
    assert t("refusal.case.organisation_refused", "en", org_id=7, action="case.assign",
             hint=hint).endswith(" Use a referral for another country.")


def test_chart_number_separators_follow_the_language() -> None:
    """Plotly's hover numbers use Babel's marks, as the tables beside the charts do."""
    from observatorio.i18n import fmt_number, number_separators

    assert number_separators("es") == ",." and number_separators("en") == ".,"
    assert fmt_number(12345.5, "es", digits=1) == "12.345,5"


def test_a_validator_refusal_is_said_in_each_language_apart() -> None:
    """A schema's own refusal once reached both languages as one "es / en" string wrapped in
    "invalid value (…)"; now each language has its text from messages.yaml (validation.*)."""
    import datetime as dt

    from pydantic import ValidationError

    from observatorio import validation_text
    from observatorio.cases.schemas import PersonCreate

    tomorrow = dt.date.today() + dt.timedelta(days=1)
    try:
        PersonCreate.model_validate({"given_names": "Ana", "family_names": "Pérez",
                                     "date_of_birth": tomorrow.isoformat()})
    except ValidationError as exc:
        body = validation_text.bilingual(exc.errors(include_input=False))
    else:
        raise AssertionError("a future date of birth was accepted")
    assert body["errors"][0]["es"] == "la fecha de nacimiento no puede ser futura"
    assert body["errors"][0]["en"] == "the date of birth cannot be in the future"


def test_a_cases_refusal_from_the_catalogue_keeps_its_detail() -> None:
    """Moving the refusals' inline pairs into messages.yaml kept what the API's error detail
    carried beside the texts (the field a form marks, the versions of a conflict)."""
    from observatorio.cases.errors import Conflict

    refusal = Conflict(key="refusal.case.record_changed_meanwhile",
                       detail={"your_version": 3, "current_version": 4})
    assert refusal.body() == {"detail": {
        "es": "Otra persona modificó este registro; recargue.",
        "en": "Someone else changed this record; reload it.",
        "your_version": 3, "current_version": 4}}
    assert refusal.status == 409


#: The plural hacks the catalogues carried ("problema(s)", "publicación(es)"): a number and a
#: noun that agree, in each language, is what a reader expects.
PLURAL_HACK = re.compile(r"\w\((s|es|n)\)")


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.name)
def test_no_plural_hack_in_a_catalogue(path: Path) -> None:
    hacks = [f"{key}: {text}" for key, entry in read_catalogue_file(path).items()
             for text in entry.values() if PLURAL_HACK.search(text)]
    assert not hacks, "write the message in plural forms (key.one, key.other):\n" + "\n".join(hacks)


@pytest.mark.parametrize(("count", "es", "en"), [
    (0, "0 publicaciones en el historial", "0 releases in the history"),
    (1, "1 publicación en el historial", "1 release in the history"),
    (2, "2 publicaciones en el historial", "2 releases in the history"),
    (1_000_000, "1.000.000 publicaciones en el historial", "1,000,000 releases in the history"),
])
def test_a_message_in_plural_forms_agrees_with_its_count(count: int, es: str, en: str) -> None:
    assert (t("data.releases", "es", count=count), t("data.releases", "en", count=count)) == (es, en)
    assert Texts("es")("data.releases", count=count) == es  # the portal's templates, the same


def test_the_forms_follow_each_language_and_agree_beyond_the_noun() -> None:
    """The verb agrees too: one warning "no impide" / "does not block", several "no impiden"."""
    assert [plural_form(n, "es") for n in (0, 1, 2, 1.5)] == ["other", "one", "other", "other"]
    assert "(no impide la carga" in t("report.warnings_title", "es", count=1, file="f.csv", rules="r × 1")
    assert "(they do not block" in t("report.warnings_title", "en", count=3, file="f.csv", rules="r × 3")
    with pytest.raises(KeyError):  # a plural message needs its count
        t("data.releases", "es")


def test_the_lint_wants_every_plural_form(monkeypatch: pytest.MonkeyPatch) -> None:
    only_one = {**catalogue(), "texts_test.lonely.one": {"es": "{count} cosa", "en": "{count} thing"}}
    monkeypatch.setattr(i18n, "catalogue", lambda: only_one)
    assert plural_problems() == ["texts_test.lonely: plural form texts_test.lonely.other missing"]


def test_a_count_from_a_frame_picks_its_form_too() -> None:
    """``len(frame)`` is a Python int, ``frame[c].nunique()`` a NumPy one: both choose a form."""
    import numpy as np

    assert t("admin1.describe", "es", count=np.int64(1)) == "Mapa de 1 subdivisión con datos."
    assert t("data.months_ago", "en", count=np.int64(1)) == "latest figure 1 month ago"
    assert t("data.months_ago", "es", count=13) == "último dato hace 13 meses"
