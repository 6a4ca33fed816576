"""What the store says about itself: the loaded sources and their coverage, every load (the
lineage of each row's ``load_id``), and who reported what, when (freshness)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from observatorio.model.codelists import CRM_MEMBERS
from observatorio.store.duck import Store
from observatorio.store.reading import fetch_all


def sources(store: Store) -> list[dict[str, Any]]:
    """Every loaded source: publisher, licence, latest release, coverage, loaded at."""
    rows = fetch_all(
        store,
        """SELECT l.source, s.publisher, s.title_es, s.title_en, s.licence, s.dataflow, s.url,
                  s.homepage, s.caveats_es, s.caveats_en, l.release, l.rows, l.period_start,
                  l.period_end, l.loaded_at, l.source_file, l.load_id,
                  (SELECT count(*) FROM loads x WHERE x.source = l.source) AS releases
           FROM loads l LEFT JOIN sources s USING (source)
           WHERE l.is_latest ORDER BY l.source""",
    )
    names = ("source", "publisher", "title_es", "title_en", "licence", "dataflow", "url",
             "homepage", "caveats_es", "caveats_en", "release", "rows", "period_start",
             "period_end", "loaded_at", "source_file", "load_id", "releases")  # fmt: skip
    out = [dict(zip(names, r, strict=True)) for r in rows]
    for entry in out:
        entry["loaded_at"] = _utc(entry["loaded_at"])
    coverage = fetch_all(
        store,
        """SELECT source, ref_area, freq, min(period), max(period), count(*)
           FROM observations GROUP BY source, ref_area, freq ORDER BY source, ref_area, freq""",
    )
    by_source: dict[str, list[dict[str, Any]]] = {}
    for src, area, freq, first, last, n in coverage:
        by_source.setdefault(src, []).append(
            {"ref_area": area, "freq": freq, "period_start": first, "period_end": last, "rows": n}
        )
    for entry in out:
        entry["coverage"] = by_source.get(entry["source"], [])
    return out


def loads(store: Store, source: str | None = None) -> list[dict[str, Any]]:
    """Every load (release) of every source, newest first: the lineage of each row's load_id."""
    sql = ("SELECT load_id, source, release, source_file, sha256, rows, period_start, period_end, "
           "loaded_at, is_latest FROM loads")
    params: list[Any] = []
    if source is not None:
        sql += " WHERE source = ?"
        params.append(source)
    sql += " ORDER BY source, release DESC, loaded_at DESC"
    names = ("load_id", "source", "release", "source_file", "sha256", "rows", "period_start",
             "period_end", "loaded_at", "is_latest")  # fmt: skip
    out = [dict(zip(names, r, strict=True)) for r in fetch_all(store, sql, params)]
    for entry in out:
        entry["loaded_at"] = _utc(entry["loaded_at"])
    return out


def _utc(moment: datetime) -> datetime:
    """The store keeps load times as naive UTC: say so (RFC 3339 wants an offset)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def freshness(store: Store) -> list[dict[str, Any]]:
    """Who reported what, when: for each CRM country and flow, last period and last release.

    The country is the reporting one (``ref_area``); countries without any data still appear,
    with no flow, so that gaps are visible.
    """
    marks = ", ".join("?" for _ in CRM_MEMBERS)
    rows = fetch_all(
        store,
        f"""SELECT ref_area, flow, freq, max(period) AS last_period, max(release) AS last_release,
                   list(DISTINCT source ORDER BY source) AS sources
            FROM observations WHERE ref_area IN ({marks}) AND value IS NOT NULL
            GROUP BY ref_area, flow, freq ORDER BY ref_area, flow, freq""",  # noqa: S608
        list(CRM_MEMBERS),
    )
    out: list[dict[str, Any]] = []
    seen = set()
    for area, flow, freq, last_period, last_release, srcs in rows:
        seen.add(area)
        out.append({"ref_area": area, "flow": flow, "freq": freq, "last_period": last_period,
                    "last_release": last_release, "sources": list(srcs)})
    for area in CRM_MEMBERS:
        if area not in seen:
            out.append({"ref_area": area, "flow": None, "freq": None, "last_period": None,
                        "last_release": None, "sources": []})
    out.sort(key=lambda r: (r["ref_area"], r["flow"] or "", r["freq"] or ""))
    return out
