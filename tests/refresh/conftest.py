"""Fixtures of the refresh tests: the imitated publishers on 127.0.0.1, and no way out of it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from observatorio.settings import get_settings

from .publishers import Publishers, discovery_file, serve


@pytest.fixture()
def localhost_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No proxy, no real pause between retries, and any connection to another address than
    127.0.0.1 fails the test."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("OBSERVATORIO_REFRESH_BACKOFF_S", "0.01")
    connect = socket.socket.connect

    def guarded(sock: socket.socket, address: object) -> None:
        host = address[0] if isinstance(address, tuple) else address
        assert host == "127.0.0.1", f"a test tried to leave localhost: {address!r}"
        connect(sock, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture()
def publishers(data_dir: Path) -> Iterator[tuple[Publishers, str]]:
    """The imitated publishers serving the real files, and the server's base address."""
    state = Publishers(data_dir)
    state.publish_originals()
    httpd = serve(state)
    try:
        yield state, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture()
def declarations(publishers: tuple[Publishers, str], tmp_path: Path) -> Path:
    """The built-in discovery declarations, pointed at the imitated publishers."""
    return discovery_file(tmp_path, publishers[1])
