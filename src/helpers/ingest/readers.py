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
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataContractError
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


@dataclass
class RawTable:
    """One file as read: contract columns as text plus bookkeeping, and what was skipped."""

    frame: pd.DataFrame
    blank_rows: int


def normalise_header(text: str) -> str:
    """Fold case, surrounding white space and line breaks, as the header mapping promises.

    >>> normalise_header("  Seberapa RELEVAN\\nmateri  pelatihan? ")
    'seberapa relevan materi pelatihan?'
    """
    return " ".join(str(text).split()).lower()


# ---------------------------------------------------------------- CSV


def _decode(path: Path, encoding: str | None) -> str:
    data = path.read_bytes()
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


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the header record into the most fields (``,`` on a tie)."""

    def fields(delim: str) -> int:
        try:
            return len(next(csv.reader(io.StringIO(text), delimiter=delim), []))
        except csv.Error:
            return 0

    return max(DELIMITERS, key=lambda d: (fields(d), -DELIMITERS.index(d)))


def _csv_records(path: Path, fspec: FileSpec) -> list[list[str]]:
    text = _decode(path, fspec.encoding)
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


def _xlsx_records(path: Path, fspec: FileSpec) -> list[list[str]]:
    import openpyxl  # only needed for workbooks

    try:
        wb = openpyxl.load_workbook(path, data_only=True)
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


def _frame(records: list[list[str]], fspec: FileSpec, path: Path) -> tuple[pd.DataFrame, int]:
    """Header + rows -> a frame of strings with spreadsheet row numbers; blank rows dropped."""
    h = fspec.header_row
    if len(records) < h or not any(str(c).strip() for c in records[h - 1]):
        raise DataContractError(
            str(path),
            "empty-file",
            f"no header in row {h}: the file is empty or header_row in dataset.yml points at the wrong row",
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
        extra = rec[width:]
        if any(c.strip() for c in extra):  # kept in the message: quarantine keeps what was read
            shown = scrub_text(" | ".join(extra).strip())
            shown = shown if len(shown) <= 80 else shown[:77] + "..."
            notes.append(
                f"the row has {len(rec)} values but the header has {width} (extra: '{shown}'): a "
                "separator inside an unquoted value?"
            )
        else:
            notes.append("")
        body.append(rec[:width] + [""] * (width - len(rec)))
        numbers.append(number)
    df = pd.DataFrame(body, columns=range(width), dtype=object)
    df.columns = header  # set afterwards: headers may repeat
    df[SOURCE_ROW] = numbers
    df[READ_PROBLEM] = notes
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

    Raises DataContractError for what stops the whole run: unreadable file, unknown sheet, a
    mapping in dataset.yml that matches no header, a required column that is missing.
    """
    path = Path(path)
    fmt = fspec.format
    if fmt == "auto":
        fmt = "xlsx" if path.suffix.lower() in (".xlsx", ".xlsm", ".xls") else "csv"
    records = _xlsx_records(path, fspec) if fmt == "xlsx" else _csv_records(path, fspec)
    df, blank = _frame(records, fspec, path)
    if fmt == "kobo":
        df = _drop_hxl_row(df)
    df = _rename(df, fspec, table, path, fmt)
    for column, value in fspec.constants.items():
        if column in df.columns:
            raise DataContractError(
                str(path),
                "constants",
                f"dataset.yml sets constants: {column}, but the file has a '{column}' column too: remove one of them",
            )
        df[column] = value
    df[SOURCE_FILE] = fspec.path
    return RawTable(df.reset_index(drop=True), blank)


def _header_keys(header: str, fmt: str) -> list[str]:
    """Names a header answers to: the header itself and, for Kobo, its last group part."""
    norm = normalise_header(header)
    keys = [norm]
    if fmt == "kobo" and "/" in norm:
        keys.append(norm.rsplit("/", 1)[-1])
    return keys


def _rename(df: pd.DataFrame, fspec: FileSpec, table: TableSpec, path: Path, fmt: str) -> pd.DataFrame:
    headers = [str(c) for c in df.columns[:-2]]
    keys = [_header_keys(h, fmt) for h in headers]
    targets: list[str | None] = [None] * len(headers)
    for export_header, target in fspec.columns.items():
        want = normalise_header(export_header)
        hits = [i for i, k in enumerate(keys) if want in k]
        if not hits:
            near = difflib.get_close_matches(want, [k[0] for k in keys], n=3, cutoff=0.5)
            hint = f" (closest: {'; '.join(repr(n) for n in near)})" if near else ""
            raise DataContractError(
                str(path),
                "mapping",
                f"dataset.yml maps header '{export_header}' but no column of the file "
                f"matches it{hint}: copy the header from the export exactly",
            )
        if len(hits) > 1:
            raise DataContractError(
                str(path),
                "mapping",
                f"dataset.yml maps header '{export_header}', which matches "
                f"{len(hits)} columns ({', '.join(headers[i] for i in hits)}): "
                "write the full header, with its group prefix",
            )
        targets[hits[0]] = target
    mapped = set(targets)
    for i, k in enumerate(keys):
        if targets[i] is not None or (fmt == "kobo" and KOBO_META.match(k[0])):
            continue
        for key in k:
            name = key.replace(" ", "_")
            if name in table.columns and name not in mapped:
                targets[i] = name
                break
        if (
            targets[i] is None
            and fmt == "google-forms"
            and k[0] in TIMESTAMP_HEADERS
            and "submitted_at" in table.columns
            and "submitted_at" not in mapped
        ):
            targets[i] = "submitted_at"
    chosen = [t for t in targets if t is not None]
    dup = sorted({t for t in chosen if chosen.count(t) > 1})
    if dup:
        which = [headers[i] for i, t in enumerate(targets) if t == dup[0]]
        raise DataContractError(
            str(path),
            "mapping",
            f"{len(which)} columns of the file would become '{dup[0]}' "
            f"({'; '.join(repr(w) for w in which)}): map one of them explicitly under "
            "columns: in dataset.yml, or remove the other",
        )
    positions = [i for i, t in enumerate(targets) if t is not None]
    out = df.iloc[:, positions + [len(headers), len(headers) + 1]].copy()
    out.columns = [targets[i] for i in positions] + [SOURCE_ROW, READ_PROBLEM]
    missing = [
        c for c, col in table.columns.items() if col.required and c not in out.columns and c not in fspec.constants
    ]
    if missing:
        lines = []
        for c in missing:
            near = difflib.get_close_matches(c.replace("_", " "), [k[0] for k in keys], n=1, cutoff=0.4)
            lines.append(f"{c} (closest header: {near[0]!r})" if near else c)
        raise DataContractError(
            str(path),
            "missing-column",
            f"required column(s) not found: {', '.join(lines)}; add them, or map the "
            f"export's headers to them under columns: in dataset.yml (see docs/real-data.md)",
        )
    return out
