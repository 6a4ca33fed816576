"""pyarrow told "no pandas" in a fresh process (a server worker): building arrays from Python and
numpy values no longer imports pandas, and pandas still works when something asks for it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import pyarrow as pa
    from observatorio.store.arrow_without_pandas import tell_arrow_no_pandas

    assert tell_arrow_no_pandas()
    a = pa.array(np.arange(3), type=pa.int64())
    b = pa.array(["x", None], type=pa.string())
    t = pa.Table.from_pylist([{"k": "a", "v": 1.5}])
    import duckdb
    rows = duckdb.connect().execute("SELECT sum(v) FROM t").fetchall()
    assert "pandas" not in sys.modules, "pyarrow imported pandas"
    import pandas as pd  # still importable, and conversions work both ways
    assert t.to_pandas()["v"].tolist() == [1.5]
    assert pa.array(pd.Series([1, None])).null_count == 1
    assert pa.Table.from_pandas(pd.DataFrame({"x": [1]})).num_rows == 1
    assert duckdb.connect().execute("SELECT 1 AS x").df()["x"].tolist() == [1]
    assert not tell_arrow_no_pandas()  # pandas loaded: nothing to tell
    print("ok", rows)
    """
)


def test_a_worker_builds_arrow_arrays_without_importing_pandas() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("ok [(1.5,)]")
