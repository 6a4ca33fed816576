"""An uploaded file checked exactly as ``observatorio validate`` checks it: same adapters or
mapping engine, same problems (file, row, column, value, rule, what to do)."""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from observatorio.harmonize.problems import Problems
from observatorio.loading import harmonize_file
from observatorio.sources.base import Adapter, get_adapter
from observatorio.sources.mapping import MappingAdapter, load_mapping


@dataclass(frozen=True)
class Checked:
    """The harmonized rows of an upload, every problem found, and its release."""

    adapter: Adapter
    frame: pd.DataFrame
    problems: Problems
    release: date
    sha256: str

    @property
    def clean(self) -> bool:
        return not self.problems


def safe_name(file_name: str) -> str:
    """The uploaded file's name without any folder part or odd character (it is shown and kept)."""
    name = re.sub(r"[^\w.\- ]+", "_", Path(file_name.replace("\\", "/")).name).strip(" .")
    return name[:200] or "upload.csv"


@contextmanager
def checked_upload(source: str, file_name: str, content: bytes, mapping: str | None = None,
                   release: date | None = None) -> Iterator[Checked]:
    """Check ``content`` as a release of ``source`` (its built-in adapter or registered
    mapping), or with the ``mapping`` text sent along; a broken mapping raises MappingInvalid
    with its own report (line numbers)."""
    with tempfile.TemporaryDirectory(prefix="submission-") as tmp:
        folder = Path(tmp)
        path = folder / safe_name(file_name)
        path.write_bytes(content)
        adapter: Adapter
        if mapping is not None:
            mapping_path = folder / "mapping.yaml"
            mapping_path.write_text(mapping, encoding="utf-8")
            adapter = MappingAdapter(load_mapping(mapping_path), mapping_path)
        else:
            adapter = get_adapter(source)
        frame, problems, resolved = harmonize_file(adapter, path, release)
        yield Checked(adapter, frame, problems, resolved, hashlib.sha256(content).hexdigest())
