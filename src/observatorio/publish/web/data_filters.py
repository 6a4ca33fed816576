"""The data page's list of API filters, one per dimension of the contract (model/dimensions.py):
a dimension added to the contract is listed here, with its label and where its codes are, with
no edit to the page."""

from __future__ import annotations

from observatorio.i18n import t
from observatorio.model.dimensions import CODELIST_OF, SERIES_KEY

#: Where the codes of a dimension without a codelist are listed (the store's own values).
_STORE_VALUES_URL = "/api/v1/sources"


def api_filters(lang: str) -> list[dict[str, str]]:
    """Each dimension a reader can filter ``/api/v1/observations`` on, in the series-key order:
    the query parameter, its label in ``lang`` (the SDMX concept's) and its codes' address."""
    return [
        {
            "parameter": name,
            "label": t(f"sdmx.concept.{name}", lang),
            "codes": f"/api/v1/codelists/{CODELIST_OF[name]}" if name in CODELIST_OF
            else _STORE_VALUES_URL,
        }
        for name in SERIES_KEY
    ]
