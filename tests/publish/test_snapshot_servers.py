"""Two real server processes on one snapshot folder both switch to a new publication between
requests, while a load generator keeps querying them with zero errors; ``as_of`` still reads
the old release, and a rollback brings both back."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from observatorio.cli import app as cli
from observatorio.loading import load_file
from observatorio.store import Store, snapshots

from .live_server import free_port
from .snapshot_example import FILE, MAPPING, SOURCE, adapter, first_men, revised_file

QUERY = {"source": SOURCE, "sex": "M", "start": "2023-01", "end": "2023-01", "group_by": "sex"}


def figure(base: str, **extra: str) -> float:
    answer = httpx.get(f"{base}/api/v1/observations", params={**QUERY, **extra}, timeout=30)
    assert answer.status_code == 200, answer.text
    return float(answer.json()["data"][0]["value"])


def wait_for(check: Callable[[], bool], what: str) -> None:
    """Poll until ``check`` holds; the deadline only keeps a broken run from hanging."""
    deadline = time.monotonic() + 120
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.2)


@pytest.fixture()
def servers(tmp_path: Path) -> Iterator[tuple[Path, list[str]]]:
    db = tmp_path / "var" / "observatorio.duckdb"
    with Store.open(db) as store:
        load_file(store, adapter(), FILE)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "OBSERVATORIO_API_CACHE_MB": "8"}
    ports = [free_port(), free_port()]
    processes = [subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, "-m", "observatorio", "--db", str(db), "serve", "--port", str(port),
         "--no-load"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for port in ports]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for base, process in zip(bases, processes, strict=True):
            wait_for(lambda b=base, p=process: _up(b, p), f"{base} serving")
        yield db, bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)


def _up(base: str, process: subprocess.Popen[bytes]) -> bool:
    if process.poll() is not None:
        raise AssertionError(process.stderr.read().decode() if process.stderr else "server died")
    try:
        return httpx.get(f"{base}/api/v1/sources", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def test_two_servers_switch_to_a_new_publication_without_errors(
        servers: tuple[Path, list[str]], tmp_path: Path) -> None:
    db, bases = servers
    assert db.is_symlink()  # `serve` turned the store into its first snapshot
    old = figure(bases[0])
    assert figure(bases[1]) == old
    stop, errors, answers = threading.Event(), [], [0]

    def load_generator() -> None:
        with httpx.Client(timeout=30) as client:
            while not stop.is_set():
                for base in bases:
                    try:
                        got = client.get(f"{base}/api/v1/observations", params=QUERY)
                        if got.status_code != 200:
                            errors.append(f"{got.status_code} {got.text[:200]}")
                        else:
                            answers[0] += 1
                    except httpx.HTTPError as exc:
                        errors.append(repr(exc))

    generator = threading.Thread(target=load_generator)
    generator.start()
    try:
        result = CliRunner().invoke(cli, ["--db", str(db), "load", "--mapping", str(MAPPING), "--file",
                                          str(revised_file(tmp_path)), "--release", "2023-08-15"])
        assert result.exit_code == 0, result.output  # the servers hold no lock that stops it
        new = old + first_men()
        for base in bases:
            wait_for(lambda b=base: figure(b) == new, f"{base} shows the new publication")
            assert figure(base, as_of=str(date(2023, 7, 31))) == old
        result = CliRunner().invoke(cli, ["--db", str(db), "release", "rollback"])
        assert result.exit_code == 0, result.output
        for base in bases:
            wait_for(lambda b=base: figure(b) == old, f"{base} rolled back")
    finally:
        stop.set()
        generator.join()
    assert errors == [] and answers[0] > 0
    assert len(snapshots.snapshots(db)) == 2
