"""Fixtures of the refresh tests: the imitated publishers on 127.0.0.1 (``localhost_only``, in
tests/conftest.py, keeps every connection there)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .publishers import Publishers, discovery_file, serve


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
