"""The follow-up questionnaire (questionnaire.yaml) validated, and a set of answers scored.

Scores follow IOM's Reintegration Sustainability Survey: each answer 0–1, a dimension's score
the weighted mean of its answers, the composite the weighted mean of the dimension scores."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from observatorio.cases.errors import Invalid
from observatorio.cases.protocols.loader import (  # the same strict, bilingual YAML
    _ID,
    Label,
    _Strict,
)
from observatorio.errors import ConfigFileInvalid

Dimension = Literal["economic", "social", "psychosocial"]
DIMENSIONS: tuple[Dimension, ...] = ("economic", "social", "psychosocial")


class Option(_Strict):
    id: str = Field(pattern=_ID)
    score: float = Field(ge=0, le=1)
    label: Label


class Question(_Strict):
    id: str = Field(pattern=_ID)
    dimension: Dimension
    weight: float = Field(gt=0)
    label: Label
    options: list[Option] = Field(min_length=2)

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


class DimensionSpec(_Strict):
    label: Label
    weight: float = Field(gt=0)


class Questionnaire(_Strict):
    id: str = Field(pattern=_ID)
    version: int = Field(ge=1)
    label: Label
    milestones_months: list[int] = Field(min_length=1)
    on_time_days: int = Field(ge=0, le=90)
    dimensions: dict[Dimension, DimensionSpec]
    questions: list[Question] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Questionnaire:
        if set(self.dimensions) != set(DIMENSIONS):
            raise ValueError(f"dimensions must be exactly {list(DIMENSIONS)}")
        ids = [q.id for q in self.questions]
        if dup := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"duplicate question ids {dup}")
        for q in self.questions:
            opts = [o.id for o in q.options]
            if len(set(opts)) != len(opts):
                raise ValueError(f"question {q.id}: duplicate option ids")
        if missing := [d for d in DIMENSIONS if not any(q.dimension == d for q in self.questions)]:
            raise ValueError(f"dimensions without questions {missing}")
        months = self.milestones_months
        if months != sorted(set(months)) or months[0] < 1:
            raise ValueError("milestones_months must be increasing whole months from 1")
        return self

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"


class QuestionnaireError(ConfigFileInvalid):
    """questionnaire.yaml is not valid (names the key at fault)."""


def parse(text: str, source: str) -> Questionnaire:
    try:
        return Questionnaire.model_validate(yaml.safe_load(text))
    except yaml.YAMLError as exc:
        raise QuestionnaireError(f"{source}: not valid YAML ({exc})") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(top)"
        raise QuestionnaireError(f"{source}: {where}: {err['msg']}") from None


@cache
def questionnaire() -> Questionnaire:
    """The bundled questionnaire, validated once."""
    path = resources.files("observatorio.cases.reintegration").joinpath("questionnaire.yaml")
    return parse(path.read_text("utf-8"), "questionnaire.yaml")


@dataclass(frozen=True)
class Scores:
    economic: float
    social: float
    psychosocial: float
    composite: float

    def by_dimension(self) -> dict[str, float]:
        return {"economic": self.economic, "social": self.social, "psychosocial": self.psychosocial}


def score(q: Questionnaire, answers: dict[str, Any]) -> Scores:
    """Score a complete set of answers (question id -> option id); a missing, unknown or
    invalid answer is a bilingual 422 naming the question."""
    if unknown := sorted(set(answers) - {x.id for x in q.questions}):
        raise Invalid(key="refusal.reintegration.unknown_questions", unknown=', '.join(unknown)[:200], detail={"field": "answers"})
    totals: dict[str, list[float]] = {d: [0.0, 0.0] for d in DIMENSIONS}
    for question in q.questions:
        given = answers.get(question.id)
        if given is None or given == "":
            raise Invalid(key="refusal.reintegration.missing_answer", label=question.label, question_id=question.id, detail={"field": f"answers.{question.id}"})
        option = question.option(str(given))
        if option is None:
            allowed = ", ".join(o.id for o in question.options)
            raise Invalid(key="refusal.reintegration.answer_not_allowed", question_id=question.id, allowed=allowed, detail={"field": f"answers.{question.id}"})
        totals[question.dimension][0] += question.weight * option.score
        totals[question.dimension][1] += question.weight
    dims = {d: round(s / w, 4) for d, (s, w) in totals.items()}
    weights = {d: q.dimensions[d].weight for d in DIMENSIONS}
    composite = round(sum(dims[d] * weights[d] for d in DIMENSIONS) / sum(weights.values()), 4)
    return Scores(dims["economic"], dims["social"], dims["psychosocial"], composite)
