"""How the audit trail page names an entry to its reader: the time in the reader's language with
UTC said (entries are stamped in UTC), the action as its label from the message catalogue
(``cases_forms.audit_action.<code>``, Spanish and English), and the raw values kept beside them
for auditors, who search the log and exports by them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from observatorio.cases.case_audit import TrailEntry
from observatorio.i18n import fmt_datetime_utc, has_message, t


def action_label(code: str, lang: str) -> str:
    """The action's name for readers; a code the catalogue lacks (an entry older than a renamed
    action) keeps its code, never fails the page (tests/hygiene keeps today's codes labelled)."""
    key = f"cases_forms.audit_action.{code}"
    return t(key, lang) if has_message(key) else code


def when_text(ts: str, lang: str) -> str:
    """An entry's stamp (ISO 8601 in UTC, as audit.py writes it) for readers; a stamp that does
    not parse is shown as stored rather than hidden."""
    try:
        return fmt_datetime_utc(dt.datetime.fromisoformat(ts), lang)
    except ValueError:
        return ts


@dataclass(frozen=True)
class TrailRow:
    when: str  # for readers: "5 dic 2026, 14:03 UTC"
    ts: str  # as stored (the page's <time datetime>)
    actor: str
    label: str  # for readers
    code: str  # as stored, shown small beside the label
    outcome: str


def trail_rows(entries: Iterable[TrailEntry], lang: str) -> list[TrailRow]:
    return [TrailRow(when_text(e.ts, lang), e.ts, e.actor, action_label(e.action, lang), e.action, e.outcome)
            for e in entries]
