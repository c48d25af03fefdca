"""End to end: ingest the sample, render a region through papermill, read the HTML."""

from __future__ import annotations

import json
import re

import openpyxl
import pytest

from helpers.analysis.cross_region import cross_region
from helpers.present.text import Text
from helpers.render import runner as render
from helpers.render.index import write_index, write_indexes

pytestmark = pytest.mark.e2e

SECTION_KEYS = (
    "summary.title",
    "profile.title",
    "reaction.title",
    "learning.title",
    "behaviour.title",
    "results.title",
    "participation.title",
    "recommendations.title",
    "quality.title",
)


@pytest.fixture(scope="module")
def plaju(ingested, use_root):
    outcome = render.render_region("sample", "plaju", "id")
    assert outcome.ok, outcome.error
    return outcome.html.read_text(encoding="utf-8")


def test_report_names_the_region_and_every_section(plaju):
    t = Text("id")
    assert "Kecamatan Plaju (Kota Palembang)" in plaju
    for key in SECTION_KEYS:
        assert t(key) in plaju, f"section '{t(key)}' missing"


def test_report_holds_figures_as_embedded_images(plaju):
    assert len(re.findall(r"<img[^>]+src=\"data:image/png;base64,", plaju)) >= 5


def test_synthetic_banner_comes_before_any_finding(plaju):
    banner = plaju.find("synthetic-banner")
    assert banner != -1
    assert banner < plaju.find(Text("id")("summary.title"))


def test_html_has_no_code(plaju):
    assert "load_processed" not in plaju
    assert "from helpers import" not in plaju


def test_html_has_none_of_the_notebooks_notes_for_researchers(plaju):
    """Markdown cells explain the notebook (in English) to whoever adapts it; readers see only
    outputs, worded from the catalogue in the report's language."""
    import nbformat

    from .conftest import REPO

    nb = nbformat.read(REPO / "notebooks" / "region_report.ipynb", as_version=4)
    notes = [line for c in nb.cells if c.cell_type == "markdown" for line in c.source.splitlines() if len(line) > 30]
    assert notes
    for line in notes:
        assert line.lstrip("# ") not in plaju, line


def _metrics(use_root, region="plaju"):
    return json.loads((use_root / "reports" / "sample" / f"{region}.metrics.json").read_text(encoding="utf-8"))


def test_metrics_json_written_next_to_report(plaju, use_root):
    metrics = _metrics(use_root)
    assert metrics["schema"] == "asn-eval/metrics/1"
    assert metrics["region_id"] == "plaju"
    assert metrics["synthetic"] is True
    completion = next(i for i in metrics["indicators"] if i["id"] == "participation.completion_rate")
    assert 0 < completion["estimate"] < 1 and completion["status"] == "ok"


def _sheets_by_key(book) -> dict[str, str]:
    """Sheet key -> its title in the report's language, from the workbook's first (metadata) sheet."""
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    key_col = rows[0].index("sheet_key")
    return {row[key_col]: row[1] for row in rows[1:] if row[key_col]}


def test_tables_exported_to_xlsx_as_numbers(plaju, use_root):
    book = openpyxl.load_workbook(use_root / "reports" / "sample" / "plaju.xlsx", read_only=True)
    names = _sheets_by_key(book)
    assert {"headlines", "reaction-items", "learning-by_method", "participation-jp"} <= set(names)
    assert set(names.values()) <= set(book.sheetnames)
    rows = list(book[names["learning-by_method"]].iter_rows(values_only=True))
    numbers = [v for row in rows[1:] for v in row[1:] if v is not None]
    assert numbers and all(isinstance(v, int | float | bool) for v in numbers), numbers[:5]
    for sheet in book.worksheets:  # which masked cells are the small ones is never published
        header = next(sheet.iter_rows(values_only=True), ())
        assert "suppression" not in header, sheet.title


def test_html_xlsx_and_metrics_agree_on_every_headline_number(plaju, use_root):
    """Compute once: the executive summary (HTML), the xlsx headline sheet and metrics.json
    carry the same estimate and interval for every headline indicator."""
    t = Text("id")
    indicators = {i["id"]: i for i in _metrics(use_root)["indicators"]}
    html_rows = dict(
        re.findall(r"<tr data-indicator=[\"']([^\"']+)[\"']><td>[^<]*</td><td class=[\"']num[\"']>([^<]*)</td>", plaju)
    )
    book = openpyxl.load_workbook(use_root / "reports" / "sample" / "plaju.xlsx", read_only=True)
    sheet = list(book[_sheets_by_key(book)["headlines"]].iter_rows(values_only=True))
    header, body = sheet[0], sheet[1:]
    xlsx = {row[header.index("id")]: dict(zip(header, row, strict=True)) for row in body}
    assert len(html_rows) >= 8
    fmt = {"share": t.pct, "count": t.integer}
    for ind_id, shown in html_rows.items():
        ind = indicators[ind_id]
        assert xlsx[ind_id]["status"] == ind["status"]
        if ind["status"] != "ok":
            assert xlsx[ind_id]["estimate"] is None
            continue
        show = fmt.get(ind["scale"], t.num)
        assert shown.startswith(show(ind["estimate"])), (ind_id, shown)
        assert xlsx[ind_id]["estimate"] == pytest.approx(ind["estimate"], abs=1e-12)
        if ind["ci_low"] is not None:
            assert f"[{show(ind['ci_low'])}; {show(ind['ci_high'])}]" in shown, (ind_id, shown)
            assert xlsx[ind_id]["ci_low"] == pytest.approx(ind["ci_low"], abs=1e-12)
            assert xlsx[ind_id]["ci_high"] == pytest.approx(ind["ci_high"], abs=1e-12)


def test_a_failed_export_is_collected_for_its_region(plaju, use_root, monkeypatch):
    """The HTML export runs outside the kernel: its failure is that region's failure, not a crash."""
    good = (use_root / "reports" / "sample" / "plaju.html").read_bytes()

    def broken(path, info):
        raise OSError("disk full")

    monkeypatch.setattr(render, "html_without_code", broken)
    outcome = render.render_region("sample", "plaju", "id")
    assert not outcome.ok and "disk full" in outcome.error
    assert (use_root / "reports" / "sample" / "plaju.html").read_bytes() == good
    assert not list((use_root / "reports" / "sample").glob(".*tmp*"))
    outcome.failed_notebook.unlink()


def test_a_failed_pdf_is_that_regions_failure_and_the_good_files_stay(plaju, use_root, monkeypatch):
    """The PDF is part of the render: if WeasyPrint fails, nothing of that region is replaced."""
    folder = use_root / "reports" / "sample"
    good = {ext: (folder / f"plaju.{ext}").read_bytes() for ext in ("html", "pdf", "xlsx", "metrics.json")}

    def broken(page, path):
        raise RuntimeError("pango exploded")

    monkeypatch.setattr(render, "pdf_from_html", broken)
    outcome = render.render_region("sample", "plaju", "id")
    assert not outcome.ok and "pango exploded" in outcome.error
    for ext, data in good.items():
        assert (folder / f"plaju.{ext}").read_bytes() == data, ext
    assert not list(folder.glob(".*tmp*"))
    outcome.failed_notebook.unlink()


def test_english_render_never_overwrites_the_indonesian_files(plaju, use_root):
    folder = use_root / "reports" / "sample"
    before = {p.name: p.read_bytes() for p in folder.glob("plaju.*")}
    outcome = render.render_region("sample", "plaju", "en")
    assert outcome.ok, outcome.error
    assert outcome.html.name == "plaju.en.html"
    for ext in ("html", "pdf", "xlsx", "metrics.json", "ipynb"):
        assert (folder / f"plaju.en.{ext}").is_file(), ext
    assert json.loads((folder / "plaju.en.metrics.json").read_text(encoding="utf-8"))["lang"] == "en"
    assert {p.name: p.read_bytes() for p in folder.glob("plaju.*") if ".en." not in p.name} == before
    write_index_en = write_index(
        __import__("helpers.store", fromlist=["load_processed"]).load_processed("sample"), "en"
    )
    assert write_index_en.name == "index.en.html"
    assert "href='plaju.en.pdf'" in write_index_en.read_text(encoding="utf-8")


def test_each_index_links_the_other_language_once_both_exist(plaju, sample_data, use_root):
    folder = use_root / "reports" / "sample"
    for name in ("index.html", "index.en.html"):
        (folder / name).unlink(missing_ok=True)
    write_indexes(sample_data, "id")
    assert "index.en.html" not in (folder / "index.html").read_text(encoding="utf-8")  # no dead link
    write_indexes(sample_data, "en")
    assert "href='index.en.html'" in (folder / "index.html").read_text(encoding="utf-8")
    assert "href='index.html'" in (folder / "index.en.html").read_text(encoding="utf-8")


def test_the_english_summary_reads_the_english_metrics(plaju, sample_data, use_root):
    folder = use_root / "reports" / "sample"
    outcome = render.render_region("sample", "plaju", "en")
    assert outcome.ok, outcome.error
    read = cross_region(folder, ["plaju"], lang="en").regions[0]
    assert {i["label"] for i in read.indicators.values()} == {
        i["label"] for i in _json(folder / "plaju.en.metrics.json")["indicators"]
    }
    assert read.indicators["reaction.overall_mean"]["label"].startswith("Reaction")
    # A region rendered only in Indonesian is still summarised in English (same numbers).
    (folder / "plaju.en.metrics.json").unlink()
    fallback = cross_region(folder, ["plaju"], lang="en").regions[0]
    assert fallback.indicators["learning.mean_gain"]["estimate"] == read.indicators["learning.mean_gain"]["estimate"]


def test_summary_reads_the_regions_saved_metrics(plaju, use_root):
    outcome = render.render_summary("sample", "id")
    assert outcome.ok, outcome.error
    page = outcome.html.read_text(encoding="utf-8")
    assert "Kecamatan Plaju (Kota Palembang)" in page
    assert Text("id")("cross_missing.none_pooled") in page  # only Plaju rendered so far: nothing to pool


def test_english_report_renders(ingested, use_root):
    outcome = render.render_region("sample", "sawahlunto", "en")
    assert outcome.ok, outcome.error
    page = outcome.html.read_text(encoding="utf-8")
    assert Text("en")("reaction.title") in page
    assert "SYNTHETIC DATA" in page


def test_failed_notebook_is_kept_and_good_report_untouched(plaju, use_root):
    good = (use_root / "reports" / "sample" / "plaju.html").read_bytes()
    outcome = render.render_region("sample", "atlantis", "id")  # the notebook itself fails
    assert not outcome.ok
    assert "atlantis" in outcome.error
    assert outcome.failed_notebook.is_file()
    assert (use_root / "reports" / "sample" / "plaju.html").read_bytes() == good
    assert not list((use_root / "reports" / "sample").glob(".*tmp*"))
    outcome.failed_notebook.unlink()


def test_index_links_every_rendered_report(plaju, sample_data, use_root):
    index = write_index(sample_data, "id").read_text(encoding="utf-8")
    assert "href='plaju.html'" in index
    assert "href='plaju.pdf'" in index and "href='plaju.xlsx'" in index and "href='plaju.ipynb'" in index
    gain = next(i for i in _metrics(use_root)["indicators"] if i["id"] == "learning.mean_gain")
    assert Text("id").num(gain["estimate"]) in index  # the clustered gain, read from metrics.json
    for r in sample_data.regions:
        assert r["name"] in index


def test_no_personal_data_in_processed_or_reports(plaju, use_root):
    """Scan every generated file for the raw sample's NIPs and names (UU 27/2022)."""
    import csv

    from .conftest import SAMPLE_RAW

    with open(SAMPLE_RAW / "participants.csv", encoding="utf-8") as fh:
        people = list(csv.DictReader(fh))
    nips = {p["nip"] for p in people}
    names = {p["name"] for p in people}
    scanned = 0
    for folder in (use_root / "data" / "processed", use_root / "reports"):
        for path in folder.rglob("*"):
            if not path.is_file():
                continue
            scanned += 1
            data = path.read_bytes().decode("utf-8", errors="ignore")
            digits = set(re.findall(r"\d{17,18}", data))
            assert not digits & nips, f"raw NIP in {path}"
            found = [n for n in names if n in data]
            assert not found, f"participant name(s) {found[:3]} in {path}"
    assert scanned >= 10


def _json(path):
    return json.loads(path.read_text(encoding="utf-8"))
