"""Runtime settings, read from the environment (prefix OBSERVATORIO_) with sensible defaults."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

#: Root of the repository checkout or installed package data; the bundled data live in ``data/``.
PACKAGE_DIR = Path(__file__).resolve().parent


def _default_data_dir() -> Path:
    # A source checkout keeps the published files in <repo>/data; fall back to the package folder.
    repo_data = PACKAGE_DIR.parent.parent / "data"
    return repo_data if repo_data.is_dir() else PACKAGE_DIR / "data"


def _default_var_dir() -> Path:
    # A source checkout keeps its stores in <repo>/var (git-ignored); an installed package uses
    # the user's data folder, so running from another directory never scatters stores around.
    repo = PACKAGE_DIR.parent.parent
    if (repo / "pyproject.toml").is_file():
        return repo / "var"
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "observatorio"


class Settings(BaseSettings):
    """Where the stores and bundled data live, and the portal's defaults."""

    model_config = SettingsConfigDict(env_prefix="OBSERVATORIO_", extra="ignore")

    db: Path | None = None  # statistics store (DuckDB file); OBSERVATORIO_DB
    data_dir: Path | None = None  # bundled published files; OBSERVATORIO_DATA_DIR
    cases_db: str | None = None  # SQLAlchemy URL of the cases store; OBSERVATORIO_CASES_DB
    # False: a statistics-only server (API, SDMX, portal): no cases, submissions, directory or
    # practices routes, and the cases side is never imported (≈ 25 MB less per server process,
    # docs/benchmarks.md). OBSERVATORIO_CASES_WEB
    cases_web: bool = True
    secret_key: str | None = None  # signs tokens and cookies; OBSERVATORIO_SECRET_KEY
    lang: str = "es"  # default language of messages; OBSERVATORIO_LANG
    # Most rows of latest releases an API process keeps in memory to answer small questions
    # without planning SQL (store/memory.py; ~50 bytes a row); 0 sends every question to
    # DuckDB. OBSERVATORIO_API_MEMORY_ROWS
    api_memory_rows: int = 5_000_000
    # Reverse proxies whose X-Forwarded-For is believed (comma-separated addresses or networks);
    # none by default, so the TCP peer is the client that throttling and the audit see.
    # OBSERVATORIO_FORWARDED_ALLOW_IPS
    forwarded_allow_ips: str = ""
    # `observatorio refresh` (docs/refresh.md): politeness towards publishers' servers, and a
    # discovery file whose declarations replace the built-in ones (a mirror, a test server).
    refresh_timeout_s: float = 60.0  # OBSERVATORIO_REFRESH_TIMEOUT_S
    refresh_retries: int = 3  # OBSERVATORIO_REFRESH_RETRIES
    refresh_backoff_s: float = 5.0  # first pause between tries, doubled each time
    refresh_max_mb: int = 512  # OBSERVATORIO_REFRESH_MAX_MB: larger answers are refused
    discovery_file: Path | None = None  # OBSERVATORIO_DISCOVERY_FILE
    # Failure alerts by e-mail (SMTP); no host or no recipient: no e-mail.
    smtp_host: str | None = None  # OBSERVATORIO_SMTP_HOST
    smtp_port: int = 587  # OBSERVATORIO_SMTP_PORT
    smtp_starttls: bool = True  # OBSERVATORIO_SMTP_STARTTLS
    smtp_user: str | None = None  # OBSERVATORIO_SMTP_USER
    smtp_password: str | None = None  # OBSERVATORIO_SMTP_PASSWORD
    smtp_from: str = "observatorio@localhost"  # OBSERVATORIO_SMTP_FROM
    alert_to: str | None = None  # OBSERVATORIO_ALERT_TO: comma-separated addresses
    bulletins_dir: Path | None = None  # archive of issued bulletins; OBSERVATORIO_BULLETINS_DIR
    # Longest a bulletin produced on request (Publications page) may take: its child process is
    # then stopped and the request answers 503 (report/producer.py).
    # OBSERVATORIO_BULLETIN_TIMEOUT_S
    bulletin_timeout_s: float = 120.0
    # A folder of user mapping files registered after the built-in ones; OBSERVATORIO_MAPPINGS
    mappings: Path | None = None
    # Size of the API's response cache for public reads; 0 turns it off (tests of the query
    # path). OBSERVATORIO_API_CACHE_MB
    api_cache_mb: int = 96
    # DuckDB in a server process (docs/benchmarks.md, "Memory"): the most its buffer pool and
    # queries may hold (larger work spills to disk or is refused, never grows the process), and
    # its threads (many small concurrent queries: parallelism inside one only adds contention).
    # OBSERVATORIO_DUCKDB_MEMORY_MB, OBSERVATORIO_DUCKDB_THREADS
    duckdb_memory_mb: int = 256
    duckdb_threads: int = 1
    # glibc malloc arenas of a server process (each request thread may otherwise get a heap of
    # its own, 8 per core, that keeps its peak); 0 leaves glibc's default, which measured flat
    # under 200 uncached connections already (docs/benchmarks.md). OBSERVATORIO_MALLOC_ARENAS
    malloc_arenas: int = 0
    # Password for `observatorio cases … --as USER` without a prompt (scripts, tests);
    # OBSERVATORIO_CASES_PASSWORD
    cases_password: str | None = None

    @property
    def db_path(self) -> Path:
        return self.db or _default_var_dir() / "observatorio.duckdb"

    @property
    def data_path(self) -> Path:
        return self.data_dir or _default_data_dir()

    @property
    def bulletins_path(self) -> Path:
        return self.bulletins_dir or _default_var_dir() / "bulletins"

    @property
    def cases_db_url(self) -> str:
        return self.cases_db or f"sqlite:///{_default_var_dir() / 'cases.sqlite'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests build their own ``Settings``)."""
    return Settings()


def fresh_settings() -> Settings:
    """The settings as the environment says now (uncached): for values read once, at the moment
    they are needed (a password, a mappings folder), so a changed environment is always seen."""
    return Settings()


def env_name(field: str) -> str:
    """The environment variable a setting is read from (``db`` → ``OBSERVATORIO_DB``)."""
    if field not in Settings.model_fields:
        raise KeyError(field)
    return f"{Settings.model_config.get('env_prefix', '')}{field}".upper()


def environment_for_new_interpreter(path_first: str | None = None) -> dict[str, str]:
    """This process's environment for a new interpreter (``serve`` execs one:
    publish/server_process.py), with ``path_first`` before the ``PYTHONPATH`` entries if given."""
    env = dict(os.environ)
    if path_first:
        listed = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        env["PYTHONPATH"] = os.pathsep.join([path_first, *listed])
    return env


def pass_to_child_processes(**values: object) -> None:
    """Put settings into this process's environment, so that worker processes (uvicorn's, which
    build the app from the environment) see them; the cached settings are dropped."""
    for field, value in values.items():
        os.environ[env_name(field)] = str(value)
    get_settings.cache_clear()
