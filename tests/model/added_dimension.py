"""Run in a fresh interpreter by test_dimensions.py: install a fixture contract that adds one
dimension, then report what the API, OpenAPI, SDMX structure, portal and CSV say about it.

The fixture contract is the real ``model/contract.py`` with one more line (a ``destination``
dimension coded by the ``area`` codelist, default ``_Z``) and the fixture's label of the new
concept in the message catalogue: nothing else is edited.

    python tests/model/added_dimension.py WORKDIR CBP_CSV   → JSON on stdout
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import sys
from datetime import date
from pathlib import Path

ADDED = '    Column("destination", "VARCHAR", "area", key=True, default="_Z"),\n'
AFTER = '    Column("unit", "VARCHAR", "unit", key=True),\n'


def install_fixture_contract(workdir: Path) -> None:
    """Import the contract with the added dimension as ``observatorio.model.contract``."""
    real = importlib.util.find_spec("observatorio.model.contract")
    assert real is not None and real.origin is not None
    text = Path(real.origin).read_text(encoding="utf-8")
    assert text.count(AFTER) == 1, "the fixture inserts its line after the unit column"
    fixture = workdir / "contract_with_destination.py"
    fixture.write_text(text.replace(AFTER, AFTER + ADDED), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("observatorio.model.contract", fixture)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["observatorio.model.contract"] = module
    spec.loader.exec_module(module)


def main(workdir: Path, cbp_csv: Path) -> dict[str, object]:
    install_fixture_contract(workdir)
    from fastapi.testclient import TestClient

    from observatorio.i18n import catalogue
    from observatorio.loading import harmonize_file
    from observatorio.publish.api.app import create_app
    from observatorio.settings import Settings
    from observatorio.sources.base import get_adapter
    from observatorio.store import Store

    catalogue()["sdmx.concept.destination"] = {"es": "Destino", "en": "Destination"}
    db = workdir / "store.duckdb"
    adapter = get_adapter("cbp_sw_land_border_encounters")
    frame, problems, _ = harmonize_file(adapter, cbp_csv)
    assert not problems, problems
    defaulted = sorted(set(frame["destination"]))
    # A second source that breaks the new dimension down.
    detail = frame.head(6).copy()
    detail["source"] = "fixture_destinations"
    detail["destination"] = ["GTM", "GTM", "HND", "HND", "MEX", "MEX"]
    with Store.open(db) as store:
        store.load_frame(frame, source=adapter.info.id, release=date(2024, 1, 1),
                         source_file=cbp_csv.name, sha256="a" * 64)
        store.load_frame(detail, source="fixture_destinations", release=date(2024, 1, 1),
                         source_file="destinations.csv", sha256="b" * 64)
    mapping = mapped_dimension(workdir)
    with TestClient(create_app(Settings(db=db))) as client:
        openapi = client.get("/api/openapi.json").json()
        parameters = {
            path: [p["name"] for p in openapi["paths"][path]["get"]["parameters"]]
            for path in ("/api/v1/observations", "/api/v1/revisions")
        }
        filtered = client.get("/api/v1/observations",
                              params={"destination": "GTM,HND", "format": "csv"})
        rows = list(csv.DictReader(io.StringIO(filtered.text)))
        grouped = client.get("/api/v1/observations", params={
            "source": "fixture_destinations", "group_by": "destination"}).json()
        unknown = client.get("/api/v1/observations", params={"destination": "XXX"})
        dsd = client.get("/sdmx/datastructure/OMR/DSD_MIGRATION/1.0").text
        portal = {lang: client.get(f"/{lang}/{slug}/").text
                  for lang, slug in (("es", "datos"), ("en", "data"))}
    return {
        "defaulted": defaulted,
        "parameters": parameters,
        "csv_status": filtered.status_code,
        "csv_columns": list(rows[0]) if rows else [],
        "csv_destinations": sorted({r["destination"] for r in rows}),
        "grouped": [(r["destination"], r["obs_count"]) for r in grouped["data"]],
        "unknown_status": unknown.status_code,
        "unknown_parameter": unknown.json()["error"]["parameter"],
        "dsd_has_dimension": 'id="DESTINATION"' in dsd,
        "portal_lists": {lang: "<code translate=\"no\">destination</code>" in html
                         for lang, html in portal.items()},
        "portal_label": {"es": "Destino" in portal["es"], "en": "Destination" in portal["en"]},
        **mapping,
    }


def mapped_dimension(workdir: Path) -> dict[str, object]:
    """A mapping file (the bundled example's, plus one line) fills the new dimension, and a
    code outside its codelist is refused, naming the key: nothing in sources/ was edited."""
    from observatorio.errors import ObservatorioError
    from observatorio.loading import harmonize_file
    from observatorio.sources.mapping import MappingAdapter, load_mapping

    example = Path(__file__).resolve().parents[2] / "examples" / "mappings"
    text = (example / "honduras_retornados_ejemplo.yaml").read_text(encoding="utf-8")
    anchor = "  flow: RETURN_RECEIVED\n"
    assert text.count(anchor) == 1, "the fixture adds its line after the example's flow"
    text = text.replace("file: honduras_retornados_ejemplo.csv",
                        f"file: {example / 'honduras_retornados_ejemplo.csv'}")
    seen: dict[str, object] = {}
    for name, code in (("good", "GTM"), ("bad", "XXX")):
        path = workdir / f"{name}.yaml"
        path.write_text(text.replace(anchor, f"{anchor}  destination: {code}\n"), encoding="utf-8")
        try:
            adapter = MappingAdapter(load_mapping(path), path)
            frame, _, _ = harmonize_file(adapter, adapter.bundled_path(path.parent))
            seen[f"mapping_{name}"] = sorted(set(frame["destination"]))
        except ObservatorioError as exc:
            seen[f"mapping_{name}"] = exc.message("en")
    return seen


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]))), flush=True)
    # What this script reports is its output. Once in ~4,600 tests of a loaded run the
    # interpreter's finalisation aborted in a C++ library's thread after the output was written
    # (exit -6, "FATAL: exception not rethrown"); skip the finalisation, whose outcome is not
    # what the test is about.
    os._exit(0)
