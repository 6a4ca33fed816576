"""Give the memory freed after a one-off build back to the operating system.

Reading the latest releases into memory (store/memory.py) or a page's frames makes many large
temporary arrays; once freed, glibc's allocator keeps most of that heap mapped, so a server
process would stay at its start-up peak for good. Arrow's pool and glibc's ``malloc_trim``
return it (measured: 359 → 305 MB for one process after the in-memory columns, see
docs/benchmarks.md).
"""

from __future__ import annotations

import ctypes
import ctypes.util

import pyarrow as pa


def give_back_freed_memory() -> None:
    """Release Arrow's unused pool memory and trim the C heap (a no-op without glibc)."""
    pa.default_memory_pool().release_unused()
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to trim
        return
    trim(0)
