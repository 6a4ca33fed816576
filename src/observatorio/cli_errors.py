"""The command line's one mapping from an error's kind to an exit code, and how a command fails.

0 is success; 2 is bad usage (Click's own code for a wrong option). An error of the hierarchy
exits 1, except the cases side's refusals that scripts tell apart (documented in docs/cases.md):
3 authentication failed or throttled, 4 not permitted, 5 no such record (or out of reach).
"""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

from observatorio.errors import ErrorKind, ObservatorioError

EXIT_ERROR = 1  # any other refusal (invalid input, conflict, a store busy or missing)
EXIT_AUTH = 3  # wrong username or password, inactive account, or throttled
EXIT_FORBIDDEN = 4  # the account's roles do not allow the action on this record (403)
EXIT_NOT_FOUND = 5  # no such record, or out of the account's reach (404: not told apart)

#: The exit code of each kind of error: the one table every command exits by.
EXIT_CODES: dict[ErrorKind, int] = {
    ErrorKind.INVALID: EXIT_ERROR,
    ErrorKind.UNPROCESSABLE: EXIT_ERROR,
    ErrorKind.NOT_FOUND: EXIT_NOT_FOUND,
    ErrorKind.NOT_ACCEPTABLE: EXIT_ERROR,
    ErrorKind.CONFLICT: EXIT_ERROR,
    ErrorKind.UNAUTHENTICATED: EXIT_AUTH,
    ErrorKind.FORBIDDEN: EXIT_FORBIDDEN,
    ErrorKind.THROTTLED: EXIT_AUTH,
    ErrorKind.UNAVAILABLE: EXIT_ERROR,
    ErrorKind.MISCONFIGURED: EXIT_ERROR,
    ErrorKind.INTERNAL: EXIT_ERROR,
}

_STDERR = Console(stderr=True)


def exit_code(exc: ObservatorioError) -> int:
    return EXIT_CODES[exc.kind]


def fail(exc: ObservatorioError, lang: str, console: Console | None = None) -> NoReturn:
    """Print the error's message in ``lang`` on stderr and exit with its kind's code."""
    (console or _STDERR).print(exc.message(lang), markup=False, highlight=False)
    raise typer.Exit(exit_code(exc))
