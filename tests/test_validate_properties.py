"""Nothing lost, nothing crashes: random malformed rows through the whole validator.

For any rows at all, ingest either stops with a DataContractError (a fatal problem) or accounts
for every row: ``rows read == accepted + quarantined``, each quarantined row with a reason and
its spreadsheet row number, and no raw NIP in the quarantine.

A property of the form "either it fails clearly, or <assertions>" proves nothing if almost every
example takes the first branch. So the strategies below mostly produce input that gets through
(complete headers, numbers and dates as people write them), every property counts the examples
that reached its assertions, and each test fails if fewer than half of them did.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from helpers.errors import DataContractError, DataContractErrors
from helpers.ingest import PARTICIPANT_KEY, run_checks
from helpers.ingest.contract import TABLES, load_contract
from helpers.ingest.parsers import parse_datetime, parse_month, parse_number
from helpers.ingest.privacy import _EMAIL, _NIP_LIKE, nip_problem, scrub_text
from helpers.ingest.readers import SOURCE_FILE, SOURCE_ROW
from tests.fixtures.exports import make_dataset

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Parsers are fast: more examples, so that text of any kind is tried often besides well-formed values.
PARSER_SETTINGS = settings(SETTINGS, max_examples=200)
CONTRACT = load_contract()

# Examples that reached a property's assertions, by property (see the module docstring).
REACHED: Counter[str] = Counter()


def _run_counted(key: str, prop, used: settings = SETTINGS) -> None:
    """Run the hypothesis property ``prop`` (decorated with ``used``); fail unless at least half of
    its examples reached the assertions counted under ``key``."""
    REACHED[key] = 0
    prop()
    assert REACHED[key] >= used.max_examples // 2, (
        f"only {REACHED[key]} of {used.max_examples} examples reached the assertions of '{key}': "
        "the strategies no longer produce input that gets through"
    )


# Printable text of any script, no surrogates (they cannot be written to a file).
ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
JUNK = st.one_of(
    ANY_TEXT,
    st.sampled_from(
        [
            "",
            " ",
            "  \t",
            "NA",
            "-",
            "?",
            "#N/A",
            "null",
            "Sangat Bagus",
            "sangat_setuju",
            "7",
            "0",
            "-1",
            "1e308",
            "inf",
            "NaN",
            "9" * 400,
            "1.2.3",
            "1,5",
            "67,5",
            "1.234.000",
            "31/02/2024",
            "2024/03/05 10:22:13 AM GMT+7",
            "2024-13",
            "ya",
            "tidak",
            "jakarta",
            "١٢٣",
            "ｓｅｔｕｊｕ",
            "19850314201001200",
            "1.98503142010012E+17",
            "a\nb",
            '"',
            ";",
            ",",
            "é – ✓",
        ]
    ),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)


def _mostly(good: st.SearchStrategy, bad: st.SearchStrategy) -> st.SearchStrategy:
    """``good`` about three times in four, else ``bad`` (``one_of`` would split them evenly)."""
    return st.integers(0, 3).flatmap(lambda k: bad if k == 0 else good)


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


def _rows(draw, columns: list, n_max: int = 6) -> list[list[str]]:
    """Up to ``n_max`` rows under ``columns`` (a contract column, or None for an unknown one);
    now and then a row one value short or one too long."""
    rows = []
    for _ in range(draw(st.integers(0, n_max))):
        row = [draw(st.one_of(_plausible(c), JUNK) if c is not None else JUNK) for c in columns]
        width = draw(st.sampled_from([len(columns)] * 6 + [len(columns) - 1, len(columns) + 1]))
        rows.append((row + [draw(JUNK)])[:width])
    return rows


@st.composite
def table_rows(draw, table: str):
    specs = list(CONTRACT.tables[table].columns.values())
    return [c.name for c in specs], _rows(draw, specs)


@st.composite
def header_cell(draw, name: str) -> str:
    """A contract column name as a person types it in a header row: any case, spaces, line breaks."""
    joiner = draw(st.sampled_from(["_", " ", "  ", "\n"]))
    case = draw(st.sampled_from([str.lower, str.upper, str.title]))
    pad = draw(st.sampled_from(["", " "]))  # not a tab: a header with tabs is read as tab-separated
    return pad + case(joiner.join(name.split("_"))) + pad


@st.composite
def score_sheet_export(draw):
    """A "tests" file whose header mostly holds every contract column once, spelled any way and in
    any order among unknown columns; one time in ten a column is missing or doubled (fatal)."""
    table = CONTRACT.tables["tests"]
    chosen = list(table.columns)
    mode = draw(st.sampled_from(["complete"] * 18 + ["missing", "doubled"]))
    if mode == "missing":
        chosen.remove(draw(st.sampled_from(chosen)))
    elif mode == "doubled":
        chosen.append(draw(st.sampled_from(chosen)))
    cells = [(table.columns[c], draw(header_cell(c))) for c in chosen]
    cells += [(None, text) for text in draw(st.lists(ANY_TEXT, max_size=3))]
    cells = draw(st.permutations(cells))
    return [text for _, text in cells], _rows(draw, [col for col, _ in cells], n_max=5)


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
            assert not q.duplicated([SOURCE_FILE, SOURCE_ROW]).any()
        if PARTICIPANT_KEY in q.columns:
            assert q[PARTICIPANT_KEY].map(lambda v: v == "" or re.fullmatch(r"P[0-9a-f]{16}", v) is not None).all()
        problem_rows = {(p.file, p.row) for p in t.problems}
        assert problem_rows == set(zip(q[SOURCE_FILE], q[SOURCE_ROW], strict=True)), name


def _check_row_counts(result, table: str, rows: list[list[str]]) -> None:
    """Every written row is read or counted as blank: none disappears between file and frame."""
    non_blank = sum(1 for r in rows if any(str(c).strip() for c in r))
    assert result.tables[table].rows_read == non_blank
    assert result.tables[table].blank_rows == len(rows) - non_blank


# ---------------------------------------------------------------- whole files


@SETTINGS
@given(data=st.data(), table=st.sampled_from(TABLES))
def _malformed_rows(data, table):
    header, rows = data.draw(table_rows(table))
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_dataset(Path(tmp) / "d", {table: _csv(header, rows)})
        try:
            result = run_checks(folder)
        except DataContractErrors as errs:  # several fatal problems of one file, reported together
            event(f"fatal: {'+'.join(e.rule for e in errs.errors)}")
            return
        except DataContractError as err:
            event(f"fatal: {err.rule}")
            return  # a fatal problem, reported as such: allowed
        REACHED["malformed rows"] += 1
        _check_accounting(result)
        _check_row_counts(result, table, rows)


def test_random_malformed_rows_never_crash_and_every_row_is_accounted_for():
    _run_counted("malformed rows", _malformed_rows)


@SETTINGS
@given(export=score_sheet_export())
def _random_headers(export):
    header, rows = export
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_dataset(Path(tmp) / "d", {"tests": _csv(header, rows)})
        try:
            result = run_checks(folder)
        except DataContractErrors as errs:  # several fatal problems of one file, reported together
            event(f"fatal: {'+'.join(e.rule for e in errs.errors)}")
            assert all(str(e) and "\n" not in e.message for e in errs.errors)
            return
        except DataContractError as err:
            event(f"fatal: {err.rule}")
            assert str(err) and "\n" not in err.message.strip("\n").split("\n")[0]
            return
        REACHED["random headers"] += 1
        _check_accounting(result)
        _check_row_counts(result, "tests", rows)


def test_random_headers_either_fail_clearly_or_account_for_every_row():
    _run_counted("random headers", _random_headers)


@SETTINGS
@given(st.lists(st.lists(JUNK, min_size=9, max_size=9), max_size=5), st.sampled_from(["utf-8-sig", "cp1252"]))
def _google_forms(rows, encoding):
    header = ["Timestamp", "Alamat email", "NIP", "Relevan", "Narasumber", "Metode", "Fasilitas", "Jadwal", "Puas"]
    mapping = {
        "NIP": "nip",
        "Relevan": "relevance",
        "Narasumber": "instructor",
        "Metode": "method",
        "Fasilitas": "facilities",
        "Jadwal": "schedule",
        "Puas": "overall",
    }
    text = _csv(header, rows)
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_dataset(
            Path(tmp) / "d",
            {
                "reaction": {
                    "path": "reaksi.csv",
                    "text": "",
                    "format": "google-forms",
                    "columns": mapping,
                    "constants": {"program_id": "SAL-2024-01"},
                }
            },
        )
        try:
            (folder / "reaksi.csv").write_bytes(text.encode(encoding))
        except UnicodeEncodeError:
            (folder / "reaksi.csv").write_bytes(text.encode("utf-8"))
        try:
            result = run_checks(folder)
        except DataContractErrors as errs:
            event(f"fatal: {'+'.join(e.rule for e in errs.errors)}")
            return
        except DataContractError as err:
            event(f"fatal: {err.rule}")
            return
        REACHED["google forms"] += 1
        _check_accounting(result)
        _check_row_counts(result, "reaction", rows)


def test_google_forms_export_with_random_answers_is_accounted_for():
    _run_counted("google forms", _google_forms)


# ---------------------------------------------------------------- parsers on any text


@st.composite
def written_numbers(draw):
    """(text, decimal, value): a number as a locale writes it, with the decimal setting for it.

    ``comma`` is id_ID (``1.234.567,5``), ``point`` en_US (``1,234,567.5``); grouping is optional.
    """
    whole = draw(st.integers(0, 10**12))
    frac = draw(st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=3)))
    sign = draw(st.sampled_from(["", "-", "+"]))
    decimal = draw(st.sampled_from(["comma", "point"]))
    mark, group = (",", ".") if decimal == "comma" else (".", ",")
    digits = f"{whole:,}".replace(",", group) if draw(st.booleans()) else str(whole)
    text = sign + digits + (mark + frac if frac else "")
    return text, decimal, float(sign.replace("+", "") + str(whole) + "." + (frac or "0"))


@PARSER_SETTINGS
@given(written_numbers())
def test_numbers_written_in_either_locale_read_back_exactly(written):
    text, decimal, value = written
    assert parse_number(text, decimal) == value
    mark, group = (",", ".") if decimal == "comma" else (".", ",")
    if text.count(group) != 1 or mark in text:
        # A lone grouping mark ("12.345") is the one case "auto" reads otherwise: as a decimal mark.
        assert parse_number(text, "auto") == value


@PARSER_SETTINGS
@given(
    _mostly(
        written_numbers().map(lambda w: w[:2]), st.tuples(ANY_TEXT | JUNK, st.sampled_from(["auto", "comma", "point"]))
    ),
    st.booleans(),
)
def _number_parser(written, rupiah):
    text, decimal = written
    try:
        x = parse_number(text, decimal, rupiah)
    except ValueError:
        return
    REACHED["number parser"] += 1
    assert isinstance(x, float) and x == x and abs(x) < 2**53


def test_number_parser_returns_a_finite_number_or_a_value_error():
    _run_counted("number parser", _number_parser, PARSER_SETTINGS)


MONTH_NAMES = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


@st.composite
def written_dates(draw):
    """(text, date_order, datetime): a date and time as a survey tool or a spreadsheet exports it."""
    when = draw(st.datetimes(dt.datetime(1950, 1, 1), dt.datetime(2099, 12, 31))).replace(microsecond=0)
    d, t = when, when.time()
    hour12, half = (t.hour % 12 or 12), ("AM" if t.hour < 12 else "PM")
    forms = {
        "iso date": (f"{d:%Y-%m-%d}", "dmy", True),
        "iso time": (f"{d:%Y-%m-%d %H:%M:%S}", "dmy", False),
        "kobo": (f"{d:%Y-%m-%dT%H:%M:%S}.{draw(st.integers(0, 999)):03d}+07:00", "dmy", False),
        "google forms": (f"{d:%Y/%m/%d} {hour12}:{t:%M:%S} {half} GMT+7", "dmy", False),
        "sheets id_ID": (f"{d:%d/%m/%Y %H:%M:%S}", "dmy", False),
        "excel id_ID": (f"{d:%d-%m-%Y}", "dmy", True),
        "en_US": (f"{d:%m/%d/%Y}", "mdy", True),
        "words": (f"{d.day} {MONTH_NAMES[d.month - 1]} {d.year}", draw(st.sampled_from(["dmy", "mdy"])), True),
    }
    text, order, date_only = forms[draw(st.sampled_from(sorted(forms)))]
    return text, order, (dt.datetime(d.year, d.month, d.day) if date_only else when)


@PARSER_SETTINGS
@given(written_dates())
def test_dates_written_as_exports_write_them_read_back_exactly(written):
    text, order, when = written
    assert parse_datetime(text, order) == when
    assert parse_month(text, order) == f"{when.year:04d}-{when.month:02d}"


@PARSER_SETTINGS
@given(_mostly(written_dates().map(lambda w: w[0]), ANY_TEXT | JUNK), st.sampled_from(["dmy", "mdy"]))
def _date_parsers(text, order):
    try:
        when = parse_datetime(text, order)
        month = parse_month(text, order)
    except ValueError:
        return
    REACHED["date parsers"] += 1
    assert isinstance(when, dt.datetime)
    assert month == f"{when.year:04d}-{when.month:02d}"  # a full date names its own month


def test_date_parsers_return_a_date_or_a_value_error():
    _run_counted("date parsers", _date_parsers, PARSER_SETTINGS)


@st.composite
def plausible_nips(draw):
    """A well-formed NIP: birth date, appointment month at 18 or older, gender digit, serial."""
    born = draw(st.dates(dt.date(1950, 1, 1), dt.date(2005, 12, 31)))
    year = draw(st.integers(born.year + 18, 2030))
    digits = (
        f"{born:%Y%m%d}{year:04d}{draw(st.integers(1, 12)):02d}{draw(st.sampled_from('12'))}"
        f"{draw(st.integers(0, 999)):03d}"
    )
    sep = draw(st.sampled_from(["", " ", ".", "-"]))
    return sep.join((digits[:8], digits[8:14], digits[14], digits[15:]))


@SETTINGS
@given(plausible_nips())
def test_well_formed_nip_passes_with_any_separator(nip):
    assert nip_problem(nip) is None
    assert nip_problem("NIP. " + nip) is None


@SETTINGS
@given(ANY_TEXT | JUNK)
def test_nip_check_never_crashes(text):
    assert nip_problem(text) is None or isinstance(nip_problem(text), str)


@SETTINGS
@given(
    st.lists(
        st.one_of(
            ANY_TEXT,
            st.sampled_from(
                [
                    "198503142010012003",
                    "19850314 201001 2 003",
                    "siti@contoh.go.id",
                    "+62 812-3456-7890",
                    "0812 3456 7890",
                    " ",
                    "a.b@c.d",
                    "1234567890123456",
                ]
            ),
        ),
        max_size=6,
    ).map("".join)
)
def test_scrubbed_text_holds_no_email_or_nip_like_digit_run(text):
    out = scrub_text(text)
    assert not _EMAIL.search(out) and not _NIP_LIKE.search(out)
