"""The partner workbook: a metadata sheet first, readable sheet names, numbers with formats."""

from __future__ import annotations

import openpyxl
import pytest

from helpers.analysis import build_region_report
from helpers.render.export import HEADLINE_SHEET, sheet_names, write_tables_xlsx


@pytest.fixture(scope="module")
def report(sample_data):
    return build_region_report(sample_data, "salatiga")


@pytest.fixture(scope="module", params=["id", "en"])
def book(report, tmp_path_factory, request):
    path = write_tables_xlsx(report, tmp_path_factory.mktemp("xlsx") / "salatiga.xlsx", request.param)
    return openpyxl.load_workbook(path), request.param


def test_sheet_names_are_readable_unique_and_fit_excel(report):
    for lang in ("id", "en"):
        names = sheet_names(report, lang)
        titles = list(names.values())
        assert len({t.lower() for t in titles}) == len(titles)
        assert all(len(t) <= 31 and not set(t) & set("[]:*?/\\") for t in titles)
        assert not any("_" in t for t in titles), titles  # no code names such as by_method


def test_metadata_sheet_comes_first_and_lists_every_sheet_by_its_stable_key(book, report):
    wb, lang = book
    names = sheet_names(report, lang)
    assert wb.sheetnames[0] == names["metadata"]
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    listed = {row[2]: row[1] for row in rows[1:] if row[2]}
    assert listed == names
    assert set(listed.values()) == set(wb.sheetnames)
    text = " ".join(str(v) for row in rows for v in row if v)
    assert "■" in text and ("SINTETIS" in text or "SYNTHETIC" in text)
    assert "sample" in text and "33.73" in text


def test_headline_sheet_keeps_its_columns_and_shares_are_percent_formatted(book, report):
    wb, lang = book
    ws = wb[sheet_names(report, lang)[HEADLINE_SHEET]]
    rows = list(ws.iter_rows())
    header = [c.value for c in rows[0]]
    assert header[:3] == ["id", "label", "estimate"] and "status" in header
    by_id = {r[0].value: r for r in rows[1:]}
    share = by_id["participation.completion_rate"][header.index("estimate")]
    assert isinstance(share.value, float) and 0 < share.value < 1 and share.number_format == "0.0%"
    count = by_id["profile.participants"][header.index("estimate")]
    assert count.number_format == "#,##0"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref and rows[0][0].font.b


def test_table_sheets_store_numbers_with_formats(book, report):
    wb, lang = book
    names = sheet_names(report, lang)
    jp = list(wb[names["participation-jp"]].iter_rows())
    header = [c.value for c in jp[0]]
    share = jp[1][3]
    assert isinstance(share.value, float) and 0 <= share.value <= 1 and share.number_format == "0.0%", header
    assert jp[1][0].number_format == "0" and jp[1][1].number_format == "#,##0"
    means = list(wb[names["reaction-items"]].iter_rows())
    mean_col = [c.value for c in means[0]].index("Rata-rata" if lang == "id" else "Mean")
    assert means[1][mean_col].number_format == "0.00" and isinstance(means[1][mean_col].value, float)
    for ws in wb.worksheets:
        assert ws.column_dimensions["A"].width >= 8
