"""Read one raw file (CSV, XLSX, Google Forms, KoboToolbox export) into contract columns.

The result holds every value as a string exactly as read (parsing happens in
``helpers.validate``), the contract's column names, and two bookkeeping columns: the source file
and the row number as a spreadsheet shows it (header = row 1), so every problem can be found.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd

from .config import FileSpec, TableSpec
from .errors import DataContractError
from .validate import SOURCE_FILE, SOURCE_ROW

ENCODINGS = ("utf-8-sig", "cp1252")
KOBO_META = re.compile(r"^_(id|uuid|submission_time|validation_status|notes|status|submitted_by|"
                       r"__version__|tags|index|parent_table_name|parent_index|version|xform_id)")
TIMESTAMP_HEADERS = ("timestamp", "stempel waktu", "cap waktu")


def normalise_header(text: str) -> str:
    """Fold case, surrounding white space and line breaks, as the header mapping promises."""
    return " ".join(str(text).split()).lower()


def _decode(path: Path) -> str:
    data = path.read_bytes()
    for enc in ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise DataContractError(str(path), "encoding", "not UTF-8 or Windows-1252 text: save it as CSV UTF-8")


def _read_csv(path: Path, fmt: str) -> pd.DataFrame:
    text = _decode(path)
    first = text.split("\n", 1)[0]
    if fmt == "kobo":
        sep = ";" if first.count(";") >= first.count(",") else ","
    else:
        sep = max((",", ";", "\t"), key=first.count)
    rows = list(csv.reader(io.StringIO(text), delimiter=sep))
    if not rows:
        raise DataContractError(str(path), "empty-file", "the file is empty")
    header, body = rows[0], rows[1:]
    width = len(header)
    body = [r + [""] * (width - len(r)) if len(r) < width else r[:width] for r in body]
    df = pd.DataFrame(body, columns=header, dtype="object")
    df[SOURCE_ROW] = range(2, 2 + len(df))
    return df


def _read_xlsx(path: Path, sheet) -> pd.DataFrame:
    try:
        df = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=object,
                           engine="openpyxl")
    except ValueError as exc:
        raise DataContractError(str(path), "sheet", f"cannot read sheet {sheet!r}: {exc}") from None
    df = df.map(_cell_text)
    df.columns = [str(c) for c in df.columns]
    df[SOURCE_ROW] = range(2, 2 + len(df))
    return df


def _cell_text(v) -> str:
    """Excel cells to text: whole floats without '.0', dates as ISO, blanks as ''."""
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, pd.Timestamp):
        return v.isoformat(sep=" ") if (v.hour or v.minute or v.second) else v.date().isoformat()
    return str(v)


def _drop_hxl_row(df: pd.DataFrame) -> pd.DataFrame:
    """Kobo may export an HXL hashtag row (``#indicator +x``) as row 2: it is not data."""
    if len(df):
        first = [str(v).strip() for v in df.drop(columns=[SOURCE_ROW]).iloc[0].tolist()]
        filled = [v for v in first if v]
        if filled and all(v.startswith("#") for v in filled):
            return df.iloc[1:]
    return df


def read_table(path: Path, fspec: FileSpec, table: TableSpec) -> pd.DataFrame:
    """Read ``path`` as ``fspec`` says and rename its headers to the contract's columns."""
    path = Path(path)
    fmt = fspec.format
    if fmt == "auto":
        fmt = "xlsx" if path.suffix.lower() in (".xlsx", ".xlsm") else "csv"
    if fmt == "xlsx":
        df = _read_xlsx(path, fspec.sheet)
    elif fmt in ("csv", "google-forms", "kobo"):
        df = _read_csv(path, fmt)
    else:
        raise DataContractError(str(path), "format", f"unknown format '{fmt}' (csv, xlsx, google-forms, kobo)")
    if fmt == "kobo":
        df = _drop_hxl_row(df)
        df = df[[c for c in df.columns if c == SOURCE_ROW or not KOBO_META.match(str(c))]]
        # Kobo prefixes grouped questions ("group_a/relevance"): the last part is the question.
        df.columns = [c if c == SOURCE_ROW else str(c).split("/")[-1] for c in df.columns]
    df = _rename(df, fspec, table, path, fmt)
    df[SOURCE_FILE] = fspec.path
    return df.reset_index(drop=True)


def _rename(df: pd.DataFrame, fspec: FileSpec, table: TableSpec, path: Path, fmt: str) -> pd.DataFrame:
    mapping = {normalise_header(k): v for k, v in fspec.columns.items()}
    headers = {normalise_header(c): c for c in df.columns if c != SOURCE_ROW}
    for export_header, target in mapping.items():
        if target not in table.columns:
            raise DataContractError(str(path), "mapping",
                                    f"dataset.yml maps '{export_header}' to '{target}', which is not a column "
                                    f"of table '{table.name}'")
        if export_header not in headers:
            raise DataContractError(str(path), "mapping",
                                    f"dataset.yml maps header '{export_header}' but no column of the file "
                                    "matches it: copy the header from the export exactly")
    rename = {}
    for norm, original in headers.items():
        if norm in mapping:
            rename[original] = mapping[norm]
        elif norm in table.columns:
            rename[original] = norm
        elif fmt == "google-forms" and norm in TIMESTAMP_HEADERS and "submitted_at" in table.columns:
            rename[original] = "submitted_at"
    df = df.rename(columns=rename)
    keep = [c for c in df.columns if c in table.columns or c == SOURCE_ROW]
    df = df[keep]
    if df.columns.duplicated().any():
        dup = df.columns[df.columns.duplicated()][0]
        raise DataContractError(str(path), "mapping", f"two columns of the file map to '{dup}'")
    missing = [c for c, col in table.columns.items() if col.required and c not in df.columns]
    if missing:
        raise DataContractError(str(path), "missing-column",
                                f"required column(s) {', '.join(missing)} not found: add them or map the "
                                "export's headers to them under files: in dataset.yml")
    return df
