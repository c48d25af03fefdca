"""End to end: ingest the sample, render a region through papermill, read the HTML."""

from __future__ import annotations

import json
import re

import pytest

from helpers.render import runner as render
from helpers.present.text import Text

pytestmark = pytest.mark.e2e

SECTION_KEYS = ("summary.title", "profile.title", "reaction.title", "learning.title", "behaviour.title",
                "results.title", "participation.title", "recommendations.title", "quality.title")


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


def test_metrics_json_written_next_to_report(plaju, use_root):
    metrics = json.loads((use_root / "reports" / "sample" / "plaju.metrics.json").read_text(encoding="utf-8"))
    assert metrics["region_id"] == "plaju"
    assert metrics["synthetic"] is True
    assert 0 < metrics["completion_rate"] < 1


def test_tables_exported_to_xlsx(plaju, use_root):
    import openpyxl

    book = openpyxl.load_workbook(use_root / "reports" / "sample" / "plaju.xlsx", read_only=True)
    assert {"reaction-items", "learning-by_method", "participation-jp"} <= set(book.sheetnames)


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
    index = render.write_index(sample_data, "id").read_text(encoding="utf-8")
    assert "href='plaju.html'" in index
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
