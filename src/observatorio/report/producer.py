"""A bulletin produced on request in a short-lived child process, never in a server worker.

Producing a bulletin imports the report builders, pandas and (for a PDF) WeasyPrint, and takes
seconds of CPU and a few hundred MB (docs/benchmarks.md, "Bulletins"). Inside a server worker
all of that would stay for good, and a worker must peak under 300 MB (issue #12). So the worker
starts ``python -P -m observatorio.report.producer``: a fresh interpreter (not a fork: it holds
none of the worker's store, caches or in-memory columns) that reads what it needs on stdin (the
store snapshot file the request reads, the settings, the checked options), produces the
bulletin with :func:`observatorio.report.service.produce`, answers on stdout with the file's
bytes, media type and name (or the refusal to show, as the error it raised) and exits.

The worker waits at most ``Settings.bulletin_timeout_s`` (``OBSERVATORIO_BULLETIN_TIMEOUT_S``):
then the child is killed (a hung WeasyPrint never hangs the worker) and the request answers 503.
The child writes no file, so one killed or failed leaves nothing half-written.

This module imports nothing heavy: only the child imports the report builders.
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from observatorio.child_errors import described, rebuilt, without_state
from observatorio.errors import ErrorKind, ObservatorioError
from observatorio.report.options import MEDIA_TYPES, BulletinError, BulletinOptions
from observatorio.settings import Settings

log = logging.getLogger("observatorio.report")

#: How much of a failed child's standard error goes to the worker's log.
STDERR_LOGGED = 4000


@dataclass(frozen=True)
class BulletinFile:
    """What a request for a bulletin answers with: the file, its media type and its name."""

    data: bytes
    fmt: str
    filename: str

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.fmt]


class BulletinTimeout(BulletinError):
    """The child did not produce the bulletin within the time limit and was stopped."""

    kind = ErrorKind.UNAVAILABLE
    key = "bulletin.error.timeout"


class BulletinFailed(BulletinError):
    """The child ended without a bulletin or a refusal (a crash, killed for memory): a fault of
    the server, logged with the child's standard error."""

    kind = ErrorKind.INTERNAL
    key = "bulletin.error.failed"


def produce_in_child(store_path: Path | str, settings: Settings, options: BulletinOptions) -> BulletinFile:
    """The bulletin ``options`` asks for, produced from the store file ``store_path`` by a child
    process. A refusal the child raised (ObservatorioError) is raised here as the same error;
    BulletinTimeout when it ran past the time limit, BulletinFailed when it died."""
    from observatorio.publish.server_process import server_environment

    request = pickle.dumps({"store": str(store_path), "settings": settings, "options": options})
    timeout = settings.bulletin_timeout_s
    try:
        # the same interpreter and code as this process (server_environment: the package's
        # folder on PYTHONPATH when only our own sys.path gave it); -P: not the working directory
        done = subprocess.run([sys.executable, "-P", "-m", __name__], input=request,  # noqa: S603
                              capture_output=True, timeout=timeout, env=server_environment(),
                              check=False)
    except subprocess.TimeoutExpired as exc:  # subprocess.run has killed the child
        log.error("bulletin %s: stopped after %s s%s", options, timeout, _tail(exc.stderr))
        raise BulletinTimeout(seconds=f"{timeout:g}") from None
    try:
        answer = pickle.loads(done.stdout) if done.returncode == 0 else None  # noqa: S301 - our child
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        answer = None
    if not isinstance(answer, dict):
        log.error("bulletin %s: the producing process ended with status %s and no answer%s",
                  options, done.returncode, _tail(done.stderr))
        raise BulletinFailed()
    if "refused" in answer:
        raise rebuilt(answer["refused"])
    return BulletinFile(answer["data"], answer["fmt"], answer["filename"])


def _tail(stderr: bytes | str | None) -> str:
    text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else (stderr or "")
    return f":\n{text[-STDERR_LOGGED:]}" if text.strip() else ""


def _answer(request: dict[str, Any]) -> dict[str, Any]:
    """The child's work: open the store read-only as the worker had it, produce the bulletin."""
    from observatorio.report.service import produce
    from observatorio.store.duck import Store

    settings: Settings = request["settings"]
    path = request["store"]
    # a portal without a store answers from an empty one: the same here
    store = Store.open(":memory:") if path == ":memory:" else Store.open(path, read_only=True)
    with store:
        # bounded as a server process's store is (Settings): the same memory and threads
        store.limit(settings.duckdb_memory_mb, settings.duckdb_threads)
        try:
            produced = produce(store, settings, request["options"])
        except ObservatorioError as exc:
            return {"refused": described(exc)}
    return {"data": produced.data, "fmt": produced.fmt, "filename": produced.filename}


def main() -> int:
    """``python -m observatorio.report.producer``: one request on stdin, its answer on stdout."""
    answer_fd = os.dup(1)
    # anything printed while producing (a library's warning) goes to stderr, the worker's log,
    # never into the answer
    os.dup2(2, 1)
    request = pickle.load(sys.stdin.buffer)  # noqa: S301 - from the worker that started us
    answer = _answer(request)
    try:
        data = pickle.dumps(answer)
    except (pickle.PicklingError, TypeError, AttributeError):  # a refusal's state: its message only
        data = pickle.dumps({"refused": without_state(answer["refused"])})
    with os.fdopen(answer_fd, "wb") as out:
        out.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
