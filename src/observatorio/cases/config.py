"""Settings of the cases side that the shared Settings do not carry (env prefix OBSERVATORIO_CASES_)."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from observatorio.cases.errors import Misconfigured
from observatorio.settings import Settings, get_settings


class CasesConfig(BaseSettings):
    """Tunables of authentication, throttling and retention."""

    model_config = SettingsConfigDict(env_prefix="OBSERVATORIO_CASES_", extra="ignore")

    # argon2id defaults follow RFC 9106's second recommended option; tests lower them.
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 65536
    argon2_parallelism: int = 2
    token_ttl_minutes: int = 30
    session_ttl_minutes: int = 480
    # A session (browser or API token) unused for longer than this is refused as expired, within
    # its absolute lifetime above: an officer who walks away from a shared PC does not leave the
    # cases open for hours (auth.principal_of_token; the last use is recorded once a minute).
    session_idle_minutes: int = Field(default=30, gt=0)
    # Brute-force throttling (auth.authenticate): failures in the window before logins are
    # refused. Counted per (username, address) pair, so five wrong passwords sent by someone who
    # knows an officer's username stop that sender only, not the officer at their own address
    # (OWASP authentication cheat sheet: lockout must not become a denial of service).
    max_failures_per_user_ip: int = Field(default=5, gt=0)
    # A username's failures from every address together: much higher than the pair's limit, so
    # only guessing spread over many addresses (at least this / the pair's limit of them) reaches
    # it, and it bounds that guessing. Reaching it refuses the account from every address.
    max_failures_per_user: int = Field(default=50, gt=0)
    # An address's failures over every username (password spraying).
    max_failures_per_ip: int = Field(default=20, gt=0)
    throttle_window_seconds: int = Field(default=900, gt=0)
    retention_days: int = 1825  # five years after closure, then pseudonymise
    secure_cookies: bool = False  # True behind HTTPS in production
    # Published case counts below this are suppressed, with their complements
    # (cases/publication); OBSERVATORIO_CASES_PUBLICATION_THRESHOLD.
    publication_threshold: int = 5
    # A month is published only this many days after it ends (late data entry), so that its
    # numbers need no revision (cases/publication/closing.py, revisions.py).
    publication_closing_days: int = 15

    @model_validator(mode="after")
    def _user_limit_above_pair_limit(self) -> CasesConfig:
        # At or below the pair's limit, the username-wide limit is reached by one sender first:
        # anyone who knows an officer's username could lock the account from every address,
        # which is what counting per (username, address) is for.
        if self.max_failures_per_user <= self.max_failures_per_user_ip:
            raise Misconfigured(key="cases.refusal.throttle_limits", user=self.max_failures_per_user,
                                pair=self.max_failures_per_user_ip)
        return self

    @property
    def session_idle(self) -> dt.timedelta:
        """How long a session may go unused (``session_idle_minutes``)."""
        return dt.timedelta(minutes=self.session_idle_minutes)


#: Shortest signing key accepted: HS256 (tokens) and HMAC-SHA256 (CSRF) need 32 bytes (RFC 7518
#: §3.2); a shorter OBSERVATORIO_SECRET_KEY could be brute-forced offline from one token.
MIN_SECRET_BYTES = 32


def secret_key_for(settings: Settings | None = None, url: str | None = None) -> str:
    """The signing key: OBSERVATORIO_SECRET_KEY, else a random key persisted beside the database."""
    settings = settings or get_settings()
    if settings.secret_key:
        if len(settings.secret_key.encode("utf-8")) < MIN_SECRET_BYTES:
            raise Misconfigured(key="cases.refusal.secret_key_short", minimum=MIN_SECRET_BYTES)
        return settings.secret_key
    url = url or settings.cases_db_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        key_file = Path(parsed.database).with_suffix(".secret")
    else:
        key_file = Path.cwd() / "var" / "cases.secret"
    if key_file.exists():
        return key_file.read_text().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Created 0600 so only the service account can read the key.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
