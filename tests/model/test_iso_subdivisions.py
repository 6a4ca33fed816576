"""The subdivision table read from pycountry's data file (model/iso_subdivisions.py) holds what
pycountry's own database gives: same codes, countries, names and types. A pycountry release that
changes its file's layout fails here, not in a portal page."""

from __future__ import annotations

import gettext

import pycountry

from observatorio.model.iso_subdivisions import iso_subdivisions


def test_the_table_is_pycountrys_subdivisions() -> None:
    table = iso_subdivisions()
    es = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["es"], fallback=True)
    expected = {}
    for sub in pycountry.subdivisions:
        country = pycountry.countries.get(alpha_2=sub.country_code)
        if country is not None:
            expected[sub.code] = (country.alpha_3, sub.name, es.gettext(sub.name), sub.type)
    assert len(table) > 4000
    assert {code: (s.country, s.name_en, s.name_es, s.type) for code, s in table.items()} == expected
    assert table["MX-CHP"].country == "MEX" and table["GT-16"].country == "GTM"
