"""DDL of the statistics store: every release in ``observations_history``, the latest in the
``observations`` view, one row per load in ``loads``, source metadata in ``sources``."""

from __future__ import annotations

from observatorio.model.contract import STORE_COLUMNS

SCHEMA_VERSION = 1


def _history_columns() -> str:
    return ",\n  ".join(f'"{c.name}" {c.sql_type}' for c in STORE_COLUMNS)


DDL: tuple[str, ...] = (
    f"""CREATE TABLE IF NOT EXISTS observations_history (
  {_history_columns()}
)""",
    """CREATE TABLE IF NOT EXISTS loads (
  load_id VARCHAR PRIMARY KEY,
  source VARCHAR NOT NULL,
  release DATE NOT NULL,
  source_file VARCHAR NOT NULL,
  sha256 VARCHAR NOT NULL,
  rows BIGINT NOT NULL,
  period_start DATE,
  period_end DATE,
  loaded_at TIMESTAMP NOT NULL,
  is_latest BOOLEAN NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS sources (
  source VARCHAR PRIMARY KEY,
  publisher VARCHAR,
  title_es VARCHAR,
  title_en VARCHAR,
  licence VARCHAR,
  dataflow VARCHAR,
  url VARCHAR,
  homepage VARCHAR,
  caveats_es VARCHAR[],
  caveats_en VARCHAR[]
)""",
    """CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR PRIMARY KEY, value VARCHAR)""",
    # The latest release of every source: rows of the one load per source marked latest.
    """CREATE OR REPLACE VIEW observations AS
SELECT h.*
FROM observations_history h
WHERE h.load_id IN (SELECT load_id FROM loads WHERE is_latest)""",
)
