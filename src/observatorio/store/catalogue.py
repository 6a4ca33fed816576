"""What codes a store holds: the values of the columns without a codelist, what each source's
latest release holds (to skip checks that cannot fail), and the closest valid codes to suggest.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from observatorio.model.codelists import get_codelist
from observatorio.model.contract import STOCK_FLOWS
from observatorio.model.dimensions import CODELIST_OF
from observatorio.store.duck import Store
from observatorio.store.query_errors import QueryError
from observatorio.store.reading import fetch_all
from observatorio.store.schema import LATEST_TABLE_KEY

_STOCKS_SQL = ", ".join(f"'{f}'" for f in sorted(STOCK_FLOWS))  # constants, not user input


@dataclass(frozen=True)
class StoreCatalogue:
    """Values present in one store version for the columns without a codelist, and what each
    source's latest release holds (to skip checks that cannot fail)."""

    version: str
    values: Mapping[str, frozenset[str]]
    releases: frozenset[date]
    #: per source, the distinct values of SAME_WITHIN_SUM columns and whether it has stocks
    profiles: Mapping[str, Mapping[str, frozenset[str]]] = field(default_factory=dict)
    #: per source, the load id of its latest release
    latest: Mapping[str, str] = field(default_factory=dict)
    #: whether ``observations_latest`` holds exactly the latest rows (a store written by this
    #: schema; older stores are read through the load ids)
    latest_table: bool = False

    @classmethod
    def of(cls, store: Store) -> StoreCatalogue:
        """The catalogue of this store, computed once per store version and kept on the store
        (store/derived.py)."""
        if store.read_only:  # a read-only connection cannot see a new load: ask once
            return store.derived.value("catalogue", "read-only", lambda: cls._read(store))
        version, key = cls._version(store)
        return store.derived.value("catalogue", key, lambda: cls._compute(store, version))

    @classmethod
    def _version(cls, store: Store) -> tuple[str, str]:
        """The store's version, and what identifies its content: the version and the schema
        (upgrading a store, observations_latest, keeps its version)."""
        meta = dict(fetch_all(store, "SELECT key, value FROM store_meta "
                                     "WHERE key IN ('version', 'ddl_sha256')"))
        version = str(meta.get("version", "empty"))
        return version, f"{version}|{meta.get('ddl_sha256')}"

    @classmethod
    def _read(cls, store: Store) -> StoreCatalogue:
        return cls._compute(store, cls._version(store)[0])

    @classmethod
    def _compute(cls, store: Store, version: str) -> StoreCatalogue:
        values = {
            "source": _distinct(store, "SELECT DISTINCT source FROM loads"),
            "source_file": _distinct(store, "SELECT DISTINCT source_file FROM loads"),
            "load_id": _distinct(store, "SELECT DISTINCT load_id FROM loads"),
            "table": _distinct(
                store, 'SELECT DISTINCT "table" FROM observations_history WHERE "table" IS NOT NULL'
            ),
        }
        releases = frozenset(r[0] for r in fetch_all(store, "SELECT DISTINCT release FROM loads"))
        latest = {str(src): str(lid) for src, lid in fetch_all(
            store, "SELECT source, load_id FROM loads WHERE is_latest")}
        meta = dict(fetch_all(store, "SELECT key, value FROM store_meta WHERE key IN (?, ?)",
                               [LATEST_TABLE_KEY, "ddl_sha256"]))
        latest_table = meta.get(LATEST_TABLE_KEY) not in (None, "") and (
            meta.get(LATEST_TABLE_KEY) == meta.get("ddl_sha256"))
        return cls(version, values, releases, _profiles(store), latest, latest_table)

    def constant(self, column_name: str, sources: Iterable[str] | None) -> bool:
        """Whether ``column_name`` has one value across the latest rows of these sources."""
        chosen = self.profiles.keys() if sources is None else sources
        seen: set[str] = set()
        for src in chosen:
            seen |= self.profiles.get(src, {}).get(column_name, frozenset({"?"}))
            if len(seen) > 1:
                return False
        return True

    def has_stocks(self, sources: Iterable[str] | None) -> bool:
        chosen = self.profiles.keys() if sources is None else sources
        return any(self.profiles.get(src, {}).get("stock") for src in chosen)

    def check_code(self, name: str, value: str) -> None:
        """QueryError (with the closest codes) unless ``value`` is valid for column ``name``."""
        codelist_id = CODELIST_OF.get(name)
        if codelist_id is not None:
            codelist = get_codelist(codelist_id)
            if value in codelist:
                return
            raise QueryError("unknown_code", name, "api.unknown_code",
                             closest_codes(value, codelist_id), value=value, codelist=codelist_id)
        known = self.values.get(name, frozenset())
        if value in known:
            return
        close = closest_texts(value, sorted(known))
        raise QueryError("unknown_value", name, "api.unknown_value", close, value=value)


def _profiles(store: Store) -> dict[str, dict[str, frozenset[str]]]:
    rows = fetch_all(
        store,
        f"""SELECT source, list(DISTINCT coalesce("table", '')), list(DISTINCT unit),
                   list(DISTINCT freq), bool_or(flow IN ({_STOCKS_SQL}))
            FROM observations GROUP BY source""",  # noqa: S608 - constants only
    )
    return {
        src: {"source": frozenset({src}), "table": frozenset(tables), "unit": frozenset(units),
              "freq": frozenset(freqs), "stock": frozenset({"yes"}) if stock else frozenset()}
        for src, tables, units, freqs, stock in rows
    }


def _distinct(store: Store, sql: str) -> frozenset[str]:
    return frozenset(str(r[0]) for r in fetch_all(store, sql))


def closest_texts(value: str, options: Sequence[str], n: int = 3) -> list[str]:
    """Options that contain ``value`` (any case), then those that look like it."""
    wanted = value.casefold()
    containing = [o for o in options if wanted and wanted in o.casefold()]
    similar = difflib.get_close_matches(value, list(options), n=n, cutoff=0.5)
    return list(dict.fromkeys(containing[:n] + similar))[:n]


def closest_codes(value: str, codelist_id: str, n: int = 3) -> list[str]:
    """Codes of a codelist closest to ``value``: by code, then by Spanish or English label."""
    codes = get_codelist(codelist_id).codes
    by_code = closest_texts(value.upper(), list(codes), n=n) if len(value) > 1 else []
    labels: dict[str, str] = {}
    for code in codes.values():
        labels.setdefault(code.label_es.casefold(), code.id)
        labels.setdefault(code.label_en.casefold(), code.id)
    by_label = [labels[m] for m in difflib.get_close_matches(value.casefold(), list(labels), n=n, cutoff=0.6)]
    # A name ("Guatemala") is matched by label first; a code-like value by code first.
    found = by_label + by_code if len(value) > 3 else by_code + by_label
    if not found and len(codes) <= 12:
        found = list(codes)  # a short list: every code is a useful suggestion
    return list(dict.fromkeys(found))[:n if len(codes) > 12 else len(codes)]
