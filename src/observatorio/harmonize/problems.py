"""Validation problems, collected all at once and reported with file, row, column, value and rule.

A problem is an *error* (the file breaks a rule: nothing of it is loaded) or a *warning* (a
finding users must see — a published total that is not the sum of its parts, rows left out —
that never blocks a load). Errors are ``Problems.items``; warnings are ``Problems.warnings``.
``bool(problems)`` and ``len(problems)`` count errors only, so "any problem loads nothing" still
reads ``if problems: raise ValidationFailed(problems)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from observatorio.errors import ObservatorioError
from observatorio.i18n import fmt_number, t

#: How many problems a report keeps per rule before summarising the rest (a 90,000-row file
#: with a shifted column would otherwise print 90,000 lines).
MAX_PER_RULE = 50

#: How many warnings a report keeps per rule (the rest are counted): warnings are stored with
#: the load, so they are kept in full for any realistic file (174 for UNHCR's decisions).
MAX_WARNINGS_PER_RULE = 1000

#: How many rows a grouped problem (one value wrong on many rows) names as examples.
EXAMPLE_ROWS = 5

#: How many warnings ``observatorio load`` / ``validate`` print unless asked for all of them.
WARNINGS_SHOWN = 10

ERROR, WARNING = "error", "warning"

#: Details of a problem that count rows or persons: written in the reader's digits
#: («1.234 personas»), where a row number or a year is not.
COUNT_DETAILS = frozenset({"rows", "persons"})

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
    severity: str = ERROR  # ERROR blocks the load; WARNING is reported and kept, never blocks

    @property
    def is_warning(self) -> bool:
        return self.severity == WARNING

    def _key(self) -> str:
        # Error rules are messages.yaml ``rule.*``; warning rules ``warning.*``.
        return f"{'warning' if self.is_warning else 'rule'}.{self.rule}"

    def what(self, lang: str = "es") -> str:
        values = {"value": self.value, "column": self.column, **dict(self.details)}
        for name in COUNT_DETAILS.intersection(values):  # counts in the reader's digits
            if isinstance(values[name], int | float) and not isinstance(values[name], bool):
                values[name] = fmt_number(values[name], lang)
        closest = values.pop("closest", None)
        values["closest"] = (
            t("report.closest", lang, options=", ".join(closest)) if closest else ""
        )
        return t(self._key(), lang, **values)

    def todo(self, lang: str = "es") -> str:
        return t(f"{self._key()}.todo", lang, **dict(self.details))

    @property
    def rows_affected(self) -> int:
        """How many rows this problem stands for (a value wrong on many rows is one problem)."""
        return int(dict(self.details).get("rows_affected", 1))

    def where(self, lang: str = "es") -> str:
        if self.row is None and self.column is None:
            return ""
        row = self.row if self.row is not None else "—"
        examples = dict(self.details).get("example_rows")
        if examples and self.rows_affected > 1:
            more = "…" if self.rows_affected > len(examples) else ""
            return t("report.where_rows", lang, rows=", ".join(map(str, examples)) + more,
                     count=self.rows_affected, column=self.column or "—")
        # The report always shows the offending value: when the rule's sentence does not
        # already quote it (a cut row, an undecodable byte), it goes with the place.
        if self.value and self.value not in self.what(lang):
            return t("report.where_value", lang, row=row, column=self.column or "—", value=self.value)
        return t("report.where", lang, row=row, column=self.column or "—")

    def line(self, lang: str = "es") -> str:
        """``- file, row …, column …: what. What to do.`` (one line of a report)."""
        where = self.where(lang)
        return f"- {self.file}{', ' + where if where else ''}: {self.what(lang)}. {self.todo(lang)}"

    def as_dict(self, lang: str = "es") -> dict[str, Any]:
        return {
            "severity": self.severity,
            "rule": self.rule,
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "rows_affected": self.rows_affected,
            "example_rows": list(dict(self.details).get("example_rows", ())) or None,
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
    #: Findings that never block a load (see the module docstring), and how many were not kept.
    warnings: list[Problem] = field(default_factory=list)
    warnings_suppressed: dict[str, int] = field(default_factory=dict)

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
        self._keep(self.items, self.suppressed, MAX_PER_RULE,
                   Problem(rule, self.file, row, column, None if value is None else str(value),
                           tuple(sorted(details.items()))))

    def add_value(
        self, rule: str, rows: Iterable[Any], *, column: str | None, value: object,
        **details: Any,
    ) -> None:
        """Record ``rule`` broken by one ``value`` on all of ``rows``: one problem naming the
        rows affected and the first few as examples (2,968 rows with two unknown names are two
        problems on 2,968 rows, not 2,968 problems nor a sample of ten)."""
        distinct = sorted({int(r) for r in rows if r is not None and r == r})  # drop None/NaN
        self.flagged_rows.update(distinct)
        self.add(rule, row=distinct[0] if distinct else None, column=column, value=value,
                 rows_affected=max(len(distinct), 1), example_rows=tuple(distinct[:EXAMPLE_ROWS]),
                 **details)

    def affected_rows(self) -> int:
        """How many distinct rows of the file the errors concern."""
        return len(self.flagged_rows)

    def add_rows(
        self, rule: str, rows: Sequence[int | None], column: str | None,
        values: Sequence[object], **details: Any,
    ) -> None:
        """Record ``rule`` broken at each of ``rows`` (vectorised checks call this)."""
        for row, value in zip(rows, values, strict=True):
            self.add(rule, row=row, column=column, value=value, **details)

    def warn(
        self,
        rule: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
        **details: Any,
    ) -> None:
        """Record a warning: reported and kept with the load, never blocks it, flags no row."""
        self._keep(self.warnings, self.warnings_suppressed, MAX_WARNINGS_PER_RULE,
                   Problem(rule, self.file, row, column, None if value is None else str(value),
                           tuple(sorted(details.items())), WARNING))

    @staticmethod
    def _keep(kept: list[Problem], suppressed: dict[str, int], limit: int, problem: Problem) -> None:
        # past ``limit`` findings of one rule only their number is kept
        if sum(1 for p in kept if p.rule == problem.rule) >= limit:
            suppressed[problem.rule] = suppressed.get(problem.rule, 0) + 1
            return
        kept.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        for p in problems:
            if p.is_warning:
                self.warnings.append(p)
                continue
            if p.row is not None:
                self.flagged_rows.add(p.row)
            self.items.append(p)

    def has_file_problems(self) -> bool:
        """True when a problem concerns the whole file (no row): the content cannot be trusted."""
        return any(p.row is None or p.rule in FILE_RULES for p in self.items)

    def __bool__(self) -> bool:
        """True when there is an error (warnings never make a file fail)."""
        return bool(self.items)

    def __len__(self) -> int:
        """How many errors (warnings are counted by :meth:`warning_count`)."""
        return len(self.items) + sum(self.suppressed.values())

    def warning_count(self) -> int:
        return len(self.warnings) + sum(self.warnings_suppressed.values())

    def warning_counts(self) -> dict[str, int]:
        """Warnings per rule (kept and summarised), in the order the rules were first found."""
        counts: dict[str, int] = {}
        for p in self.warnings:
            counts[p.rule] = counts.get(p.rule, 0) + 1
        for rule, n in self.warnings_suppressed.items():
            counts[rule] = counts.get(rule, 0) + n
        return counts

    def rules(self) -> set[str]:
        return {p.rule for p in self.items}

    def render(self, lang: str = "es") -> str:
        """The full error report as plain text, one problem a line, in the user's language."""
        lines = [self.title(lang)]
        lines += [p.line(lang) for p in self.items]
        for rule, count in self.suppressed.items():
            lines.append(t("report.more_of_rule", lang, count=count, rule=rule))
        return "\n".join(lines)

    def title(self, lang: str = "es") -> str:
        """``N problem(s) in file``, with the rows affected when they outnumber the problems."""
        rows = self.affected_rows()
        if rows > len(self):
            return t("report.title_rows", lang, count=len(self), file=self.file, rows=fmt_number(rows, lang))
        return t("report.title", lang, count=len(self), file=self.file)

    def render_warnings(self, lang: str = "es", limit: int | None = WARNINGS_SHOWN) -> str:
        """The warnings as plain text: a counted title, then the first ``limit`` (None: all),
        each with file, row, column and value; empty when there is none."""
        count = self.warning_count()
        if not count:
            return ""
        lines = [t("report.warnings_title", lang, count=count, file=self.file,
                   rules=", ".join(f"{rule} × {n}" for rule, n in self.warning_counts().items()))]
        shown = self.warnings if limit is None else _first_of_each_rule(self.warnings, limit)
        lines += [p.line(lang) for p in shown]
        hidden = len(self.warnings) - len(shown)
        if hidden:
            lines.append(t("report.warnings_hidden", lang, count=hidden))
        for rule, n in self.warnings_suppressed.items():
            lines.append(t("report.more_of_rule", lang, count=n, rule=rule))
        return "\n".join(lines)

    def as_json(self, lang: str = "es") -> dict[str, Any]:
        """Errors and warnings as two separate lists (``validate --format json``)."""
        return {
            "file": self.file,
            "errors": [p.as_dict(lang) for p in self.items],
            "warnings": [p.as_dict(lang) for p in self.warnings],
            "suppressed": {"errors": dict(self.suppressed),
                           "warnings": dict(self.warnings_suppressed)},
        }


def _first_of_each_rule(warnings: Sequence[Problem], limit: int) -> list[Problem]:
    """The first ``limit`` warnings taking each rule in turn (so that 174 of one kind do not hide
    the only one of another), in their original order."""
    by_rule: dict[str, list[int]] = {}
    for i, p in enumerate(warnings):
        by_rule.setdefault(p.rule, []).append(i)
    chosen: list[int] = []
    depth = 0
    while len(chosen) < min(limit, len(warnings)):
        for indexes in by_rule.values():
            if depth < len(indexes) and len(chosen) < limit:
                chosen.append(indexes[depth])
        depth += 1
    return [warnings[i] for i in sorted(chosen)]


class ValidationFailed(ObservatorioError):
    """A file broke one or more rules; nothing of it was loaded."""

    key = "report.title"

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        super().__init__(count=len(problems), file=problems.file)

    #: How many of the file's warnings the message lists (None: all; ``--all-warnings``).
    warnings_shown: int | None = WARNINGS_SHOWN

    def message(self, lang: str = "es") -> str:
        """The error report, then the file's warnings: a broken file reports both."""
        text = self.problems.render(lang)
        extra = self.problems.render_warnings(lang, self.warnings_shown)
        return f"{text}\n{extra}" if extra else text
