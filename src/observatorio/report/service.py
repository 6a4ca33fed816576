"""Produce a bulletin in one format: what the command line and the portal both call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from observatorio.report import archive
from observatorio.report.build import build_bulletin
from observatorio.report.markup import render_html
from observatorio.report.model import Bulletin
from observatorio.report.options import MEDIA_TYPES, BulletinOptions
from observatorio.settings import Settings
from observatorio.store.duck import Store


@dataclass(frozen=True)
class Produced:
    bulletin: Bulletin
    data: bytes
    fmt: str

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.fmt]

    @property
    def filename(self) -> str:
        return f"{self.bulletin.slug}.{self.fmt}"


def produce(store: Store, settings: Settings, options: BulletinOptions,
            created: datetime | None = None) -> Produced:
    """The bulletin's bytes in ``options.fmt``; the previous issued bulletin of the same kind
    (in the archive) is what "revised since the last bulletin" compares with."""
    previous = archive.previous_releases(settings.bulletins_path, options.scope, options.iso3,
                                         f"{options.period:%Y-%m}")
    bulletin = build_bulletin(store, settings, options, previous)
    return Produced(bulletin, render(bulletin, options.fmt, created), options.fmt)


def render(bulletin: Bulletin, fmt: str, created: datetime | None = None) -> bytes:
    if fmt == "xlsx":
        from observatorio.report.xlsx import render_xlsx

        return render_xlsx(bulletin)
    html = render_html(bulletin, created)
    if fmt == "html":
        return html.encode()
    from observatorio.report.pdf import render_pdf

    return render_pdf(html)
