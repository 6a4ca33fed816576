"""Read a documented JSON API page by page into the table its adapter reads.

The pages become one CSV with the adapter's own column names (``columns`` of the declaration),
written in the order the API gave, so the same answers always make the same bytes (and the same
checksum: an unchanged API loads nothing). Which request produced which rows is kept as lineage
(``load_requests``): rows are numbered as the CSV reader numbers them (header = row 1).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

from observatorio.sources.discovery import ApiSpec, dig
from observatorio.sources.fetching import Client, DownloadFailed


@dataclass(frozen=True)
class Request:
    """One API request and the rows of the assembled file its answer became."""

    url: str
    first_row: int
    last_row: int


@dataclass(frozen=True)
class ApiTable:
    path: Path
    requests: tuple[Request, ...]
    updated: date | None  # the publisher's own update date, when the API gives one


def fetch_api_table(client: Client, spec: ApiSpec, target: Path) -> ApiTable:
    """Every page of the API as one CSV at ``target`` (written whole, then renamed)."""
    requests: list[Request] = []
    updated: date | None = None
    part = target.with_name(f".{target.name}.part")
    row = 1  # the header
    with part.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(list(spec.columns))
        page, pages = 1, 1
        while page <= pages:
            params = {**spec.params, spec.paging.page_param: str(page)}
            answer = client.get_json(spec.url, params)
            items = dig(answer, spec.paging.items)
            if not isinstance(items, list):
                raise DownloadFailed("error.download_html", url=_address(spec.url, params),
                                     content_type="JSON without a list at " + spec.paging.items)
            pages = _page_count(answer, spec, params)
            if page == 1 and spec.paging.updated:
                updated = _as_date(dig(answer, spec.paging.updated))
            for item in items:
                writer.writerow([_cell(dig(item, path)) for path in spec.columns.values()])
            if items:
                requests.append(Request(_address(spec.url, params), row + 1, row + len(items)))
            row += len(items)
            page += 1
    part.replace(target)
    return ApiTable(target, tuple(requests), updated)


def _page_count(answer: object, spec: ApiSpec, params: dict[str, str]) -> int:
    value = dig(answer, spec.paging.pages)
    try:
        pages = int(value) if value is not None else 1
    except (TypeError, ValueError):
        pages = 1
    if pages > spec.max_pages:
        raise DownloadFailed("error.api_pages", url=_address(spec.url, params), pages=pages,
                             limit=spec.max_pages)
    return pages


def _address(url: str, params: dict[str, str]) -> str:
    return f"{url}?{urlencode(params)}"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _as_date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
