"""DDL of the statistics store: every release in ``observations_history``, the latest in the
``observations`` view, one row per load in ``loads``, source metadata in ``sources``.

The view reads ``observations_latest``, a copy of the latest release's rows kept by the store in
the transaction of every load (``Store._refresh_latest``), so that it is never stale nor half
written. Its rows are sorted by ``LATEST_ORDER`` (model/dimensions.py) within each source:
DuckDB's zonemaps then skip most of a source's row groups for a country, and the API's
in-memory columns (store/memory.py) read them back in that order."""

from __future__ import annotations

from observatorio.model.contract import STORE_COLUMNS

SCHEMA_VERSION = 1

#: Columns of ``load_warnings`` (one row per warning of a load; ``details`` is canonical JSON of
#: the rule's placeholders, the messages are the rendered Spanish and English sentences).
LOAD_WARNING_COLUMNS: tuple[str, ...] = (
    "load_id", "seq", "rule", "source_row", "source_column", "source_value", "details",
    "message_es", "message_en",
)


def _history_columns() -> str:
    return ",\n  ".join(f'"{c.name}" {c.sql_type}' for c in STORE_COLUMNS)


#: store_meta key saying ``observations_latest`` is kept up to date; its value is the
#: ``ddl_sha256`` of the schema that keeps it (another schema may have left it stale).
LATEST_TABLE_KEY = "latest_table_ddl"


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
    # Warnings found while validating a loaded file (harmonize/problems.py): findings that never
    # block a load, kept with its lineage and written in the load's own transaction.
    """CREATE TABLE IF NOT EXISTS load_warnings (
  load_id VARCHAR NOT NULL,
  seq INTEGER NOT NULL,
  rule VARCHAR NOT NULL,
  source_row BIGINT,
  source_column VARCHAR,
  source_value VARCHAR,
  details VARCHAR NOT NULL,
  message_es VARCHAR NOT NULL,
  message_en VARCHAR NOT NULL,
  PRIMARY KEY (load_id, seq)
)""",
    # The rows of the one load per source marked latest, materialised (see the module doc).
    f"""CREATE TABLE IF NOT EXISTS observations_latest (
  {_history_columns()}
)""",
    """CREATE OR REPLACE VIEW observations AS
SELECT * FROM observations_latest""",
    # `observatorio refresh` (refresh/): per source, the last attempt and the validators to send
    # next time; per loaded release, what changed against the previous one; per API load, the
    # request behind each range of rows (lineage of API sources).
    """CREATE TABLE IF NOT EXISTS refresh_state (
  source VARCHAR PRIMARY KEY,
  url VARCHAR,
  etag VARCHAR,
  last_modified VARCHAR,
  attempted_at TIMESTAMP NOT NULL,
  result VARCHAR NOT NULL,
  message_es VARCHAR,
  message_en VARCHAR,
  succeeded_at TIMESTAMP,
  load_id VARCHAR
)""",
    """CREATE TABLE IF NOT EXISTS release_changes (
  load_id VARCHAR PRIMARY KEY,
  source VARCHAR NOT NULL,
  previous_load_id VARCHAR,
  new_periods DATE[] NOT NULL,
  added BIGINT NOT NULL,
  revised BIGINT NOT NULL,
  gone BIGINT NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS release_change_cells (
  load_id VARCHAR NOT NULL,
  change VARCHAR NOT NULL,
  cell VARCHAR NOT NULL,
  old_value DOUBLE,
  new_value DOUBLE
)""",
    """CREATE TABLE IF NOT EXISTS load_requests (
  load_id VARCHAR NOT NULL,
  first_row BIGINT NOT NULL,
  last_row BIGINT NOT NULL,
  url VARCHAR NOT NULL
)""",
)
