"""The bulletin's HTML printed to a tagged PDF by WeasyPrint (vector charts, real text).

WeasyPrint needs the Pango libraries of the system (Debian: libpango-1.0-0,
libpangoft2-1.0-0; ``scripts/install-system-deps.sh`` installs them); without them the
bulletin fails with a bilingual message saying so, before anything is written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from observatorio.report.options import RendererMissing

EPSILON = 0.5  # CSS px: rounding of layout positions


def _weasyprint() -> Any:
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: Pango missing (cffi cannot load it)
        raise RendererMissing(reason=str(exc).splitlines()[0]) from None
    return weasyprint


def layout(html: str) -> Any:
    """The laid-out document (pages and their boxes)."""
    return _weasyprint().HTML(string=html).render()


def write_pdf(document: Any) -> bytes:
    """PDF bytes: tagged (structure tree, for screen readers) with language and title set.

    The same document gives the same bytes but for the creation date in its metadata.
    """
    data: bytes = document.write_pdf(pdf_tags=True, pdf_identifier=b"observatorio-bulletin",
                                     finisher=stable_structure_ids)
    return data


def stable_structure_ids(_document: Any, pdf: Any) -> None:
    """Number the tagged tables' header ids in document order.

    WeasyPrint names a header cell's structure element by the cell box's ``id()`` (a memory
    address), so two prints of the same page differ; the ids only pair header cells with the
    ``/Headers`` of data cells, which any consistent naming keeps.
    """
    import pydyf

    names: dict[str, str] = {}

    def stable(value: Any) -> Any:
        if isinstance(value, pydyf.String):
            return pydyf.String(names.setdefault(str(value.string), f"h{len(names) + 1}"))
        return value

    def walk(item: Any) -> None:
        if isinstance(item, pydyf.Dictionary):
            for key, value in item.items():
                if key == "ID":
                    item[key] = stable(value)
                elif key == "Headers" and isinstance(value, pydyf.Array):
                    item[key] = pydyf.Array(stable(v) for v in value)
                else:
                    walk(value)
        elif isinstance(item, pydyf.Array):
            for value in item:
                walk(value)

    for item in pdf.objects:
        walk(item)


def render_pdf(html: str) -> bytes:
    return write_pdf(layout(html))


def overflowing_boxes(document: Any) -> list[str]:
    """Boxes drawn outside their page's content area (page margins keep the running titles and
    page numbers only): ``page N: <tag> text…`` per box, empty when everything fits."""
    found: list[str] = []
    for number, page in enumerate(document.pages, start=1):
        root = page._page_box  # noqa: SLF001 — WeasyPrint keeps the laid-out tree here
        left, top = root.content_box_x(), root.content_box_y()
        right, bottom = left + root.width, top + root.height
        for child in root.children:
            if type(child).__name__ == "MarginBox":
                continue
            for box in _descendants(child):
                x, y = box.border_box_x(), box.border_box_y()
                width, height = box.border_width(), box.border_height()
                if (x < left - EPSILON or y < top - EPSILON or x + width > right + EPSILON
                        or y + height > bottom + EPSILON):
                    found.append(f"page {number}: {_describe(box)}")
    return found


def _descendants(box: Any) -> Any:
    yield box
    for child in getattr(box, "children", ()) or ():
        yield from _descendants(child)


def _describe(box: Any) -> str:
    tag = getattr(box, "element_tag", "") or type(box).__name__
    text = getattr(box, "text", "") or ""
    return f"<{tag}> {text[:40]}".strip()


def creation_stamp() -> datetime:
    from datetime import UTC

    return datetime.now(UTC).replace(microsecond=0)
