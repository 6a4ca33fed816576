"""The OpenAPI document and its docs page, in the reader's language: Spanish by default,
English with ``?lang=en`` (``/api/openapi.json?lang=en``, ``/api/docs?lang=en``).

The routes declare their texts by key (observatorio/api_texts.py); FastAPI generates the
document once, with the keys in it, and each language's copy is made and encoded once, on its
first request: the document is static for the life of the app (the routes, and the parameters
the contract gives them, are fixed when the app is built). ``app.openapi()`` answers the Spanish
copy. Swagger UI's script and style come from the installed fastapi-offline package, not a CDN:
the docs work offline and no request leaves the server (no validator badge either).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import fastapi_offline
from fastapi import FastAPI, Query, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse, Response

from observatorio import i18n
from observatorio.api_texts import in_language, with_keys

OPENAPI_URL = "/api/openapi.json"
DOCS_URL = "/api/docs"
DOCS_ASSETS_URL = "/api/docs-assets"
OAUTH2_REDIRECT_URL = "/api/docs/oauth2-redirect"
_ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"

#: The documentation's language: the document's texts, not the data's (``es`` or ``en``).
LangQ = Annotated[str, Query()]


class DocumentInLanguages:
    """The app's OpenAPI document, one copy per language, each made once."""

    def __init__(self, app: FastAPI, complete: Callable[[], None] | None = None) -> None:
        self._generate = app.openapi  # FastAPI's own: the document with the keys, made once
        #: called before the document is made: adds the routes an app loads on first use
        #: (its cases side: cases_side.py), which the document lists too
        self._complete = complete
        self._copies: dict[str, tuple[dict[str, Any], bytes]] = {}
        self._lock = threading.RLock()

    def with_keys(self) -> dict[str, Any]:
        """The document as the declarations give it: every text a key (made once; FastAPI keeps
        it as ``app.openapi_schema``, and ``with_keys`` changes nothing the second time)."""
        with self._lock:
            if self._complete is not None:
                self._complete()
            return with_keys(self._generate())

    def _copy(self, lang: str) -> tuple[dict[str, Any], bytes]:
        lang = i18n.normalize_lang(lang)
        with self._lock:
            if lang not in self._copies:
                document = in_language(self.with_keys(), lang)
                encoded = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
                self._copies[lang] = (document, encoded)
            return self._copies[lang]

    def document(self, lang: str = i18n.DEFAULT_LANG) -> dict[str, Any]:
        return self._copy(lang)[0]

    def encoded(self, lang: str) -> bytes:
        return self._copy(lang)[1]


def serve_docs(app: FastAPI, swagger_ui_parameters: dict[str, Any],
               complete: Callable[[], None] | None = None) -> None:
    """The document (``app.openapi()`` answers the Spanish one), its two routes and Swagger UI's
    self-hosted assets. The app is built with ``openapi_url=None`` and ``docs_url=None``: these
    routes replace FastAPI's, which know one language only. ``complete`` runs before the document
    is made (DocumentInLanguages)."""
    documents = DocumentInLanguages(app, complete)
    app.state.openapi_documents = documents
    app.openapi = documents.document  # type: ignore[method-assign]
    app.mount(DOCS_ASSETS_URL, StaticFiles(directory=_ASSETS.as_posix()), name="static-offline-docs")

    @app.get(OPENAPI_URL, include_in_schema=False)
    def openapi_document(lang: LangQ = i18n.DEFAULT_LANG) -> Response:
        return Response(documents.encoded(lang), media_type="application/json")

    @app.get(DOCS_URL, include_in_schema=False)
    def docs_page(request: Request, lang: LangQ = i18n.DEFAULT_LANG) -> HTMLResponse:
        lang = i18n.normalize_lang(lang)
        root = request.scope.get("root_path", "")
        page = get_swagger_ui_html(
            openapi_url=f"{root}{OPENAPI_URL}?lang={lang}",
            title=i18n.t("api.doc.docs_page_title", lang),
            oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT_URL}",
            swagger_js_url=f"{root}{DOCS_ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS_URL}/favicon.png",
            swagger_ui_parameters=swagger_ui_parameters,
        )
        body = bytes(page.body).replace(b'<html>', f'<html lang="{lang}">'.encode(), 1)
        return HTMLResponse(body)

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
