"""Nothing lost, nothing crashes: random malformed rows through the whole validator.

For any rows at all, ingest either stops with a DataContractError (a fatal problem) or accounts
for every row: ``rows read == accepted + quarantined``, each quarantined row with a reason and
its spreadsheet row number, and no raw NIP in the quarantine.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.ingest.config import TABLES, load_contract
from helpers.errors import DataContractError
from helpers.ingest import PARTICIPANT_KEY, run_checks
from helpers.ingest.privacy import _EMAIL, _NIP_LIKE, nip_problem, scrub_text
from helpers.ingest.validate import SOURCE_ROW, parse_datetime, parse_month, parse_number
from tests.fixtures.exports import make_dataset

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CONTRACT = load_contract()

# Printable text of any script, no surrogates (they cannot be written to a file).
ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
JUNK = st.one_of(
    ANY_TEXT,
    st.sampled_from(["", " ", "  \t", "NA", "-", "?", "#N/A", "null", "Sangat Bagus", "sangat_setuju", "7", "0",
                     "-1", "1e308", "inf", "NaN", "9" * 400, "1.2.3", "1,5", "67,5", "1.234.000", "31/02/2024",
                     "2024/03/05 10:22:13 AM GMT+7", "2024-13", "ya", "tidak", "jakarta", "١٢٣", "ｓｅｔｕｊｕ",
                     "19850314201001200", "1.98503142010012E+17", "a\nb", '"', ";", ",", "é – ✓"]),
    st.integers(min_value=-10**30, max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)


def _plausible(col) -> st.SearchStrategy[str]:
    """Values that usually pass, so that both accepted and quarantined rows occur."""
    t = col.type
    if t == "nip":
        return st.sampled_from(["198503142010012003", "199001012015031001", "19850314 201001 2 003"])
    if t == "region":
        return st.sampled_from(["salatiga", "plaju"])
    if t == "id":
        return st.sampled_from(["SAL-2024-01", "PLJ-2024-01", "processing_days"])
    if t in ("date", "datetime"):
        return st.sampled_from(["2024-03-08", "08/03/2024", "2024/03/08 3:15:42 PM GMT+7"])
    if t == "month":
        return st.sampled_from(["2024-03", "2024-11"])
    if t == "enum":
        return st.sampled_from(list(col.values))
    if t == "yesno":
        return st.sampled_from(["ya", "tidak"])
    if t in ("likert", "likert4"):
        return st.sampled_from(["1", "2", "3", "4"] + (["Setuju", "Sangat Setuju"] if t == "likert" else []))
    if t in ("int", "float"):
        lo, hi = int(col.min or 0), int(min(col.max or 100, 100))
        return st.integers(lo, max(lo, hi)).map(str)
    return st.text(st.characters(min_codepoint=32, max_codepoint=0x24F), min_size=1, max_size=12)


@st.composite
def table_rows(draw, table: str):
    columns = list(CONTRACT.tables[table].columns)
    n = draw(st.integers(0, 6))
    rows = []
    for _ in range(n):
        row = [draw(st.one_of(_plausible(CONTRACT.tables[table].columns[c]), JUNK)) for c in columns]
        width = draw(st.sampled_from([len(columns)] * 6 + [len(columns) - 1, len(columns) + 1]))
        rows.append((row + [draw(JUNK)])[:width])
    return columns, rows


def _csv(header, rows) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)  # "\r\n" as Excel writes it: a bare "\r" in a value gets quoted
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def _check_accounting(result):
    for name, t in result.tables.items():
        assert t.rows_read == len(t.accepted) + len(t.quarantined), name
        q = t.quarantined
        assert all(isinstance(r, str) and r for r in q["reason"]), name
        assert not {"nip", "name"} & set(q.columns), name
        if len(q):
            assert q[SOURCE_ROW].min() >= 2
            assert not q.duplicated(["_source_file", SOURCE_ROW]).any()
        if PARTICIPANT_KEY in q.columns:
            assert q[PARTICIPANT_KEY].map(lambda v: v == "" or re.fullmatch(r"P[0-9a-f]{16}", v) is not None).all()
        problem_rows = {(p.file, p.row) for p in t.problems}
        assert problem_rows == set(zip(q["_source_file"], q[SOURCE_ROW])), name


@SETTINGS
@given(data=st.data(), table=st.sampled_from(TABLES))
def test_random_malformed_rows_never_crash_and_every_row_is_accounted_for(data, table):
    header, rows = data.draw(table_rows(table))
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_dataset(Path(tmp) / "d", {table: _csv(header, rows)})
        try:
            result = run_checks(folder)
        except DataContractError:
            return  # a fatal problem, reported as such: allowed
        _check_accounting(result)
        non_blank = sum(1 for r in rows if any(str(c).strip() for c in r))
        assert result.tables[table].rows_read == non_blank
        assert result.tables[table].blank_rows == len(rows) - non_blank


@SETTINGS
@given(data=st.data())
def test_random_headers_either_fail_clearly_or_account_for_every_row(data):
    contract_cols = list(CONTRACT.tables["tests"].columns)
    header = data.draw(st.lists(st.one_of(st.sampled_from(contract_cols), ANY_TEXT), min_size=1, max_size=7))
    rows = data.draw(st.lists(st.lists(JUNK, min_size=0, max_size=8), max_size=5))
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_dataset(Path(tmp) / "d", {"tests": _csv(header, rows)})
        try:
            result = run_checks(folder)
        except DataContractError as err:
            assert str(err) and "\n" not in err.message.strip("\n").split("\n")[0]
            return
        _check_accounting(result)


@SETTINGS
@given(st.lists(st.lists(JUNK, min_size=9, max_size=9), max_size=5), st.sampled_from(["utf-8-sig", "cp1252"]))
def test_google_forms_export_with_random_answers_is_accounted_for(rows, encoding):
    header = ["Timestamp", "Alamat email", "NIP", "Relevan", "Narasumber", "Metode", "Fasilitas", "Jadwal", "Puas"]
    mapping = {"NIP": "nip", "Relevan": "relevance", "Narasumber": "instructor", "Metode": "method",
               "Fasilitas": "facilities", "Jadwal": "schedule", "Puas": "overall"}
    text = _csv(header, rows)
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_dataset(Path(tmp) / "d", {"reaction": {
            "path": "reaksi.csv", "text": "", "format": "google-forms", "columns": mapping,
            "constants": {"program_id": "SAL-2024-01"}}})
        try:
            (folder / "reaksi.csv").write_bytes(text.encode(encoding))
        except UnicodeEncodeError:
            (folder / "reaksi.csv").write_bytes(text.encode("utf-8"))
        try:
            result = run_checks(folder)
        except DataContractError:
            return
        _check_accounting(result)


# ---------------------------------------------------------------- parsers on any text

@SETTINGS
@given(ANY_TEXT | JUNK, st.sampled_from(["auto", "comma", "point"]), st.booleans())
def test_number_parser_returns_a_finite_number_or_a_value_error(text, decimal, rupiah):
    try:
        x = parse_number(text, decimal, rupiah)
    except ValueError:
        return
    assert x == x and abs(x) < 2**53


@SETTINGS
@given(ANY_TEXT | JUNK, st.sampled_from(["dmy", "mdy"]))
def test_date_parsers_return_a_date_or_a_value_error(text, order):
    for parse in (parse_datetime, parse_month):
        try:
            parse(text, order)
        except ValueError:
            pass


@SETTINGS
@given(ANY_TEXT | JUNK)
def test_nip_check_never_crashes(text):
    assert nip_problem(text) is None or isinstance(nip_problem(text), str)


@SETTINGS
@given(st.lists(st.one_of(ANY_TEXT, st.sampled_from([
    "198503142010012003", "19850314 201001 2 003", "siti@contoh.go.id", "+62 812-3456-7890", "0812 3456 7890",
    " ", "a.b@c.d", "1234567890123456"])), max_size=6).map("".join))
def test_scrubbed_text_holds_no_email_or_nip_like_digit_run(text):
    out = scrub_text(text)
    assert not _EMAIL.search(out) and not _NIP_LIKE.search(out)
