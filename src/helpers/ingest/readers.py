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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

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
        Contract columns as text, ``_source_row``, ``_read_problem`` and ``_source_file``.
    blank_rows : int
        Entirely blank rows, skipped.
    not_collected : tuple of str
        Contract columns this file does not supply (neither in the file nor set by
        ``constants:``), declared under ``not_collected:`` or not.
    warnings : list of DataContractError
        Problems that do not stop the run (not raised): a column that analyses use is missing
        from the file without being declared under ``not_collected:``.
    """

    frame: pd.DataFrame
    blank_rows: int
    not_collected: tuple[str, ...] = ()
    warnings: list[DataContractError] = field(default_factory=list)


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
    records = _xlsx_records(path, fspec) if fmt == "xlsx" else _csv_records(path, fspec)
    context = f"table '{table.name}'" + ("" if fspec.sheet is None else f", sheet {fspec.sheet!r}")
    hint = _header_row_hint(records, fspec, table, fmt)
    df, blank = _frame(records, fspec, path, context, hint)
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
    df[SOURCE_FILE] = fspec.path
    absent = tuple(c for c in table.columns if c not in df.columns)
    warnings = [
        DataContractError(str(path), "not-collected", f"{context}: {mapped.absent(c)}")
        for c in absent
        if c not in fspec.not_collected and table.columns[c].used_by
    ]
    return RawTable(df.reset_index(drop=True), blank, absent, warnings)


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
