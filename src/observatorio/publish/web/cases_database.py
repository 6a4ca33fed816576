"""Whether the application database is surely not there, told without loading the cases side.

Portal pages read a little of the application database when the server has the cases side
(practice links under a country profile, the providers' names on the calendar). cases/db.py's
``database_exists`` tells it, but importing it loads SQLAlchemy and the models (the package
``observatorio.cases`` does): a worker serving a deployment without that database would load the
cases side for nothing on its first country page (publish/api/cases_side.py). This reads the URL
the way SQLAlchemy does for the one case that matters, a SQLite file, and leaves every other
case to ``database_exists``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote


def surely_absent(url: str) -> bool:
    """``not database_exists(url)`` for a SQLite URL (no file named, or not there); False for
    anything else: a server's URL, a URL this does not read."""
    scheme, found, rest = url.partition("://")
    if not found or scheme.split("+")[0] != "sqlite":
        return False
    database = rest.partition("/")[2]  # after the host, which SQLite has no use for
    database = unquote(database.split("?", 1)[0])
    return not (database and Path(database).is_file())
