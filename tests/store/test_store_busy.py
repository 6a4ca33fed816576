"""``observatorio load`` while another process (a server) holds the store: a clear message in
the chosen language, exit code 1, no traceback, nothing changed (#10 item 13)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from observatorio.cli import app
from observatorio.errors import StoreBusy
from observatorio.store import Store

HOLD = ("import duckdb, sys\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        "print('ready', flush=True)\n"
        "sys.stdin.read()\n")


@pytest.fixture()
def held_store(tmp_path: Path) -> Iterator[Path]:
    """A store another process keeps open, as ``observatorio serve`` does."""
    path = tmp_path / "observatorio.duckdb"
    Store.open(path).close()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        yield path
    finally:
        holder.communicate(timeout=60)


@pytest.mark.parametrize(("lang", "words"), [("es", "detenga el servidor"), ("en", "stop the server")])
def test_load_into_a_held_store_says_what_to_do(held_store: Path, lang: str, words: str) -> None:
    before = held_store.read_bytes()
    result = CliRunner().invoke(app, ["--lang", lang, "--db", str(held_store), "load",
                                      "cbp_sw_land_border_encounters"])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    output = " ".join(result.output.split())  # the console wraps long lines
    assert words in output and "observatorio serve" in output
    assert "Traceback" not in output and "IO Error" not in output
    assert held_store.read_bytes() == before


def test_store_open_names_the_holder(held_store: Path) -> None:
    with pytest.raises(StoreBusy) as caught:
        Store.open(held_store)
    assert "PID" in caught.value.message("en")
