"""One error hierarchy: every error class is an ObservatorioError whose kind maps to an HTTP
status (the app's one handler) and a CLI exit code (cli_errors), with a message in both languages."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import observatorio
from observatorio.cases.errors import CasesError, Invalid, Throttled, forbidden, not_found
from observatorio.cli_errors import EXIT_CODES, exit_code
from observatorio.errors import (
    HTTP_STATUS,
    ConfigFileInvalid,
    ErrorKind,
    ObservatorioError,
    StoreBusy,
    UnknownSource,
)
from observatorio.i18n import LANGS, catalogue
from observatorio.publish.api.cases_publication import StoreUnavailable
from observatorio.publish.api.errors import ApiError, observatorio_error_handler
from observatorio.publish.api.sdmx_structure import NotFound as SdmxNotFound
from observatorio.store.query import QueryError

#: Modules not imported by the walk: running the CLI is what importing __main__ does.
SKIP_IMPORT = ("observatorio.__main__",)


def _every_error_class() -> list[type[ObservatorioError]]:
    for info in pkgutil.walk_packages(observatorio.__path__, "observatorio."):
        if info.name not in SKIP_IMPORT:
            importlib.import_module(info.name)
    found: list[type[ObservatorioError]] = []
    todo: list[type[ObservatorioError]] = [ObservatorioError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(set(found), key=lambda c: f"{c.__module__}.{c.__qualname__}")


ERROR_CLASSES = _every_error_class()


def _exception_bases_outside_hierarchy() -> list[str]:
    """Exception classes defined in observatorio that are not ObservatorioErrors."""
    allowed = {
        # control-flow signals, never shown to anyone: a stopped warm-up, a download to retry
        "observatorio.publish.web.analysis_bridge.WarmUpStopped",
        "observatorio.sources.fetching._Retry",
    }
    out = []
    for info in pkgutil.walk_packages(observatorio.__path__, "observatorio."):
        if info.name in SKIP_IMPORT:
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, BaseException)
                    and value.__module__ == module.__name__
                    and not issubclass(value, ObservatorioError)
                    and f"{value.__module__}.{value.__qualname__}" not in allowed):
                out.append(f"{value.__module__}.{value.__qualname__}")
    return out


def test_every_exception_class_is_in_the_hierarchy() -> None:
    assert _exception_bases_outside_hierarchy() == []


def test_every_kind_has_a_status_and_an_exit_code() -> None:
    assert set(HTTP_STATUS) == set(ErrorKind) == set(EXIT_CODES)


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__qualname__)
def test_each_error_class_maps_to_a_status_and_an_exit_code(cls: type[ObservatorioError]) -> None:
    assert 400 <= HTTP_STATUS[cls.kind] <= 599
    assert EXIT_CODES[cls.kind] in (1, 3, 4, 5)
    assert cls.code and cls.code == cls.code.lower()


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__qualname__)
def test_each_error_class_has_a_bilingual_message(cls: type[ObservatorioError]) -> None:
    """A class that takes its message from the catalogue by its ``key`` finds it in both
    languages (the others build theirs from a key or texts given when raised: the catalogue
    lint checks those keys, and the samples below their messages)."""
    if cls.message is not ObservatorioError.message:
        return
    entry = catalogue().get(cls.key)
    assert entry is not None, f"{cls.__qualname__}.key {cls.key!r} is not in the catalogue"
    assert all(entry.get(lang, "").strip() for lang in LANGS)


SAMPLES: list[tuple[ObservatorioError, int]] = [
    (UnknownSource(source="nope", closest=["cbp"]), 400),
    (StoreBusy(path="/tmp/s.duckdb", holder="PID 1"), 503),
    (QueryError("unknown_code", "ref_area", "api.unknown_code", ["GTM"], value="GTX", codelist="area"), 400),
    (ApiError(404, "not_found", "id", "api.not_found", value="x"), 404),
    (SdmxNotFound("agencyID", "XX", ["CRM"]), 404),
    (ConfigFileInvalid("policy.yaml: roles.x: unknown action"), 503),
    (not_found("case", 7), 404),
    (forbidden("read"), 403),
    (Throttled(30), 429),
    (StoreUnavailable(key="cases.refusal.store_unavailable"), 503),
    (Invalid(key="cases.refusal.bad_month", value="2025-13"), 422),
]


@pytest.mark.parametrize(("error", "status"), SAMPLES, ids=lambda v: type(v).__qualname__)
def test_the_one_handler_answers_with_the_kind_status_in_both_languages(
    error: ObservatorioError, status: int
) -> None:
    app = FastAPI()
    app.add_exception_handler(ObservatorioError, observatorio_error_handler)

    @app.get("/boom")
    def boom() -> None:
        raise error

    response = TestClient(app).get("/boom")
    assert response.status_code == status == error.http_status
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    message = body["detail"] if isinstance(error, CasesError) else body["error"]["message"]
    assert message["es"] and message["en"] and message["es"] != message["en"]
    if isinstance(error, Throttled):
        assert response.headers["retry-after"] == "30"


@pytest.mark.parametrize(("error", "status"), SAMPLES, ids=lambda v: type(v).__qualname__)
def test_the_cli_exit_code_comes_from_the_kind(error: ObservatorioError, status: int) -> None:
    expected = {404: 5, 403: 4, 429: 3}.get(status, 1)
    assert exit_code(error) == expected
    for lang in LANGS:
        assert error.message(lang)


def test_retriable_follows_the_kind() -> None:
    assert StoreBusy(path="p", holder="h").retriable
    assert Throttled(5).retriable
    assert not UnknownSource(source="x", closest=[]).retriable
    assert not ConfigFileInvalid("x").retriable


def test_the_walk_sees_the_package() -> None:
    assert len(list(Path(observatorio.__file__).parent.rglob("*.py"))) > 100
    assert len(ERROR_CLASSES) > 30
