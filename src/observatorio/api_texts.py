"""The API's documentation texts (the OpenAPI document's summaries, descriptions, parameter and
field texts, tag descriptions, title): named by catalogue key where a route, a parameter or a
model is declared, written in one language when the document is.

FastAPI and pydantic read ``summary=``, ``description=`` and ``Field(description=…)`` when a
module is imported, long before a reader asks for a language, so a declaration hands them the
key (``summary=api_text("api.doc.data.observations")``, values filling placeholders:
``api_text("api.doc.sdmx.structure", kind="codelist")``). The document is generated once with
the keys in it (``with_keys``) and each language's copy replaces every key by its text
(``in_language``); the app serves and caches one copy per language (publish/api/docs.py). The
keys live in ``messages.yaml`` like every other text; ``observatorio texts check`` checks them.

Kept apart from the API package so that the cases modules declare their texts with no import of
the statistics side.
"""

from __future__ import annotations

from typing import Any

from observatorio import i18n

#: Every documentation text's key starts so: the prefix tells a key from any other string.
API_TEXT_PREFIX = "api.doc."

#: A text with values: the string a declaration holds → the key and its values.
_WITH_VALUES: dict[str, tuple[str, dict[str, Any]]] = {}

#: Where FastAPI writes texts of its own: the operations' and the schemas' descriptions (a
#: docstring, written for the code, in English) and the responses' (``Successful Response``).
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})


def api_text(key: str, /, **values: Any) -> str:
    """What a declaration gives FastAPI or pydantic as a text: the key of the text, written in
    the reader's language when the document is (``values`` fill the text's placeholders)."""
    if not key.startswith(API_TEXT_PREFIX):
        raise ValueError(f"an API documentation text's key starts with {API_TEXT_PREFIX!r}: {key!r}")
    if not values:
        return key
    marker = key + "(" + ", ".join(f"{name}={value}" for name, value in sorted(values.items())) + ")"
    _WITH_VALUES[marker] = (key, values)
    return marker


def is_api_text(text: object) -> bool:
    """Whether ``text`` is what ``api_text`` returns."""
    return isinstance(text, str) and text.startswith(API_TEXT_PREFIX)


def text_in(marker: str, lang: str) -> str:
    """The text ``marker`` names, in ``lang``. A key missing from the catalogue stays the key
    (``texts check`` and the tests name it): one missing text must not stop the document."""
    key, values = _WITH_VALUES.get(marker, (marker, {}))
    if not i18n.has_message(key):
        return marker
    return i18n.t(key, lang, **values)


def response_key(status: str) -> str:
    """The key of a response's description when its declaration gives none (FastAPI's own
    ``Successful Response``, ``Validation Error``, or the HTTP reason phrase)."""
    return f"api.doc.response.{status.lower()}"


def with_keys(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` (FastAPI's, in place) with every text FastAPI wrote itself named by key or
    left out: an operation's or a schema's description that is not a key is a docstring (for
    the code, in English), and a response without a declared description gets its status's."""
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in HTTP_METHODS:
                continue
            if not is_api_text(operation.get("description")):
                operation.pop("description", None)
            for status, response in operation.get("responses", {}).items():
                if not is_api_text(response.get("description")):
                    response["description"] = response_key(status)
    for schema in document.get("components", {}).get("schemas", {}).values():
        if not is_api_text(schema.get("description")):
            schema.pop("description", None)
    return document


def in_language(document: Any, lang: str) -> Any:
    """A copy of ``document`` with every key replaced by its text in ``lang`` (nothing else
    changes: operation ids, schemas, parameters stay as they are in every language)."""
    if isinstance(document, dict):
        return {name: in_language(value, lang) for name, value in document.items()}
    if isinstance(document, list):
        return [in_language(value, lang) for value in document]
    if is_api_text(document):
        return text_in(document, lang)
    return document


def keys_left(document: Any) -> list[str]:
    """Every key the document still holds (a text missing from the catalogue)."""
    if isinstance(document, dict):
        return [key for value in document.values() for key in keys_left(value)]
    if isinstance(document, list):
        return [key for value in document for key in keys_left(value)]
    return [document] if is_api_text(document) else []
