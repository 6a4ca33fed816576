"""A local HTTP server on 127.0.0.1 that answers as each publisher does, serving the real files
of ``data/`` (or, where a test revises them, the real file with a few cells changed).

Addresses are the publishers' own, below the server: ``https://www.cbp.gov/x`` is served at
``http://127.0.0.1:PORT/www.cbp.gov/x``; :func:`discovery_file` rewrites the built-in
declarations the same way, so the real declarations are what the tests exercise.

What it imitates: landing pages with dated links (CBP, OHSS), ETag/Last-Modified and 304, JSON
APIs and their paging (UNHCR population/v1, World Bank v2), GitHub tag listings and raw files
(IOM R packages), and on request a 500 before success, a download cut short (then whole), and an
HTML error page with status 200.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

from observatorio.sources.discovery import BUILTIN_FILE

CBP_PAGE = "/www.cbp.gov/document/stats/southwest-land-border-encounters"
CBP_FILES = "/www.cbp.gov/sites/default/files/assets/documents"
OHSS_PAGE = "/ohss.dhs.gov/khsm/cbp-encounters"
OHSS_FILES = "/ohss.dhs.gov/sites/default/files/2024-12"
MISSING = ("/missingmigrants.iom.int/sites/g/files/tmzbdl601/files/report-migrant-incident/"
           "Missing_Migrants_Global_Figures_allData.csv")
WORLDBANK = "/api.worldbank.org/v2/country/all/indicator/SP.POP.TOTL"
UNHCR = "/api.unhcr.org/population/v1/{table}/"
PACKAGE_TAGS = "/api.github.com/repos/iom/{package}/tags"
PACKAGE_FILE = "/raw.githubusercontent.com/iom/{package}/{tag}/data/{file}"
OHSS_NAME = "KHSM Encounters (USBP) fy25m11.xlsx"
CBP_NAME = "sbo-encounters-fy22-fy25-aug.csv"

#: The UNHCR API's field for each column of the Refugee Data Finder CSV (as discovery.yaml says).
UNHCR_FIELDS = {
    "Year": "year", "Country of origin": "coo_name", "Country of origin (ISO)": "coo_iso",
    "Country of asylum": "coa_name", "Country of asylum (ISO)": "coa_iso",
    "Refugees under UNHCR's mandate": "refugees", "Asylum-seekers": "asylum_seekers",
    "IDPs of concern to UNHCR": "idps", "Other people in need of international protection": "oip",
    "Stateless persons": "stateless", "Host Community": "hst", "Others of concern": "ooc",
    "Authority": "procedure_type", "Stage of procedure": "dec_level", "Cases / Persons": "dec_pc",
    "Recognized decisions": "dec_recognized", "Complementary protection": "dec_other",
    "Rejected decisions": "dec_rejected", "Otherwise closed": "dec_closed",
    "Total decisions": "dec_total", "applied": "applied",
}  # fmt: skip
UNHCR_TABLES = {
    "population": "unhcr_refugee_data_finder/population.csv",
    "asylum-decisions": "unhcr_refugee_data_finder/asylum-decisions.csv",
    "asylum-applications": "unhcr_asylum_applications/asylum-applications.csv",
}


@dataclass
class Publishers:
    """What the imitated publishers serve now; tests change it between refreshes."""

    data_dir: Path
    files: dict[str, bytes] = field(default_factory=dict)  # path → body of a data file
    pages: dict[str, str] = field(default_factory=dict)  # path → HTML landing page
    json_docs: dict[str, Callable[[dict[str, list[str]]], object]] = field(default_factory=dict)
    fail_once: dict[str, str] = field(default_factory=dict)  # path → "500" | "cut" | "html"
    always_html: set[str] = field(default_factory=set)  # paths answering an HTML page with 200
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, answer status)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # -- the real files, as each publisher serves them -------------------------------------------

    def publish_originals(self) -> None:
        data = self.data_dir
        self.publish_cbp({CBP_NAME: (data / "cbp_sw_land_border_encounters" / CBP_NAME).read_bytes(),
                          "sbo-encounters-fy22-fy25-jul.csv": b"an older file, never the newest"})
        ohss = (data / "ohss_cbp_usbp_encounters" / OHSS_NAME).read_bytes()
        self.publish_ohss({"KHSM Encounters (USBP) fy25m10.xlsx": b"older", OHSS_NAME: ohss})
        self.files[MISSING] = (data / "iom_missing_migrants" / "Missing_Migrants_Global_Figures.csv").read_bytes()
        self.publish_worldbank(_read_csv(data / "worldbank_population" / "population.csv"))
        for table, path in UNHCR_TABLES.items():
            self.publish_unhcr(table, _read_csv(data / path))
        for package in ("gdidata", "amerdigest"):
            self.publish_package(package, "v0.2.0", data / f"iom_{package}")

    def publish_cbp(self, files: dict[str, bytes]) -> None:
        links = "".join(f'<li><a href="{CBP_FILES}/{quote(name)}">{name}</a></li>' for name in files)
        self.pages[CBP_PAGE] = f"<!DOCTYPE html><html><body><ul>{links}</ul></body></html>"
        for name, body in files.items():
            self.files[f"{CBP_FILES}/{name}"] = body

    def publish_ohss(self, files: dict[str, bytes]) -> None:
        links = "".join(f'<a href="{OHSS_FILES}/{quote(name)}">{name}</a> ' for name in files)
        self.pages[OHSS_PAGE] = f"<html><body><p>Encounters</p>{links}</body></html>"
        for name, body in files.items():
            self.files[f"{OHSS_FILES}/{name}"] = body

    def publish_worldbank(self, rows: list[dict[str, str]], updated: str = "2025-07-01") -> None:
        items = [{"indicator": {"id": "SP.POP.TOTL", "value": "Population, total"},
                  "country": {"id": r["Country Code"][:2], "value": r["Country Name"]},
                  "countryiso3code": r["Country Code"], "date": r["Year"], "value": _number(r["Value"]),
                  "unit": "", "obs_status": "", "decimal": 0} for r in rows]

        def answer(query: dict[str, list[str]]) -> object:
            page, size = int(query.get("page", ["1"])[0]), int(query.get("per_page", ["50"])[0])
            pages = max(1, -(-len(items) // size))
            return [{"page": page, "pages": pages, "per_page": size, "total": len(items),
                     "sourceid": "2", "lastupdated": updated}, items[(page - 1) * size: page * size]]

        self.json_docs[WORLDBANK] = answer

    def publish_unhcr(self, table: str, rows: list[dict[str, str]]) -> None:
        items = [{UNHCR_FIELDS[k]: _number(v) for k, v in r.items() if k in UNHCR_FIELDS} for r in rows]

        def answer(query: dict[str, list[str]]) -> object:
            page, size = int(query.get("page", ["1"])[0]), int(query.get("limit", ["100"])[0])
            pages = max(1, -(-len(items) // size))
            return {"page": page, "maxPages": pages, "total": len(items), "limit": size,
                    "items": items[(page - 1) * size: page * size]}

        self.json_docs[UNHCR.format(table=table)] = answer

    def publish_package(self, package: str, newest: str, folder: Path) -> None:
        tags = [{"name": "v0.1.0"}, {"name": newest}, {"name": "nightly"}]
        self.json_docs[PACKAGE_TAGS.format(package=package)] = lambda _q: tags
        for path in folder.glob("*.rda"):
            self.files[PACKAGE_FILE.format(package=package, tag=newest, file=path.name)] = path.read_bytes()

    # -- answering ----------------------------------------------------------------------------------

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        split = urlsplit(handler.path)
        path, query = unquote(split.path), parse_qs(split.query)
        with self.lock:
            trouble = self.fail_once.pop(path, None) if path in self.fail_once else None
            if path in self.always_html:
                trouble = "html"
        if trouble == "500":
            self._log(path, "500")
            handler.send_error(500, "Internal Server Error")
            return
        if trouble == "html":
            self._log(path, "200-html")
            self._send(handler, b"<!DOCTYPE html><html><body><h1>Service unavailable</h1></body></html>",
                       "text/html; charset=utf-8", {})
            return
        if path in self.pages:
            self._log(path, "200")
            self._send(handler, self.pages[path].encode(), "text/html; charset=utf-8", {})
        elif path in self.json_docs:
            self._log(path, "200")
            self._send(handler, json.dumps(self.json_docs[path](query)).encode(), "application/json", {})
        elif path in self.files:
            body = self.files[path]
            # Most servers give an ETag; the IOM site only a Last-Modified (a fixed date per body).
            validator = _validator(path, body)
            asked = handler.headers.get("If-Modified-Since" if path in DATED_ONLY else "If-None-Match")
            if asked == validator[1]:
                self._log(path, "304")
                handler.send_response(304)
                handler.send_header(*validator)
                handler.end_headers()
                return
            if trouble == "cut":
                self._log(path, "200-cut")
                handler.send_response(200)
                handler.send_header("Content-Type", "application/octet-stream")
                handler.send_header("Content-Length", str(len(body)))
                handler.end_headers()
                handler.wfile.write(body[: len(body) // 3])
                handler.wfile.flush()
                handler.close_connection = True
                return
            self._log(path, "200")
            self._send(handler, body, "application/octet-stream", dict([validator]))
        else:
            self._log(path, "404")
            handler.send_error(404, "Not Found")

    def _log(self, path: str, status: str) -> None:
        with self.lock:
            self.requests.append((path, status))

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, body: bytes, content_type: str, headers: dict[str, str]) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)


#: Files served with a Last-Modified date and no ETag.
DATED_ONLY = frozenset({MISSING})


def _validator(path: str, body: bytes) -> tuple[str, str]:
    digest = hashlib.sha256(body).hexdigest()
    if path in DATED_ONLY:  # a date that changes with the content
        stamp = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=int(digest[:6], 16))
        return "Last-Modified", format_datetime(stamp, usegmt=True)
    return "ETag", f'"{digest[:16]}"'


def serve(publishers: Publishers) -> ThreadingHTTPServer:
    """Start the server on a free port of 127.0.0.1 (a daemon thread; call ``shutdown()``)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            publishers.answer(self)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def discovery_file(folder: Path, base: str) -> Path:
    """The built-in declarations with every ``https://`` address moved below ``base``."""
    path = folder / "discovery.yaml"
    path.write_text(BUILTIN_FILE.read_text(encoding="utf-8").replace("https://", f"{base}/"),
                    encoding="utf-8")
    return path


def _read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a real published CSV (skipping a Refugee Data Finder preamble)."""
    text = path.read_text(encoding="utf-8-sig")
    start = text.find('"Year"') if text.startswith("Extracted") else 0
    start = text.find("Year,") if start < 0 else start
    return list(csv.DictReader(io.StringIO(text[start:])))


def _number(text: str) -> object:
    """A CSV cell as the API would send it: numbers as numbers, the rest as text."""
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text or None


def revise_csv(body: bytes, line: int, column: str, value: str) -> tuple[bytes, str]:
    """The CSV ``body`` with one cell changed (1-based file ``line``); the old cell's text."""
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    index = rows[0].index(column)
    old = rows[line - 1][index]
    rows[line - 1][index] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n" if b"\r\n" in body[:4000] else "\n").writerows(rows)
    return out.getvalue().encode(), old
