"""Give the memory freed after a one-off build back to the operating system.

Reading the latest releases into memory (store/memory.py) or a page's frames makes many large
temporary arrays; once freed, glibc's allocator keeps most of that heap mapped, so a server
process would stay at its start-up peak for good. Arrow's pool and glibc's ``malloc_trim``
return it (measured: 359 → 305 MB for one process after the in-memory columns, see
docs/benchmarks.md). A server process also caps its malloc arenas (:func:`limit_arenas`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Any

import pyarrow as pa

#: glibc's mallopt parameter for the most arenas (malloc.h).
_M_ARENA_MAX = -8


def _glibc_function(name: str) -> Any:
    """A function of glibc (None when the C library is another)."""
    try:
        return getattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), name)
    except (OSError, AttributeError):
        return None


def give_back_freed_memory() -> None:
    """Release Arrow's unused pool memory and trim the C heap (a no-op without glibc)."""
    pa.default_memory_pool().release_unused()
    trim = _glibc_function("malloc_trim")
    if trim is not None:
        trim(0)


def use_system_allocator() -> None:
    """Arrow allocates with the C library's malloc from now on (not its bundled mimalloc), so
    :func:`give_back_freed_memory`'s ``malloc_trim`` returns what Arrow freed too: a worker's
    start-up peak while reading the in-memory columns was 33 MB lower (docs/benchmarks.md)."""
    pa.set_memory_pool(pa.system_memory_pool())


def limit_arenas(arenas: int) -> bool:
    """At most ``arenas`` malloc arenas in this process (0: glibc's default); whether set.

    glibc gives threads that allocate at once heaps of their own, up to eight per core, and
    each keeps its high-water mark: a server answering many requests at once grows with the
    concurrency and stays there. Fewer arenas trade a little lock contention for a flat
    process (measured in docs/benchmarks.md, "Memory")."""
    mallopt = _glibc_function("mallopt")
    if arenas <= 0 or mallopt is None:
        return False
    return bool(mallopt(_M_ARENA_MAX, arenas))
