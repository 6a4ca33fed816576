"""Readers by format (CSV, XLSX, RDA). They report unreadable input to ``Problems`` instead of
raising, and give every record its 1-based row in the file (the header counts as a row)."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pandas as pd

from observatorio.harmonize.problems import Problems
from observatorio.sources import control_chars

ROW = "__row__"  # column holding each record's 1-based row in the file


#: Pseudo-encoding for files saved by Windows tools: UTF-8 where the bytes are valid UTF-8,
#: Windows-1252 elsewhere. It reads pure cp1252 files and files where UTF-8 and cp1252 text
#: were appended together alike.
UTF8_OR_CP1252 = "utf-8/cp1252"


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    # The UTF-8 decoder reports the shortest invalid span; read just those bytes as cp1252
    # (strictly: 0x81, 0x8D, 0x8F, 0x90 and 0x9D are undefined there and still fail).
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    try:
        return exc.object[exc.start:exc.end].decode("cp1252"), exc.end
    except UnicodeDecodeError:
        raise UnicodeDecodeError(UTF8_OR_CP1252, exc.object, exc.start, exc.end,
                                 "neither UTF-8 nor Windows-1252") from None


codecs.register_error("observatorio-cp1252", _cp1252_fallback)


def decode_utf8_or_cp1252(data: bytes) -> str:
    """Text of bytes that are UTF-8, Windows-1252 or a mix of both (see :data:`UTF8_OR_CP1252`)."""
    return data.decode("utf-8", errors="observatorio-cp1252")


def decode(path: Path, encoding: str, problems: Problems) -> str | None:
    """The file's text in ``encoding`` (or :data:`UTF8_OR_CP1252`); an undecodable byte is
    reported with its line."""
    data = path.read_bytes()
    try:
        if encoding == UTF8_OR_CP1252:
            return decode_utf8_or_cp1252(data)
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        reason = f"byte 0x{data[exc.start]:02X} (byte {exc.start})"
        problems.add("encoding", row=line, value=repr(data[exc.start:exc.start + 1]),
                     encoding=encoding, reason=reason)
        return None
    except LookupError:
        problems.add("encoding", encoding=encoding, reason="unknown encoding name")
        return None


def detect_encoding(path: Path) -> str:
    """A best guess of a text file's encoding (UTF-8, then Windows-1252, then charset-normalizer)."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        return "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError:
        pass
    # The observatory's tables are Spanish, English, French or Portuguese: when a file is not
    # UTF-8 it is almost always Windows-1252/Latin-1. charset-normalizer alone guesses cp1250
    # for short Spanish files, which turns "Año" into "Ań o"; it only decides when cp1252
    # cannot decode the bytes at all.
    try:
        data.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    return best.encoding if best else "cp1252"


def read_csv(
    path: Path,
    problems: Problems,
    *,
    encoding: str = "utf-8",
    skip_lines: int = 0,
    delimiter: str = ",",
    required: tuple[str, ...] = (),
) -> pd.DataFrame | None:
    """All cells as text (nothing guessed: ``NA`` stays ``NA``), plus the row column ``__row__``."""
    text = decode(path, encoding, problems)
    if text is None:
        return None
    # Before pandas, which would cut a cell at a NUL without a word.
    if not control_chars.check_csv_text(text, delimiter, skip_lines, problems):
        return None
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            skiprows=skip_lines,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            sep=delimiter,
            skipinitialspace=False,
            # Blank lines are kept while numbering so that __row__ stays the file's own line
            # number after a blank line; they are dropped just below.
            skip_blank_lines=False,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        problems.add("unreadable", reason=str(exc).strip().splitlines()[-1], format="CSV")
        return None
    # A UTF-8 byte-order mark read as "utf-8" (not "utf-8-sig") would stick to the first header.
    frame.columns = [str(c).replace("\ufeff", "").strip() for c in frame.columns]
    # Header is file row skip_lines + 1; the first record is the row after it.
    frame[ROW] = range(skip_lines + 2, skip_lines + 2 + len(frame))
    cells = frame.drop(columns=[ROW])
    if len(frame) and cells.shape[1]:
        frame = frame[(cells != "").any(axis=1)]
        _check_truncated(text, delimiter, frame, problems)
    if not require_columns(frame, required, problems):
        return None
    return frame


def _check_truncated(text: str, delimiter: str, frame: pd.DataFrame, problems: Problems) -> None:
    # pandas pads a short last record with empty cells, so a download cut mid-row would pass as
    # a row of blanks. A file that does not end with a newline and whose last line has fewer
    # fields than the header was cut short.
    if not len(frame) or text.endswith(("\n", "\r")):
        return
    last_line = text.rsplit("\n", 1)[-1]
    try:
        fields = next(csv.reader([last_line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return
    expected = frame.shape[1] - 1
    if len(fields) < expected:
        problems.add("truncated", row=int(frame[ROW].iloc[-1]), column=str(frame.columns[len(fields)]),
                     value=last_line[-40:], found=len(fields), expected=expected)


def require_columns(frame: pd.DataFrame, required: tuple[str, ...] | list[str], problems: Problems) -> bool:
    """Report each missing column; True when all are there."""
    found = [c for c in frame.columns if c != ROW]
    missing = [c for c in required if c not in frame.columns]
    for name in missing:
        problems.add("missing_column", row=1, column=name, expected=name,
                     found=", ".join(repr(c) for c in found[:20]))
    return not missing


def read_xlsx(path: Path, problems: Problems, sheet: str | int | None = None) -> dict[str, pd.DataFrame] | None:
    """Sheets of a workbook (all, or one) as frames with ``__row__`` (header = row 1)."""
    try:
        sheets = pd.read_excel(path, sheet_name=sheet, engine="calamine", dtype=object)
    except Exception as exc:  # calamine raises several types for corrupt workbooks
        problems.add("unreadable", reason=str(exc).splitlines()[0][:200], format="XLSX")
        return None
    if isinstance(sheets, pd.DataFrame):
        sheets = {str(sheet): sheets}
    out: dict[str, pd.DataFrame] = {}
    for name, frame in sheets.items():
        frame.columns = [str(c).strip() for c in frame.columns]
        frame[ROW] = range(2, 2 + len(frame))
        out[str(name)] = frame
    if not all([control_chars.check_frame(f, ROW, problems) for f in out.values()]):
        return None
    return out


def read_xlsx_grid(path: Path, problems: Problems) -> dict[str, list[list[object]]] | None:
    """Every sheet of a workbook as its grid of cells (row 0 = row 1 of the sheet), for
    publisher layouts whose header is not the first row (titles, grouped headers, notes)."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        grids: dict[str, list[list[object]]] = {}
        for name in workbook.sheet_names:
            grids[name] = [list(row) for row in workbook.get_sheet_by_name(name).to_python()]
        return grids
    except Exception as exc:  # calamine raises several types for corrupt workbooks
        problems.add("unreadable", reason=str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__,
                     format="XLSX")
        return None


def read_rda(path: Path, problems: Problems) -> dict[str, pd.DataFrame] | None:
    """Data frames of an R ``save()`` archive; ``__row__`` is the 1-based row in the data frame.

    Read with pyreadr (librdata, C): 20–60× faster than the pure-Python ``rdata`` on the larger
    IOM tables, which keeps the whole bundled load well under a minute. R factors come back as
    categoricals, R ``NA`` in text as missing, ``Date`` columns as dates, and tsibble
    ``yearmonth``/``yearquarter`` as days since 1970-01-01 (doubles): convert both kinds with
    :func:`days_to_dates`.
    """
    import pyreadr

    try:
        objects = pyreadr.read_r(str(path))
    except Exception as exc:  # pyreadr raises several types for corrupt archives
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        problems.add("unreadable", reason=reason, format="R .rda")
        return None
    out: dict[str, pd.DataFrame] = {}
    for name, obj in objects.items():
        if isinstance(obj, pd.DataFrame):
            frame = obj.reset_index(drop=True)
            frame.columns = [str(c) for c in frame.columns]
            frame[ROW] = range(1, len(frame) + 1)
            out[str(name)] = frame
    if not out:
        problems.add("unreadable", reason="no data frame inside", format="R .rda")
        return None
    if not all([control_chars.check_frame(f, ROW, problems) for f in out.values()]):
        return None
    return out


def days_to_dates(days: pd.Series) -> pd.Series:
    """Days since 1970-01-01 (tsibble) or dates/timestamps (R ``Date``) → ``datetime.date``."""
    if pd.api.types.is_numeric_dtype(days):
        stamps = pd.to_datetime(days.astype("float64"), unit="D", origin="unix", errors="coerce")
    else:
        stamps = pd.to_datetime(days, errors="coerce")
    return pd.Series([d.date() if not pd.isna(d) else None for d in stamps], index=days.index, dtype=object)
