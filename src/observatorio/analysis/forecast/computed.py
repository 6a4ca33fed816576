"""A forecast computed on the fly, in a child process, answered as plain rows.

When the store holds no forecast release, the API and the portal compute one (routes/forecasts.py
caches it per store version). Fitting needs the engine, statsforecast and pandas, which a server
worker must never import (issue #12: pandas alone is ~46 MB of every worker's memory), so the
run is made in a spawned child process that sends back only plain Python values — the run's
information, forecast rows and alert rows, as a stored release is read (release_write.run_rows)
— never a pickled pandas object (unpickling it would import pandas in the worker).

The child reports each series as it starts it; the caller's ``progress`` is called with it in
this process, and whatever ``progress`` raises (the portal's warm-up stopping at shut-down)
ends the child and is raised here.
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from observatorio.store.rows import Row

Computed = tuple[dict[str, Any], list[Row], list[Row]]
Progress = Callable[[str], None]


class ForecastChildFailed(RuntimeError):
    """The child process computing the forecast failed; the message holds its traceback."""


def compute_release(store: Any, progress: Progress | None = None) -> Computed:
    """The forecast of every catalogue series of ``store`` (an open ``Store``): run info
    (``created_at``, ``data_release``, ``model``), forecast rows, alert rows.

    A read-only store is read again by a child process (DuckDB lets processes share a file
    read-only). A store open for writing locks its file to this process: then the run is made
    here, as only a command-line process (never a server worker) holds one.
    """
    if not store.read_only:
        return _compute(store.cursor(), progress)
    return _in_child(Path(store.path), progress)


def _compute(con: Any, progress: Progress | None) -> Computed:
    from observatorio.analysis.forecast.release_write import run_rows
    from observatorio.analysis.forecast.service import forecast_from_store

    return run_rows(forecast_from_store(con, progress=progress))


def _in_child(path: Path, progress: Progress | None) -> Computed:
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing inherited
    receiver, sender = context.Pipe(duplex=False)
    # a daemon: ended with this process if it exits first
    child = context.Process(target=_child_main, args=(str(path), sender),
                            name="forecast-compute", daemon=True)
    child.start()
    sender.close()  # the child's end: a child that dies unheard gives EOF here
    finished = False
    try:
        while True:
            try:
                kind, payload = receiver.recv()
            except EOFError:
                child.join()
                raise ForecastChildFailed(f"exit code {child.exitcode}") from None
            if kind == "series":
                if progress is not None:
                    progress(payload)
            elif kind == "done":
                finished = True
                result: Computed = payload
                return result
            elif isinstance(payload, BaseException):
                raise payload
            else:
                raise ForecastChildFailed(str(payload))
    finally:
        receiver.close()
        if not finished and child.is_alive():  # stopped early (progress raised): abandoned
            child.kill()
        child.join()


def _child_main(path: str, sender: Any) -> None:
    """In the child: compute from the store at ``path`` and send the rows (or the failure)."""
    try:
        from observatorio.store import Store

        with Store.open(path, read_only=True) as store:
            result = _compute(store.cursor(), lambda series_id: sender.send(("series", series_id)))
        sender.send(("done", result))
    except Exception as exc:  # noqa: BLE001 - the parent raises it (or its traceback)
        # only the project's own errors travel as themselves: another library's would import
        # that library (pandas…) in the parent when unpickled
        ours = type(exc).__module__.startswith("observatorio.")
        text = traceback.format_exc()
        try:
            sender.send(("error", exc if ours else text))
        except Exception:  # noqa: BLE001 - not picklable: its traceback, as text
            sender.send(("error", text))
    finally:
        sender.close()
