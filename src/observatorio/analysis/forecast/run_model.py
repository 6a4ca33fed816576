"""What a forecast release is made of, without the models: names the engine writes and the
server reads.

A server worker shows and serves forecast releases but never fits one (issue #12: it must not
import pandas or statsforecast), so what both sides need lives here, defined once; the engine
(engine.py) imports it from here.
"""

from __future__ import annotations

MODEL_NAME = "route-ensemble-v1"
HORIZON_GROUPS = {"short": (1, 3), "medium": (4, 12), "long": (13, 36)}
#: Share of held-out months that fell inside the 80 % and 95 % bands when the forecast was
#: backtested (26 series of 4 hierarchies, origins 12/24/36 months before the end, 12 months
#: ahead). Shown beside the forecast chart; tests/analysis/forecast/test_accuracy.py measures
#: it again and fails if the figure shown drifts more than 0.02 from what the models do.
BACKTESTED_COVERAGE = {80: 0.710, 95: 0.891}


def horizon_group(h: int) -> str:
    """short (1-3 months), medium (4-12) or long (13-36)."""
    for name, (lo, hi) in HORIZON_GROUPS.items():
        if lo <= h <= hi:
            return name
    return "long"
