"""The command line and the portal's Publications page: archive, downloads, clear errors."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from observatorio.cli import app
from observatorio.publish.api.app import create_app
from observatorio.report import archive
from observatorio.settings import Settings

from .conftest import Rendered


def test_publications_page_lists_the_archive_and_serves_its_files(
        rendered: dict[tuple[str, str], Rendered], bulletin_settings: Settings) -> None:
    item = rendered[("regional", "es")]
    archive.record(bulletin_settings.bulletins_path, item.bulletin, {"pdf": item.pdf, "xlsx": item.xlsx})
    with TestClient(create_app(bulletin_settings)) as client:
        page = client.get("/es/publicaciones/")
        assert page.status_code == 200
        assert "mar 2024" in page.text and "/es/publicaciones/archivo/2024-03/regional-es.xlsx" in page.text
        english = client.get("/en/publications/")
        assert "Issued bulletins" in english.text and "Publications" in english.text
        pdf = client.get("/es/publicaciones/archivo/2024-03/regional-es.pdf")
        assert pdf.status_code == 200 and pdf.content == item.pdf
        assert pdf.headers["content-type"] == "application/pdf"
        assert client.get("/es/publicaciones/archivo/2024-03/../../secret.pdf").status_code == 404
        assert client.get("/es/publicaciones/archivo/2024-03/GTM-es.pdf").status_code == 404


def test_a_wrong_period_on_the_portal_answers_400_with_the_reason(bulletin_settings: Settings) -> None:
    with TestClient(create_app(bulletin_settings)) as client:
        answer = client.get("/en/publications/boletin", params={"period": "2024-13", "format": "pdf"})
        assert answer.status_code == 400
        assert "is not a valid month. Use YYYY-MM" in answer.text
        spanish = client.get("/es/publicaciones/boletin", params={"period": "2024-03", "iso3": "XXX"})
        assert spanish.status_code == 400 and "no es un país miembro de la CRM" in spanish.text


def test_the_portal_produces_a_bulletin_on_request(bulletin_settings: Settings) -> None:
    with TestClient(create_app(bulletin_settings)) as client:
        answer = client.get("/en/publications/boletin",
                            params={"period": "2024-03", "iso3": "BLZ", "format": "html"})
    assert answer.status_code == 200
    assert "Country bulletin: Belize" in answer.text
    assert 'filename="2024-03-BLZ-en.html"' in answer.headers["content-disposition"]


def test_report_command_writes_nothing_on_bad_options(bundled_store_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.pdf"
    runner = CliRunner()
    result = runner.invoke(app, ["--db", str(bundled_store_path), "report", "regional", "--period",
                                 "March", "--lang", "en", "--out", str(out)])
    assert result.exit_code == 1
    assert "--period: 'March' is not a valid month. Use YYYY-MM" in result.output
    assert "Traceback" not in result.output and not out.exists()
    result = runner.invoke(app, ["--db", str(bundled_store_path), "report", "country", "--period",
                                 "2024-03", "--out", str(out)])
    assert result.exit_code == 1 and "no es un país miembro de la CRM" in result.output


def test_report_command_writes_the_workbook(bundled_store_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "gtm.xlsx"
    result = CliRunner().invoke(app, ["--db", str(bundled_store_path), "report", "country", "GTM",
                                      "--period", "2024-03", "--lang", "en", "--format", "xlsx",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:2] == b"PK" and "releases used" in result.output


def test_the_portal_produces_one_bulletin_at_a_time(bulletin_settings: Settings) -> None:
    """A burst of requests cannot make the server produce many bulletins at once (each takes
    seconds of CPU and hundreds of MB): while one is produced, the others answer 503."""
    from observatorio.publish.web import publications

    params = {"period": "2024-03", "iso3": "BLZ", "format": "html"}
    with TestClient(create_app(bulletin_settings)) as client:
        assert publications.PRODUCING.acquire(blocking=False)  # a bulletin in production
        try:
            busy = client.get("/es/publicaciones/boletin", params=params)
            english = client.get("/en/publications/boletin", params=params)
            wrong = client.get("/en/publications/boletin", params={**params, "period": "2024-13"})
        finally:
            publications.PRODUCING.release()
        after = client.get("/en/publications/boletin", params=params)
    assert busy.status_code == 503 and busy.headers["retry-after"] == "30"
    assert "Se está generando otro boletín" in busy.text
    assert english.status_code == 503 and "Another bulletin is being produced" in english.text
    assert wrong.status_code == 400  # bad input is refused before waiting for anything
    assert after.status_code == 200 and "Country bulletin: Belize" in after.text


def test_without_pango_the_portal_serves_and_only_a_pdf_is_refused(
        monkeypatch: pytest.MonkeyPatch, bulletin_settings: Settings, bundled_store_path: Path,
        tmp_path: Path) -> None:
    """WeasyPrint is imported when a PDF is asked for, not at start-up: without Pango (cffi
    cannot load it; ``import weasyprint`` fails) the portal starts and serves its pages, HTML
    bulletins are produced, and a PDF gets a clear message (503 on the portal, exit 1 on the
    command line, nothing written). The portal produces bulletins in a child process
    (report/producer.py): there ``import weasyprint`` finds a module that fails as cffi does."""
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint -> ImportError
    without_pango = tmp_path / "without_pango"
    without_pango.mkdir()
    (without_pango / "weasyprint.py").write_text(
        "raise OSError(\"cannot load library 'libpango-1.0-0': no such file (test)\")\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(without_pango), *filter(None, [os.environ.get("PYTHONPATH")])]))
    params = {"period": "2024-03", "iso3": "BLZ"}
    with TestClient(create_app(bulletin_settings)) as client:
        assert client.get("/es/publicaciones/").status_code == 200
        assert client.get("/en/publications/boletin", params={**params, "format": "html"}).status_code == 200
        pdf = client.get("/en/publications/boletin", params={**params, "format": "pdf"})
    assert pdf.status_code == 503 and "Pango" in pdf.text and "--format html|xlsx" in pdf.text
    out = tmp_path / "b.pdf"
    result = CliRunner().invoke(app, ["--db", str(bundled_store_path), "report", "country", "BLZ",
                                      "--period", "2024-03", "--out", str(out)])
    assert result.exit_code == 1 and "faltan las bibliotecas Pango" in result.output
    assert "Traceback" not in result.output and not out.exists()
