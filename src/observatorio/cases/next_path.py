"""Where signing in leads: the officer page that sent the officer to the login form (``next``),
e.g. the case a notice e-mail links to, else "my work".

``next`` travels through a URL and a form anyone can forge, so it is an open redirect unless
checked strictly: only a plain relative path of these pages on this server (``/cases/…``), with
no scheme, host, backslash, percent-encoding, dot segment, empty segment or control character in
it, and a query of plain characters and percent-escapes of printable ones. Anything else is
dropped, never repaired: the officer lands on "my work". Landing on a page grants nothing: the
page's own sign-in check and policy still decide what it shows.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlencode

from fastapi import Request

MY_WORK = "/cases/work"
#: A longer ``next`` is not one of these pages' links (they are a few dozen characters).
MAX_LENGTH = 500
#: The path: letters, digits and ``_-./`` only; percent-escapes (``/%2F%2Fevil``), backslashes,
#: ``@``, ``:``, spaces and control characters are refused by their absence here.
_PATH = re.compile(r"/cases/[A-Za-z0-9_./-]*")
#: The query: plain characters and percent-escapes (checked again once decoded).
_QUERY = re.compile(r"(?:[A-Za-z0-9_.~+=&,/-]|%[0-9A-Fa-f]{2})*")
#: Pages that are no landing: the sign-in pages themselves (a loop) and the bearer-token API
#: (downloads, whose last segment has a dot, neither: ``safe_next``).
_NOT_LANDING = ("/cases/login", "/cases/logout", "/cases/api/")
#: Parameters never carried: the language is the sign-in's, and ``next`` does not nest.
_DROPPED = frozenset({"lang", "next"})
#: Pages reached without ``next``: "my work" is where sign-in leads anyway, and the plain list is
#: one link from it (their sign-in redirect stays the bare ``/cases/login``).
HOME = frozenset({MY_WORK, "/cases/"})


def _printable(text: str) -> bool:
    return all(" " <= ch != "\x7f" for ch in text)


def safe_next(raw: str | None) -> str | None:
    """``raw`` as a page of these pages to land on (path and query, ``lang`` and ``next``
    dropped), or None when it is anything else."""
    if not raw or len(raw) > MAX_LENGTH:
        return None
    path, _, query = raw.partition("?")
    if not _PATH.fullmatch(path) or "//" in path:
        return None
    segments = path.split("/")[2:]
    if any(s in (".", "..") for s in segments) or path.startswith(_NOT_LANDING):
        return None
    if "." in segments[-1]:
        # a file, not a page (``/cases/export.csv``): a forged link would make the officer
        # download personal data on signing in, recorded as their own export
        return None
    if not _QUERY.fullmatch(query) or not _printable(unquote(query)):
        return None
    params = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in _DROPPED]
    if not all(_printable(k) and _printable(v) for k, v in params):
        return None
    return f"{path}?{urlencode(params)}" if params else path


def landing(raw: str | None, lang: str) -> str:
    """Where a sign-in in ``lang`` leads: the safe ``next`` or "my work", in that language."""
    target = safe_next(raw) or MY_WORK
    return f"{target}{'&' if '?' in target else '?'}lang={lang}"


def wanted_page(request: Request) -> str | None:
    """The page a request not signed in asked for, to come back to after sign-in: a GET of one
    of these pages other than the home ones (a form sent without a session is not replayed).
    The undecoded path is checked, so an encoded trick is seen as such."""
    if request.method != "GET":
        return None
    raw_path = request.scope.get("raw_path")
    path = raw_path.decode("latin-1") if isinstance(raw_path, bytes) else request.url.path
    query = request.url.query
    wanted = safe_next(f"{path}?{query}" if query else path)
    return None if wanted is None or wanted in HOME else wanted


def login_query(wanted: str | None) -> str:
    """``&next=…`` for a sign-in redirect (empty without a page to come back to)."""
    return f"&{urlencode({'next': wanted})}" if wanted else ""
