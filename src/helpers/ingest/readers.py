"""Read one raw file (CSV, XLSX, Google Forms, KoboToolbox export) into contract columns.

The result holds every value as a string exactly as read (parsing happens in
``helpers.ingest.parsers``), the contract's column names, and bookkeeping columns: the source file and
the row number as a spreadsheet shows it (the header is row ``header_row``, 1 by default), so
every problem can be found in the file the researcher has open.

What real exports need, and where it is handled:

- Encodings: UTF-8 with or without BOM, UTF-16 with BOM ("Unicode text"), and Windows-1252
  (Excel's "CSV" on Windows); or ``encoding:`` in dataset.yml.
- Separators: ``,`` ``;`` tab or ``|``, found from the header line; Excel's ``sep=;`` first line.
- Headers: matched ignoring case, line breaks and repeated spaces (Google Forms question text);
  Kobo group prefixes (``grp_reaksi/relevance``) may be left out of a mapping.
- Rows: entirely blank rows are skipped (and counted); a row with more values than headers is
  kept and flagged so that it goes to quarantine instead of being cut silently.
- Kobo: the trailing ``_id``, ``_uuid``, ... columns are ignored; an HXL hashtag row under the
  header is skipped (the first data row is then row 3, as in the spreadsheet).
- Excel: cells are turned into text the way they look (dates as ISO, whole numbers without
  ``.0``); numbers of 16 digits or more are shown in scientific notation because Excel has
  already lost their last digits (a NIP typed as a number).

Speed: a CSV file is split into cells by Arrow's CSV reader (C++, no Python per row) whenever
that gives exactly what Python's ``csv`` module gives; otherwise, and for workbooks, by the
``csv`` module itself, row by row. ``_csv_arrow`` lists when Arrow is not used. The cells are
held as Arrow strings (about the size of the text) rather than as Python objects (about 60 bytes
more per cell).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
import hashlib
import io
import itertools
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..errors import DataContractError, DataContractErrors
from .contract import TableSpec
from .dataset_spec import FileSpec
from .privacy import scrub_text

# Bookkeeping columns of every frame read here, used by the checks downstream.
SOURCE_FILE = "_source_file"  # the file as dataset.yml names it
SOURCE_ROW = "_source_row"  # the row number as a spreadsheet shows it
READ_PROBLEM = "_read_problem"  # why a line is malformed (e.g. too many fields), or ""

KOBO_META = re.compile(
    r"^(_(id|uuid|submission_time|validation_status|notes|status|submitted_by|tags|index"
    r"|parent_table_name|parent_index|version|xform_id|geolocation|attachments|duration)"
    r"|__version__|meta/.*|formhub/.*)$",
    re.IGNORECASE,
)
TIMESTAMP_HEADERS = ("timestamp", "stempel waktu", "cap waktu")
DELIMITERS = (",", ";", "\t", "|")
_EXCEL_EXACT_DIGITS = 15  # Excel keeps 15 significant digits of a number


_HEADER_SEARCH_ROWS = 10  # rows searched for the real header when the declared one matches little
_OCCURRENCE = re.compile(r"^(.*?\S)\s*#\s*(\d+)$")  # "Nilai#2": the second column headed "Nilai"


@dataclass
class RawTable:
    """One file as read: contract columns as text plus bookkeeping, and what was skipped.

    Attributes
    ----------
    frame : DataFrame
        Contract columns as text (``str`` dtype), ``_source_row``, ``_read_problem`` and
        ``_source_file`` (categorical: one file name for every row).
    blank_rows : int
        Entirely blank rows, skipped.
    not_collected : tuple of str
        Contract columns this file does not supply (neither in the file nor set by
        ``constants:``), declared under ``not_collected:`` or not.
    warnings : list of DataContractError
        Problems that do not stop the run (not raised): a column that analyses use is missing
        from the file without being declared under ``not_collected:``.
    sha256 : str
        Hash of the bytes that were read (the manifest's input hash).
    """

    frame: pd.DataFrame
    blank_rows: int
    not_collected: tuple[str, ...] = ()
    warnings: list[DataContractError] = field(default_factory=list)
    sha256: str = ""


def normalise_header(text: str) -> str:
    """Fold case, surrounding white space and line breaks, as the header mapping promises.

    >>> normalise_header("  Seberapa RELEVAN\\nmateri  pelatihan? ")
    'seberapa relevan materi pelatihan?'
    """
    return " ".join(str(text).split()).lower()


# ---------------------------------------------------------------- CSV


def _decode(data: bytes, path: Path, encoding: str | None) -> str:
    if data[:4] == b"PK\x03\x04":
        raise DataContractError(
            str(path),
            "format",
            "this is an Excel workbook, not CSV text: set 'format: xlsx' for it in dataset.yml (or name it .xlsx)",
        )
    if encoding:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise DataContractError(str(path), "encoding", f"cannot be read as {encoding}: {exc}") from None
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise DataContractError(
        str(path), "encoding", "not UTF-8 or Windows-1252 text: save it as 'CSV UTF-8', or set encoding: in dataset.yml"
    )


def _sniff_delimiter(text: str, whole: bool = True) -> str | None:
    """The delimiter that splits the header record into the most fields (``,`` on a tie).

    With ``whole=False`` ``text`` is only the beginning of the file: None when, for some
    delimiter, the header record might run past it.
    """
    counts = {}
    for delim in DELIMITERS:
        reader = csv.reader(io.StringIO(text), delimiter=delim)
        try:
            counts[delim] = len(next(reader, []))
        except csv.Error:
            counts[delim] = 0
            continue
        try:
            if not whole and next(reader, None) is None:
                return None
        except csv.Error:  # an error in the second record: the first one is complete
            pass
    return max(DELIMITERS, key=lambda d: (counts[d], -DELIMITERS.index(d)))


def _csv_records(data: bytes, path: Path, fspec: FileSpec) -> list[list[str]]:
    text = _decode(data, path, fspec.encoding)
    sep_line = re.match(r"^sep=(.)\r?\n", text)
    if sep_line:  # Excel's hint line: Excel itself does not show it as a row
        delim, text = sep_line.group(1), text[sep_line.end() :]
    else:
        delim = _sniff_delimiter(text)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))
    except csv.Error as exc:
        raise DataContractError(
            str(path), "csv", f"not readable as CSV ({exc}): export it again from the survey tool or spreadsheet"
        ) from None


# Python's str.strip() removes exactly these characters (str.isspace); none is above U+3000.
WHITESPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
_WHITESPACE_LEAD = np.zeros(256, dtype=bool)  # first UTF-8 byte of a white-space character
_WHITESPACE_LEAD[[c.encode("utf-8")[0] for c in WHITESPACE]] = True
_UTF8_BOM = codecs.BOM_UTF8
_PREFIX_BYTES = 1 << 20  # the start of a file, read by the csv module for the header records
_ARROW_BLOCK = 1 << 20
_ARROW_MAX_BLOCK = (1 << 31) - 1


def _utf8(data: bytes, path: Path, encoding: str | None) -> bytes:
    """The text ``_decode`` reads, as UTF-8 bytes; ASCII files are not decoded at all."""
    if encoding is None and data.isascii():
        return data  # _decode would read it as UTF-8, unchanged
    return _decode(data, path, encoding).encode("utf-8", errors="surrogatepass")


def _blank_cells(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Which cells are empty after ``str.strip()``, as a boolean array.

    Only cells that are empty or start with a white-space byte can be blank; those few are
    checked exactly, by Python.
    """
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    n = len(column)
    if n == 0:
        return np.zeros(0, dtype=bool)
    buffers = column.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64 if pa.types.is_large_string(column.type) else np.int32)
    offsets = offsets[column.offset : column.offset + n + 1]
    lengths = np.diff(offsets)
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else np.zeros(0, np.uint8)
    if len(data) == 0:  # every cell empty
        return np.ones(n, dtype=bool)
    starts = np.minimum(offsets[:-1], len(data) - 1)  # (an empty cell at the very end points past the data)
    blank = lengths == 0
    maybe = np.flatnonzero(~blank & _WHITESPACE_LEAD[data[starts]])
    if len(maybe):
        blank[maybe] = [not v.strip() for v in column.take(pa.array(maybe)).to_pylist()]
    return blank


def _arrow_table(body: pa.Buffer, delim: str, width: int, block_size: int) -> pa.Table | None:
    try:
        return pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(use_threads=False, block_size=block_size, autogenerate_column_names=True),
            parse_options=pacsv.ParseOptions(
                delimiter=delim,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=True,
                ignore_empty_lines=False,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(width)},
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, ValueError):  # a row of another width, an open quote at the end, ...
        return None


def _csv_arrow(data: bytes, path: Path, fspec: FileSpec) -> tuple[list[list[str]], pd.DataFrame, int] | None:
    """Read a CSV file with Arrow: the first records (as the csv module reads them), the frame
    ``_frame`` would make of all of them, and the number of blank rows; or None, and the csv
    module reads it, when Arrow's result might differ.

    Arrow and the csv module split quoted cells, doubled quotes, quotes inside unquoted cells and
    line breaks inside quotes alike; an empty line is a row of empty cells to Arrow and ``[]``
    to the csv module, blank either way. None for: a header row other than 1; a header record not
    complete within the first MiB; a ``sep=`` line naming an unusual delimiter; a byte-order mark
    left in the text (Arrow would drop it); a row narrower or wider than the header record, or an
    unterminated quote (Arrow refuses them); a cell longer than the csv module's field limit (it
    refuses them); first records that differ (a last check). A carriage return inside a value (a
    line break typed in a cell) makes Arrow read the file again as one block: where a block
    boundary splits ``\r\n`` inside quotes, Arrow (pyarrow 26) drops the ``\n``.
    """
    if fspec.header_row != 1:
        return None
    text = _utf8(data, path, fspec.encoding)
    if text.startswith(_UTF8_BOM):
        return None
    whole = len(text) <= _PREFIX_BYTES
    prefix = codecs.getincrementaldecoder("utf-8")().decode(text[:_PREFIX_BYTES])
    start = 0
    sep_line = re.match(r"^sep=(.)\r?\n", prefix)
    if sep_line:
        delim, start, prefix = sep_line.group(1), len(sep_line.group(0).encode("utf-8")), prefix[sep_line.end() :]
    else:
        delim = _sniff_delimiter(prefix, whole)
    if delim not in DELIMITERS:
        return None
    try:
        head = list(
            itertools.islice(csv.reader(io.StringIO(prefix, newline=""), delimiter=delim), _HEADER_SEARCH_ROWS + 1)
        )
    except csv.Error:
        return None
    if not whole and len(head) <= _HEADER_SEARCH_ROWS:
        return None
    head = head[:_HEADER_SEARCH_ROWS]
    if not head or not any(c.strip() for c in head[0]):
        return None  # no header: the csv module's reading says so
    width = len(head[0])
    body = pa.py_buffer(text)[start:]
    table = _arrow_table(body, delim, width, _ARROW_BLOCK)
    if table is not None and any(pc.any(pc.match_substring(c, "\r")).as_py() for c in table.columns):
        table = _arrow_table(body, delim, width, len(body) + 1) if len(body) < _ARROW_MAX_BLOCK else None
    if table is None or table.num_columns != width:
        return None
    first = [list(r.values()) for r in table.slice(0, len(head)).to_pylist()]
    if first != [rec or [""] * width for rec in head]:  # the csv module reads an empty line as []
        return None
    limit = csv.field_size_limit()
    if any((pc.max(pc.binary_length(c)).as_py() or 0) > limit for c in table.columns):
        return None
    df, blank = _arrow_frame(table.slice(1), head[0])
    return head, df, blank


def _arrow_frame(body: pa.Table, header_record: list[str]) -> tuple[pd.DataFrame, int]:
    """What ``_frame`` makes of ``body`` (every record as wide as the header record, header row 1)."""
    header = [str(c) for c in header_record]
    while header and not header[-1].strip():
        header.pop()
    width = len(header)
    blank = np.ones(body.num_rows, dtype=bool)
    for column in body.columns:  # a row is blank if every cell is
        rows = np.flatnonzero(blank)
        if len(rows) == 0:
            break
        blank[rows] = _blank_cells(column.take(pa.array(rows)) if len(rows) < body.num_rows else column)
    keep = np.flatnonzero(~blank)
    notes = np.full(len(keep), "", dtype=object)
    extra = body.columns[width:]
    if extra:
        filled = np.zeros(body.num_rows, dtype=bool)
        for column in extra:
            filled |= ~_blank_cells(column)
        for i in np.flatnonzero(filled):  # rows with values beyond the header (never blank rows)
            values = [c[int(i)].as_py() for c in body.columns]
            notes[np.searchsorted(keep, i)] = _extra_note(values, width)
    kept = body.select(range(width))
    if len(keep) < body.num_rows:
        kept = kept.take(pa.array(keep))
    df = kept.to_pandas()
    df.columns = header  # set afterwards: headers may repeat
    df[SOURCE_ROW] = keep + 2  # the header is row 1
    df[READ_PROBLEM] = pd.array(notes, dtype="str")
    return df, int(blank.sum())


def _extra_note(rec: list[str], width: int) -> str:
    """Why a record with values beyond the header is kept but flagged."""
    shown = scrub_text(" | ".join(rec[width:]).strip())
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return (
        f"the row has {len(rec)} values but the header has {width} (extra: '{shown}'): a "
        "separator inside an unquoted value?"
    )


# ---------------------------------------------------------------- XLSX


def _cell_text(v, decimal: str = "auto") -> str:
    """An Excel cell as the text it shows: dates as ISO, whole numbers without ``.0``, blanks ``''``."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        if abs(v) >= 10**_EXCEL_EXACT_DIGITS:  # Excel has already dropped digits: show it as Excel does
            return f"{float(v):.{_EXCEL_EXACT_DIGITS - 1}E}"
        if isinstance(v, int) or float(v).is_integer():
            return str(int(v))
        text = np.format_float_positional(v, trim="-")
        return text.replace(".", ",") if decimal == "comma" else text
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ") if (v.hour or v.minute or v.second) else v.date().isoformat()
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    return str(v)


def _xlsx_records(data: bytes, path: Path, fspec: FileSpec) -> list[list[str]]:
    import openpyxl  # only needed for workbooks

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        hint = " (an old .xls workbook: save it as .xlsx)" if path.suffix.lower() == ".xls" else ""
        raise DataContractError(str(path), "format", f"not a readable .xlsx workbook{hint}: {exc}") from None
    sheet = fspec.sheet
    if sheet is None:
        ws = wb.worksheets[0]
    elif isinstance(sheet, int):
        if not 0 <= sheet < len(wb.worksheets):
            raise DataContractError(
                str(path), "sheet", f"no sheet number {sheet} (the workbook has {len(wb.worksheets)}; 0 is the first)"
            )
        ws = wb.worksheets[sheet]
    elif sheet in wb.sheetnames:
        ws = wb[sheet]
    else:
        raise DataContractError(
            str(path),
            "sheet",
            f"no sheet named '{sheet}' (sheets: {', '.join(wb.sheetnames)}): set sheet: in dataset.yml to one of them",
        )
    return [
        [_cell_text(v, fspec.decimal) for v in row]
        for row in ws.iter_rows(min_row=1, max_row=ws.max_row, values_only=True)
    ]


# ---------------------------------------------------------------- records -> frame


def _frame(records: list[list[str]], fspec: FileSpec, path: Path, context: str, hint: str) -> tuple[pd.DataFrame, int]:
    """Header + rows -> a frame of strings with spreadsheet row numbers; blank rows dropped."""
    h = fspec.header_row
    if len(records) < h or not any(str(c).strip() for c in records[h - 1]):
        raise DataContractError(
            str(path),
            "empty-file",
            f"{context}: no header in row {h}: "
            + (hint or "the file is empty or header_row in dataset.yml points at the wrong row"),
        )
    header = [str(c) for c in records[h - 1]]
    while header and not header[-1].strip():  # trailing empty header cells hold nothing
        header.pop()
    width = len(header)
    body, numbers, notes, blank = [], [], [], 0
    for number, rec in enumerate(records[h:], start=h + 1):
        rec = ["" if c is None else str(c) for c in rec]
        if not any(c.strip() for c in rec):
            blank += 1
            continue
        if any(c.strip() for c in rec[width:]):  # kept in the message: quarantine keeps what was read
            notes.append(_extra_note(rec, width))
        else:
            notes.append("")
        body.append(rec[:width] + [""] * (width - len(rec)))
        numbers.append(number)
    df = pd.DataFrame(body, columns=range(width), dtype=object).astype("str")
    df.columns = header  # set afterwards: headers may repeat
    df[SOURCE_ROW] = np.array(numbers, dtype=np.int64)
    df[READ_PROBLEM] = pd.array(notes, dtype="str")
    return df, blank


_HXL_TAG = re.compile(r"#[a-z][a-z0-9_]*(\s*\+[a-z][a-z0-9_]*)*", re.IGNORECASE)


def _drop_hxl_row(df: pd.DataFrame) -> pd.DataFrame:
    """Kobo may put an HXL hashtag row (``#indicator +x``) under the header: it is not data.

    Only for Kobo exports, and only if every filled cell is a well-formed hashtag, so that no
    data row of another export can be dropped by mistake.
    """
    if len(df):
        values = [str(v).strip() for v in df.iloc[0, :-2].tolist()]  # without _source_row, _read_problem
        filled = [v for v in values if v]
        if filled and all(_HXL_TAG.fullmatch(v) for v in filled):
            return df.iloc[1:]
    return df


def read_raw(path: Path, fspec: FileSpec, table: TableSpec) -> RawTable:
    """Read ``path`` as ``fspec`` says and rename its headers to the contract's columns.

    Parameters
    ----------
    path : Path
        The file.
    fspec : FileSpec
        Its entry in dataset.yml.
    table : TableSpec
        The contract table it supplies (part of).

    Returns
    -------
    RawTable
        The contract columns as text, the columns the file does not supply and the warnings.

    Raises
    ------
    DataContractError or DataContractErrors
        What stops the whole run: an unreadable file or unknown sheet stops at once; the mapping
        problems (a ``columns:`` header that matches nothing or several columns, two columns
        becoming one, missing required columns, ``not_collected:`` or ``constants:`` that
        contradict the file) are collected and raised together, so one run lists them all.
    """
    path = Path(path)
    fmt = fspec.format
    if fmt == "auto":
        fmt = "xlsx" if path.suffix.lower() in (".xlsx", ".xlsm", ".xls") else "csv"
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    fast = None if fmt == "xlsx" else _csv_arrow(data, path, fspec)
    if fast is not None:
        records, df, blank = fast  # records: the first few, enough for the header checks
    else:
        records = _xlsx_records(data, path, fspec) if fmt == "xlsx" else _csv_records(data, path, fspec)
    del data
    context = f"table '{table.name}'" + ("" if fspec.sheet is None else f", sheet {fspec.sheet!r}")
    hint = _header_row_hint(records, fspec, table, fmt)
    if fast is None:
        df, blank = _frame(records, fspec, path, context, hint)
    del records
    if fmt == "kobo":
        df = _drop_hxl_row(df)
    mapped = _Mapping(df, fspec, table, fmt)
    df = mapped.frame
    errors = [DataContractError(str(path), rule, f"{context}: {message}") for rule, message in mapped.problems]
    for rule, message in _contradictions(mapped, fspec):
        errors.append(DataContractError(str(path), rule, f"{context}: {message}"))
    missing = [
        c
        for c, col in table.columns.items()
        if col.required and c not in df.columns and c not in fspec.constants and c not in mapped.reported
    ]
    if missing:
        error = DataContractError(str(path), "missing-column", f"{context}: {mapped.missing(missing, hint)}")
        # A wrong header row explains the other problems too: say it first.
        errors.insert(0 if hint else len(errors), error)
    elif hint and errors:
        row = f"row {fspec.header_row}"
        errors.insert(
            0,
            DataContractError(
                str(path), "header_row", f"{context}: few headers in {row} name contract columns; {hint}"
            ),
        )
    DataContractErrors.raise_if_any(errors)
    for column, value in fspec.constants.items():
        df[column] = value
    df[SOURCE_FILE] = pd.Categorical.from_codes(np.zeros(len(df), dtype=np.int8), categories=[fspec.path])
    absent = tuple(c for c in table.columns if c not in df.columns)
    warnings = [
        DataContractError(str(path), "not-collected", f"{context}: {mapped.absent(c)}")
        for c in absent
        if c not in fspec.not_collected and table.columns[c].used_by
    ]
    return RawTable(df.reset_index(drop=True), blank, absent, warnings, sha256)


def _contradictions(mapped: _Mapping, fspec: FileSpec) -> list[tuple[str, str]]:
    """``constants:`` and ``not_collected:`` entries that the file itself contradicts."""
    out = []
    for column in fspec.constants:
        if column in mapped.frame.columns:
            out.append(
                (
                    "constants",
                    f"dataset.yml sets constants: {column}, but the file has a '{column}' column too "
                    f"({mapped.where(column)}): remove it from constants: (the file's column is read)",
                )
            )
    for column in fspec.not_collected:
        if column in mapped.frame.columns:
            out.append(
                (
                    "not_collected",
                    f"dataset.yml declares '{column}' under not_collected:, but the file has it "
                    f"({mapped.where(column)}): remove it from not_collected:",
                )
            )
        elif column in fspec.constants:
            out.append(
                (
                    "not_collected",
                    f"dataset.yml declares '{column}' under not_collected: and sets it under constants: "
                    "too: keep one of the two",
                )
            )
    return out


def _header_keys(header: str, fmt: str) -> list[str]:
    """Names a header answers to: the header itself and, for Kobo, its last group part."""
    norm = normalise_header(header)
    keys = [norm]
    if fmt == "kobo" and "/" in norm:
        keys.append(norm.rsplit("/", 1)[-1])
    return keys


def column_letter(index: int) -> str:
    """The spreadsheet letter of the column at 0-based ``index``.

    >>> column_letter(0), column_letter(25), column_letter(27)
    ('A', 'Z', 'AB')
    """
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _letters(indexes: list[int]) -> str:
    names = [column_letter(i) for i in indexes]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _header_row_hint(records: list[list[str]], fspec: FileSpec, table: TableSpec, fmt: str) -> str:
    """Where the headers seem to be when the declared header row names few contract columns:
    a title row above the real header ("REKAP PESERTA PELATIHAN 2024") is common."""
    wanted = {normalise_header(h) for h in fspec.columns}
    wanted |= {normalise_header(m.group(1)) for h in fspec.columns if (m := _OCCURRENCE.match(h.strip()))}

    def named(row: list) -> int:
        hits = 0
        for cell in row:
            keys = _header_keys(str(cell if cell is not None else ""), fmt)
            if keys[0] and (keys[0] in wanted or any(k.replace(" ", "_") in table.columns for k in keys)):
                hits += 1
        return hits

    h = fspec.header_row
    current = named(records[h - 1]) if len(records) >= h else 0
    scores = [(named(rec), number) for number, rec in enumerate(records[:_HEADER_SEARCH_ROWS], start=1) if number != h]
    best, row = max(scores, key=lambda s: (s[0], -s[1]), default=(0, 0))
    if best >= 2 and best > current:
        return f"the headers seem to be in row {row}: add header_row: {row} to this file's entry in dataset.yml"
    return ""


class _Mapping:
    """A file's headers matched to contract columns: explicit ``columns:`` entries first, then
    headers that already are contract column names. Problems are collected in ``problems`` as
    ``(rule, message)``; ``frame`` holds the matched columns renamed, plus bookkeeping."""

    def __init__(self, df: pd.DataFrame, fspec: FileSpec, table: TableSpec, fmt: str):
        self.fspec, self.table, self.fmt = fspec, table, fmt
        self.headers = [str(c) for c in df.columns[:-2]]
        self.keys = [_header_keys(h, fmt) for h in self.headers]
        self.problems: list[tuple[str, str]] = []
        self.reported: set[str] = set()  # targets with a problem reported already (not "missing" too)
        self.targets: list[str | None] = [None] * len(self.headers)
        self._explicit()
        self._implicit()
        self._duplicates()
        positions = [i for i, t in enumerate(self.targets) if t is not None]
        out = df.iloc[:, positions + [len(self.headers), len(self.headers) + 1]].copy()
        out.columns = [self.targets[i] for i in positions] + [SOURCE_ROW, READ_PROBLEM]
        self.frame = out

    def _explicit(self) -> None:
        for export_header, target in self.fspec.columns.items():
            hits = self._find(export_header)
            if len(hits) == 1:
                self.targets[hits[0]] = target
            else:
                self.reported.add(target)

    def _find(self, export_header: str) -> list[int]:
        """Columns a ``columns:`` header names; records a problem unless exactly one."""
        want = normalise_header(export_header)
        hits = [i for i, k in enumerate(self.keys) if want in k]
        occurrence = _OCCURRENCE.match(export_header.strip())
        if not hits and occurrence:
            base, n = occurrence.group(1), int(occurrence.group(2))
            same = [i for i, k in enumerate(self.keys) if normalise_header(base) in k]
            if 1 <= n <= len(same):
                return [same[n - 1]]
            if same:
                self.problems.append(
                    (
                        "mapping",
                        f"dataset.yml maps header '{export_header}', but the file has only {len(same)} "
                        f"column(s) headed '{base}' ({_letters(same)}): number them from 1, left to right",
                    )
                )
                return []
        if not hits:
            near = difflib.get_close_matches(want, [k[0] for k in self.keys], n=3, cutoff=0.5)
            hint = f" (closest: {'; '.join(repr(n) for n in near)})" if near else ""
            self.problems.append(
                (
                    "mapping",
                    f"dataset.yml maps header '{export_header}' but no column of the file "
                    f"matches it{hint}: copy the header from the export exactly",
                )
            )
        elif len(hits) > 1:
            self.problems.append(("mapping", self._ambiguous(export_header, hits)))
        return hits

    def _ambiguous(self, export_header: str, hits: list[int]) -> str:
        if len({self.keys[i][0] for i in hits}) > 1:  # Kobo: the same question in two groups
            shown = ", ".join(f"{self.headers[i]} ({column_letter(i)})" for i in hits)
            return (
                f"dataset.yml maps header '{export_header}', which matches {len(hits)} columns ({shown}): "
                "write the full header, with its group prefix"
            )
        return f"dataset.yml maps header '{export_header}', but " + self._same_header_advice(
            export_header.strip(), hits
        )

    @staticmethod
    def _same_header_advice(header: str, hits: list[int]) -> str:
        numbered = " or ".join(f"'{header}#{n}'" for n in range(1, len(hits) + 1))
        return (
            f"the file has {len(hits)} columns with that header ({_letters(hits)}); the export is evidence "
            f"and is not edited, so map the one you mean as {numbered} (counted from the left) under "
            "columns: in dataset.yml, or export the data again with distinct headers"
        )

    def _implicit(self) -> None:
        mapped = set(self.fspec.columns.values())  # a target named under columns: is never guessed
        for i, k in enumerate(self.keys):
            if self.targets[i] is not None or (self.fmt == "kobo" and KOBO_META.match(k[0])):
                continue
            for key in k:
                name = key.replace(" ", "_")
                if name in self.table.columns and name not in mapped:
                    self.targets[i] = name
                    break
            if (
                self.targets[i] is None
                and self.fmt == "google-forms"
                and k[0] in TIMESTAMP_HEADERS
                and "submitted_at" in self.table.columns
                and "submitted_at" not in mapped
            ):
                self.targets[i] = "submitted_at"

    def _duplicates(self) -> None:
        """Two columns becoming one contract column: report it, and read neither."""
        chosen = [t for t in self.targets if t is not None]
        for target in sorted({t for t in chosen if chosen.count(t) > 1}):
            which = [i for i, t in enumerate(self.targets) if t == target]
            explicit = [h for h, t in self.fspec.columns.items() if t == target]
            if len(explicit) > 1:
                message = (
                    f"dataset.yml maps {len(explicit)} headers to '{target}' "
                    f"({'; '.join(repr(h) for h in explicit)}): keep one of them under columns:"
                )
            else:
                shown = "; ".join(f"{self.headers[i]!r} ({column_letter(i)})" for i in which)
                message = f"{len(which)} columns of the file would become '{target}' ({shown}): "
                if len({self.keys[i][0] for i in which}) == 1:
                    message += self._same_header_advice(self.headers[which[0]].strip(), which)
                else:
                    message += (
                        "map the one you mean explicitly under columns: in dataset.yml (the other is then not read)"
                    )
            self.problems.append(("mapping", message))
            self.reported.add(target)
            for i in which:
                self.targets[i] = None

    def where(self, column: str) -> str:
        """Which header of the file became ``column``, and its spreadsheet letter."""
        i = self.targets.index(column)
        return f"header {self.headers[i]!r}, column {column_letter(i)}"

    def _unmapped_near(self, column: str, cutoff: float) -> list[str]:
        free = [self.keys[i][0] for i, t in enumerate(self.targets) if t is None]
        return difflib.get_close_matches(column.replace("_", " "), free, n=1, cutoff=cutoff)

    def missing(self, columns: list[str], hint: str) -> str:
        """The message for required columns the file lacks."""
        lines = []
        for c in columns:
            near = self._unmapped_near(c, 0.4)
            lines.append(f"{c} (closest header: {near[0]!r})" if near else c)
        fix = "map the export's headers to them under columns: in dataset.yml (see docs/real-data.md)"
        return f"required column(s) not found: {', '.join(lines)}; " + (f"{hint}; or {fix}" if hint else fix)

    def absent(self, column: str) -> str:
        """The warning for a column that analyses use and the file neither has nor declares."""
        col = self.table.columns[column]
        near = self._unmapped_near(column, 0.6)
        closest = f" (closest header: {near[0]!r})" if near else ""
        return (
            f"column '{column}' (used by: {', '.join(col.used_by)}) not found{closest}; treated as not "
            "collected — map the export's header to it under columns:, or declare it under not_collected: "
            "in dataset.yml to silence this"
        )
