"""HTTP content negotiation (RFC 9110 §12.5.1): the representation an ``Accept`` header asks for
among those a route offers, or None when it asks for none of them (the route answers 406)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Offer(Generic[T]):
    """A media type a route can answer with (``version`` is its ``version=`` parameter, if any)."""

    media_type: str
    value: T
    version: str | None = None


@dataclass(frozen=True)
class _Range:
    kind: str  # type/subtype, possibly with * parts
    version: str | None
    q: float
    order: int


def _ranges(accept: str) -> list[_Range]:
    out = []
    for order, part in enumerate(accept.split(",")):
        kind, *params = (p.strip() for p in part.split(";"))
        if not kind:
            continue
        values = dict(p.split("=", 1) for p in params if "=" in p)
        try:
            q = float(values.get("q", "1"))
        except ValueError:
            q = 0.0
        version = values.get("version")
        out.append(_Range(kind.lower(), version.strip('"') if version else None, q, order))
    return out


def _matches(wanted: _Range, offer: Offer[T]) -> int:
    """How specifically ``wanted`` names ``offer`` (0: it does not)."""
    kind, _, sub = wanted.kind.partition("/")
    offer_kind, _, offer_sub = offer.media_type.partition("/")
    if wanted.kind == "*/*":
        return 1
    if sub == "*":
        return 2 if kind == offer_kind else 0
    if wanted.kind != offer.media_type:
        return 0
    if wanted.version is not None and offer.version is not None and wanted.version != offer.version:
        return 0
    return 3


def negotiate(accept: str | None, offers: Sequence[Offer[T]]) -> T | None:
    """The offer the client prefers (highest q, then the most specific range, then the order
    of ``offers``); the first offer when there is no ``Accept``; None when nothing fits."""
    if not accept or not accept.strip():
        return offers[0].value
    best: tuple[float, int, int] | None = None
    chosen: T | None = None
    for wanted in _ranges(accept):
        if wanted.q <= 0:
            continue
        for rank, offer in enumerate(offers):
            specificity = _matches(wanted, offer)
            if not specificity:
                continue
            score = (wanted.q, specificity, -rank)
            if best is None or score > best:
                best, chosen = score, offer.value
    return chosen
