"""One unit of work for a page that reads through several use-cases (the case page calls seven).

Each use-case ends with ``ctx.commit()``: on its own that appends its audit entries and commits,
a chained append and a durable commit per call. A page only shows what all of them read, so here
``commit`` holds the entries and ``finish`` appends them all and commits once: the same entries,
one transaction (and one snapshot of the case). A refusal on the way (``deny``) commits the held
entries together with the denial, so nothing read before it goes unrecorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from observatorio.cases.audit import AccessEvent
from observatorio.cases.errors import CasesError
from observatorio.cases.use_context import Ctx


@dataclass
class BatchedCtx(Ctx):
    held: list[AccessEvent] = field(default_factory=list)

    @classmethod
    def of(cls, ctx: Ctx) -> BatchedCtx:
        return cls(ctx.session, ctx.principal, ctx.source_ip, ctx.pseudonym_key)

    def commit(self) -> None:
        self.held.extend(self.events)
        self.events.clear()

    def finish(self) -> None:
        """Append every held entry and commit (after the page's last read)."""
        self.events[:0] = self.held
        self.held.clear()
        super().commit()

    def deny(self, exc: CasesError, action: str, record_type: str, record_id: object | None,
             fields: Iterable[str] = (), policy_action: str | None = None) -> CasesError:
        kept = [*self.held]  # reads already made for this page stay on record
        self.held.clear()
        refused = super().deny(exc, action, record_type, record_id, fields, policy_action)
        # super().deny rolled back, appended the denial into ``events`` and called our commit,
        # which moved it to ``held``: record the reads with it, in one transaction.
        self.held[:0] = kept
        self.finish()
        return refused
