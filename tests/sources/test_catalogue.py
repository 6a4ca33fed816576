"""The catalogue (sources/catalogue.py): every source's facts without importing an adapter, the
same facts the registry's adapters carry (they take them from it), mapping files included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from observatorio.sources import catalogue
from observatorio.sources.base import all_adapters, get_adapter, unregister
from observatorio.sources.discovery import spec_for, spec_for_source
from observatorio.sources.mapping import register_mapping_folder

MAPPING = {
    "source": {"id": "t_catalogue_mapped", "publisher": "Test publisher", "title_es": "Tabla de prueba",
               "title_en": "Test table", "licence": "CC0", "release": "2024-06-30", "dataflow": "POPULATION"},
    "period": {"freq": "A", "year": "Year"},
    "dimensions": {"ref_area": "BLZ", "flow": "POPULATION", "unit": "PERSONS"},
    "value": {"column": "Value"},
    "discovery": {"kind": "fixed", "url": "https://example.org/pop.csv", "every": "annual"},
}


def test_every_adapter_carries_the_catalogues_facts() -> None:
    # a test run may have registered mapping folders of its own (the docs' examples) after
    # start-up: the catalogue's sources are the built-in and start-up ones, each an adapter's
    infos = catalogue.all_source_infos()
    by_id = {a.info.id: a for a in all_adapters()}
    assert [by_id[i.id].info for i in infos] == infos
    adapters = [by_id[i.id] for i in infos]
    for adapter in adapters:
        assert adapter.info == catalogue.source_info(adapter.info.id)
        assert spec_for(adapter) == spec_for_source(adapter.info.id, catalogue.declared_discovery(adapter.info.id))


def test_a_mapping_file_declares_its_source_in_the_catalogue(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "mappings"
    folder.mkdir()
    (folder / "pop.yaml").write_text(yaml.safe_dump(MAPPING), encoding="utf-8")
    (folder / "broken.yaml").write_text("source: {id: t_broken}\n", encoding="utf-8")
    monkeypatch.setenv("OBSERVATORIO_MAPPINGS", str(folder))
    with pytest.warns(UserWarning, match="broken.yaml"):
        [adapter] = register_mapping_folder(folder, strict=False)
    try:
        [mapped] = [i for i in catalogue.all_source_infos() if i.id == "t_catalogue_mapped"]
        assert mapped == get_adapter("t_catalogue_mapped").info
        assert catalogue.known("t_catalogue_mapped") and not catalogue.known("t_broken")
        assert catalogue.source_titles("en")["t_catalogue_mapped"] == "Test table"
        assert catalogue.declared_discovery("t_catalogue_mapped") == adapter.discovery  # type: ignore[attr-defined]
    finally:
        unregister("t_catalogue_mapped")


def test_reading_the_catalogue_imports_no_adapter() -> None:
    code = ("import json, sys\nfrom observatorio.sources.catalogue import all_source_infos\n"
            "all_source_infos()\nprint(json.dumps(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)})
    modules = json.loads(done.stdout)
    assert [m for m in modules if m.startswith(("observatorio.sources.adapters", "pandas"))] == []
