"""The column-at-a-time validator finds exactly what the rules say, row by row.

Ingest checks a whole column at once: each distinct text is parsed once, the rules are NumPy,
pandas and Arrow masks, and a ``Problem`` is built only for a row that breaks a rule. These
tests hold it to the rules written the plain way, one row at a time (the ``rowwise_*``
functions below, which state each rule as ``contract.yml`` and ``helpers.ingest.rules`` do),
on many generated inputs with bad values of every kind among good ones: a wrong Likert label, a
blank required cell, duplicate keys with and without ``submitted_at``, unknown participants and
programmes, dates outside a programme or the dataset period, numbers malformed the Indonesian
way. Problems must match in content and order, typed values in value and dtype.

They also check the fast paths that feed it: Arrow's reading of a CSV file against the csv
module's, the vectorised NIP and ISO-date acceptors against ``nip_problem`` and
``parse_datetime``, and the pseudonym cache against ``pseudonymise``.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import hmac
import itertools
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.ingest import readers, run_checks
from helpers.ingest.contract import load_contract
from helpers.ingest.dataset_spec import FileSpec
from helpers.ingest.parsers import ColumnParser, RuleError, column_dtype, iso_datetimes, parse_datetime, plain_nips
from helpers.ingest.pipeline import _needed_later
from helpers.ingest.privacy import DEMO_KEY, Pseudonyms, nip_problem, pseudonymise
from helpers.ingest.readers import READ_PROBLEM, SOURCE_FILE, SOURCE_ROW, WHITESPACE
from helpers.ingest.rules import (
    Problem,
    check_columns,
    check_rows,
    duplicate_problems,
    programme_date_problems,
    reference_problems,
    shown_value,
)
from tests.fixtures.exports import make_dataset

CONTRACT = load_contract()
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TABLES = ("programs", "participants", "enrollments", "reaction", "tests", "followup", "service", "skm")
SITI, BUDI, ANDI = "198503142010012003", "199001012015031001", "197712252003121002"


# ---------------------------------------------------------------- the rules, one row at a time


def rowwise_check_columns(table, raw: pd.DataFrame, parser: ColumnParser, file_label: str):
    """Each cell parsed on its own; a blank cell breaks a ``requires`` rule or ``required``."""
    problems = []
    rows = raw[SOURCE_ROW].tolist()
    if READ_PROBLEM in raw.columns:
        for text, row in zip(raw[READ_PROBLEM].tolist(), rows, strict=True):
            if text:
                problems.append(Problem(table.name, file_label, int(row), "(row)", "", "field-count", text))

    def is_blank(v) -> bool:
        return v is None or str(v).strip() == ""

    blank = {name: raw[name].map(is_blank) for name in table.columns if name in raw.columns}
    typed = {}
    for name, col in table.columns.items():
        if name not in raw.columns:
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
                    message = f"'{name}' is blank but required"
                    problems.append(Problem(table.name, file_label, int(row), name, "", "required", message))
                out.append(None)
                continue
            try:
                out.append(parser.parse(col, text))
            except ValueError as exc:
                rule = exc.rule if isinstance(exc, RuleError) else col.type
                problems.append(Problem(table.name, file_label, int(row), name, shown_value(col, text), rule, str(exc)))
                out.append(None)
        typed[name] = pd.Series(out, index=raw.index, dtype=column_dtype(col))
    return pd.DataFrame(typed, index=raw.index), problems


def _where(source, idx):
    return str(source.at[idx, SOURCE_FILE]), int(source.at[idx, SOURCE_ROW])


def rowwise_check_rows(table, typed, period, source):
    """A date (or any day of a month) inside the dataset period; end_date not before start_date."""
    problems = []
    start, end = (dt.date.fromisoformat(d) if d else None for d in period)
    shown = f"{start or '…'} to {end or '…'}"
    for name, col in table.columns.items():
        if name not in typed.columns or col.type not in ("date", "datetime", "month") or (start, end) == (None, None):
            continue
        for idx, v in typed[name].items():
            if v is None or v is pd.NA:
                continue
            if col.type == "month":
                first = dt.date(int(v[:4]), int(v[5:7]), 1)
                last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
            else:
                first = last = v.date() if isinstance(v, dt.datetime) else v
            if (start is not None and last < start) or (end is not None and first > end):
                message = f"outside the dataset period {shown} (dataset.yml)"
                problems.append(Problem(table.name, *_where(source, idx), name, str(v), "period", message))
    if "start_date" in typed.columns and "end_date" in typed.columns:
        for idx in typed.index:
            s, e = typed.at[idx, "start_date"], typed.at[idx, "end_date"]
            if s is not None and e is not None and e < s:
                message = "end_date is before start_date"
                problems.append(Problem(table.name, *_where(source, idx), "end_date", str(e), "date-order", message))
    return problems


def rowwise_duplicates(table, typed, source, keep):
    """Per key, the row with the latest ``latest`` wins (no time is older than any time; ties go
    to the row read last), or else the first row; every other row of the key is a duplicate."""
    if not table.unique:
        return []
    rows = [idx for idx in typed.index if keep[idx]]
    key_of = {idx: tuple(typed.at[idx, c] for c in table.unique) for idx in rows}
    if table.latest and table.latest in typed.columns:

        def when(idx):
            v = typed.at[idx, table.latest]
            return (0, dt.datetime.min) if v is None else (1, v)

        order = sorted(rows, key=lambda idx: (when(idx), rows.index(idx)))
        kept = {}
        for idx in order:
            kept[key_of[idx]] = idx  # the last one seen wins
        how = f"the latest {table.latest}"
    else:
        order, kept = rows, {}
        for idx in rows:
            kept.setdefault(key_of[idx], idx)
        how = "the first"
    key = ", ".join(table.unique)
    problems = []
    for idx in order:
        k = kept[key_of[idx]]
        if k == idx:
            continue
        kfile, krow = _where(source, k)
        file, row = _where(source, idx)
        same = f"row {krow}" if kfile == file else f"{kfile} row {krow}"
        message = f"same {key} submitted more than once; {same} is kept ({how})"
        problems.append(Problem(table.name, file, row, key, "(duplicate key)", "duplicate", message))
    return problems


def rowwise_references(table, typed, accepted, source, keep):
    """A participant or programme must be among the accepted rows of its table."""
    problems = []
    for column, target in table.refs.items():
        if column not in typed.columns:
            continue
        ttable, tcol = target.split(".")
        known = set(accepted[ttable][tcol].dropna()) if ttable in accepted else set()
        for idx in typed.index:
            v = typed.at[idx, column]
            if not keep[idx] or v is pd.NA or v in known:
                continue
            shown = shown_value(table.columns[column], str(v))
            message = f"no accepted {ttable} row has this {tcol}"
            problems.append(Problem(table.name, *_where(source, idx), column, shown, "reference", message))
    return problems


def rowwise_programme_dates(table, typed, programs, source, keep):
    """A survey or test date from 30 days before its programme starts to a year after it ends."""
    cols = [c for c, col in table.columns.items() if col.type in ("date", "datetime") and c in typed.columns]
    if not cols or "program_id" not in typed.columns or programs.empty:
        return []
    spans = {r.program_id: (r.start_date, r.end_date) for r in programs.itertuples()}
    problems = []
    for c in cols:
        for idx in typed.index:
            v, pid = typed.at[idx, c], typed.at[idx, "program_id"]
            if not keep[idx] or v is None or pid is pd.NA or pid not in spans:
                continue
            day = v.date() if isinstance(v, dt.datetime) else v
            lo, hi = spans[pid][0] - dt.timedelta(days=30), spans[pid][1] + dt.timedelta(days=365)
            if not lo <= day <= hi:
                message = (
                    f"outside programme {pid} ({lo} to {hi}, from 30 days before its start to a year after its end)"
                )
                problems.append(Problem(table.name, *_where(source, idx), c, str(v), "programme-dates", message))
    return problems


# ---------------------------------------------------------------- generated exports

NIPS = [
    SITI,
    BUDI,
    ANDI,
    "19850314 201001 2 003",
    "NIP. 199001012015031001",
    "19850314201001200",
    "1.98503142010012E+17",
]
NIPS += ["198502302010012003", "198503142010013003", "190001012015031001", "198503142010012003x", "١٩٨٥٠٣١٤٢٠١٠٠١٢٠٠٣"]
DATES = ["2024-03-08", "2024-03-08 10:22:13", "2024-03-08T10:22", "08/03/2024", "03/08/2024", "5 Maret 2024"]
DATES += ["2024/03/08 3:15:42 PM GMT+7", "2024-03-08T10:22:13.5+07:00", "2024-02-30", "31/02/2024", "2030-01-01"]
DATES += ["2022-06-01", "2023-01-31 23:59:59", "2024-03-08 24:00:00", "2024-03-08 10:22:60", "0000-01-01", "2024-3-8"]
NUMBERS = ["1", "5", "0", "-1", "3,0", "67,5", "67.5", "1.234,5", "1,234.5", "1.234.000", "6,7,5", "abc", "1e3"]
NUMBERS += ["17 / 20", "0 / 0", "105", "2000,5", " 3 ", "Rp 1.500.000,-", "1 234", "99999999999999999999"]
CELLS = {
    "nip": NIPS,
    "region": ["salatiga", "plaju", "Salatiga", "jakarta", "Kecamatan Plaju"],
    "id": ["SAL-2024-01", "PLJ-2024-01", "XXX-2099-99", "sal-2024-01"],
    "str": ["DPMPTSP", "Bappeda", "III/a", "x\ny"],
    "text": ["bagus", "hubungi 0812-3456-7890", "budi@contoh.go.id", "NIP 19850314 201001 2 003"],
    "int": NUMBERS,
    "float": NUMBERS,
    "date": DATES,
    "datetime": DATES,
    "month": ["2024-03", "2024-11", "03/2024", "Maret 2024", "2024-13", "2030-01", "2022-12", "2024-03-08"],
    "yesno": ["ya", "tidak", "YA", "Tdk", "mungkin", "1", "0", "true"],
    "likert": ["1", "5", "7", "0", "Setuju", "sangat setuju", "SANGAT  SETUJU", "Sangat Bagus", "4 - Setuju"],
    "likert4": ["1", "2", "4", "5", "2,0", "4.0", "x", "-1"],
}
CELLS["likert"] += ["5 - Setuju", "2,5", "ss", "Netral", "Puas", "cukup puas"]


def _cells_for(col) -> list[str]:
    if col.type == "enum":
        return [*col.values, *(s for labels in col.synonyms.values() for s in labels[:2]), "tidak lulus", "xyz"]
    return CELLS[col.type]


@st.composite
def cell(draw, col) -> str:
    """A cell as people fill it in: mostly a value from the column's pool (good and bad alike),
    sometimes blank or padded with white space, now and then any text at all."""
    kind = draw(st.integers(0, 11))
    if kind == 0:
        return draw(st.sampled_from(["", " ", "\u3000", "\t"]))
    if kind == 1:
        return draw(st.text(st.characters(blacklist_categories=("Cs",)), max_size=12))
    value = draw(st.sampled_from(_cells_for(col)))
    if kind == 2:
        pad = draw(st.sampled_from([" ", "\u00a0", "\x1c", "\t", "\u3000"]))
        return pad + value + pad
    return value


@st.composite
def raw_table(draw, table_name: str | None = None, n_max: int = 25):
    """A table as the reader returns it: contract columns as text (object or ``str``), increasing
    spreadsheet row numbers with gaps, and now and then a malformed-line note."""
    name = table_name or draw(st.sampled_from(TABLES))
    table = CONTRACT.tables[name]
    columns = [c for c, col in table.columns.items() if col.required or draw(st.booleans())]
    n = draw(st.integers(0, n_max))
    data = {c: [draw(cell(table.columns[c])) for _ in range(n)] for c in columns}
    dtype = draw(st.sampled_from([object, "str"]))
    raw = pd.DataFrame({c: pd.Series(v, dtype=dtype) for c, v in data.items()}, index=pd.RangeIndex(n))
    raw[SOURCE_ROW] = np.cumsum([2] + [draw(st.integers(1, 3)) for _ in range(max(n - 1, 0))])[:n]
    raw[READ_PROBLEM] = [
        draw(st.sampled_from(["", "", "", "", "the row has 9 values but the header has 8"])) for _ in range(n)
    ]
    return table, raw


class _Spec:
    region_ids = ("salatiga", "plaju")
    regions = ()


@st.composite
def parser(draw) -> ColumnParser:
    """A file's reading conventions: decimal mark, date order, label sets, a recode or none."""
    likert = draw(st.sampled_from([{}, {"overall": "satisfaction"}]))
    values = draw(
        st.sampled_from([None, {"status": {"tidak lulus": "dropped"}, "region_id": {"Salatiga": "salatiga"}}])
    )
    decimal = draw(st.sampled_from(["auto", "comma", "point"]))
    date_order = draw(st.sampled_from(["dmy", "mdy"]))
    return ColumnParser(CONTRACT, _Spec(), likert, decimal, date_order, values=values)


# ---------------------------------------------------------------- column checks


@SETTINGS
@given(raw_table(), parser())
def test_column_checks_give_each_bad_cell_the_problem_the_rules_give_it(table_raw, prs):
    table, raw = table_raw
    typed, problems = check_columns(table, raw, prs, "export.csv")
    expected_typed, expected = rowwise_check_columns(table, raw, prs, "export.csv")
    assert problems == expected
    pd.testing.assert_frame_equal(typed, expected_typed, check_exact=True)


def test_a_missing_cell_is_read_as_its_text_like_any_other():
    """None is blank; NaN and pd.NA are not (they read as 'nan' and '<NA>'), as before."""
    table = CONTRACT.tables["reaction"]
    raw = pd.DataFrame(
        {
            "nip": [SITI, BUDI, ANDI],
            "program_id": pd.Series(["SAL-2024-01", None, "SAL-2024-01"], dtype=object),
            "overall": pd.Series(["Setuju", np.nan, "5"], dtype=object),
            SOURCE_ROW: [2, 3, 4],
        }
    )
    prs = ColumnParser(CONTRACT, _Spec(), {})
    got = check_columns(table, raw, prs, "r.csv")
    want = rowwise_check_columns(table, raw, prs, "r.csv")
    assert got[1] == want[1]
    assert [(p.row, p.column, p.rule) for p in got[1]] == [(3, "program_id", "required"), (3, "overall", "likert")]
    pd.testing.assert_frame_equal(got[0], want[0])


# ---------------------------------------------------------------- row, table and cross-table checks


@st.composite
def checked_table(draw, table_name: str):
    """A table parsed by ``check_columns``, its source rows over one or two files, and which rows
    are still kept."""
    table, raw = draw(raw_table(table_name, n_max=30))
    typed, _ = check_columns(table, raw, draw(parser()), "a.csv")
    files = draw(st.lists(st.sampled_from(["a.csv", "b.csv"]), min_size=len(raw), max_size=len(raw)))
    source = pd.DataFrame({SOURCE_FILE: sorted(files), SOURCE_ROW: raw[SOURCE_ROW]}, index=raw.index)
    keep = pd.Series([draw(st.integers(0, 4)) > 0 for _ in range(len(raw))], index=raw.index, dtype=bool)
    return table, typed, source, keep


PERIODS = [("2024-01-01", "2025-12-31"), ("2024-03-09", None), (None, "2024-03-07"), (None, None), ("2023-06-15", None)]
EACH = settings(SETTINGS, max_examples=12)  # per parameter combination


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("table_name", ["programs", "reaction", "tests", "service", "skm"])
@EACH
@given(data=st.data())
def test_dates_outside_the_period_and_reversed_programme_dates_are_found_as_row_by_row(table_name, period, data):
    table, typed, source, _ = data.draw(checked_table(table_name))

    class Spec:
        period_start, period_end = period

    assert check_rows(table, typed, Spec(), source) == rowwise_check_rows(table, typed, period, source)


@pytest.mark.parametrize("table_name", ["participants", "enrollments", "reaction", "tests", "followup", "service"])
@EACH
@given(data=st.data())
def test_duplicate_keys_keep_the_latest_submission_or_the_first_row_as_row_by_row(table_name, data):
    table, typed, source, keep = data.draw(checked_table(table_name))
    assert duplicate_problems(table, typed, source, keep) == rowwise_duplicates(table, typed, source, keep)


# Days the generated date cells parse to (2024-08-03 is "03/08/2024" read day first).
ANCHORS = [dt.date(2024, 3, 8), dt.date(2024, 8, 3), dt.date(2024, 3, 5), dt.date(2023, 1, 31), dt.date(2022, 6, 1)]


@st.composite
def programme_span(draw) -> tuple[dt.date, dt.date]:
    """A programme whose window (30 days before its start to a year after its end) begins or
    ends within a day of a date the generated tables hold."""
    anchor, nudge = draw(st.sampled_from(ANCHORS)), dt.timedelta(days=draw(st.integers(-1, 1)))
    length = dt.timedelta(days=draw(st.integers(0, 60)))
    if draw(st.booleans()):
        start = anchor + dt.timedelta(days=30) + nudge
        return start, start + length
    end = anchor - dt.timedelta(days=365) + nudge
    return end - length, end


@st.composite
def accepted_earlier(draw):
    """Accepted participants and programmes (some of the ids the generated tables use)."""
    nips = draw(st.lists(st.sampled_from([SITI, BUDI, ANDI]), unique=True))
    ids = draw(st.lists(st.sampled_from(["SAL-2024-01", "PLJ-2024-01", "sal-2024-01"]), unique=True))
    spans = [draw(programme_span()) for _ in ids]
    programs = pd.DataFrame(
        {
            "program_id": pd.Series(ids, dtype="string"),
            "start_date": pd.Series([s for s, _ in spans], dtype=object),
            "end_date": pd.Series([e for _, e in spans], dtype=object),
        }
    )
    accepted = {"participants": pd.DataFrame({"nip": pd.Series(nips, dtype="string")}), "programs": programs}
    if draw(st.integers(0, 5)) == 0:
        del accepted["participants"]  # no participants table: every reference to one fails
    return accepted


@pytest.mark.parametrize("table_name", ["enrollments", "reaction", "tests", "followup"])
@settings(SETTINGS, max_examples=25)
@given(data=st.data())
def test_unknown_participants_and_programmes_and_dates_outside_the_programme_are_found_as_row_by_row(table_name, data):
    table, typed, source, keep = data.draw(checked_table(table_name))
    accepted = data.draw(accepted_earlier())
    assert reference_problems(table, typed, accepted, source, keep) == rowwise_references(
        table, typed, accepted, source, keep
    )
    programs = accepted["programs"]
    assert programme_date_problems(table, typed, programs, source, keep) == rowwise_programme_dates(
        table, typed, programs, source, keep
    )


# ---------------------------------------------------------------- planted problems, end to end

REACTION_HEAD = "nip,program_id,submitted_at,relevance,instructor,method,facilities,schedule,overall\n"
ANSWERS = {"submitted_at": "2024-03-08 10:00:00", "relevance": "Setuju", "instructor": "Setuju", "method": "Netral"}
ANSWERS |= {"facilities": "Setuju", "schedule": "Setuju", "overall": "Sangat Setuju"}
# Planted reaction rows: what differs from a good row, and the (column, rule) it is quarantined for.
PLANTED = {
    "likert-label": ({"overall": "Sangat Bagus"}, ("overall", "likert")),
    "likert-range": ({"relevance": "7"}, ("relevance", "range")),
    "blank-required": ({"overall": ""}, ("overall", "required")),
    "unknown-programme": ({"program_id": "XXX-2099-99"}, ("program_id", "reference")),
    "before-programme": ({"submitted_at": "2024-01-10 10:00:00"}, ("submitted_at", "programme-dates")),
    "outside-period": ({"submitted_at": "2026-02-01 10:00:00"}, ("submitted_at", "period")),
    "impossible-date": ({"submitted_at": "2024-02-30 10:00:00"}, ("submitted_at", "datetime")),
    "short-nip": ({"nip": "19850314201001200"}, ("nip", "nip")),
}


def reaction_row(nip: str, **changes: str) -> str:
    row = {"nip": nip, "program_id": "SAL-2024-01", **ANSWERS, **changes}
    return ",".join(row.values()) + "\n"


@settings(SETTINGS, max_examples=25, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.sampled_from(sorted(PLANTED)), max_size=6),
    st.lists(st.sampled_from([SITI, BUDI, ANDI, "198811302014022004"]), min_size=1, max_size=12),
    st.booleans(),
)
def test_planted_bad_rows_are_quarantined_for_their_rule_and_only_they(tmp_path_factory, planted, people, split):
    """Good rows of distinct people with bad rows planted among them (each with a person of its
    own): exactly the planted rows are quarantined, each for the rule it breaks."""
    people = list(dict.fromkeys(people))
    rows = [reaction_row(nip, submitted_at=f"2024-03-08 1{i}:00:00") for i, nip in enumerate(people)]
    spare = [f"19{y}0101201001100{k}" for k, y in enumerate(range(60, 70))]  # valid NIPs nobody uses
    participants = "nip,region_id\n" + "".join(f"{n},salatiga\n" for n in [*people, *spare])
    expected = {}
    for k, kind in enumerate(planted):
        changes, rule = PLANTED[kind]
        pos = (k * 7) % (len(rows) + 1)
        rows.insert(pos, reaction_row(**{"nip": spare[k], **changes}))
        expected = {(r if r < pos else r + 1): v for r, v in expected.items()}
        expected[pos] = rule
    cut = len(rows) // 2 if split else len(rows)
    parts = [("reaksi_a.csv", rows[:cut]), ("reaksi_b.csv", rows[cut:])] if split else [("reaksi.csv", rows)]
    files = [{"path": path, "text": REACTION_HEAD + "".join(part)} for path, part in parts if part or not split]
    folder = make_dataset(tmp_path_factory.mktemp("planted"), {"participants": participants, "reaction": files})
    result = run_checks(folder)
    reaction = result.tables["reaction"]
    found = {}
    for p in reaction.problems:
        offset = 0 if p.file != "reaksi_b.csv" else cut
        found.setdefault(offset + p.row - 2, (p.column, p.rule))  # the first problem of the row
    assert found == expected
    assert reaction.counts == {"read": len(rows), "accepted": len(rows) - len(expected), "quarantined": len(expected)}


def test_duplicates_with_and_without_submission_time_keep_the_rows_the_rules_name(tmp_path):
    reaction = REACTION_HEAD + (
        f"{SITI},SAL-2024-01,2024-03-08 12:00:00,Setuju,Setuju,Setuju,Setuju,Setuju,Setuju\n"  # row 2
        f"{SITI},SAL-2024-01,2024-03-08 09:00:00,Netral,Setuju,Setuju,Setuju,Setuju,Setuju\n"  # row 3: older
        f"{BUDI},SAL-2024-01,,Setuju,Setuju,Setuju,Setuju,Setuju,Setuju\n"  # row 4: no time
        f"{BUDI},SAL-2024-01,2024-03-08 09:00:00,Netral,Setuju,Setuju,Setuju,Setuju,Setuju\n"  # row 5: wins
        f"{ANDI},SAL-2024-01,2024-03-08 09:00:00,Setuju,Setuju,Setuju,Setuju,Setuju,Setuju\n"  # row 6
        f"{ANDI},SAL-2024-01,2024-03-08 09:00:00,Netral,Setuju,Setuju,Setuju,Setuju,Setuju\n"  # row 7: read last
    )
    tests = "nip,program_id,pre_score,post_score\n" + (
        f'{SITI},SAL-2024-01,"67,5",80\n'  # row 2: the first is kept
        f"{SITI},SAL-2024-01,70,81\n"  # row 3
    )
    result = run_checks(make_dataset(tmp_path / "d", {"reaction": reaction, "tests": tests}))
    assert [(p.row, p.message) for p in result.tables["reaction"].problems] == [
        (3, "same nip, program_id submitted more than once; row 2 is kept (the latest submitted_at)"),
        (4, "same nip, program_id submitted more than once; row 5 is kept (the latest submitted_at)"),
        (6, "same nip, program_id submitted more than once; row 7 is kept (the latest submitted_at)"),
    ]
    assert [(p.row, p.message) for p in result.tables["tests"].problems] == [
        (3, "same nip, program_id submitted more than once; row 2 is kept (the first)")
    ]
    assert result.tables["tests"].accepted["pre_score"].tolist() == [67.5]


# ---------------------------------------------------------------- fast paths


def _fspec(**kw) -> FileSpec:
    return FileSpec(table="reaction", path="f.csv", **kw)


def _csv_module_frame(data: bytes, fspec: FileSpec):
    records = readers._csv_records(data, Path("f.csv"), fspec)
    return records, *readers._frame(records, fspec, Path("f.csv"), "table", "")


PLAIN_FIELD = st.sampled_from(["1", "abc", "", " x ", "é ü", "Sangat Setuju", "19850314 201001 2 003", " ", "\u00a0"])
QUOTED_FIELD = st.text(st.sampled_from(list('ab ,;"\r\n\u3000')), max_size=6).map(
    lambda t: '"' + t.replace('"', '""') + '"'
)
RAW_FIELD = st.text(st.sampled_from(list('ab ,;"\r\n\t')), max_size=4)  # unquoted: may split the row


@st.composite
def csv_bytes(draw) -> bytes:
    """CSV text as exports write it: quoted cells with separators and line breaks inside, CRLF or
    LF, blank lines, a trailing empty header cell, a ``sep=`` line, a BOM, Windows-1252; and one
    file in five broken as people break them (rows a value short or long, stray quotes)."""
    width = draw(st.integers(1, 4))
    delim = draw(st.sampled_from([",", ";"]))
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    broken = draw(st.integers(0, 4)) == 0
    field = st.one_of(PLAIN_FIELD, QUOTED_FIELD, RAW_FIELD) if broken else st.one_of(PLAIN_FIELD, QUOTED_FIELD)
    trailing = draw(st.sampled_from(["", delim]))
    lines = [delim.join(f"h{i}" for i in range(width)) + trailing]
    for _ in range(draw(st.integers(0, 30))):
        widths = [width + bool(trailing)] * 12 + [0] + ([width - 1, width + 1] if broken else [])
        lines.append(delim.join(draw(field) for _ in range(draw(st.sampled_from(widths)))))
    text = eol.join(lines) + draw(st.sampled_from(["", eol]))
    if delim == ";" and draw(st.booleans()):
        text = "sep=;" + eol + text
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    return text.encode(encoding, errors="replace")


@contextlib.contextmanager
def arrow_blocks(size: int):
    """Arrow reads in blocks of ``size`` bytes (1 MiB normally) for the length of the block."""
    saved, readers._ARROW_BLOCK = readers._ARROW_BLOCK, size
    try:
        yield
    finally:
        readers._ARROW_BLOCK = saved


@settings(max_examples=300, deadline=None)
@given(csv_bytes(), st.sampled_from([7, 64, 1 << 20]))
def test_arrow_reads_a_csv_file_exactly_as_the_csv_module_or_declines(data, block):
    """Whenever Arrow's reading is used, it equals the csv module's: cells, row numbers, blank
    rows, notes on long rows. Small blocks put block boundaries everywhere, inside quoted line
    breaks too (split there, Arrow loses the ``\\n`` of ``\\r\\n``: the file is read again whole)."""
    fspec = _fspec()
    with arrow_blocks(block):
        fast = readers._csv_arrow(data, Path("f.csv"), fspec)
    if fast is None:
        return
    head, df, blank = fast
    records, expected_df, expected_blank = _csv_module_frame(data, fspec)
    assert head == records[: len(head)]
    assert blank == expected_blank
    pd.testing.assert_frame_equal(df, expected_df, check_exact=True)


def test_a_line_break_typed_in_a_cell_survives_a_block_boundary():
    rows = "".join(f'{i},"baris satu\r\nbaris dua"\r\n' for i in range(200))
    data = ("id,comment\r\n" + rows).encode()
    with arrow_blocks(37):
        _, df, _ = readers._csv_arrow(data, Path("f.csv"), _fspec())
    assert set(df["comment"]) == {"baris satu\r\nbaris dua"}
    assert df[SOURCE_ROW].tolist() == list(range(2, 202))


def test_files_arrow_might_read_differently_are_read_by_the_csv_module():
    ragged = b"a,b\n1,2\n3\n"
    assert readers._csv_arrow(ragged, Path("f.csv"), _fspec()) is None
    title_row = b"REKAP\na,b\n1,2\n"
    assert readers._csv_arrow(title_row, Path("f.csv"), _fspec(header_row=2)) is None
    long_cell = b"a\n" + b"x" * (csv.field_size_limit() + 1) + b"\n"
    assert readers._csv_arrow(long_cell, Path("f.csv"), _fspec()) is None


NIP_PARTS = (
    ["0000", "1899", "1900", "1985", "2000", "2004"],  # birth year
    ["00", "01", "02", "12", "13"],  # birth month
    ["00", "01", "28", "29", "30", "31"],  # birth day
    ["1914", "1915", "2000", "2010", "2019"],  # appointment year
    ["00", "01", "12", "13"],  # appointment month
    ["0", "1", "2", "3"],  # gender
    ["001"],
)


def test_plain_nips_are_accepted_vectorised_exactly_when_nip_problem_finds_nothing():
    """Every combination of valid and invalid parts (28,800 NIPs), and NIPs written otherwise."""
    texts = ["".join(parts) for parts in itertools.product(*NIP_PARTS)]
    texts += ["19850314 201001 2 003", "NIP. 198503142010012003", "1985031420100120031", "١٩٨٥٠٣١٤٢٠١٠٠١٢٠٠٣"]
    ok = plain_nips(pa.array(texts, pa.large_string()))
    assert ok.tolist() == [t.isascii() and nip_problem(t) is None and t.isdigit() for t in texts]
    assert 0 < ok.sum() < len(texts)


DATE_PARTS = (
    ["0000", "0001", "1969", "2024", "9999"],
    ["00", "01", "02", "12", "13", "1"],
    ["00", "01", "28", "29", "30", "31", "5"],
    ["", " 00:00:00", " 23:59:59", " 24:00:00", " 10:60:00", " 10:22:60", " 10:22", "T10:22:13", "T10:22"],
    ["", " ", "  10:22:13", ".5", "+07:00", " AM"],  # appended: mostly forms the vectorised check leaves alone
)


@pytest.mark.parametrize("date_order", ["dmy", "mdy"])
def test_iso_dates_accepted_vectorised_are_exactly_what_parse_datetime_reads_that_way(date_order):
    """Every combination (11,340 texts): accepted ones parse to the same value; refused ones are
    either not dates or written in a form other than zero-padded ISO (left to parse_datetime)."""
    texts = ["{}-{}-{}{}{}".format(*parts) for parts in itertools.product(*DATE_PARTS)]
    ok, values = iso_datetimes(pa.array(texts, pa.large_string()))
    iso = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?)?")
    for text, accepted, value in zip(texts, ok, values, strict=True):
        try:
            parsed = parse_datetime(text, date_order)
        except ValueError:
            parsed = None
        if accepted:
            assert value.astype("datetime64[us]").astype(object) == parsed, text
        else:
            assert parsed is None or not iso.fullmatch(text), text
    assert 0 < ok.sum() < len(texts)


def test_the_programme_window_runs_from_30_days_before_its_start_to_365_days_after_its_end():
    table = CONTRACT.tables["tests"]
    start, end = dt.date(2024, 3, 4), dt.date(2024, 3, 8)
    days = [start - dt.timedelta(days=31), start - dt.timedelta(days=30), end + dt.timedelta(days=365)]
    days += [end + dt.timedelta(days=366)]
    typed = pd.DataFrame(
        {"program_id": pd.Series(["SAL-2024-01"] * 4, dtype="string"), "test_date": pd.Series(days, dtype=object)}
    )
    source = pd.DataFrame({SOURCE_FILE: ["t.csv"] * 4, SOURCE_ROW: [2, 3, 4, 5]})
    keep = pd.Series(True, index=typed.index)
    programs = pd.DataFrame(
        {"program_id": pd.Series(["SAL-2024-01"], dtype="string"), "start_date": [start], "end_date": [end]}
    )
    problems = programme_date_problems(table, typed, programs, source, keep)
    assert problems == rowwise_programme_dates(table, typed, programs, source, keep)
    assert [(p.row, p.value) for p in problems] == [(2, "2024-02-02"), (5, "2025-03-09")]
    assert problems[0].message == (
        "outside programme SAL-2024-01 (2024-02-03 to 2025-03-08, from 30 days before its start to a year after "
        "its end)"
    )


def _hmac_pseudonym(nip: str) -> str:
    """The pseudonym as docs/real-data.md defines it: "P" + 16 hex digits of HMAC-SHA256 of the digits."""
    digits = "".join(c for c in nip if c in "0123456789")
    return "P" + hmac.new(DEMO_KEY, digits.encode("ascii"), hashlib.sha256).hexdigest()[:16]


def test_pseudonyms_of_a_column_are_the_keyed_hash_of_each_value_also_when_remembered():
    pseudonyms = Pseudonyms(DEMO_KEY)
    first = pd.Series([SITI, "19850314 201001 2 003", None, BUDI], dtype="string", index=[7, 8, 9, 10])
    second = pd.Series([BUDI, ANDI, "NIP. 19900101 201503 1 001"], dtype="str")
    for values in (first, second, first):
        got = pseudonyms.of(values)
        assert got.index.equals(values.index) and got.dtype == "string"
        assert got.tolist() == [pd.NA if pd.isna(v) else _hmac_pseudonym(v) for v in values]
    assert pseudonyms.one("19850314 201001 2 003") == pseudonymise(SITI, DEMO_KEY) == _hmac_pseudonym(SITI)


def test_later_reference_checks_keep_only_the_key_columns_of_earlier_tables():
    assert _needed_later(CONTRACT) == {
        "programs": ("program_id", "start_date", "end_date"),
        "participants": ("nip",),
    }


def test_white_space_stripped_is_exactly_what_str_strip_strips():
    assert set(WHITESPACE) == {chr(c) for c in range(0x110000) if chr(c).isspace()}
