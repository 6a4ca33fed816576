"""The illustrative Honduran returnees table (examples/mappings) as a small store to publish
snapshots of, and a revision of it with one changed cell."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from observatorio.sources.mapping import MappingAdapter, load_mapping
from observatorio.store import Store

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "mappings"
MAPPING = EXAMPLE / "honduras_retornados_ejemplo.yaml"
FILE = EXAMPLE / "honduras_retornados_ejemplo.csv"
SOURCE = "example_hnd_retornados"
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def adapter() -> MappingAdapter:
    return MappingAdapter(load_mapping(MAPPING), MAPPING)


def _lines() -> tuple[list[str], int]:
    lines = FILE.read_bytes().decode("latin-1").splitlines(keepends=True)
    return lines, next(i for i, line in enumerate(lines) if line.startswith("A"))


def first_men() -> int:
    """The men of the first data row (January 2023, one returning country)."""
    lines, header = _lines()
    return int(lines[header + 1].split(";")[4].replace(".", ""))


def revised_file(tmp_path: Path, factor: int = 2) -> Path:
    """The example file with the men of its first data row multiplied by ``factor``."""
    lines, header = _lines()
    cells = lines[header + 1].split(";")
    cells[4] = str(first_men() * factor)
    lines[header + 1] = ";".join(cells)
    path = tmp_path / "revised.csv"
    path.write_bytes("".join(lines).encode("latin-1"))
    return path


def men_january(db: Path) -> float:
    """The men returned in January 2023 by all countries, in the latest release."""
    with Store.open(db, read_only=True) as store:
        row = store.con.execute(
            "SELECT sum(value) FROM observations WHERE source = ? AND sex = 'M' "
            "AND period = DATE '2023-01-01'", [SOURCE]).fetchone()
    assert row is not None
    return float(row[0])
