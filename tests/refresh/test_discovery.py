"""Discovery declarations and the polite client: the newest dated link or tag, clear errors for
bad declarations, safe file names, size limit and retries (against the imitated publishers)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from observatorio.cli import app
from observatorio.sources.base import unregister
from observatorio.sources.discovery import (
    DiscoveryInvalid,
    LandingPageSpec,
    NothingFound,
    builtin_declarations,
    newest_link,
    newest_tag,
    next_expected,
    parse_declarations,
    spec_for,
)
from observatorio.sources.fetching import Client, DownloadFailed, Politeness, file_name, safe_name
from observatorio.sources.mapping import register_mapping_file

from .publishers import MISSING, Publishers

REPO = Path(__file__).resolve().parents[2]


def _page(*names: str) -> str:
    return "<html><body>" + "".join(f'<a href="/files/{n}">{n}</a>' for n in names) + "</body></html>"


def test_cbp_newest_link_goes_by_fiscal_year_and_month() -> None:
    spec = builtin_declarations()["cbp_sw_land_border_encounters"]
    page = _page("sbo-encounters-fy22-fy25-sep.csv", "sbo-encounters-fy23-fy26-oct.csv",
                 "sbo-encounters-fy22-fy25-aug.csv", "other.pdf")
    url, stamp = newest_link(spec, page, "https://www.cbp.gov/document/stats/x")
    assert url == "https://www.cbp.gov/files/sbo-encounters-fy23-fy26-oct.csv"
    assert stamp.isoformat() == "2025-10-01"  # October of FY2026


def test_ohss_newest_link_reads_encoded_names_and_fiscal_months() -> None:
    spec = builtin_declarations()["ohss_cbp_usbp_encounters"]
    page = _page("KHSM%20Encounters%20%28USBP%29%20fy25m12.xlsx", "KHSM%20Encounters%20%28USBP%29%20fy26m01.xlsx",
                 "KHSM%20Encounters%20%28USBP%29%20fy25m11.xlsx")
    url, stamp = newest_link(spec, page, "https://ohss.dhs.gov/khsm/cbp-encounters")
    assert url.endswith("fy26m01.xlsx") and stamp.isoformat() == "2025-10-01"


def test_a_page_without_matching_links_says_so_in_both_languages() -> None:
    spec = LandingPageSpec(kind="landing_page", url="https://x.org/p", link=r"data-(?P<year>\d{4})\.csv")
    with pytest.raises(NothingFound) as caught:
        newest_link(spec, _page("report-2024.pdf"), "https://x.org/p")
    assert "https://x.org/p" in caught.value.message("es") and "ningún enlace" in caught.value.message("es")
    assert "no link or version matching" in caught.value.message("en")


def test_newest_tag_skips_names_that_are_not_versions() -> None:
    tags = [{"name": "v0.9.0"}, {"name": "nightly"}, {"name": "v0.10.0"}, {"name": "1.0.0rc1"}]
    assert newest_tag(tags, "u") == "v0.10.0"
    with pytest.raises(NothingFound):
        newest_tag([{"name": "nightly"}], "u")


def test_next_expected_release_follows_the_cadence() -> None:
    from datetime import date

    monthly = builtin_declarations()["cbp_sw_land_border_encounters"]
    assert next_expected(monthly, date(2025, 12, 15)) == date(2026, 1, 1)
    assert next_expected(builtin_declarations()["iom_gdidata.*"], date(2025, 1, 1)) is None


def test_bad_declarations_name_the_file_source_and_field(tmp_path: Path) -> None:
    with pytest.raises(DiscoveryInvalid) as caught:
        parse_declarations({"cbp": {"kind": "landing_page", "url": "https://x", "link": "no-groups"}}, "d.yaml")
    assert "d.yaml" in caught.value.message("en") and "'cbp'" in caught.value.message("en")
    assert "year" in caught.value.message("en")
    bad = tmp_path / "bad.yaml"
    bad.write_text("worldbank_population:\n  kind: api\n  url: https://x\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "s.duckdb"), "refresh", "--all",
                                      "--discovery", str(bad)])
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "declaración de descubrimiento no válida" in text and "paging" in text
    assert "Traceback" not in text


def test_a_mapping_file_declares_its_discovery(tmp_path: Path) -> None:
    mapping = tmp_path / "wb.toml"
    text = (REPO / "examples" / "mappings" / "worldbank_population.toml").read_text(encoding="utf-8")
    text = text.replace('id = "example_worldbank_population"', 'id = "example_wb_discovery"')
    mapping.write_text(text + '\n[discovery]\nkind = "fixed"\nurl = "https://example.org/pop.csv"\n'
                       'every = "annual"\n', encoding="utf-8")
    adapter = register_mapping_file(mapping)
    try:
        spec = spec_for(adapter)
        assert spec is not None and spec.kind == "fixed" and spec.url == "https://example.org/pop.csv"
    finally:
        unregister(adapter.info.id)


@pytest.mark.parametrize(("given", "expected"), [
    ("../../etc/passwd.csv", "passwd.csv"),
    ("..\\..\\windows\\evil.xlsx", "evil.xlsx"),
    ("=HYPERLINK(\"http://x\").csv", "x_).csv"),  # "/" ends a folder name
    ("=SUM(A1)+1.csv", "SUM(A1)_1.csv"),
    ("+cmd|calc.csv", "cmd_calc.csv"),
    ("..", "fallback.csv"),
    ("", "fallback.csv"),
    ("KHSM Encounters (USBP) fy25m11.xlsx", "KHSM Encounters (USBP) fy25m11.xlsx"),
])
def test_server_file_names_are_made_safe(given: str, expected: str) -> None:
    assert safe_name(given, "fallback.csv") == expected
    response = httpx.Response(200, headers={"content-disposition": 'attachment; filename="{}"'.format(given.replace('"', '\\"'))},
                              request=httpx.Request("GET", "https://x.org/download"))
    assert file_name("https://x.org/download", response, "fallback.csv") == expected


def test_rfc2231_file_names_are_decoded_then_made_safe() -> None:
    response = httpx.Response(200, headers={
        "content-disposition": "attachment; filename*=UTF-8''..%2F..%2Fpoblaci%C3%B3n.csv"},
        request=httpx.Request("GET", "https://x.org/download"))
    assert file_name("https://x.org/download", response, "fallback.csv") == "población.csv"


def test_size_limit_and_exhausted_retries_are_clear_failures(
    localhost_only: None, publishers: tuple[Publishers, str], tmp_path: Path
) -> None:
    state, base = publishers
    pauses: list[float] = []
    small = Politeness(retries=2, backoff=1.5, max_bytes=1000)
    with Client(small, sleep=pauses.append) as client, pytest.raises(DownloadFailed) as caught:
        client.download(base + MISSING, tmp_path, fallback_name="x.csv")
    assert "is over the size limit (1000 bytes)" in caught.value.message("en")
    assert "supera el límite de tamaño" in caught.value.message("es")
    assert list(tmp_path.iterdir()) == []  # nothing kept, not even a .part
    state.always_html.clear()
    state.fail_once = {}
    with Client(Politeness(retries=2, backoff=1.5), sleep=pauses.append) as client:
        with pytest.raises(DownloadFailed) as caught:
            client.download(base + "/nowhere/data.csv", tmp_path, fallback_name="x.csv")
        assert "404" in caught.value.message("en") and pauses == []  # a 404 is not retried
        state.files["/flaky.csv"] = b"a,b\n1,2\n"
        for _ in range(3):
            state.fail_once["/flaky.csv"] = "500"
        got = client.download(base + "/flaky.csv", tmp_path, fallback_name="x.csv")
        assert got is not None and got.path.read_bytes() == b"a,b\n1,2\n"
    assert pauses == [1.5]  # one 500, one pause, then success
    assert sorted(s for p, s in state.requests if p == "/flaky.csv") == ["200", "500"]
