"""A forecast computed on the fly, in a child process, answered as plain rows.

When the store holds no forecast release, the API and the portal compute one (routes/forecasts.py
caches it per store version). Fitting needs the engine, statsforecast and pandas, which a server
worker must never import (issue #12: pandas alone is ~46 MB of every worker's memory), so the
run is made in a child process (a fresh interpreter) that sends back only plain Python values:
the run's information, forecast rows and alert rows, as a stored release is read
(release_write.run_rows), never a pickled pandas object (unpickling it would import pandas in
the worker).

The child reports each series as it starts it; the caller's ``progress`` is called with it in
this process, and whatever ``progress`` raises (the portal's warm-up stopping at shut-down)
ends the child and is raised here.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import subprocess
import sys
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from observatorio.child_errors import described, rebuilt, without_state
from observatorio.errors import ErrorKind, ObservatorioError
from observatorio.store.duck import Store
from observatorio.store.rows import Row

log = logging.getLogger("observatorio.forecast")

Computed = tuple[dict[str, Any], list[Row], list[Row]]
Progress = Callable[[str], None]


class ForecastChildFailed(ObservatorioError):
    """The child process computing the forecast failed with an error that is not one of the
    project's (its traceback is on the child's standard error, the server's log), or died
    without a word. Nothing of it is shown to the client: a path or a lock holder's process may
    be in it."""

    kind = ErrorKind.INTERNAL
    key = "error.forecast_child_failed"


def compute_release(store: Any, progress: Progress | None = None) -> Computed:
    """The forecast of every catalogue series of ``store`` (an open ``Store``): run info
    (``created_at``, ``data_release``, ``model``), forecast rows, alert rows.

    A read-only store is read again by a child process (DuckDB lets processes share a file
    read-only). A store open for writing locks its file to this process: then the run is made
    here, as only a command-line process (never a server worker) holds one.
    """
    if not store.read_only:
        return _compute(store.cursor(), progress)
    return _in_child(Path(store.path), store.limits, progress)


def _compute(con: Any, progress: Progress | None) -> Computed:
    from observatorio.analysis.forecast.release_write import run_rows
    from observatorio.analysis.forecast.service import forecast_from_store

    return run_rows(forecast_from_store(con, progress=progress))


#: What the child interpreter runs: this module's :func:`_child_main`, with the parent's import
#: path first (arguments: store path, pipe descriptor, the store's limits as JSON, then the
#: path entries). ``-P``: the working directory is not on the child's path.
_CHILD_CODE = ("import sys; sys.path[:0] = sys.argv[4:]; "
               "from observatorio.analysis.forecast.computed import _child_main; "
               "_child_main(sys.argv[1], int(sys.argv[2]), sys.argv[3])")


def _in_child(path: Path, limits: tuple[int, int] | None, progress: Progress | None) -> Computed:
    # A fresh interpreter, not multiprocessing's spawn: spawn runs the parent's main script
    # again in the child, which breaks any unguarded script that serves the app. The rows come
    # back on a pipe of their own (the child's output is free).
    read_fd, write_fd = os.pipe()
    receiver = Connection(read_fd, writable=False)
    try:
        child = subprocess.Popen(  # noqa: S603 - this interpreter, fixed code
            [sys.executable, "-P", "-c", _CHILD_CODE, str(path), str(write_fd), json.dumps(limits),
             *filter(None, sys.path)],
            pass_fds=(write_fd,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    finally:
        os.close(write_fd)  # the child's end: a child that dies unheard gives EOF here
    finished = False
    try:
        while True:
            try:
                kind, payload = receiver.recv()
            except EOFError:
                log.error("the forecast's child process ended without an answer (exit code %s)",
                          child.wait())
                raise ForecastChildFailed() from None
            if kind == "series":
                if progress is not None:
                    progress(payload)
            elif kind == "done":
                finished = True
                result: Computed = payload
                return result
            elif kind == "refused":  # one of the project's errors: its kind, code and message
                raise rebuilt(payload)
            else:
                raise ForecastChildFailed()
    finally:
        receiver.close()
        if not finished:  # stopped early (progress raised) or failed: the run is abandoned
            child.kill()
        child.wait()


def _child_main(path: str, fd: int, limits: str) -> None:
    """In the child: compute from the store at ``path`` (bounded as the parent's store is:
    ``limits``, JSON) and send the rows (or the failure) on the pipe ``fd``."""
    sender = Connection(fd, readable=False)
    try:
        with Store.open(path, read_only=True) as store:
            bounds = json.loads(limits)
            if bounds is not None:
                store.limit(*bounds)
            result = _compute(store.cursor(), lambda series_id: sender.send(("series", series_id)))
        sender.send(("done", result))
    except ObservatorioError as exc:  # a refusal or a store error: sent as data (child_errors)
        try:
            sender.send(("refused", described(exc)))
        except (pickle.PicklingError, TypeError, AttributeError):
            sender.send(("refused", without_state(described(exc))))
    except Exception:  # noqa: BLE001 - the parent raises ForecastChildFailed
        traceback.print_exc()  # the whole of it, on the server's log; nothing of it to the client
        sender.send(("failed", None))
    finally:
        sender.close()
