"""What the query layer derives from a store lives and dies with that store (store/derived.py):
no module dictionary keyed by ``id(store)`` keeps a dropped store's columns or catalogue alive,
and another store of the same file starts with nothing of the first one's."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

from observatorio.store import Store, memory
from observatorio.store.catalogue import StoreCatalogue


def test_columns_and_catalogue_go_with_their_store(bundled_store_path: Path) -> None:
    store = Store.open(bundled_store_path, read_only=True)
    columns = memory.build(store, 10_000_000)
    assert columns is not None and memory.columns_of(store) is columns
    catalogue = StoreCatalogue.of(store)
    assert StoreCatalogue.of(store) is catalogue  # computed once per store
    other = Store.open(bundled_store_path, read_only=True)
    try:
        assert memory.columns_of(other) is None  # another store: nothing of the first one's
        gone_columns, gone_catalogue = weakref.ref(columns), weakref.ref(catalogue)
        del columns, catalogue
        store.close()
        assert memory.columns_of(store) is None  # a closed store serves no columns
        del store
        gc.collect()
        assert gone_columns() is None and gone_catalogue() is None  # nothing keeps them alive
    finally:
        other.close()
