"""Broken copies of the REAL bundled files, one failure kind each, made in a temporary folder.

Nothing under ``data/`` is ever written: every builder reads a bundled file and writes its
damaged copy into ``folder``. Each case says which adapter (or mapping) reads it and which
problems the report must hold: rule, row, column and (part of) the value.
"""

from __future__ import annotations

import random
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

CBP = "cbp_sw_land_border_encounters/sbo-encounters-fy22-fy25-aug.csv"
CBP_SOURCE = "cbp_sw_land_border_encounters"
CBP_COLUMNS = ("Fiscal Year", "Month Grouping", "Month (abbv)", "Component", "Demographic",
               "Citizenship Grouping", "Title of Authority", "Encounter Type", "Encounter Count")
KHSM = "ohss_cbp_usbp_encounters/KHSM Encounters (USBP) fy25m11.xlsx"
UNHCR_POPULATION = "unhcr_refugee_data_finder/population.csv"
MMP = "iom_missing_migrants/Missing_Migrants_Global_Figures.csv"
RDA = "iom_gdidata/irreg_honduras.rda"
WORLDBANK = "worldbank_population/population.csv"


@dataclass(frozen=True)
class Expected:
    """One problem the report must contain (``value`` is matched as a substring; None: any)."""

    rule: str
    row: int | None = None
    column: str | None = None
    value: str | None = None


@dataclass
class Case:
    """A broken file, who reads it, and what the report must say."""

    name: str
    path: Path
    expected: list[Expected]
    source: str | None = None  # a registered adapter id…
    mapping: Path | None = None  # …or a mapping file that reads it
    exact_rules: bool = True  # the report holds these rules and no other
    notes: str = ""
    extra: dict[str, object] = field(default_factory=dict)


# -- CBP CSV (the reference adapter) -------------------------------------------------------------


def _cbp_lines(data_dir: Path) -> list[bytes]:
    # CRLF line endings, header on line 1, first record on line 2; the last element is b"".
    return (data_dir / CBP).read_bytes().split(b"\r\n")


def _write(folder: Path, name: str, lines: list[bytes]) -> Path:
    path = folder / name
    path.write_bytes(b"\r\n".join(lines))
    return path


def _set_field(line: bytes, index: int, value: bytes) -> bytes:
    fields = line.split(b",")
    fields[index] = value
    return b",".join(fields)


def _cbp_cell(data_dir: Path, folder: Path, name: str, line_no: int, column: str, value: bytes) -> Path:
    lines = _cbp_lines(data_dir)
    lines[line_no - 1] = _set_field(lines[line_no - 1], CBP_COLUMNS.index(column), value)
    return _write(folder, name, lines)


def cbp_cases(data_dir: Path, folder: Path) -> list[Case]:
    """One broken CBP file per failure kind (the CBP adapter exists from the start)."""
    lines = _cbp_lines(data_dir)
    cases = [
        Case("cbp_missing_header", _write(folder, "cbp_missing_header.csv", lines[1:]),
             [Expected("missing_column", 1, c) for c in CBP_COLUMNS], CBP_SOURCE),
        Case("cbp_renamed_header",
             _write(folder, "cbp_renamed_header.csv",
                    [lines[0].replace(b"Encounter Count", b"Encounter Cnt"), *lines[1:]]),
             [Expected("missing_column", 1, "Encounter Count")], CBP_SOURCE,
             extra={"found": "Encounter Cnt"}),
        Case("cbp_not_numeric",
             _cbp_cell(data_dir, folder, "cbp_not_numeric.csv", 5, "Encounter Count", b'"1,2a"'),
             [Expected("not_numeric", 5, "Encounter Count", "1,2a")], CBP_SOURCE),
        Case("cbp_negative", _cbp_cell(data_dir, folder, "cbp_negative.csv", 6, "Encounter Count", b"-7"),
             [Expected("negative", 6, "value", "-7")], CBP_SOURCE),
        Case("cbp_fractional",
             _cbp_cell(data_dir, folder, "cbp_fractional.csv", 7, "Encounter Count", b"2.5"),
             [Expected("fractional", 7, "value", "2.5")], CBP_SOURCE),
        Case("cbp_duplicate_row",
             _write(folder, "cbp_duplicate_row.csv", [*lines[:-1], lines[1], b""]),
             [Expected("duplicate_key", len(lines))], CBP_SOURCE, extra={"other_row": "2"}),
        Case("cbp_impossible_month",
             _cbp_cell(data_dir, folder, "cbp_impossible_month.csv", 8, "Month (abbv)", b"OCTX"),
             [Expected("impossible_period", 8, "Month (abbv)", "OCTX")], CBP_SOURCE),
        Case("cbp_year_1850",
             _cbp_cell(data_dir, folder, "cbp_year_1850.csv", 9, "Fiscal Year", b"1850"),
             [Expected("impossible_period", 9, "period", "1849-10-01")], CBP_SOURCE),
        Case("cbp_unknown_citizenship",
             _cbp_cell(data_dir, folder, "cbp_unknown_citizenship.csv", 10, "Citizenship Grouping", b"Guatemal"),
             [Expected("unknown_country", 10, "Citizenship Grouping", "Guatemal")], CBP_SOURCE,
             extra={"closest": "Guatemala (GTM)"}),
        Case("cbp_unknown_encounter_type",
             _cbp_cell(data_dir, folder, "cbp_unknown_encounter_type.csv", 11, "Encounter Type", b"Arrests"),
             [Expected("unknown_code", 11, "Encounter Type", "Arrests")], CBP_SOURCE),
        Case("cbp_blank_count",
             _cbp_cell(data_dir, folder, "cbp_blank_count.csv", 12, "Encounter Count", b""),
             [Expected("missing_value", 12, "Encounter Count")], CBP_SOURCE),
        Case("cbp_truncated",
             _write(folder, "cbp_truncated.csv", [*lines[:12], lines[12][:40]]),
             [Expected("truncated", 13, "Demographic", "Office of Field Operations")], CBP_SOURCE,
             exact_rules=False,  # the cut row's empty cells are reported too
             notes="cut in the middle of line 13"),
        Case("cbp_header_only", _write(folder, "cbp_header_only.csv", [lines[0], b""]),
             [Expected("empty")], CBP_SOURCE),
        Case("cbp_empty_file", _write(folder, "cbp_empty_file.csv", [b""]),
             [Expected("unreadable")], CBP_SOURCE),
        Case("cbp_wrong_encoding", _cbp_wrong_encoding(lines, folder),
             [Expected("encoding", 15, None, "\\xe9")], CBP_SOURCE),
        Case("cbp_semicolons",
             _write(folder, "cbp_semicolons.csv", [ln.replace(b",", b";") for ln in lines]),
             [Expected("missing_column", 1, c) for c in CBP_COLUMNS], CBP_SOURCE,
             notes="a spreadsheet re-saved the file with ';' as separator"),
        Case("cbp_html_page", _html_page(folder),
             [Expected("missing_column", 1, "Fiscal Year")], CBP_SOURCE, exact_rules=False,
             notes="the download gave the publisher's web page instead of the CSV"),
        Case("cbp_binary", _binary(folder),
             [Expected("encoding", 1, None, "\\x89")], CBP_SOURCE),
        Case("cbp_nul_in_count",
             _cbp_cell(data_dir, folder, "cbp_nul_in_count.csv", 5, "Encounter Count", b"1\x00999"),
             [Expected("control_character", 5, "Encounter Count", "1\\x00999")], CBP_SOURCE,
             notes="pandas alone would read 1"),
        Case("cbp_nul_in_country",
             _cbp_cell(data_dir, folder, "cbp_nul_in_country.csv", 10, "Citizenship Grouping",
                       b"Guate\x00mala"),
             [Expected("control_character", 10, "Citizenship Grouping", "Guate\\x00mala")], CBP_SOURCE,
             notes="pandas alone would read 'Guate'"),
        Case("cbp_escape_in_text",
             _cbp_cell(data_dir, folder, "cbp_escape_in_text.csv", 14, "Demographic", b"Single\x1bAdults"),
             [Expected("control_character", 14, "Demographic", "Single\\x1bAdults")], CBP_SOURCE),
        Case("khsm_nul_in_cell", khsm_control_character(data_dir, folder),
             [Expected("control_character", 2, None, "Afgh\\x00anistan")], "ohss_cbp_usbp_encounters",
             exact_rules=True, notes="an XLSX shared string with an escaped NUL (_x0000_)"),
        Case("cbp_three_errors", _three_errors(lines, folder),
             [Expected("not_numeric", 20, "Encounter Count", "x12"),
              Expected("unknown_country", 30, "Citizenship Grouping", "Atlantis"),
              Expected("negative", 40, "value", "-3")], CBP_SOURCE,
             notes="three different errors in one file: all three are reported"),
    ]
    return cases


def _cbp_wrong_encoding(lines: list[bytes], folder: Path) -> Path:
    # Someone "fixed" a name in a Latin-1 editor: the file still claims to be UTF-8.
    broken = list(lines)
    broken[14] = broken[14].replace(b"Office of Field Operations", "Oficina de Operaciones de Campo (café)"
                                    .encode("latin-1"))
    return _write(folder, "cbp_wrong_encoding.csv", broken)


def _html_page(folder: Path) -> Path:
    path = folder / "cbp_html_page.csv"
    path.write_text("<!DOCTYPE html>\n<html lang=\"en\"><head><title>Southwest Land Border Encounters | "
                    "U.S. Customs and Border Protection</title></head>\n<body><p>Access denied</p></body></html>\n",
                    encoding="utf-8")
    return path


def _binary(folder: Path) -> Path:
    path = folder / "cbp_binary.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + random.Random(3).randbytes(512))
    return path


def _three_errors(lines: list[bytes], folder: Path) -> Path:
    broken = list(lines)
    broken[19] = _set_field(broken[19], CBP_COLUMNS.index("Encounter Count"), b"x12")
    broken[29] = _set_field(broken[29], CBP_COLUMNS.index("Citizenship Grouping"), b"Atlantis")
    broken[39] = _set_field(broken[39], CBP_COLUMNS.index("Encounter Count"), b"-3")
    return _write(folder, "cbp_three_errors.csv", broken)


# -- other real files (their adapters are written by other engineers) ---------------------------


def khsm_missing_sheet(data_dir: Path, folder: Path, sheet: str = "Monthly Count") -> Path:
    """The KHSM workbook with one sheet taken out of its sheet list (a zip edit, no re-save)."""
    path = folder / "KHSM Encounters (USBP) missing sheet.xlsx"
    with zipfile.ZipFile(data_dir / KHSM) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/workbook.xml":
                data = re.sub(rb'<sheet [^>]*name="' + re.escape(sheet.encode()) + rb'"[^>]*/>', b"", data)
            out.writestr(item, data)
    return path


def khsm_control_character(data_dir: Path, folder: Path, name: str = "KHSM nul.xlsx") -> Path:
    """The KHSM workbook with a NUL inside the text "Afghanistan" (a zip edit, no re-save)."""
    path = folder / name
    with zipfile.ZipFile(data_dir / KHSM) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/sharedStrings.xml":
                data = data.replace(b"<t>Afghanistan</t>", b"<t>Afgh_x0000_anistan</t>", 1)
            out.writestr(item, data)
    return path


def corrupt_xlsx(folder: Path) -> Path:
    path = folder / "KHSM Encounters (USBP) corrupt.xlsx"
    path.write_bytes(random.Random(11).randbytes(4096))
    return path


def truncated_rda(data_dir: Path, folder: Path) -> Path:
    """The .rda cut in the middle of its bzip2 stream."""
    data = (data_dir / RDA).read_bytes()
    path = folder / "irreg_honduras.rda"
    path.write_bytes(data[: len(data) // 2])
    return path


def unhcr_header_removed(data_dir: Path, folder: Path) -> Path:
    """population.csv with its preamble kept but the header line (line 15) removed."""
    lines = (data_dir / UNHCR_POPULATION).read_bytes().split(b"\n")
    path = folder / "population.csv"
    path.write_bytes(b"\n".join(lines[:14] + lines[15:]))
    return path


def unhcr_preamble_removed(data_dir: Path, folder: Path) -> Path:
    """population.csv without its 14 preamble lines (and so without its "Last updated")."""
    lines = (data_dir / UNHCR_POPULATION).read_bytes().split(b"\n")
    path = folder / "population-no-preamble.csv"
    path.write_bytes(b"\n".join(lines[14:]))
    return path


def unhcr_latin1(data_dir: Path, folder: Path) -> tuple[Path, int]:
    """population.csv re-encoded to Latin-1 (it is UTF-8); returns the first non-ASCII line."""
    text = (data_dir / UNHCR_POPULATION).read_bytes().decode("utf-8")
    path = folder / "population-latin1.csv"
    path.write_bytes(text.encode("latin-1", errors="replace"))
    first = next(i for i, line in enumerate(text.split("\n"), 1) if not line.isascii())
    return path, first


def mmp_first_invalid_utf8_line(data_dir: Path) -> int:
    """1-based line of the first byte of the Missing Migrants CSV that is not UTF-8."""
    data = (data_dir / MMP).read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return data[: exc.start].count(b"\n") + 1
    raise AssertionError("the Missing Migrants file is expected not to be valid UTF-8")


MMP_AS_UTF8_MAPPING = """\
# Reads the real Missing Migrants CSV but declares it UTF-8: it is not (Windows-1252 bytes).
source:
  id: broken_mmp_as_utf8
  publisher: IOM Missing Migrants Project
  title_es: Migrantes desaparecidos (mapeo de prueba)
  title_en: Missing migrants (test mapping)
  licence: see IOM terms
  release: 2022-05-13
  dataflow: MISSING_MIGRANTS
file:
  encoding: utf-8
period:
  freq: M
  year: Incident year
  month: Reported Month
dimensions:
  ref_area: {column: Region of Incident, default: _U}
  flow: DEAD
  unit: PERSONS
value:
  column: Number of Dead
"""

BROKEN_MAPPING = """\
source:
  id: broken_mapping_case
  publisher: X
  title_es: X
  title_en: X
  licence: CC0
  release: 2024-13-01
  dataflow: RETURNS
file:
  encodng: latin-1
period:
  freq: M
  year: Año
  month: Mes
dimensions:
  ref_area: HND
  flow: RETURNED
  unit: PERSONS
value:
  column: Total
"""


def mapping_cases(data_dir: Path, folder: Path) -> list[Case]:
    """Broken inputs read through mapping files (always available: no adapter needed)."""
    mmp_mapping = folder / "mmp_as_utf8.yaml"
    mmp_mapping.write_text(MMP_AS_UTF8_MAPPING, encoding="utf-8")
    bad_mapping = folder / "broken_mapping.yaml"
    bad_mapping.write_text(BROKEN_MAPPING, encoding="utf-8")
    sheet_mapping = folder / "khsm_sheet.yaml"
    sheet_mapping.write_text(KHSM_MAPPING, encoding="utf-8")
    citizenship_mapping = folder / "khsm_citizenship.yaml"
    citizenship_mapping.write_text(KHSM_MAPPING.replace("Annual Count", "Annual Citizenship"),
                                   encoding="utf-8")
    wb_copy = folder / "population.csv"
    lines = (data_dir / WORLDBANK).read_bytes().split(b"\r\n")
    # Line 100: an unknown country code; line 150 (Afghanistan): a year that is not a year.
    lines[99] = re.sub(rb",[A-Z]{3},", b",QQQ,", lines[99], count=1)
    lines[149] = re.sub(rb",(\d{4}),", b",19x0,", lines[149], count=1)
    wb_copy.write_bytes(b"\r\n".join(lines))
    wb_mapping = folder / "wb.yaml"
    wb_mapping.write_text(WORLDBANK_MAPPING, encoding="utf-8")
    return [
        Case("mapping_mmp_declared_utf8", data_dir / MMP,
             [Expected("encoding", mmp_first_invalid_utf8_line(data_dir), None)], mapping=mmp_mapping,
             notes="the real MMP CSV decoded as UTF-8"),
        Case("mapping_file_with_errors", data_dir / CBP,
             [Expected("bad_mapping", 7, "source.release", "2024-13-01"),
              Expected("bad_mapping", 10, "file.encodng"),
              Expected("bad_mapping", 17, "dimensions.flow", "RETURNED")], mapping=bad_mapping),
        Case("mapping_xlsx_missing_sheet", khsm_missing_sheet(data_dir, folder, "Annual Count"),
             [Expected("missing_sheet", None, None, "Annual Count")], mapping=sheet_mapping),
        Case("mapping_xlsx_control_character",
             khsm_control_character(data_dir, folder, "KHSM nul for mapping.xlsx"),
             [Expected("control_character", 2, "Citizenship", "Afgh\\x00anistan")], mapping=citizenship_mapping),
        Case("mapping_worldbank_two_errors", wb_copy,
             [Expected("unknown_country", 100, "Country Code", "QQQ"),
              Expected("impossible_period", 150, "Year", "19x0")], mapping=wb_mapping),
    ]


KHSM_MAPPING = """\
source:
  id: broken_khsm_annual
  publisher: DHS OHSS
  title_es: Encuentros USBP anuales (mapeo de prueba)
  title_en: USBP annual encounters (test mapping)
  licence: Public domain
  release: 2024-12-01
  dataflow: BORDER_ENFORCEMENT
file:
  format: xlsx
  sheet: Annual Count
period:
  freq: A
  year: Fiscal Year
  fiscal_year_start_month: 10
dimensions:
  ref_area: USA
  flow: ENCOUNTER
  unit: EVENTS
value:
  column: Quantity
"""

WORLDBANK_MAPPING = """\
source:
  id: broken_wb_population
  publisher: World Bank
  title_es: Población (mapeo de prueba)
  title_en: Population (test mapping)
  licence: CC BY 4.0
  release: 2026-03-06
  dataflow: POPULATION
period:
  freq: A
  year: Year
dimensions:
  ref_area: {column: Country Code}
  flow: POPULATION
  unit: PERSONS
value:
  column: Value
drop_rows:
  - column: Country Code
    regex: "^(AFE|AFW|ARB|CEB|CSS|EAP|EAR|EAS|ECA|ECS|EMU|EUU|FCS|HIC|HPC|IBD|IBT|IDA|IDB|IDX|INX|LAC|LCN|LDC|LIC|LMC|LMY|LTE|MEA|MIC|MNA|NAC|OED|OSS|PRE|PSS|PST|SAS|SSA|SSF|SST|TEA|TEC|TLA|TMN|TSA|TSS|UMC|WLD|CHI|XKX)$"
"""


def worldbank_not_numeric(data_dir: Path, folder: Path) -> Path:
    """population.csv with Aruba 1961 (line 3) written as "55.578 hab."."""
    lines = (data_dir / WORLDBANK).read_bytes().split(b"\r\n")
    lines[2] = lines[2].rsplit(b",", 1)[0] + b",55.578 hab."
    path = folder / "population.csv"
    path.write_bytes(b"\r\n".join(lines))
    return path


def mmp_renamed_header(data_dir: Path, folder: Path) -> Path:
    """The Missing Migrants CSV with "Number of Dead" renamed in its header."""
    data = (data_dir / MMP).read_bytes()
    header, rest = data.split(b"\n", 1)
    path = folder / "Missing_Migrants_Global_Figures.csv"
    path.write_bytes(header.replace(b"Number of Dead", b"Dead (number)") + b"\n" + rest)
    return path
