"""The observed series a worker reads without pandas (history.py) is the engine's own
(data.load_series) for every series the engine reads on its own: same months, same values. The
two are kept apart on purpose (the engine's frames need pandas, a worker must not import it), so
this keeps them in step."""

from __future__ import annotations

from observatorio.analysis.forecast.catalogue import load_catalogue
from observatorio.analysis.forecast.data import load_series
from observatorio.analysis.forecast.history import load_one
from observatorio.store import Store


def test_history_is_the_engines_series(bundled_store: Store) -> None:
    catalogue = load_catalogue()
    con = bundled_store.cursor()
    engine = load_series(con, catalogue)
    compared = 0
    for defn in catalogue.series:
        if defn.residual_of or (defn.parent is not None and defn.coherent) or defn.id not in engine:
            continue  # children and residuals are read with their parent by the engine
        expected = [(ts.date(), float(v)) for ts, v in engine[defn.id].items()]
        assert load_one(con, defn.id, catalogue) == expected, defn.id
        compared += 1
    assert compared >= 8  # the bundled data's top-level series
