"""The portal's reads too particular for the selection builder (store/selection.py): joins of
the latest observations with the loads and sources, children across tables, return pairs seen
from both sides, incidents from their JSON attributes, a source's every row, populations by
municipality (a code in the attributes).

Written once, here, beside the builder: the analysis (analysis/dashboards.py) names what to
read and never writes SQL over the observations itself (tests/store/test_one_sql_builder.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from observatorio.model.contract import FRAME_NAMES
from observatorio.store.duck import Store
from observatorio.store.rows import Row


def source_catalogue(store: Store) -> list[Row]:
    """One row per loaded source: publisher, titles, licence, release, rows, period, caveats.

    ``start_freq``/``end_freq``: the frequency of the first and last period.
    """
    return store.query_rows(
        """SELECT l.source, s.publisher, s.title_es, s.title_en, s.licence, s.dataflow, s.url,
                  s.homepage, s.caveats_es, s.caveats_en, l.release, l.rows, l.period_start,
                  l.period_end, l.loaded_at, l.source_file,
                  (SELECT count(*) FROM loads x WHERE x.source = l.source) AS releases,
                  f.start_freq, f.end_freq
           FROM loads l LEFT JOIN sources s USING (source)
           LEFT JOIN (SELECT source, arg_min(freq, period) AS start_freq,
                             arg_max(freq, period) AS end_freq
                      FROM observations GROUP BY source) f USING (source)
           WHERE l.is_latest ORDER BY l.source"""
    )


def country_reporting(store: Store, iso3: str) -> list[Row]:
    """What a country's own authorities report: by source and flow, first/last period, release.

    ``start_freq``/``end_freq``: the frequency of the first and last period (a yearly figure's
    period is its first day, to be shown as a year, not as January).
    """
    return store.query_rows(
        """SELECT o.source, o.flow, o.unit, min(o.period) AS first_period,
                  max(o.period) AS last_period, count(*) AS rows,
                  arg_min(o.freq, o.period) AS start_freq, arg_max(o.freq, o.period) AS end_freq,
                  any_value(l.release) AS release, any_value(l.loaded_at) AS loaded_at,
                  any_value(s.publisher) AS publisher, any_value(s.title_es) AS title_es,
                  any_value(s.title_en) AS title_en
           FROM observations o JOIN loads l ON l.load_id = o.load_id
           LEFT JOIN sources s ON s.source = o.source
           WHERE o.ref_area = ? AND o.value IS NOT NULL
           GROUP BY o.source, o.flow, o.unit ORDER BY last_period DESC, o.source, o.flow, o.unit""",
        [iso3],
    )


def children(
    store: Store, ages: Sequence[str], encounter_flows: Sequence[str], since: date | None = None
) -> list[Row]:
    """Monthly counts of children (``ages``, or counted as accompanied or not) in every source
    that counts them, one series per table: the least detailed table of each source.

    A series is (source, table, ref_area, flow group, accompaniment, age); the
    ``encounter_flows`` are summed into ``ENCOUNTER``, as CBP publishes them.
    """
    params: list[Any] = [*encounter_flows, *ages, "UNACCOMPANIED", "ACCOMPANIED"]
    age_marks = ", ".join("?" for _ in ages)
    flows = ", ".join("?" for _ in encounter_flows)
    since_sql = ""
    if since is not None:
        since_sql = "AND period >= ?"
        params.append(since)
    return store.query_rows(
        f"""WITH child AS (
              SELECT source, "table", ref_area,
                     CASE WHEN flow IN ({flows}) THEN 'ENCOUNTER' ELSE flow END AS flow,
                     accompaniment, age, unit, period, value
              FROM observations
              WHERE freq = 'M' AND value IS NOT NULL
                AND (age IN ({age_marks}) OR accompaniment IN (?, ?)) {since_sql}),
            tables AS (
              SELECT source, "table", count(*) AS n,
                     row_number() OVER (PARTITION BY source ORDER BY count(*), "table") AS rank
              FROM child GROUP BY source, "table")
            SELECT c.source, c.ref_area, c.flow, c.accompaniment, c.age, c.unit, c.period,
                   sum(c.value) AS value
            FROM child c JOIN tables t
              ON t.source = c.source AND t."table" IS NOT DISTINCT FROM c."table" AND t.rank = 1
            GROUP BY ALL ORDER BY c.source, c.ref_area, c.flow, c.accompaniment, c.age, c.period""",  # noqa: S608
        params,
    )


def return_pairs(store: Store) -> list[Row]:
    """Every (returning country, origin country) pair the store counts, on either side.

    ``executed``/``received``: months the returning country / the origin country reports;
    ``months``: months both report. Pairs counted on both sides first.
    """
    return store.query_rows(
        """WITH executed AS (
             SELECT DISTINCT ref_area AS returning_area, citizenship AS origin, period
             FROM observations WHERE flow = 'RETURN_EXECUTED' AND freq = 'M'
               AND value IS NOT NULL AND length(citizenship) = 3
               AND citizenship NOT LIKE '\\_%' ESCAPE '\\'),
           received AS (
             SELECT DISTINCT counterpart_area AS returning_area, ref_area AS origin, period
             FROM observations WHERE flow = 'RETURN_RECEIVED' AND freq = 'M'
               AND value IS NOT NULL AND length(counterpart_area) = 3
               AND counterpart_area NOT LIKE '\\_%' ESCAPE '\\')
           SELECT returning_area AS "returning", origin,
                  count(*) FILTER (WHERE e.period IS NOT NULL) AS executed,
                  count(*) FILTER (WHERE r.period IS NOT NULL) AS received,
                  count(*) FILTER (WHERE e.period IS NOT NULL AND r.period IS NOT NULL) AS months
           FROM executed e FULL JOIN received r USING (returning_area, origin, period)
           GROUP BY ALL ORDER BY months DESC, executed + received DESC, origin, returning_area"""
    )


def deaths_incidents(store: Store, source: str) -> list[Row]:
    """Dead and missing migrants in the Americas counted by a Missing Migrants ``source``: one
    row per place, route, cause, year, flow (the Americas: incidents west of 30°W); columns
    year, route, cause, lon, lat, flow, value.
    """
    return store.query_rows(
        # Each row's JSON attributes parsed once for the five fields (one ``->>`` per field
        # parsed them five times: the page's first build held ~12 MB more, 20,000 rows).
        """WITH parsed AS (
             SELECT year(period) AS year, flow, value,
                    json_extract_string(attributes, ['$.route', '$.cause', '$.cause_of_death',
                                                     '$.lon', '$.lat']) AS a
             FROM observations
             WHERE source = ? AND flow IN ('DEAD', 'MISSING', 'DEAD_OR_MISSING')
               AND value IS NOT NULL),
           incidents AS (
             SELECT year,
                    coalesce(nullif(trim(a[1]), ''), '_U') AS route,
                    coalesce(nullif(trim(coalesce(a[2], a[3])), ''), '_U') AS cause,
                    TRY_CAST(a[4] AS DOUBLE) AS lon,
                    TRY_CAST(a[5] AS DOUBLE) AS lat,
                    flow, value
             FROM parsed)
           SELECT year, route, cause, round(lon, 2) AS lon, round(lat, 2) AS lat, flow,
                  sum(value) AS value
           FROM incidents
           WHERE lon BETWEEN -170 AND -30 AND lat BETWEEN -60 AND 75 AND value > 0
           GROUP BY ALL ORDER BY year, route, cause, lon, lat, flow""",
        [source],
    )


#: Rows per batch of :func:`source_observations`.
OBSERVATION_BATCH = 5_000


def source_observations(store: Store, source: str, batch: int = OBSERVATION_BATCH) -> Iterator[list[Row]]:
    """Every observation of a source's latest release, contract columns and attributes, in
    batches of rows (in the release's own order).

    Batches, not one list: a source holds up to ~200,000 rows, which as dicts would take a
    server worker ~400 MB (its download is written batch by batch).
    """
    columns = ", ".join(f'"{c}"' for c in FRAME_NAMES)
    cursor = store.con.execute(
        f"SELECT {columns} FROM observations WHERE source = ? "  # noqa: S608
        "ORDER BY source_row NULLS LAST, period",
        [source],
    )
    names = [d[0] for d in cursor.description or ()]
    while chunk := cursor.fetchmany(batch):
        yield [dict(zip(names, values, strict=True)) for values in chunk]


def source_span(store: Store, source: str) -> tuple[date, date] | None:
    """The first and last period of a source's latest release (None: not loaded, or no period)."""
    rows = store.query_rows(
        "SELECT period_start, period_end FROM loads WHERE is_latest AND source = ?", [source])
    if not rows or rows[0]["period_start"] is None or rows[0]["period_end"] is None:
        return None
    return rows[0]["period_start"], rows[0]["period_end"]


def municipal_population(store: Store) -> list[Row]:
    """The newest population of every municipality, any source: ``POPULATION`` rows whose
    attributes name the municipality's code (``{"municipality": "0501"}``; a municipality code
    is not an ISO area code). Columns: municipality, value."""
    return store.query_rows(
        """SELECT json_extract_string(attributes, '$.municipality') AS municipality,
                  arg_max(value, period) AS value FROM observations
           WHERE flow = 'POPULATION' AND value IS NOT NULL
             AND json_extract_string(attributes, '$.municipality') IS NOT NULL
           GROUP BY 1"""
    )


def source_refs(store: Store, sources: Sequence[str]) -> list[Row]:
    """Publisher, titles and latest release of the given sources (those loaded)."""
    if not sources:
        return []
    marks = ", ".join("?" for _ in sources)
    return store.query_rows(
        f"""SELECT l.source, s.publisher, s.title_es, s.title_en, l.release
            FROM loads l LEFT JOIN sources s USING (source)
            WHERE l.is_latest AND l.source IN ({marks})
            ORDER BY l.source""",  # noqa: S608
        list(sources),
    )
