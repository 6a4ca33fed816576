"""Bulletins on request are produced in a child process (report/producer.py), never in the
server worker: the same bytes and refusals as producing in-process, a time limit, and a worker
that never imports the report builders (issue #12, memory)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from observatorio import child_errors
from observatorio.errors import ErrorKind, ObservatorioError
from observatorio.publish.api.app import create_app
from observatorio.report import producer
from observatorio.report.options import BulletinError, BulletinOptions
from observatorio.settings import Settings
from observatorio.store import Store

PARAMS = {"period": "2024-03", "iso3": "BLZ"}
#: what a worker must not import to serve the Publications page and its bulletins (pandas,
#: WeasyPrint and the builders stay in the child)
BUILDERS = ("observatorio.report.build", "observatorio.report.service", "observatorio.report.markup",
            "observatorio.report.context", "observatorio.report.svg", "observatorio.report.regional",
            "observatorio.report.country", "observatorio.report.shared_sections",
            "observatorio.report.xlsx", "observatorio.report.pdf", "weasyprint")


def _with_fake_weasyprint(monkeypatch: pytest.MonkeyPatch, folder: Path, body: str) -> None:
    """The child's ``import weasyprint`` runs ``body`` (its PYTHONPATH comes first)."""
    folder.mkdir()
    (folder / "weasyprint.py").write_text(body)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(folder), *filter(None, [os.environ.get("PYTHONPATH")])]))


def test_the_child_produces_the_same_bytes_as_producing_in_process(
        bundled_store_path: Path, bulletin_settings: Settings) -> None:
    from observatorio.report.service import produce

    options = BulletinOptions.parse("country", "BLZ", "2024-03", "en", "html")
    child = producer.produce_in_child(bundled_store_path, bulletin_settings, options)
    with Store.open(bundled_store_path, read_only=True) as store:
        here = produce(store, bulletin_settings, options)
    assert child.data == here.data
    assert (child.filename, child.media_type) == (here.filename, here.media_type)
    assert child.filename == "2024-03-BLZ-en.html" and child.media_type.startswith("text/html")


def test_a_refusal_of_the_child_is_the_same_error_and_answer(
        bundled_store_path: Path, bulletin_settings: Settings) -> None:
    """No monthly data up to the month is found while building (in the child): the same error
    class and message as in-process, and the portal answers 400 with it in both languages."""
    from observatorio.report.service import produce

    options = BulletinOptions.parse("regional", None, "1990-01", "en", "html")
    with pytest.raises(BulletinError) as in_child:
        producer.produce_in_child(bundled_store_path, bulletin_settings, options)
    with Store.open(bundled_store_path, read_only=True) as store, \
            pytest.raises(BulletinError) as in_process:
        produce(store, bulletin_settings, options)
    assert type(in_child.value) is type(in_process.value)
    assert in_child.value.messages() == in_process.value.messages()
    assert in_child.value.http_status == 400
    with TestClient(create_app(bulletin_settings)) as client:
        english = client.get("/en/publications/boletin", params={"period": "1990-01", "format": "html"})
        spanish = client.get("/es/publicaciones/boletin", params={"period": "1990-01", "format": "html"})
    assert english.status_code == 400 and "The store has no data up to 1990-01" in english.text
    assert spanish.status_code == 400 and "El almacén no tiene datos hasta 1990-01" in spanish.text


def test_an_error_class_the_worker_has_not_imported_keeps_its_kind_and_message() -> None:
    found = child_errors.described(ObservatorioError("bulletin.error.no_data", month="2024-03"))
    found.update(module="observatorio.not_imported", name="SomeError", kind="unavailable")
    error = child_errors.rebuilt(found)
    assert isinstance(error, child_errors.RefusedInChild) and error.kind is ErrorKind.UNAVAILABLE
    assert error.http_status == 503 and error.retriable
    assert error.message("en") == "The store has no data up to 2024-03: load the data " \
        "(observatorio load) or choose a later month."


def test_a_hung_child_is_stopped_at_the_time_limit(
        monkeypatch: pytest.MonkeyPatch, bulletin_settings: Settings, tmp_path: Path) -> None:
    """WeasyPrint hangs: the child is killed after ``bulletin_timeout_s`` and the request
    answers 503 with the reason, in both languages; the worker may produce the next one."""
    from observatorio.publish.web import publications

    _with_fake_weasyprint(monkeypatch, tmp_path / "hung", "import time\ntime.sleep(3600)\n")
    settings = bulletin_settings.model_copy(update={"bulletin_timeout_s": 3.0})
    with TestClient(create_app(settings)) as client:
        english = client.get("/en/publications/boletin", params={**PARAMS, "format": "pdf"})
        spanish = client.get("/es/publicaciones/boletin", params={**PARAMS, "format": "pdf"})
    assert english.status_code == 503 and "was not ready within 3 seconds" in english.text
    assert english.headers["retry-after"] == "30"
    assert spanish.status_code == 503 and "no estuvo listo en 3 segundos" in spanish.text
    assert publications.PRODUCING.acquire(blocking=False)  # released: the next one may start
    publications.PRODUCING.release()


def test_a_child_that_dies_answers_500_with_a_message(
        monkeypatch: pytest.MonkeyPatch, bulletin_settings: Settings, tmp_path: Path) -> None:
    _with_fake_weasyprint(monkeypatch, tmp_path / "dies", "import os\nos._exit(3)\n")
    with TestClient(create_app(bulletin_settings), raise_server_exceptions=False) as client:
        answer = client.get("/en/publications/boletin", params={**PARAMS, "format": "pdf"})
    assert answer.status_code == 500
    assert "could not be produced because of a fault of the server" in answer.text


def test_a_worker_serving_publications_and_bulletins_imports_no_report_builder(
        bundled_store_path: Path, tmp_path: Path) -> None:
    """In a fresh interpreter, as a server worker: the Publications page and a bulletin on
    request leave none of the report builders (pandas, WeasyPrint) in the process."""
    program = """if True:
        import json, sys
        from fastapi.testclient import TestClient
        from observatorio.publish.api.app import create_app
        from observatorio.settings import Settings

        settings = Settings(db=sys.argv[1], bulletins_dir=sys.argv[2])
        with TestClient(create_app(settings)) as client:
            assert client.get("/es/publicaciones/").status_code == 200
            answer = client.get("/en/publications/boletin",
                                params={"period": "2024-03", "iso3": "BLZ", "format": "html"})
            assert answer.status_code == 200 and b"Belize" in answer.content
        print(json.dumps(sorted(sys.modules)))
    """
    done = subprocess.run([sys.executable, "-P", "-c", program, str(bundled_store_path),
                           str(tmp_path / "bulletins")], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    imported = set(json.loads(done.stdout.splitlines()[-1]))
    assert "observatorio.report.producer" in imported
    assert not imported & set(BUILDERS)
