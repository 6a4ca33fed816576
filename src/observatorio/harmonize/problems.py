"""Validation problems, collected all at once and reported with file, row, column, value and rule."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from observatorio.errors import ObservatorioError
from observatorio.i18n import t

#: How many problems a report keeps per rule before summarising the rest (a 90,000-row file
#: with a shifted column would otherwise print 90,000 lines).
MAX_PER_RULE = 50

#: Rules that concern the file as a whole even when they carry a line number.
FILE_RULES = frozenset({"encoding", "unreadable", "missing_column", "missing_sheet", "empty", "bad_mapping"})


@dataclass(frozen=True)
class Problem:
    """One broken rule at one place of one file."""

    rule: str
    file: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    details: tuple[tuple[str, Any], ...] = ()

    def what(self, lang: str = "es") -> str:
        values = {"value": self.value, "column": self.column, **dict(self.details)}
        closest = values.pop("closest", None)
        values["closest"] = (
            t("report.closest", lang, options=", ".join(closest)) if closest else ""
        )
        return t(f"rule.{self.rule}", lang, **values)

    def todo(self, lang: str = "es") -> str:
        return t(f"rule.{self.rule}.todo", lang, **dict(self.details))

    def where(self, lang: str = "es") -> str:
        if self.row is None and self.column is None:
            return ""
        row = self.row if self.row is not None else "—"
        # The report always shows the offending value: when the rule's sentence does not
        # already quote it (a cut row, an undecodable byte), it goes with the place.
        if self.value and self.value not in self.what(lang):
            return t("report.where_value", lang, row=row, column=self.column or "—", value=self.value)
        return t("report.where", lang, row=row, column=self.column or "—")

    def as_dict(self, lang: str = "es") -> dict[str, Any]:
        return {
            "rule": self.rule,
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.what(lang),
            "todo": self.todo(lang),
        }


@dataclass
class Problems:
    """Collects every problem found in one file (never stops at the first)."""

    file: str
    items: list[Problem] = field(default_factory=list)
    suppressed: dict[str, int] = field(default_factory=dict)
    #: Every row some problem was found at, including problems summarised away (MAX_PER_RULE);
    #: later checks skip these rows so one bad cell is not reported again in other words.
    flagged_rows: set[int] = field(default_factory=set)

    def add(
        self,
        rule: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
        **details: Any,
    ) -> None:
        if row is not None:
            self.flagged_rows.add(row)
        if sum(1 for p in self.items if p.rule == rule) >= MAX_PER_RULE:
            self.suppressed[rule] = self.suppressed.get(rule, 0) + 1
            return
        shown = None if value is None else str(value)
        self.items.append(
            Problem(rule, self.file, row, column, shown, tuple(sorted(details.items())))
        )

    def add_rows(
        self, rule: str, rows: Sequence[int | None], column: str | None,
        values: Sequence[object], **details: Any,
    ) -> None:
        """Record ``rule`` broken at each of ``rows`` (vectorised checks call this)."""
        for row, value in zip(rows, values, strict=True):
            self.add(rule, row=row, column=column, value=value, **details)

    def extend(self, problems: Iterable[Problem]) -> None:
        for p in problems:
            if p.row is not None:
                self.flagged_rows.add(p.row)
            self.items.append(p)

    def has_file_problems(self) -> bool:
        """True when a problem concerns the whole file (no row): the content cannot be trusted."""
        return any(p.row is None or p.rule in FILE_RULES for p in self.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items) + sum(self.suppressed.values())

    def rules(self) -> set[str]:
        return {p.rule for p in self.items}

    def render(self, lang: str = "es") -> str:
        """The full report as plain text, one problem a line, in the user's language."""
        lines = [t("report.title", lang, count=len(self), file=self.file)]
        for p in self.items:
            where = p.where(lang)
            lines.append(f"- {p.file}{', ' + where if where else ''}: {p.what(lang)}. {p.todo(lang)}")
        for rule, count in self.suppressed.items():
            more = "más del mismo tipo" if lang == "es" else "more of the same kind"
            lines.append(f"- … {count} {more} ({rule})")
        return "\n".join(lines)


class ValidationFailed(ObservatorioError):
    """A file broke one or more rules; nothing of it was loaded."""

    key = "report.title"

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        super().__init__(count=len(problems), file=problems.file)

    def message(self, lang: str = "es") -> str:
        return self.problems.render(lang)
