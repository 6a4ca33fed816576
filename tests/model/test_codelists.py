"""Codelists: bilingual labels, ISO countries with Spanish names, contract codes present."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from observatorio.model.codelists import (
    CODELIST_DIR,
    CODELIST_IDS,
    CRM_MEMBERS,
    country_label,
    get_codelist,
)
from observatorio.model.contract import CONTRACT_COLUMNS


def test_every_contract_codelist_exists() -> None:
    for column in CONTRACT_COLUMNS:
        if column.codelist:
            assert get_codelist(column.codelist).codes


@pytest.mark.parametrize("codelist_id", CODELIST_IDS)
def test_every_code_has_both_labels(codelist_id: str) -> None:
    for code in get_codelist(codelist_id).codes.values():
        assert code.label_es and code.label_en, code


def test_crm_members_have_spanish_names() -> None:
    names = {iso3: country_label(iso3, "es") for iso3 in CRM_MEMBERS}
    assert names["MEX"] == "México"
    assert names["DOM"] == "República Dominicana"
    assert names["PAN"] == "Panamá"
    assert country_label("USA", "en") == "United States"


def test_contract_flows_and_special_codes() -> None:
    flows = get_codelist("flow")
    for code in ("ENCOUNTER", "RETURN_RECEIVED", "RETURN_EXECUTED", "PRESENTED", "DEAD", "MISSING",
                 "ASYLUM_DECISION_RECOGNIZED", "MIGRANT_STOCK", "POPULATION", "CONSULAR_CASE"):
        assert code in flows
    area = get_codelist("area")
    for code in ("_T", "_O", "_U", "_Z"):
        assert code in area


def test_unknown_codelist() -> None:
    with pytest.raises(KeyError):
        get_codelist("nope")


@pytest.mark.parametrize("path", sorted(CODELIST_DIR.glob("*.csv")), ids=lambda p: p.name)
def test_codelist_files_have_five_fields_per_row(path: Path) -> None:
    # An unquoted comma in a description shifts the columns silently; catch it here.
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["code", "label_es", "label_en", "description_es", "description_en"]
    assert [r[0] for r in rows[1:] if len(r) != 5] == []


def test_country_names_come_from_cldr_in_both_languages() -> None:
    # issue 11 item 15: pycountry's Spanish catalogue gave "Algeria" and "Burquina Faso"
    assert country_label("DZA", "es") == "Argelia"
    assert country_label("BFA", "es") == "Burkina Faso"
    assert country_label("DZA", "en") == "Algeria"
    assert country_label("CPV", "es") == "Cabo Verde"


def test_older_spanish_spellings_still_resolve() -> None:
    from observatorio.harmonize.countries import CountryResolver

    resolver = CountryResolver()
    assert resolver.resolve("Burquina Faso") == "BFA"  # pycountry's spelling, seen in files
    assert resolver.resolve("Argelia") == "DZA"
