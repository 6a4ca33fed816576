"""The statistics store (DuckDB)."""

from observatorio.store.duck import LoadResult, Store, check_read_only, file_sha256

__all__ = ["LoadResult", "Store", "check_read_only", "file_sha256"]
