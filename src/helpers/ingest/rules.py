"""Check raw tables against the contract: typed, valid rows go on; the rest go to quarantine.

Every rejected row keeps its source file and spreadsheet row number and the reasons it was
rejected. Rows are only ever moved between "accepted" and "quarantined", so for every table
``rows read == rows accepted + rows quarantined``. Single cells are parsed by
``helpers.ingest.parsers``; the rules here span a column, a row, a table or two tables.

The rules are checked a whole column at a time (NumPy, pandas and Arrow operations): a column
is parsed once per distinct text, not once per row, and Python builds a ``Problem`` only for a
row that breaks a rule. Problems come out in the order a row-by-row check would give them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .contract import ColumnSpec, TableSpec
from .dataset_spec import DatasetSpec
from .parsers import ColumnParser, RuleError, column_dtype
from .privacy import scrub_text
from .readers import READ_PROBLEM, SOURCE_FILE, SOURCE_ROW, WHITESPACE


@dataclass(frozen=True)
class Problem:
    """One broken rule in one cell (or row), as a researcher needs to find and fix it."""

    table: str
    file: str
    row: int  # as a spreadsheet shows it: the header is row 1
    column: str
    value: str
    rule: str
    message: str

    def __str__(self) -> str:
        return (
            f"{self.file}, row {self.row}, column '{self.column}', value {self.value!r}: "
            f"{self.message} [rule: {self.rule}]"
        )


@dataclass
class TableResult:
    """Outcome of checking one table: typed accepted rows, quarantined raw rows, problems."""

    name: str
    rows_read: int
    accepted: pd.DataFrame
    quarantined: pd.DataFrame  # reason + values as read (personal data protected) + source file/row
    problems: list[Problem] = field(default_factory=list)
    blank_rows: int = 0  # rows with no value at all (e.g. Excel's formatted empty lines): skipped, not data

    @property
    def counts(self) -> dict[str, int]:
        return {"read": self.rows_read, "accepted": len(self.accepted), "quarantined": len(self.quarantined)}


PERSONAL_SHOWN = "(personal data, not shown)"


def shown_value(col: ColumnSpec | None, text: str) -> str:
    """A cell as it may appear in a message: personal columns hidden, free text scrubbed."""
    if col is not None and col.personal:
        return PERSONAL_SHOWN
    return scrub_text(text)


def check_columns(
    table: TableSpec, raw: pd.DataFrame, parser: ColumnParser, file_label: str
) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse each contract column of ``raw`` (all strings) and return typed values + problems.

    ``raw`` is what ``helpers.ingest.readers`` returns: contract columns as text, the spreadsheet row
    number in ``_source_row`` and, where the reader found a malformed line, ``_read_problem``.
    A cell is read as ``str(value).strip()`` (``""`` for None); each distinct text is parsed once.
    """
    problems: list[Problem] = []
    rows = raw[SOURCE_ROW].to_numpy()
    if READ_PROBLEM in raw.columns:
        notes = raw[READ_PROBLEM]
        codes, uniques = pd.factorize(notes)
        flagged = np.array([bool(u) for u in uniques] + [False], dtype=bool)[codes]
        for i in np.flatnonzero(flagged | (codes < 0)):
            text = uniques[codes[i]] if codes[i] >= 0 else notes.iat[i]
            if text:
                problems.append(Problem(table.name, file_label, int(rows[i]), "(row)", "", "field-count", text))
    cells = {name: _Cells.of(raw[name]) for name in table.columns if name in raw.columns}
    typed = {}
    for name, col in table.columns.items():
        if name not in raw.columns:  # optional column absent (required ones are checked earlier)
            continue
        cell = cells[name]
        needed_by = [r for r in table.requires if r.then_filled == name and r.if_filled in cells]
        values, errors = parser.parse_distinct(col, cell.texts.filter(pa.array(cell.filled)))
        # Each row's position among the parsed (filled) texts; -1 for a blank cell.
        position = np.full(len(cell.texts), -1, dtype=np.int64)
        position[cell.filled] = np.arange(int(cell.filled.sum()))
        at = position[cell.codes]
        blank = at < 0
        failed = np.zeros(len(values) + 1, dtype=bool)  # the extra last entry answers for at == -1
        failed[list(errors)] = True
        broken = np.full(len(rows), -1, dtype=np.int64)  # the first rule a blank cell here breaks
        for k in reversed(range(len(needed_by))):
            broken[~cells[needed_by[k].if_filled].blank] = k
        for i in np.flatnonzero(failed[at] | (blank & ((broken >= 0) | (not col.nullable)))):
            if blank[i] and broken[i] >= 0:
                rule = needed_by[broken[i]]
                problems.append(Problem(table.name, file_label, int(rows[i]), name, "", rule.rule, rule.message))
            elif blank[i]:
                problems.append(
                    Problem(
                        table.name, file_label, int(rows[i]), name, "", "required", f"'{name}' is blank but required"
                    )
                )
            else:
                exc = errors[int(at[i])]
                rule = exc.rule if isinstance(exc, RuleError) else col.type
                text = cell.texts[int(cell.codes[i])].as_py()
                problems.append(
                    Problem(table.name, file_label, int(rows[i]), name, shown_value(col, text), rule, str(exc))
                )
        typed[name] = pd.Series(_take(values, at), index=raw.index, dtype=column_dtype(col))
    return pd.DataFrame(typed, index=raw.index), problems


@dataclass(frozen=True)
class _Cells:
    """One column as ``check_columns`` reads it: its distinct texts, stripped as ``str.strip()``
    strips them, and each row's position among them."""

    codes: np.ndarray  # row -> position in texts
    texts: pa.Array
    filled: np.ndarray  # per text: not empty

    @classmethod
    def of(cls, values: pd.Series) -> _Cells:
        texts = None
        if not values.isna().any():  # else row by row: None is blank, NaN and pd.NA read as 'nan', '<NA>'
            try:
                texts = pa.array(values.array if isinstance(values.dtype, pd.StringDtype) else values.to_numpy())
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                texts = None
        if texts is None or not (pa.types.is_string(texts.type) or pa.types.is_large_string(texts.type)):
            texts = pa.array(["" if v is None else str(v) for v in values.tolist()], pa.large_string())
        if isinstance(texts, pa.ChunkedArray):
            texts = texts.combine_chunks()
        encoded = pc.utf8_trim(texts, characters=WHITESPACE).dictionary_encode()
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        filled = pc.not_equal(pc.binary_length(encoded.dictionary), 0).to_numpy(zero_copy_only=False)
        return cls(codes, encoded.dictionary, filled)

    @property
    def blank(self) -> np.ndarray:
        """Per row: the cell is empty once stripped."""
        return ~self.filled[self.codes]


def _take(values: pd.api.extensions.ExtensionArray | np.ndarray, at: np.ndarray):
    """``values[at]``, missing where ``at`` is -1."""
    if isinstance(values, np.ndarray):  # Python objects (dates): None where missing
        return np.append(values, None)[at]
    return values.take(at, allow_fill=True)


def empty_column(col: ColumnSpec, index: pd.Index) -> pd.Series:
    """An all-missing column of the right dtype, for a file that lacks an optional column."""
    return pd.Series([None] * len(index), index=index, dtype=column_dtype(col))


def _where(source: pd.DataFrame, idx) -> tuple[str, int]:
    return str(source.at[idx, SOURCE_FILE]), int(source.at[idx, SOURCE_ROW])


def _days(values: pd.Series) -> np.ndarray:
    """Dates, date-times (the day counts) or missing values as ``datetime64[D]`` (NaT if missing)."""
    return pd.to_datetime(values.astype(object)).to_numpy().astype("datetime64[D]")


def check_rows(table: TableSpec, typed: pd.DataFrame, spec: DatasetSpec, source: pd.DataFrame) -> list[Problem]:
    """Rules across the columns of one row: dates inside the dataset period, date order.

    ``source`` holds ``_source_file`` and ``_source_row`` for every row of ``typed`` (same index).
    """
    problems = []
    start = dt.date.fromisoformat(spec.period_start) if spec.period_start else None
    end = dt.date.fromisoformat(spec.period_end) if spec.period_end else None
    period = f"{start or '…'} to {end or '…'}"
    for name, col in table.columns.items():
        if name not in typed.columns or col.type not in ("date", "datetime", "month"):
            continue
        if start is None and end is None:
            continue
        values = typed[name]
        present = values.notna().to_numpy()
        outside = np.zeros(len(values), dtype=bool)
        if col.type == "month":  # a month counts if any of its days is inside the period
            months = values.astype("string")  # "YYYY-MM": compared as text, like the months themselves
            if start is not None:
                outside |= (months < start.isoformat()[:7]).fillna(False).to_numpy()
            if end is not None:
                outside |= (months > end.isoformat()[:7]).fillna(False).to_numpy()
        else:
            days = _days(values)
            if start is not None:
                outside |= days < np.datetime64(start, "D")
            if end is not None:
                outside |= days > np.datetime64(end, "D")
        for idx in typed.index[present & outside]:
            file, row = _where(source, idx)
            problems.append(
                Problem(
                    table.name,
                    file,
                    row,
                    name,
                    str(typed.at[idx, name]),
                    "period",
                    f"outside the dataset period {period} (dataset.yml)",
                )
            )
    if "start_date" in typed.columns and "end_date" in typed.columns:
        both = (typed["start_date"].notna() & typed["end_date"].notna()).to_numpy()
        reversed_ = both & (_days(typed["end_date"]) < _days(typed["start_date"]))
        for idx in typed.index[reversed_]:
            file, row = _where(source, idx)
            problems.append(
                Problem(
                    table.name,
                    file,
                    row,
                    "end_date",
                    str(typed.at[idx, "end_date"]),
                    "date-order",
                    "end_date is before start_date",
                )
            )
    return problems


def duplicate_problems(
    table: TableSpec, typed: pd.DataFrame, source: pd.DataFrame, keep_mask: pd.Series
) -> list[Problem]:
    """Quarantine duplicate keys: keep the latest submission (if ``latest``) or the first row.

    Among submissions with the same ``latest`` time (or none), the one read last wins: exports
    list submissions in the order they arrived.
    """
    if not table.unique:
        return []
    key_columns = list(table.unique)
    cand = typed.loc[keep_mask.to_numpy(), key_columns]
    key = ", ".join(table.unique)
    if table.latest and table.latest in typed.columns:
        # Oldest first (no time before any time), ties in reading order; the last of a key wins.
        times = pd.to_datetime(typed.loc[keep_mask.to_numpy(), table.latest].astype(object)).to_numpy()
        order = np.lexsort((np.arange(len(cand)), times.view(np.int64)))  # NaT is the smallest int64
        cand = cand.iloc[order]
        keep_which = "last"
        how = f"the latest {table.latest}"
    else:
        keep_which = "first"
        how = "the first"
    dup = cand.duplicated(key_columns, keep=keep_which).to_numpy()
    if not dup.any():
        return []
    group = cand.groupby(key_columns, sort=False, dropna=False).ngroup().to_numpy()
    kept = np.empty(group.max() + 1, dtype=np.int64)
    kept[group[~dup]] = np.flatnonzero(~dup)  # each key's kept row, by position in cand
    labels = cand.index
    problems = []
    for i in np.flatnonzero(dup):
        kfile, krow = _where(source, labels[kept[group[i]]])
        file, row = _where(source, labels[i])
        same = f"row {krow}" if kfile == file else f"{kfile} row {krow}"
        problems.append(
            Problem(
                table.name,
                file,
                row,
                key,
                "(duplicate key)",
                "duplicate",
                f"same {key} submitted more than once; {same} is kept ({how})",
            )
        )
    return problems


def reference_problems(
    table: TableSpec, typed: pd.DataFrame, accepted: dict[str, pd.DataFrame], source: pd.DataFrame, keep_mask: pd.Series
) -> list[Problem]:
    """Rows that point at a participant or programme that is not among accepted rows."""
    problems = []
    keep = keep_mask.to_numpy()
    for column, target in table.refs.items():
        if column not in typed.columns:
            continue
        ttable, tcol = target.split(".")
        values = typed[column]
        known = accepted[ttable][tcol].dropna() if ttable in accepted else pd.Series([], dtype=values.dtype)
        unknown = keep & values.notna().to_numpy() & ~_isin(values, known)
        for idx in typed.index[unknown]:
            file, row = _where(source, idx)
            problems.append(
                Problem(
                    table.name,
                    file,
                    row,
                    column,
                    shown_value(table.columns[column], str(typed.at[idx, column])),
                    "reference",
                    f"no accepted {ttable} row has this {tcol}",
                )
            )
    return problems


def _isin(values: pd.Series, known: pd.Series) -> np.ndarray:
    """``values.isin(known)`` as a NumPy mask; for text, by Arrow (pandas makes a Python list of
    ``known`` for every call)."""
    if isinstance(values.dtype, pd.StringDtype) and isinstance(known.dtype, pd.StringDtype):
        strings = pa.large_string()
        found = pc.is_in(pa.array(values.array).cast(strings), value_set=pa.array(known.array).cast(strings))
        return found.to_numpy(zero_copy_only=False)
    return values.isin(known).to_numpy()


def programme_date_problems(
    table: TableSpec, typed: pd.DataFrame, programs: pd.DataFrame, source: pd.DataFrame, keep_mask: pd.Series
) -> list[Problem]:
    """Survey and test dates must fall within the programme (30 days before to 365 days after).

    ``programs`` holds accepted programme rows: ``program_id`` is unique among them.
    """
    date_cols = [c for c, col in table.columns.items() if col.type in ("date", "datetime") and c in typed.columns]
    if not date_cols or "program_id" not in typed.columns or programs.empty:
        return []
    spans = programs.set_index("program_id")[["start_date", "end_date"]]
    which = spans.index.get_indexer(typed["program_id"])  # -1: missing or not an accepted programme
    known = keep_mask.to_numpy() & (which >= 0)
    lo = (_days(spans["start_date"]) - np.timedelta64(30, "D"))[which]
    hi = (_days(spans["end_date"]) + np.timedelta64(365, "D"))[which]
    problems = []
    for c in date_cols:
        day = _days(typed[c])
        outside = known & ~np.isnat(day) & ~((lo <= day) & (day <= hi))
        for idx in typed.index[outside]:
            v, pid = typed.at[idx, c], typed.at[idx, "program_id"]
            lo_ = spans.at[pid, "start_date"] - dt.timedelta(days=30)
            hi_ = spans.at[pid, "end_date"] + dt.timedelta(days=365)
            file, row = _where(source, idx)
            problems.append(
                Problem(
                    table.name,
                    file,
                    row,
                    c,
                    str(v),
                    "programme-dates",
                    f"outside programme {pid} ({lo_} to {hi_}, from 30 days before its start to a year after its end)",
                )
            )
    return problems
