"""Validation refusals in the reader's language, down to the list of allowed values: pydantic
writes it as English prose (``'flight' or 'bus'``), which a Spanish refusal used to carry."""

from __future__ import annotations

import enum
from typing import Literal

import pytest
from pydantic import BaseModel, ValidationError

from observatorio.validation_text import choices, reason


class _Mode(enum.Enum):
    FLIGHT = "flight"
    BUS = "bus"
    BOAT = "boat"


class _Arrival(BaseModel):
    mode: Literal["flight", "bus"]
    by: _Mode


def _errors() -> list[dict[str, object]]:
    with pytest.raises(ValidationError) as refused:
        _Arrival(mode="car", by="train")  # type: ignore[arg-type]
    return [dict(e) for e in refused.value.errors()]


def test_allowed_values_are_listed_in_the_language() -> None:
    literal, member = _errors()
    assert reason(literal, "es") == "debe ser uno de: «flight» o «bus»"
    assert reason(literal, "en") == "must be one of: 'flight' or 'bus'"
    assert reason(member, "es") == "debe ser uno de: «flight», «bus» o «boat»"
    assert " or " not in reason(member, "es")


@pytest.mark.parametrize("text", ["3", "", "a list"])
def test_anything_else_is_kept_as_it_came(text: str) -> None:
    assert choices(text, "es") == text


def test_a_value_holding_an_apostrophe_is_kept() -> None:
    # pydantic writes such a value in double quotes: 'a', "it's" or 'b'
    assert choices("'a', \"it's\" or 'b'", "es") == "«a», «it's» o «b»"
