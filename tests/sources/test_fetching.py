"""``observatorio fetch`` against a real HTTP server on 127.0.0.1 serving a copy of a real file.

No request leaves localhost: every command gets ``--url http://127.0.0.1:<port>/…`` and proxy
variables are removed so httpx connects directly.
"""

from __future__ import annotations

import hashlib
import socket
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from observatorio.cli import app
from observatorio.sources.base import get_adapter
from observatorio.sources.fetching import DownloadFailed, download
from observatorio.store import Store

SOURCE = "cbp_sw_land_border_encounters"
CSV_NAME = "sbo-encounters-fy22-fy25-aug.csv"
runner = CliRunner()
pytestmark = pytest.mark.usefixtures("localhost_only")  # tests/conftest.py
# (name a server claims in Content-Disposition, the name the file gets here)
HOSTILE_NAMES = [
    ("=HYPERLINK(evil)+1.csv", "HYPERLINK(evil)_1.csv"),
    ("../../escape.csv", "escape.csv"),
    ("..%2F..%2Fescape2.csv", "escape2.csv"),
    ("..\\..\\win.csv", "win.csv"),
    ("@SUM(1).csv", "SUM(1).csv"),
    ("..", "cbp_sw_land_border_encounters.download"),
    ("a%00b%0d.csv", "a_b_.csv"),
    ("x" * 300 + ".csv", "x" * 146 + ".csv"),
]


class _Handler(BaseHTTPRequestHandler):
    files: dict[str, tuple[bytes, str]] = {}
    dispositions: dict[str, str] = {}  # path -> Content-Disposition the server claims
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.requests.append(self.path)
        if self.path not in self.files:
            self.send_error(404, "Not Found")
            return
        body, content_type = self.files[self.path]
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        if self.path in self.dispositions:
            self.send_header("Content-Disposition", self.dispositions[self.path])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:  # keep the test output clean
        pass


@pytest.fixture(scope="module")
def server(data_dir: Path) -> Iterator[str]:
    """A local HTTP server: the real CBP CSV, an HTML page, and 404 for anything else."""
    csv_bytes = (data_dir / "cbp_sw_land_border_encounters" / CSV_NAME).read_bytes()
    _Handler.files = {
        f"/files/{CSV_NAME}": (csv_bytes, "text/csv; charset=utf-8"),
        "/document/stats/southwest-land-border-encounters": (
            b"<!DOCTYPE html><html><head><title>CBP</title></head><body>Stats</body></html>",
            "text/html; charset=utf-8"),
        "/download/encounters.csv": (b"<html><body>Please log in</body></html>", "application/octet-stream"),
        **{f"/named/{i}": (csv_bytes, "text/csv") for i in range(len(HOSTILE_NAMES))},
    }
    _Handler.dispositions = {f"/named/{i}": f'attachment; filename="{name}"'
                             for i, (name, _) in enumerate(HOSTILE_NAMES)}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _snapshot(db: Path) -> tuple[str, list, list]:
    if not db.exists():
        return ("absent", [], [])
    with Store.open(db, read_only=True) as store:
        rows = store.con.execute("SELECT * FROM observations_history ORDER BY ALL").fetchall()
        loads = store.con.execute("SELECT * FROM loads ORDER BY ALL").fetchall()
    return (hashlib.sha256(db.read_bytes()).hexdigest(), rows, loads)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_fetch_loads_a_new_release_then_changes_nothing(server: str, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    url = f"{server}/files/{CSV_NAME}"
    # The release defaults to the day of the fetch; the command may run across midnight, so
    # the day is read on both sides of it and the release must be one of them.
    day_before = date.today()
    result = runner.invoke(app, ["--db", str(db), "--lang", "en", "fetch", SOURCE, "--url", url])
    day_after = date.today()
    assert result.exit_code == 0, result.output
    with Store.open(db, read_only=True) as store:
        (today,) = store.con.execute("SELECT release FROM loads").fetchone()
    assert today in {day_before, day_after}
    assert f"1,936 observations loaded (release {today.isoformat()})" in " ".join(result.output.split())
    with Store.open(db, read_only=True) as store:
        loads = store.con.execute("SELECT source, release, source_file, rows FROM loads").fetchall()
        fy22 = store.con.execute(
            "SELECT sum(value) FROM observations WHERE period BETWEEN DATE '2021-10-01' AND DATE '2022-09-01'"
        ).fetchone()
    assert loads == [(SOURCE, today, CSV_NAME, 1936)]
    assert fy22 == (2378944,)
    before = _snapshot(db)
    result = runner.invoke(app, ["--db", str(db), "--lang", "es", "fetch", SOURCE, "--url", url])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "ya cargado (mismo archivo y publicación); nada cambió" in text
    assert _snapshot(db) == before


def test_fetch_with_release_option(server: str, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    url = f"{server}/files/{CSV_NAME}"
    result = runner.invoke(app, ["--db", str(db), "fetch", SOURCE, "--url", url, "--release", "2025-09-15"])
    assert result.exit_code == 0, result.output
    with Store.open(db, read_only=True) as store:
        assert store.con.execute("SELECT release FROM loads").fetchall() == [(date(2025, 9, 15),)]


@pytest.mark.parametrize(("lang", "text"), [("en", "--release: YYYY-MM-DD"), ("es", "--release: AAAA-MM-DD")])
def test_fetch_refuses_a_bad_release_before_downloading(server: str, tmp_path: Path, lang: str, text: str) -> None:
    """A typo in --release costs no download: the server is never asked and nothing is written."""
    db = tmp_path / "s.duckdb"
    _Handler.requests.clear()
    result = runner.invoke(app, ["--db", str(db), "--lang", lang, "fetch", SOURCE,
                                 "--url", f"{server}/files/{CSV_NAME}", "--release", "2025-13-45"])
    assert result.exit_code == 2, result.output
    assert text in " ".join(result.output.split())
    assert _Handler.requests == []
    assert not db.exists()


@pytest.mark.parametrize(
    ("path_or_port", "es", "en"),
    [
        ("/files/missing.csv", "el servidor respondió 404 Not Found", "the server answered 404 Not Found"),
        ("/document/stats/southwest-land-border-encounters", "devolvió una página web (text/html)",
         "returned a web page (text/html) instead of the data file"),
        ("/download/encounters.csv", "devolvió una página web", "returned a web page"),
        (None, "no se pudo conectar con", "could not connect to"),
    ],
)
def test_fetch_errors_are_clear_bilingual_and_change_nothing(
    server: str, tmp_path: Path, data_dir: Path, path_or_port: str | None, es: str, en: str
) -> None:
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:  # a store holding one release already
        from observatorio.loading import load_file

        adapter = get_adapter(SOURCE)
        load_file(store, adapter, adapter.bundled_path(data_dir))
    before = _snapshot(db)
    url = f"{server}{path_or_port}" if path_or_port else f"http://127.0.0.1:{_closed_port()}/x.csv"
    for lang, expected in (("es", es), ("en", en)):
        result = runner.invoke(app, ["--db", str(db), "--lang", lang, "fetch", SOURCE, "--url", url,
                                     "--timeout", "10"])
        assert result.exit_code == 1
        text = " ".join(result.output.split())
        assert expected in text, text
        assert url in text
        assert ("Nada se cargó" if lang == "es" else "Nothing was loaded") in text
        assert "Traceback" not in text
    assert _snapshot(db) == before


def test_download_is_atomic_and_leaves_no_part_file(server: str, tmp_path: Path) -> None:
    adapter = get_adapter(SOURCE)
    path = download(adapter, tmp_path, url=f"{server}/files/{CSV_NAME}")
    assert path.name == CSV_NAME and path.stat().st_size > 100_000
    with pytest.raises(DownloadFailed):
        download(adapter, tmp_path, url=f"{server}/download/encounters.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == [CSV_NAME]  # no .part, no HTML saved


def test_requests_reached_the_local_server(server: str, tmp_path: Path) -> None:
    """The downloads of this test (not of others run before it) reach the local server."""
    _Handler.requests.clear()
    adapter = get_adapter(SOURCE)
    download(adapter, tmp_path, url=f"{server}/files/{CSV_NAME}")
    with pytest.raises(DownloadFailed):
        download(adapter, tmp_path, url=f"{server}/files/missing.csv")
    assert _Handler.requests == [f"/files/{CSV_NAME}", "/files/missing.csv"]


@pytest.mark.parametrize(("index", "expected"), [(i, e) for i, (_, e) in enumerate(HOSTILE_NAMES)])
def test_download_names_from_the_server_are_made_safe(server: str, tmp_path: Path, index: int,
                                                      expected: str) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    path = download(get_adapter(SOURCE), folder, url=f"{server}/named/{index}")
    assert path.parent == folder and path.name == expected
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [expected]
