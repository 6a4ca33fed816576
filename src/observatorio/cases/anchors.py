"""Anchors of the audit log: what a cut tail with a rewritten head cannot fake.

The hash chain proves that no entry was changed, removed or reordered *up to each chain's
tip* (audit_head). Someone who can write to the database could still delete the newest entries
and move the tip back: the shorter chain verifies. An anchor is a snapshot of every chain's tip
``(chain, seq, hash)`` at a time, with a digest over it. Kept outside the system (e-mailed to
the auditor, published), it lets ``verify --anchor`` check that each anchored entry is still
there with the same hash, and the chain verification then covers everything before it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from observatorio.cases.models import AuditAnchor, AuditEntry, AuditHead
from observatorio.errors import ObservatorioError
from observatorio.i18n import pair

_DIGEST = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Anchor:
    """Every chain's tip at ``at`` and the digest that seals them."""

    at: str
    heads: tuple[tuple[int, int, str], ...]
    digest: str

    def as_json(self) -> str:
        return json.dumps({"digest": self.digest, "at": self.at, "heads": [list(h) for h in self.heads]},
                          indent=2)


@dataclass(frozen=True)
class AnchorCheck:
    ok: bool
    reason_es: str = ""
    reason_en: str = ""


class AnchorUnreadable(ObservatorioError, ValueError):
    """The text given as an anchor is neither a digest nor an anchor file."""

    key = "cases.refusal.anchor_unreadable"

    def __init__(self, given: str) -> None:
        super().__init__(given=given)


def seal(at: str, heads: tuple[tuple[int, int, str], ...]) -> str:
    """SHA-256 of the canonical JSON of the time and the tips."""
    data = json.dumps({"at": at, "heads": [list(h) for h in heads]}, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def create(session: Session) -> Anchor:
    """Snapshot the tips now and store the anchor (the caller commits)."""
    heads = tuple((h.id, h.seq, h.hash) for h in session.scalars(select(AuditHead).order_by(AuditHead.id)))
    at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    anchor = Anchor(at, heads, seal(at, heads))
    session.add(AuditAnchor(digest=anchor.digest, at=at, heads=json.dumps([list(h) for h in heads])))
    return anchor


def read(session: Session, given: str) -> Anchor:
    """The anchor a digest names (looked up in the database) or an anchor file holds."""
    text = given.strip().lower()
    if _DIGEST.match(text):
        row = session.scalar(select(AuditAnchor).where(AuditAnchor.digest == text))
        if row is None:
            # Not stored (or deleted): only the chain's own check is possible, which is not
            # what was asked for; report it as a failed check, with the digest kept.
            return Anchor("", (), text)
        heads = tuple((int(c), int(s), str(h)) for c, s, h in json.loads(row.heads))
        return Anchor(row.at, heads, text)
    path = Path(given)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        heads = tuple((int(c), int(s), str(h)) for c, s, h in data["heads"])
        return Anchor(str(data["at"]), heads, str(data["digest"]).lower())
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AnchorUnreadable(given) from exc


def check(session: Session, anchor: Anchor) -> AnchorCheck:
    """Is every anchored tip still in the log, with its hash? (Run with audit.verify.)"""
    if not anchor.heads:
        return AnchorCheck(False, *pair("audit_check.anchor_absent", digest=anchor.digest))
    if seal(anchor.at, anchor.heads) != anchor.digest:
        return AnchorCheck(False, *pair("audit_check.anchor_altered"))
    for chain, seq, tip in anchor.heads:
        if seq == 0:
            continue  # the chain was empty when anchored
        found = session.scalar(select(AuditEntry.hash).where(AuditEntry.chain == chain, AuditEntry.seq == seq))
        if found is None:
            return AnchorCheck(False, *pair("audit_check.anchored_entry_missing", seq=seq, chain=chain,
                                            at=anchor.at))
        if found != tip:
            return AnchorCheck(False, *pair("audit_check.anchored_entry_changed", seq=seq, chain=chain,
                                            at=anchor.at))
    return AnchorCheck(True)

