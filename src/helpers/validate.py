"""Check raw tables against the contract: typed, valid rows go on; the rest go to quarantine.

Every rejected row keeps its source file and spreadsheet row number and the reasons it was
rejected. Rows are only ever moved between "accepted" and "quarantined", so for every table
``rows read == rows accepted + rows quarantined``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .config import ColumnSpec, Contract, DatasetSpec, TableSpec
from .privacy import nip_problem

SOURCE_FILE = "_source_file"
SOURCE_ROW = "_source_row"


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
        return (f"{self.file}, row {self.row}, column '{self.column}', value {self.value!r}: "
                f"{self.message} [rule: {self.rule}]")


@dataclass
class TableResult:
    """Outcome of checking one table: typed accepted rows, quarantined raw rows, problems."""

    name: str
    rows_read: int
    accepted: pd.DataFrame
    quarantined: pd.DataFrame  # raw string values + _source_file, _source_row, _reasons
    problems: list[Problem] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {"read": self.rows_read, "accepted": len(self.accepted),
                "quarantined": len(self.quarantined)}


# ---------------------------------------------------------------- value parsers
# Each parser takes a non-blank stripped string and returns the parsed value or raises
# ValueError with a message that tells the researcher what was expected.

_NUMBER_RE = re.compile(r"^[+-]?(\d+|\d{1,3}([.,\s]\d{3})+)?([.,]\d+)?$")


def parse_number(text: str) -> float:
    """Parse a number written the Indonesian or the English way.

    ``"1.234,5"`` and ``"1,234.5"`` are 1234.5 (the last separator is the decimal mark);
    ``"67,5"`` is 67.5 (a lone comma is a decimal comma, as in the id_ID locale);
    ``"1.234.567"`` is 1234567 (repeated dots are thousands separators).
    """
    s = text.replace("\u00a0", " ").strip()
    if not s or not _NUMBER_RE.match(s.replace(" ", "") if " " in s and "," in s else s):
        raise ValueError("not a number (use digits, with a decimal comma or point)")
    s = s.replace(" ", "")
    if "," in s and "." in s:
        if s.rfind(",") > s.rfind("."):
            s = s.replace(".", "").replace(",", ".")
        else:
            s = s.replace(",", "")
    elif "," in s:
        s = s.replace(",", ".") if s.count(",") == 1 else s.replace(",", "")
    elif s.count(".") > 1:
        s = s.replace(".", "")
    return float(s)


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%Y/%m/%d", "%d-%m-%Y", "%Y-%m-%d %H:%M:%S",
                 "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M",
                 "%Y/%m/%d %I:%M:%S %p", "%Y/%m/%d %H:%M:%S")
_GMT_SUFFIX = re.compile(r"\s*(GMT|UTC)\s*[+-]\d{1,2}(:?\d{2})?$", re.IGNORECASE)
_FRACTION = re.compile(r"(T\d{2}:\d{2}:\d{2})\.\d+([+-]\d{2}:?\d{2}|Z)?$")


def parse_datetime(text: str) -> dt.datetime:
    """Parse dates as survey tools export them; local clock time is kept, the offset dropped.

    Accepts ISO dates and times, ``dd/mm/yyyy`` (Indonesian Sheets locale), Google Forms'
    ``2024/03/05 10:22:13 AM GMT+7`` and Kobo's ``2024-03-05T10:22:13.123+07:00``.
    """
    s = _GMT_SUFFIX.sub("", text.strip())
    s = _FRACTION.sub(r"\1", s)
    s = re.sub(r"(T\d{2}:\d{2}:\d{2})([+-]\d{2}:?\d{2}|Z)$", r"\1", s)
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(s, fmt)
        except ValueError:
            continue
    raise ValueError("not a date (expected YYYY-MM-DD or DD/MM/YYYY)")


def parse_month(text: str) -> str:
    """Parse a month as ``YYYY-MM`` (also ``MM/YYYY`` or a full date)."""
    s = text.strip()
    m = re.fullmatch(r"(\d{4})[-/](\d{1,2})", s) or None
    if m is None:
        m2 = re.fullmatch(r"(\d{1,2})[-/](\d{4})", s)
        if m2:
            year, month = int(m2.group(2)), int(m2.group(1))
        else:
            d = parse_datetime(s)
            year, month = d.year, d.month
    else:
        year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12:
        raise ValueError("not a month (expected YYYY-MM)")
    return f"{year:04d}-{month:02d}"


class RuleError(ValueError):
    """A value parsed but breaks a named rule (e.g. ``range``); plain ValueError means unparseable."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule


class ColumnParser:
    """Parse one column of strings into typed values, collecting a message per bad cell."""

    def __init__(self, contract: Contract, spec: DatasetSpec, likert_sets: dict[str, str]):
        self.contract = contract
        self.regions = set(spec.region_ids)
        self.likert_sets = likert_sets

    def parse(self, col: ColumnSpec, text: str):
        t = col.type
        if t in ("id", "str", "text"):
            return text
        if t == "region":
            if text not in self.regions:
                raise ValueError(f"unknown region id (dataset.yml declares: {', '.join(sorted(self.regions))})")
            return text
        if t in ("int", "float"):
            x = parse_number(text)
            if t == "int" and not float(x).is_integer():
                raise ValueError("must be a whole number")
            self._range(col, x)
            return int(x) if t == "int" else x
        if t == "date":
            return parse_datetime(text).date()
        if t == "datetime":
            return parse_datetime(text)
        if t == "month":
            return parse_month(text)
        if t == "enum":
            lowered = {v.lower(): v for v in col.values}
            if text.lower() not in lowered:
                raise ValueError(f"not one of: {', '.join(col.values)}")
            return lowered[text.lower()]
        if t == "yesno":
            v = self.contract.yesno.get(text.lower())
            if v is None:
                raise ValueError("expected ya/tidak (yes/no)")
            return v == "yes"
        if t == "likert":
            return self._likert(col, text)
        if t == "likert4":
            x = parse_number(text)
            if x not in (1, 2, 3, 4):
                raise RuleError("range", "SKM answers are scored 1-4 (PermenPANRB 14/2017)")
            return int(x)
        if t == "nip":
            problem = nip_problem(text)
            if problem:
                raise ValueError(problem)
            return re.sub(r"\D", "", text)
        raise AssertionError(f"unknown column type {t!r} in contract.yml")  # a bug, not user input

    def _range(self, col: ColumnSpec, x: float) -> None:
        if col.min is not None and x < col.min or col.max is not None and x > col.max:
            raise RuleError("range", f"out of range {col.min:g}-{col.max:g}" if col.max is not None
                            else f"must be at least {col.min:g}")

    def _likert(self, col: ColumnSpec, text: str) -> int:
        label_set = self.likert_sets.get(col.name, "agreement")
        labels = self.contract.likert_labels[label_set]
        key = " ".join(text.lower().split())
        if key in labels:
            return labels[key]
        # Google Forms linear scales export the number itself, sometimes "5 - Sangat Setuju".
        m = re.match(r"^([1-5])(\s*[-.:)]\s*(.*))?$", key)
        if m and (m.group(3) is None or labels.get(m.group(3).strip()) in (None, int(m.group(1)))):
            return int(m.group(1))
        raise ValueError(f"not a label of the '{label_set}' scale (e.g. {', '.join(list(labels)[:5])})")


# ---------------------------------------------------------------- table checks

def check_columns(table: TableSpec, raw: pd.DataFrame, parser: ColumnParser,
                  file_label: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse each contract column of ``raw`` (all strings) and return typed values + problems."""
    problems: list[Problem] = []
    typed = {}
    for name, col in table.columns.items():
        if name not in raw.columns:  # optional column absent (required ones are checked earlier)
            continue
        out = []
        for text, row in zip(raw[name].tolist(), raw[SOURCE_ROW].tolist()):
            text = "" if text is None else str(text).strip()
            if text == "":
                if not col.nullable:
                    problems.append(Problem(table.name, file_label, row, name, "", "required",
                                            f"'{name}' is blank but required"))
                out.append(None)
                continue
            try:
                out.append(parser.parse(col, text))
            except ValueError as exc:
                shown = "(personal data, not shown)" if col.personal else text
                rule = exc.rule if isinstance(exc, RuleError) else col.type
                problems.append(Problem(table.name, file_label, row, name, shown, rule, str(exc)))
                out.append(None)
        typed[name] = pd.Series(out, index=raw.index, dtype=_dtype(col))
    return pd.DataFrame(typed, index=raw.index), problems


def _dtype(col: ColumnSpec) -> str | None:
    return {"int": "Int64", "float": "Float64", "likert": "Int64", "likert4": "Int64",
            "yesno": "boolean", "date": "object", "datetime": "object"}.get(col.type, "string")


def check_rows(table: TableSpec, typed: pd.DataFrame, spec: DatasetSpec, file_label: str,
               source_rows: pd.Series) -> list[Problem]:
    """Rules across the columns of one row: date order, dataset period."""
    problems = []
    start = pd.Timestamp(spec.period_start).date() if spec.period_start else None
    end = pd.Timestamp(spec.period_end).date() if spec.period_end else None
    for name, col in table.columns.items():
        if name not in typed.columns or col.type not in ("date", "datetime", "month") or start is None:
            continue
        for idx, v in typed[name].items():
            if v is None or v is pd.NA:
                continue
            day = (dt.date(int(v[:4]), int(v[5:7]), 1) if col.type == "month"
                   else v.date() if isinstance(v, dt.datetime) else v)
            first_of_start = start.replace(day=1)
            if day < (first_of_start if col.type == "month" else start) or day > end:
                problems.append(Problem(table.name, file_label, int(source_rows[idx]), name, str(v),
                                        "period", f"outside the dataset period {start} to {end}"))
    if "start_date" in typed.columns and "end_date" in typed.columns:
        bad = typed["start_date"].notna() & typed["end_date"].notna()
        for idx in typed.index[bad]:
            if typed.at[idx, "end_date"] < typed.at[idx, "start_date"]:
                problems.append(Problem(table.name, file_label, int(source_rows[idx]), "end_date",
                                        str(typed.at[idx, "end_date"]), "date-order",
                                        "end_date is before start_date"))
    return problems


def duplicate_problems(table: TableSpec, typed: pd.DataFrame, file_label: str,
                       source_rows: pd.Series, keep_mask: pd.Series) -> list[Problem]:
    """Quarantine duplicate keys: keep the latest submission (if ``latest``) or the first row."""
    if not table.unique:
        return []
    cand = typed[keep_mask]
    if table.latest and table.latest in cand.columns:
        order = cand.assign(_order=np.arange(len(cand))).sort_values(
            [table.latest, "_order"], na_position="first", kind="stable")
        dup = order.duplicated(list(table.unique), keep="last")
        how = f"keeping the latest {table.latest}"
    else:
        dup = cand.duplicated(list(table.unique), keep="first")
        how = "keeping the first"
    problems = []
    for idx in dup[dup].index:
        key = ", ".join(table.unique)
        problems.append(Problem(table.name, file_label, int(source_rows[idx]), key,
                                "(duplicate key)", "duplicate",
                                f"same {key} submitted more than once; {how}"))
    return problems


def reference_problems(table: TableSpec, typed: pd.DataFrame, accepted: dict[str, pd.DataFrame],
                       file_label: str, source_rows: pd.Series, keep_mask: pd.Series) -> list[Problem]:
    """Rows that point at a participant or programme that is not among accepted rows."""
    problems = []
    for column, target in table.refs.items():
        ttable, tcol = target.split(".")
        known = set(accepted[ttable][tcol].dropna()) if ttable in accepted else set()
        for idx in typed.index[keep_mask]:
            v = typed.at[idx, column]
            if v is None or v is pd.NA or v in known:
                continue
            shown = "(personal data, not shown)" if table.columns[column].personal else str(v)
            problems.append(Problem(table.name, file_label, int(source_rows[idx]), column, shown,
                                    "reference", f"no accepted {ttable} row has this {tcol}"))
    return problems


def programme_date_problems(table: TableSpec, typed: pd.DataFrame, programs: pd.DataFrame,
                            file_label: str, source_rows: pd.Series, keep_mask: pd.Series) -> list[Problem]:
    """Survey and test dates must fall within the programme (30 days before to 365 days after)."""
    date_cols = [c for c, col in table.columns.items()
                 if col.type in ("date", "datetime") and c in typed.columns]
    if not date_cols or "program_id" not in typed.columns or programs.empty:
        return []
    spans = programs.set_index("program_id")[["start_date", "end_date"]]
    problems = []
    for c in date_cols:
        for idx in typed.index[keep_mask]:
            v, pid = typed.at[idx, c], typed.at[idx, "program_id"]
            if v is None or pid not in spans.index:
                continue
            day = v.date() if isinstance(v, dt.datetime) else v
            lo = spans.at[pid, "start_date"] - dt.timedelta(days=30)
            hi = spans.at[pid, "end_date"] + dt.timedelta(days=365)
            if not lo <= day <= hi:
                problems.append(Problem(table.name, file_label, int(source_rows[idx]), c, str(v),
                                        "programme-dates",
                                        f"outside programme {pid} ({lo} to {hi}, from 30 days before its start "
                                        "to a year after its end)"))
    return problems
