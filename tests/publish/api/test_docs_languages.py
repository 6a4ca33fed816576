"""The OpenAPI document and its docs page in the reader's language (publish/api/docs.py): Spanish
by default, English with ``?lang=en``; every text from the catalogue, none of the other language,
and nothing but the texts differs between the two documents (issue #12)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from observatorio import i18n
from observatorio.api_texts import HTTP_METHODS, api_text, is_api_text, keys_left, text_in

LANGS = ("es", "en")
#: Where the OpenAPI document holds texts a reader reads.
TEXT_FIELDS = ("summary", "description")


@pytest.fixture(scope="module")
def documents(client: TestClient) -> dict[str, dict[str, Any]]:
    """Each language's document as a client reads it."""
    out = {lang: client.get("/api/openapi.json", params={"lang": lang}).json() for lang in LANGS}
    return out


@pytest.fixture(scope="module")
def keyed(api_app: FastAPI) -> dict[str, Any]:
    """The document as the declarations give it, every text a key."""
    keyed_document: dict[str, Any] = api_app.state.openapi_documents.with_keys()
    return keyed_document


Where = tuple[str | int, ...]


def _texts(document: Any, where: Where = ()) -> Iterator[tuple[Where, str]]:
    """``(where, text)`` for every summary and description, the title and the tags' texts
    (``where``: the keys down to it; a path such as ``/api/v1/sources`` is one key). A schema's
    ``properties`` are field names, not texts: a field named ``description`` is not one."""
    if isinstance(document, dict):
        for name, value in document.items():
            if name in TEXT_FIELDS and isinstance(value, str) and where[-1:] != ("properties",):
                yield (*where, name), value
            else:
                yield from _texts(value, (*where, name))
        if where == ("info",):
            yield ("info", "title"), document["title"]
    elif isinstance(document, list):
        for i, value in enumerate(document):
            yield from _texts(value, (*where, i))


def _at(document: Any, where: Where) -> Any:
    for part in where:
        document = document[part]
    return document


def _without_texts(document: Any) -> Any:
    """The document with every text blanked: what must be the same in both languages."""
    blank = _copy(document)
    for where, _ in _texts(document):
        _at(blank, where[:-1])[where[-1]] = ""
    return blank


def _copy(document: Any) -> Any:
    if isinstance(document, dict):
        return {name: _copy(value) for name, value in document.items()}
    if isinstance(document, list):
        return [_copy(value) for value in document]
    return document


def test_every_text_of_the_document_is_a_catalogue_key(keyed: dict[str, Any]) -> None:
    """Nothing is written in place: every summary and description, the title and the tags'
    texts are keys (a docstring or FastAPI's own text would be in English only)."""
    written = [f"{where}: {text[:60]!r}" for where, text in _texts(keyed) if not is_api_text(text)]
    assert written == [], "texts not from the catalogue (give api_text(\"api.doc.…\")):\n" + "\n".join(written)
    missing = sorted({key for key in keys_left(keyed) if text_in(key, "es") == key})
    assert missing == [], f"keys missing from messages.yaml: {missing}"


@pytest.mark.parametrize("lang", LANGS)
def test_the_document_is_in_one_language(documents: dict[str, dict[str, Any]],
                                         keyed: dict[str, Any], lang: str) -> None:
    document = documents[lang]
    assert keys_left(document) == [], "keys left untranslated"
    other = "en" if lang == "es" else "es"
    wrong = []
    for where, key in _texts(keyed):
        text = _at(document, where)
        if text != text_in(key, lang):
            wrong.append(f"{where}: {text[:60]!r} is not the {lang} text of {key}")
        elif text_in(key, lang) != text_in(key, other) and text == text_in(key, other):
            wrong.append(f"{where}: {text[:60]!r} is the {other} text")
    assert wrong == [], "\n".join(wrong)
    # No text of the other language anywhere, not only where its own key is.
    own = {text for _, text in _texts(document)}
    others = {text for _, text in _texts(documents[other])} - own
    assert not own & others


def test_the_languages_differ_only_in_their_texts(documents: dict[str, dict[str, Any]]) -> None:
    """Operation ids, parameters and schemas are the same in both documents: a client generated
    from either is the same client."""
    es, en = documents["es"], documents["en"]
    assert _without_texts(es) == _without_texts(en)
    assert es["info"]["title"] != en["info"]["title"]
    assert es["paths"]["/api/v1/observations"]["get"]["summary"] == "Observaciones armonizadas"
    assert en["paths"]["/api/v1/observations"]["get"]["summary"] == "Harmonized observations"


def test_every_operation_has_a_summary(documents: dict[str, dict[str, Any]]) -> None:
    for lang, document in documents.items():
        missing = [f"{method.upper()} {path}" for path, item in document["paths"].items()
                   for method, operation in item.items()
                   if method in HTTP_METHODS and not operation.get("summary")]
        assert missing == [], f"{lang}: operations without a summary: {missing}"
        assert len({op["operationId"] for item in document["paths"].values()
                    for op in item.values()}) > 90  # the cases API is in it too


def test_spanish_is_the_default_and_each_language_is_made_once(client: TestClient,
                                                                api_app: FastAPI) -> None:
    default = client.get("/api/openapi.json")
    assert default.status_code == 200
    assert default.content == client.get("/api/openapi.json?lang=es").content
    assert default.json()["info"]["title"] == i18n.t("api.doc.title", "es")
    # An unknown language is Spanish, as everywhere in the API.
    assert client.get("/api/openapi.json?lang=fr").content == default.content
    assert api_app.openapi() is api_app.openapi()  # the app's own: the Spanish copy, made once
    assert api_app.openapi()["info"]["title"] == i18n.t("api.doc.title", "es")
    documents = api_app.state.openapi_documents
    assert documents.encoded("en") is documents.encoded("en")


@pytest.mark.parametrize("lang", LANGS)
def test_the_docs_page_reads_the_document_in_its_language(client: TestClient, lang: str) -> None:
    page = client.get("/api/docs", params={"lang": lang})
    assert page.status_code == 200
    assert f"/api/openapi.json?lang={lang}" in page.text
    assert f'<html lang="{lang}">' in page.text
    assert "/api/docs-assets/swagger-ui-bundle.js" in page.text
    assert client.get("/api/docs-assets/swagger-ui-bundle.js").status_code == 200
    # The switch: the description links the page in the other language.
    other = "en" if lang == "es" else "es"
    description = client.get("/api/openapi.json", params={"lang": lang}).json()["info"]["description"]
    assert f"/api/docs?lang={other}" in description


def test_api_text_keys_and_values() -> None:
    with pytest.raises(ValueError, match="api.doc."):
        api_text("sdmx.summary")
    marker = api_text("api.doc.param.agency", agency="OMR")
    assert text_in(marker, "es") == "OMR, o all (todas)"
    assert text_in(marker, "en") == "OMR, or all"
    assert text_in("api.doc.no_such_text", "es") == "api.doc.no_such_text"
