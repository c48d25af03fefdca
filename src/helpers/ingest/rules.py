"""Check raw tables against the contract: typed, valid rows go on; the rest go to quarantine.

Every rejected row keeps its source file and spreadsheet row number and the reasons it was
rejected. Rows are only ever moved between "accepted" and "quarantined", so for every table
``rows read == rows accepted + rows quarantined``. Single cells are parsed by
``helpers.ingest.parsers``; the rules here span a column, a row, a table or two tables.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .contract import ColumnSpec, TableSpec
from .dataset_spec import DatasetSpec
from .parsers import ColumnParser, RuleError
from .privacy import scrub_text
from .readers import READ_PROBLEM, SOURCE_FILE, SOURCE_ROW


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
    """
    problems: list[Problem] = []
    rows = raw[SOURCE_ROW].tolist()
    if READ_PROBLEM in raw.columns:
        for text, row in zip(raw[READ_PROBLEM].tolist(), rows, strict=True):
            if text:
                problems.append(Problem(table.name, file_label, int(row), "(row)", "", "field-count", text))
    blank = {
        name: raw[name].map(lambda v: v is None or str(v).strip() == "")
        for name in table.columns
        if name in raw.columns
    }
    typed = {}
    for name, col in table.columns.items():
        if name not in raw.columns:  # optional column absent (required ones are checked earlier)
            continue
        needed_by = [r for r in table.requires if r.then_filled == name and r.if_filled in blank]
        out = []
        for i, (text, row) in enumerate(zip(raw[name].tolist(), rows, strict=True)):
            text = "" if text is None else str(text).strip()
            if text == "":
                broken = [r for r in needed_by if not blank[r.if_filled].iat[i]]
                if broken:
                    problems.append(
                        Problem(table.name, file_label, int(row), name, "", broken[0].rule, broken[0].message)
                    )
                elif not col.nullable:
                    problems.append(
                        Problem(
                            table.name, file_label, int(row), name, "", "required", f"'{name}' is blank but required"
                        )
                    )
                out.append(None)
                continue
            try:
                out.append(parser.parse(col, text))
            except ValueError as exc:
                rule = exc.rule if isinstance(exc, RuleError) else col.type
                problems.append(Problem(table.name, file_label, int(row), name, shown_value(col, text), rule, str(exc)))
                out.append(None)
        typed[name] = pd.Series(out, index=raw.index, dtype=_dtype(col))
    return pd.DataFrame(typed, index=raw.index), problems


def _dtype(col: ColumnSpec) -> str | None:
    return {
        "int": "Int64",
        "float": "Float64",
        "likert": "Int64",
        "likert4": "Int64",
        "yesno": "boolean",
        "date": "object",
        "datetime": "object",
    }.get(col.type, "string")


def empty_column(col: ColumnSpec, index: pd.Index) -> pd.Series:
    """An all-missing column of the right dtype, for a file that lacks an optional column."""
    return pd.Series([None] * len(index), index=index, dtype=_dtype(col))


def _where(source: pd.DataFrame, idx) -> tuple[str, int]:
    return str(source.at[idx, SOURCE_FILE]), int(source.at[idx, SOURCE_ROW])


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
        for idx, v in typed[name].items():
            if v is None or v is pd.NA:
                continue
            if col.type == "month":  # a month counts if any of its days is inside the period
                first = dt.date(int(v[:4]), int(v[5:7]), 1)
                last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
            else:
                first = last = v.date() if isinstance(v, dt.datetime) else v
            if (start is not None and last < start) or (end is not None and first > end):
                file, row = _where(source, idx)
                problems.append(
                    Problem(
                        table.name,
                        file,
                        row,
                        name,
                        str(v),
                        "period",
                        f"outside the dataset period {period} (dataset.yml)",
                    )
                )
    if "start_date" in typed.columns and "end_date" in typed.columns:
        bad = typed["start_date"].notna() & typed["end_date"].notna()
        for idx in typed.index[bad]:
            if typed.at[idx, "end_date"] < typed.at[idx, "start_date"]:
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
    cand = typed[keep_mask]
    key = ", ".join(table.unique)
    if table.latest and table.latest in cand.columns:
        times = cand[table.latest].map(lambda v: pd.NaT if v is None or v is pd.NA else pd.Timestamp(v))
        order = cand.assign(_t=times, _order=np.arange(len(cand))).sort_values(
            ["_t", "_order"], na_position="first", kind="stable"
        )
        keep_which = "last"
        how = f"the latest {table.latest}"
    else:
        order = cand
        keep_which = "first"
        how = "the first"
    dup = order.duplicated(list(table.unique), keep=keep_which)
    kept = order[~dup].drop_duplicates(list(table.unique), keep=keep_which)
    kept_keys = kept[list(table.unique)].itertuples(index=False)
    kept_where = {tuple(r): _where(source, i) for i, r in zip(kept.index, kept_keys, strict=True)}
    problems = []
    for idx in dup[dup].index:
        kfile, krow = kept_where[tuple(order.loc[idx, list(table.unique)])]
        same = f"row {krow}" if kfile == source.at[idx, SOURCE_FILE] else f"{kfile} row {krow}"
        file, row = _where(source, idx)
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
    for column, target in table.refs.items():
        if column not in typed.columns:
            continue
        ttable, tcol = target.split(".")
        known = set(accepted[ttable][tcol].dropna()) if ttable in accepted else set()
        for idx in typed.index[keep_mask]:
            v = typed.at[idx, column]
            if v is None or v is pd.NA or v in known:
                continue
            file, row = _where(source, idx)
            problems.append(
                Problem(
                    table.name,
                    file,
                    row,
                    column,
                    shown_value(table.columns[column], str(v)),
                    "reference",
                    f"no accepted {ttable} row has this {tcol}",
                )
            )
    return problems


def programme_date_problems(
    table: TableSpec, typed: pd.DataFrame, programs: pd.DataFrame, source: pd.DataFrame, keep_mask: pd.Series
) -> list[Problem]:
    """Survey and test dates must fall within the programme (30 days before to 365 days after)."""
    date_cols = [c for c, col in table.columns.items() if col.type in ("date", "datetime") and c in typed.columns]
    if not date_cols or "program_id" not in typed.columns or programs.empty:
        return []
    spans = programs.set_index("program_id")[["start_date", "end_date"]]
    problems = []
    for c in date_cols:
        for idx in typed.index[keep_mask]:
            v, pid = typed.at[idx, c], typed.at[idx, "program_id"]
            if v is None or v is pd.NA or pid is pd.NA or pid not in spans.index:
                continue
            day = v.date() if isinstance(v, dt.datetime) else v
            lo = spans.at[pid, "start_date"] - dt.timedelta(days=30)
            hi = spans.at[pid, "end_date"] + dt.timedelta(days=365)
            if not lo <= day <= hi:
                file, row = _where(source, idx)
                problems.append(
                    Problem(
                        table.name,
                        file,
                        row,
                        c,
                        str(v),
                        "programme-dates",
                        f"outside programme {pid} ({lo} to {hi}, from 30 days before its start "
                        "to a year after its end)",
                    )
                )
    return problems
