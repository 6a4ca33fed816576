"""What a server worker answers from the analysis (indicators, roles, profiles, mirror pairs)
never uses pandas (#12: importing it costs every worker about 46 MB)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# pandas replaced by a module that fails on any use, then every answer of the analysis routes
_SCRIPT = """
import sys, types

class Trap(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise RuntimeError(f"pandas.{name} used")

sys.modules["pandas"] = Trap("pandas")
from observatorio.analysis import views
from observatorio.analysis.indicators import IndicatorEngine
from observatorio.model.codelists import CRM_MEMBERS
from observatorio.store import Store

with Store.open(sys.argv[1], read_only=True) as store:
    engine = IndicatorEngine(store.con)
    views.catalogue_records("es")
    for ind in engine.catalogue.indicators:
        for country in (None, "GTM", "ZZZ"):
            for freq in engine.native_freqs(ind.id):
                views.indicator_values(engine, ind.id, country, freq, 2015, 2024, "en")
    views.role_records(engine, None, None, "es")
    for iso3 in CRM_MEMBERS:
        views.profile_record(engine, iso3, None, "en")
    for freq in ("M", "A"):
        views.mirror_record(engine, freq, None, None, 2018, 2024, "es")
print("answered")
"""


def test_the_analysis_answers_without_pandas(analysis_store_path: Path) -> None:
    src = Path(__file__).resolve().parents[2] / "src"
    done = subprocess.run([sys.executable, "-c", _SCRIPT, str(analysis_store_path)], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(src)}, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "answered"
