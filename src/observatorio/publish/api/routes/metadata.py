"""Metadata routes: sources, loads (lineage), freshness, codelists and the glossary."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from observatorio.api_texts import api_text
from observatorio.harmonize.glossary import load_glossary
from observatorio.i18n import normalize_lang
from observatorio.model.codelists import CODELIST_IDS, get_codelist
from observatorio.publish.api.errors import ERROR_RESPONSES, ApiError
from observatorio.publish.api.params import StrictRoute
from observatorio.publish.api.schemas import (
    CodelistOut,
    CodelistRef,
    FreshnessRow,
    GlossaryEntry,
    Lang,
    LoadOut,
    SourceFreshnessRow,
    SourceOut,
)
from observatorio.publish.api.store_access import StoreDep
from observatorio.store import metadata as store_metadata
from observatorio.store.catalogue import StoreCatalogue, closest_texts

router = APIRouter(prefix="/api/v1", tags=["metadata"], route_class=StrictRoute,
                   responses=ERROR_RESPONSES)

LangQ = Annotated[Lang, Query(description=api_text("api.doc.param.lang_labels"))]


@router.get("/sources", response_model=list[SourceOut],
            summary=api_text("api.doc.metadata.sources.summary"),
            description=api_text("api.doc.metadata.sources.description"))
def sources(handle: StoreDep, lang: LangQ = "es") -> list[dict[str, Any]]:
    """Publisher, licence, latest release, coverage by country and period, and load time."""
    lang = normalize_lang(lang)
    out = []
    for entry in store_metadata.sources(handle.store):
        caveats = entry.pop("caveats_es" if lang == "es" else "caveats_en") or []
        entry.pop("caveats_en" if lang == "es" else "caveats_es", None)
        entry["caveats"] = list(caveats)
        entry["title"] = entry["title_es"] if lang == "es" else entry["title_en"]
        out.append(entry)
    return out


@router.get("/loads", response_model=list[LoadOut],
            summary=api_text("api.doc.metadata.loads.summary"),
            description=api_text("api.doc.metadata.loads.description"))
def loads(
    handle: StoreDep,
    source: Annotated[str | None, Query(description=api_text("api.doc.param.source"))] = None,
) -> list[dict[str, Any]]:
    """Each row's ``load_id`` leads here: file name, checksum, release and load time."""
    if source is not None:
        StoreCatalogue.of(handle.store).check_code("source", source)
    return store_metadata.loads(handle.store, source)


@router.get("/freshness", response_model=list[FreshnessRow],
            summary=api_text("api.doc.metadata.freshness.summary"),
            description=api_text("api.doc.metadata.freshness.description"))
def freshness(handle: StoreDep, lang: LangQ = "es") -> list[dict[str, Any]]:
    """For each CRM country and flow: the last period available and the last release."""
    lang = normalize_lang(lang)
    area, flows = get_codelist("area"), get_codelist("flow")
    return [
        {**row, "country": area.label(row["ref_area"], lang),
         "flow_label": flows.label(row["flow"], lang) if row["flow"] else None}
        for row in store_metadata.freshness(handle.store)
    ]


@router.get("/freshness/sources", response_model=list[SourceFreshnessRow],
            summary=api_text("api.doc.metadata.source_freshness.summary"),
            description=api_text("api.doc.metadata.source_freshness.description"))
def source_freshness(handle: StoreDep, lang: LangQ = "es") -> list[dict[str, Any]]:
    """Per source: latest release, last refresh attempt and its result, next expected release."""
    from observatorio.refresh.freshness import source_freshness as rows

    lang = normalize_lang(lang)
    out = []
    for row in rows(handle.store):
        row["message"] = row.pop("message_es" if lang == "es" else "message_en")
        row.pop("message_en" if lang == "es" else "message_es")
        out.append(row)
    return out


@router.get("/codelists", response_model=list[CodelistRef], summary=api_text("api.doc.metadata.codelists.summary"),
            description=api_text("api.doc.metadata.codelists.description"))
def codelists() -> list[dict[str, str]]:
    """The codelists of the harmonized model."""
    return [{"id": c, "url": f"/api/v1/codelists/{c}"} for c in CODELIST_IDS]


@router.get("/codelists/{codelist_id}", response_model=CodelistOut,
            responses={404: {"model": ERROR_RESPONSES[400]["model"]}},
            summary=api_text("api.doc.metadata.codelist.summary"),
            description=api_text("api.doc.metadata.codelist.description"))
def codelist(
    codelist_id: Annotated[str, Path(description=api_text("api.doc.param.codelist_id"))],
    lang: LangQ = "es",
) -> dict[str, Any]:
    """Codes with Spanish and English labels (``label`` in the requested language)."""
    lang = normalize_lang(lang)
    if codelist_id not in CODELIST_IDS:
        closest = closest_texts(codelist_id, list(CODELIST_IDS))
        raise ApiError(404, "not_found", "codelist_id", "api.not_found", closest,
                       value=codelist_id)
    cl = get_codelist(codelist_id)
    codes = [
        {"id": c.id, "label": c.label(lang), "description": c.description(lang),
         "label_es": c.label_es, "label_en": c.label_en}
        for c in cl.codes.values()
    ]
    return {"id": cl.id, "lang": lang, "codes": codes}


@router.get("/glossary", response_model=list[GlossaryEntry],
            summary=api_text("api.doc.metadata.glossary.summary"),
            description=api_text("api.doc.metadata.glossary.description"))
def glossary(lang: LangQ = "es") -> list[dict[str, Any]]:
    """What each national term (deportado, retornado, evento, encounter…) means and counts."""
    lang = normalize_lang(lang)
    flows, units = get_codelist("flow"), get_codelist("unit")
    return [
        {"term": g.term, "term_lang": g.lang, "countries": list(g.countries), "flow": g.flow,
         "flow_label": flows.label(g.flow, lang), "unit": g.unit,
         "unit_label": units.label(g.unit, lang), "definition": g.definition(lang),
         "note": g.note(lang), "definition_es": g.definition_es,
         "definition_en": g.definition_en, "note_es": g.note_es, "note_en": g.note_en}
        for g in load_glossary()
    ]
