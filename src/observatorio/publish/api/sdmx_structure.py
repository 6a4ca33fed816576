"""SDMX-ML 2.1 structure messages: the data structure (DSD), its concept scheme and codelists,
and the dataflows — what an SDMX client reads before it asks for data.

Everything is derived from the contract and the codelists: the dimensions in key order and the
observation attribute come from :mod:`observatorio.publish.api.sdmx` (itself derived from
``model/contract.py``), each coded component's codelist from ``model/codelists``, with Spanish
and English names (``xml:lang``, Spanish first). ``SOURCE`` and ``TABLE`` have no codelist in
the contract: their codelists are the values in the store (SDMX-safe ids, as in data messages).

Written with the standard library's ElementTree: no dependency beyond Python. The tests check
the messages against the official SDMX-ML 2.1 schema and read them back with pysdmx.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from observatorio.errors import ErrorKind, ObservatorioError
from observatorio.i18n import LANGS, t
from observatorio.model.codelists import get_codelist
from observatorio.publish.api.sdmx import (
    AGENCY,
    ATTRIBUTES,
    DIMENSIONS,
    DSD_ID,
    SDMX_ID,
    TIME_COLUMN,
    VERSION,
    Dimension,
    dataflows,
    sdmx_code,
)

MEDIA_SDMX_ML_STRUCTURE = "application/vnd.sdmx.structure+xml; version=2.1; charset=utf-8"
CONCEPT_SCHEME_ID = "CS_MIGRATION"
MEASURE_COLUMN = "value"

NAMESPACES = {
    "mes": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message",
    "str": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure",
    "com": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common",
}

#: The structure resources of SDMX REST 1.x this API answers (``/sdmx/{kind}/…``).
KINDS: tuple[str, ...] = ("datastructure", "dataflow", "codelist", "conceptscheme")
#: ``references=``: SDMX REST 1.x keywords, or one of KINDS (only related artefacts of that kind).
REFERENCES: tuple[str, ...] = (
    "none", "parents", "parentsandsiblings", "children", "descendants", "all", *KINDS,
)
#: Version keywords that mean "the version there is" (every artefact is 1.0).
VERSION_WORDS = frozenset({"latest", "all", "~", "*"})
ALL = frozenset({"all", "*"})

_URN = "urn:sdmx:org.sdmx.infomodel"
_URN_CLASS = {
    "datastructure": f"{_URN}.datastructure.DataStructure",
    "dataflow": f"{_URN}.datastructure.Dataflow",
    "codelist": f"{_URN}.codelist.Codelist",
    "conceptscheme": f"{_URN}.conceptscheme.ConceptScheme",
}


def urn(kind: str, artefact_id: str) -> str:
    """The SDMX URN of one of our artefacts (``…Codelist=OMR:CL_AREA(1.0)``)."""
    return f"{_URN_CLASS[kind]}={AGENCY}:{artefact_id}({VERSION})"


# -- what the structure holds -----------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """A code (or a dataflow) with its names and descriptions in Spanish and English."""

    id: str
    name: Mapping[str, str]
    description: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CodelistArtefact:
    """One SDMX codelist: ``CL_`` + the contract codelist id (or ``CL_SOURCE`` / ``CL_TABLE``)."""

    id: str
    name: Mapping[str, str]
    codes: tuple[Item, ...]


def codelist_id(component: Dimension) -> str:
    """The SDMX codelist of a component: the contract codelist, else one of store values."""
    return f"CL_{(component.codelist or component.column).upper()}"


def components() -> tuple[Dimension, ...]:
    """Coded components (dimensions, then attributes) in DSD order."""
    return DIMENSIONS + ATTRIBUTES


def _both(key: str, **values: object) -> dict[str, str]:
    return {lang: t(key, lang, **values) for lang in LANGS}


def _contract_codelist(component: Dimension) -> CodelistArtefact:
    assert component.codelist is not None
    cl = get_codelist(component.codelist)
    return CodelistArtefact(
        codelist_id(component), _both(f"sdmx.codelist.{component.codelist}"),
        tuple(Item(c.id, {"es": c.label_es or c.id, "en": c.label_en or c.id},
                   {k: v for k, v in (("es", c.description_es), ("en", c.description_en)) if v})
              for c in cl.codes.values()),
    )


@dataclass(frozen=True)
class StoreCodes:
    """The codes of the dimensions without a contract codelist, as they are in the store."""

    sources: Mapping[str, tuple[str, str]]  # store value → (title_es, title_en)
    tables: Sequence[str | None]  # store values; None: the source has one table


def codelists(store_codes: StoreCodes) -> dict[str, CodelistArtefact]:
    """Every codelist the DSD uses, by SDMX id, in DSD order."""
    out: dict[str, CodelistArtefact] = {}
    for component in components():
        cid = codelist_id(component)
        if cid in out:
            continue  # REF_AREA, CITIZENSHIP and COUNTERPART_AREA share CL_AREA
        if component.codelist is not None:
            out[cid] = _contract_codelist(component)
        elif component.column == "source":
            out[cid] = CodelistArtefact(cid, _both("sdmx.codelist.source"), _unique(
                Item(sdmx_code(value), {"es": es or value, "en": en or value})
                for value, (es, en) in sorted(store_codes.sources.items())))
        elif component.column == "table":
            items = [Item(sdmx_code(None), _both("sdmx.no_table"))]
            items += [Item(sdmx_code(v), {"es": v, "en": v})
                      for v in sorted(v for v in store_codes.tables if v is not None)]
            out[cid] = CodelistArtefact(cid, _both("sdmx.codelist.table"), _unique(items))
        else:  # a new uncoded dimension: its codes are the store's values, like SOURCE's
            raise ValueError(f"no codelist for SDMX component {component.id}")
    return out


def _unique(items: Iterable[Item]) -> tuple[Item, ...]:
    # Two store values can become the same SDMX id: the first keeps it (as in data messages).
    seen: dict[str, Item] = {}
    for item in items:
        seen.setdefault(item.id, item)
    return tuple(seen.values())


def dataflow_items() -> tuple[Item, ...]:
    cl = get_codelist("dataflow")
    return tuple(
        Item(d, {"es": cl.codes[d].label_es, "en": cl.codes[d].label_en},
             {k: v for k, v in (("es", cl.codes[d].description_es),
                                ("en", cl.codes[d].description_en)) if v})
        for d in dataflows()
    )


# -- which artefacts a request asks for ---------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """The artefacts of one structure message."""

    dataflows: tuple[str, ...] = ()
    codelists: tuple[str, ...] = ()
    concept_scheme: bool = False
    datastructure: bool = False


class NotFound(ObservatorioError, LookupError):
    """No artefact matches: the path part at fault, its value and the closest known ids."""

    kind = ErrorKind.NOT_FOUND
    key = "api.not_found"

    def __init__(self, parameter: str, value: str, known: Sequence[str]) -> None:
        self.parameter = parameter
        self.value = value
        self.known = list(known)
        super().__init__(parameter=parameter, value=value)


def select(kind: str, agency: str, resource: str, version: str, references: str,
           known_codelists: Sequence[str]) -> Selection:
    """The artefacts ``/sdmx/{kind}/{agency}/{resource}/{version}?references=`` asks for.

    ``resource`` may list several ids with ``+``; ``all`` (or ``*``) is every artefact of the
    kind, ``latest``/``all``/``~`` any version. NotFound when nothing matches.
    """
    if agency not in ALL and AGENCY not in agency.split("+"):
        raise NotFound("agencyID", agency, [AGENCY])
    if version not in VERSION_WORDS and VERSION not in version.split("+"):
        raise NotFound("version", version, [VERSION, "latest"])
    ids = {
        "datastructure": [DSD_ID],
        "dataflow": list(dataflows()),
        "codelist": list(known_codelists),
        "conceptscheme": [CONCEPT_SCHEME_ID],
    }[kind]
    if resource in ALL:
        wanted = ids
    else:
        asked = resource.split("+")
        wanted = [i for i in asked if i in ids]
        if not wanted:
            raise NotFound("resourceID", resource, ids)
    base = Selection(
        dataflows=tuple(wanted) if kind == "dataflow" else (),
        codelists=tuple(wanted) if kind == "codelist" else (),
        concept_scheme=kind == "conceptscheme",
        datastructure=kind == "datastructure",
    )
    return _with_references(kind, base, references, known_codelists)


def _with_references(kind: str, base: Selection, references: str,
                     known_codelists: Sequence[str]) -> Selection:
    everything = Selection(tuple(dataflows()), tuple(known_codelists), True, True)
    dsd_children = Selection(codelists=tuple(known_codelists), concept_scheme=True)
    dsd_only = Selection(datastructure=True)
    # What is related to each kind: parents use it, children are used by it.
    parents = {"datastructure": Selection(dataflows=everything.dataflows),
               "dataflow": Selection(), "codelist": dsd_only, "conceptscheme": dsd_only}[kind]
    children = {"datastructure": dsd_children, "dataflow": dsd_only,
                "codelist": Selection(), "conceptscheme": Selection()}[kind]
    descendants = _union(children, dsd_children) if kind == "dataflow" else children
    siblings = {"datastructure": Selection(), "dataflow": Selection(),
                "codelist": dsd_children, "conceptscheme": dsd_children}[kind]
    extra = {
        "none": Selection(),
        "parents": parents,
        "parentsandsiblings": _union(parents, siblings),
        "children": children,
        "descendants": descendants,
        "all": _union(parents, descendants),
    }.get(references)
    if extra is None:  # a kind: every related artefact of that kind
        related = _union(_union(parents, siblings), descendants)
        extra = Selection(
            dataflows=related.dataflows if references == "dataflow" else (),
            codelists=related.codelists if references == "codelist" else (),
            concept_scheme=related.concept_scheme and references == "conceptscheme",
            datastructure=related.datastructure and references == "datastructure",
        )
    return _union(base, extra)


def _union(a: Selection, b: Selection) -> Selection:
    return Selection(
        dataflows=tuple(dict.fromkeys(a.dataflows + b.dataflows)),
        codelists=tuple(dict.fromkeys(a.codelists + b.codelists)),
        concept_scheme=a.concept_scheme or b.concept_scheme,
        datastructure=a.datastructure or b.datastructure,
    )


# -- SDMX-ML 2.1 --------------------------------------------------------------------------------


def _el(parent: ET.Element, tag: str, attrib: Mapping[str, str] | None = None,
        text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag, dict(attrib or {}))
    if text is not None:
        element.text = text
    return element


def _texts(parent: ET.Element, tag: str, texts: Mapping[str, str]) -> None:
    for lang in LANGS:  # Spanish first
        if texts.get(lang):
            _el(parent, tag, {"xml:lang": lang}, texts[lang])


def _maintainable(parent: ET.Element, tag: str, kind: str, artefact_id: str,
                  name: Mapping[str, str], **extra: str) -> ET.Element:
    element = _el(parent, tag, {"id": artefact_id, "urn": urn(kind, artefact_id),
                                "agencyID": AGENCY, "version": VERSION, "isFinal": "false",
                                **extra})
    _texts(element, "com:Name", name)
    return element


def _ref(parent: ET.Element, **attrib: str) -> None:
    _el(parent, "Ref", attrib)  # SDMX-ML 2.1 references are unqualified elements


def _concept_ref(parent: ET.Element, concept: str) -> None:
    _ref(_el(parent, "str:ConceptIdentity"), id=concept, maintainableParentID=CONCEPT_SCHEME_ID,
         maintainableParentVersion=VERSION, agencyID=AGENCY, package="conceptscheme",
         **{"class": "Concept"})


def _enumeration(parent: ET.Element, codelist: str) -> None:
    representation = _el(parent, "str:LocalRepresentation")
    _ref(_el(representation, "str:Enumeration"), id=codelist, version=VERSION, agencyID=AGENCY,
         package="codelist", **{"class": "Codelist"})


def _text_format(parent: ET.Element, text_type: str) -> None:
    _el(_el(parent, "str:LocalRepresentation"), "str:TextFormat", {"textType": text_type})


def _datastructure(parent: ET.Element) -> None:
    dsd = _maintainable(parent, "str:DataStructure", "datastructure", DSD_ID, _both("sdmx.dsd"))
    parts = _el(dsd, "str:DataStructureComponents")
    dims = _el(parts, "str:DimensionList", {"id": "DimensionDescriptor"})
    for position, dim in enumerate(DIMENSIONS, start=1):
        element = _el(dims, "str:Dimension", {"id": dim.id, "position": str(position)})
        _concept_ref(element, dim.id)
        _enumeration(element, codelist_id(dim))
    time = SDMX_ID[TIME_COLUMN]
    element = _el(dims, "str:TimeDimension", {"id": time, "position": str(len(DIMENSIONS) + 1)})
    _concept_ref(element, time)
    _text_format(element, "ObservationalTimePeriod")
    measure = SDMX_ID[MEASURE_COLUMN]
    if ATTRIBUTES:
        attrs = _el(parts, "str:AttributeList", {"id": "AttributeDescriptor"})
        for attr in ATTRIBUTES:  # observation attributes (OBS_STATUS): one per observation
            element = _el(attrs, "str:Attribute", {"id": attr.id, "assignmentStatus": "Mandatory"})
            _concept_ref(element, attr.id)
            _enumeration(element, codelist_id(attr))
            _ref(_el(_el(element, "str:AttributeRelationship"), "str:PrimaryMeasure"), id=measure)
    measures = _el(parts, "str:MeasureList", {"id": "MeasureDescriptor"})
    element = _el(measures, "str:PrimaryMeasure", {"id": measure})
    _concept_ref(element, measure)
    _text_format(element, "Double")


def _concept_scheme(parent: ET.Element) -> None:
    scheme = _maintainable(parent, "str:ConceptScheme", "conceptscheme", CONCEPT_SCHEME_ID,
                           _both("sdmx.concept_scheme"))
    columns = [*(d.column for d in DIMENSIONS), TIME_COLUMN, MEASURE_COLUMN,
               *(a.column for a in ATTRIBUTES)]
    for name in columns:
        concept = _el(scheme, "str:Concept", {"id": SDMX_ID[name]})
        _texts(concept, "com:Name", _both(f"sdmx.concept.{name}"))


def _codelist(parent: ET.Element, codelist: CodelistArtefact) -> None:
    element = _maintainable(parent, "str:Codelist", "codelist", codelist.id, codelist.name)
    for code in codelist.codes:
        item = _el(element, "str:Code", {"id": code.id})
        _texts(item, "com:Name", code.name)
        _texts(item, "com:Description", code.description)


def _dataflow(parent: ET.Element, flow: Item) -> None:
    element = _maintainable(parent, "str:Dataflow", "dataflow", flow.id, flow.name)
    _texts(element, "com:Description", flow.description)
    _ref(_el(element, "str:Structure"), id=DSD_ID, version=VERSION, agencyID=AGENCY,
         package="datastructure", **{"class": "DataStructure"})


def structure_message(selection: Selection, all_codelists: Mapping[str, CodelistArtefact],
                      message_id: str, prepared: str) -> bytes:
    """An SDMX-ML 2.1 ``Structure`` message holding the selected artefacts (UTF-8 bytes).

    ``prepared`` is the store version: the same store gives the same bytes.
    """
    root = ET.Element("mes:Structure", {f"xmlns:{p}": uri for p, uri in NAMESPACES.items()})
    header = _el(root, "mes:Header")
    _el(header, "mes:ID", text=message_id)
    _el(header, "mes:Test", text="false")
    _el(header, "mes:Prepared", text=prepared)
    sender = _el(header, "mes:Sender", {"id": AGENCY})
    _texts(sender, "com:Name", _both("sdmx.agency"))
    structures = _el(root, "mes:Structures")
    # The schema's order: Dataflows, Codelists, Concepts, DataStructures.
    if selection.dataflows:
        flows = {f.id: f for f in dataflow_items()}
        parent = _el(structures, "str:Dataflows")
        for flow_id in selection.dataflows:
            _dataflow(parent, flows[flow_id])
    if selection.codelists:
        parent = _el(structures, "str:Codelists")
        for cid in selection.codelists:
            _codelist(parent, all_codelists[cid])
    if selection.concept_scheme:
        _concept_scheme(_el(structures, "str:Concepts"))
    if selection.datastructure:
        _datastructure(_el(structures, "str:DataStructures"))
    ET.indent(root, space=" ")
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body
