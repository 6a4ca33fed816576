"""World Bank, World Development Indicators: total population (SP.POP.TOTL), long CSV."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pandas as pd

from observatorio.harmonize.frame import assemble, parse_values, resolve_countries
from observatorio.harmonize.problems import Problems
from observatorio.sources.adapter import Adapter, register
from observatorio.sources.catalogue import source_info
from observatorio.sources.readers import ROW, read_csv

log = logging.getLogger(__name__)

NAME, CODE, YEAR, VALUE = "Country Name", "Country Code", "Year", "Value"

#: World Bank codes that are groups of economies (regions, income and lending groups,
#: demographic-dividend groups), not countries. They are skipped, never loaded: summing them
#: with countries would count people twice.
AGGREGATES: dict[str, str] = {
    "AFE": "Africa Eastern and Southern", "AFW": "Africa Western and Central",
    "ARB": "Arab World", "CEB": "Central Europe and the Baltics",
    "CSS": "Caribbean small states", "EAP": "East Asia & Pacific (excluding high income)",
    "EAR": "Early-demographic dividend", "EAS": "East Asia & Pacific",
    "ECA": "Europe & Central Asia (excluding high income)", "ECS": "Europe & Central Asia",
    "EMU": "Euro area", "EUU": "European Union",
    "FCS": "Fragile and conflict affected situations", "HIC": "High income",
    "HPC": "Heavily indebted poor countries (HIPC)", "IBD": "IBRD only",
    "IBT": "IDA & IBRD total", "IDA": "IDA total", "IDB": "IDA blend", "IDX": "IDA only",
    "INX": "Not classified",
    "LAC": "Latin America & Caribbean (excluding high income)", "LCN": "Latin America & Caribbean",
    "LDC": "Least developed countries: UN classification", "LIC": "Low income",
    "LMC": "Lower middle income", "LMY": "Low & middle income", "LTE": "Late-demographic dividend",
    "MEA": "Middle East, North Africa, Afghanistan & Pakistan", "MIC": "Middle income",
    "MNA": "Middle East, North Africa, Afghanistan & Pakistan (excluding high income)",
    "NAC": "North America", "OED": "OECD members", "OSS": "Other small states",
    "PRE": "Pre-demographic dividend", "PSS": "Pacific island small states",
    "PST": "Post-demographic dividend", "SAS": "South Asia",
    "SSA": "Sub-Saharan Africa (excluding high income)", "SSF": "Sub-Saharan Africa",
    "SST": "Small states", "TEA": "East Asia & Pacific (IDA & IBRD countries)",
    "TEC": "Europe & Central Asia (IDA & IBRD countries)",
    "TLA": "Latin America & the Caribbean (IDA & IBRD countries)",
    "TMN": "Middle East, North Africa, Afghanistan & Pakistan (IDA & IBRD)",
    "TSA": "South Asia (IDA & IBRD)", "TSS": "Sub-Saharan Africa (IDA & IBRD countries)",
    "UMC": "Upper middle income", "WLD": "World",
}  # fmt: skip

#: World Bank economies without an ISO 3166 code of their own, skipped like the aggregates.
NON_ISO_ECONOMIES: dict[str, str] = {"CHI": "Channel Islands (Guernsey and Jersey together)"}

SKIPPED = AGGREGATES | NON_ISO_ECONOMIES


class Population(Adapter):
    info = source_info("worldbank_population")

    def read(self, path: Path, problems: Problems, release: date) -> pd.DataFrame:
        raw = read_csv(path, problems, required=(NAME, CODE, YEAR, VALUE))
        if raw is None:
            return pd.DataFrame()
        code = raw[CODE].str.strip()
        skipped = skipped_codes(code)
        if skipped:
            log.info("%s: skipped %d rows of %d World Bank aggregates", path.name,
                     sum(skipped.values()), len(skipped))
        raw = raw[~code.isin(list(SKIPPED))]
        rows = raw[ROW]
        year = pd.to_numeric(raw[YEAR].str.strip(), errors="coerce")
        bad = year.isna() | (year != year.round())
        problems.add_rows("impossible_period", rows[bad].tolist(), YEAR, raw[YEAR][bad].tolist(),
                          reason="expected a year such as 2024")
        period = year.where(~bad).map({y: date(int(y), 1, 1) for y in year[~bad].unique()}).astype(object)
        ref_area = resolve_countries(raw[CODE].str.strip(), rows, CODE, problems)
        values, status = parse_values(raw[VALUE], rows, VALUE, problems, blank="missing")
        return assemble(raw.index, {
            "dataflow": "POPULATION", "source_row": rows, "freq": "A", "period": period,
            "ref_area": ref_area, "citizenship": "_T", "counterpart_area": "_Z", "flow": "POPULATION",
            "unit": "PERSONS", "value": values, "obs_status": status,
            "source": self.info.id, "source_file": path.name, "release": release,
        })


def skipped_codes(codes: pd.Series) -> dict[str, int]:
    """How many rows each skipped code (aggregate or non-ISO economy) has in the file."""
    counts = codes[codes.isin(list(SKIPPED))].value_counts()
    return {str(k): int(v) for k, v in counts.items()}


register(Population())
