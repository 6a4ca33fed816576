"""The statistics store (DuckDB)."""

from observatorio.store.duck import Store, check_read_only, file_sha256
from observatorio.store.loads import LoadResult

__all__ = ["LoadResult", "Store", "check_read_only", "file_sha256"]
