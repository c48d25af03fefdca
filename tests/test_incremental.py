"""Incremental builds: a report is rendered again only when something it is made from changed.

One scratch project root for the module, with its own copy of the raw sample and of the
notebooks, so that a row or a notebook can be changed without touching the real ones. The tests
run in order: each starts from the reports the previous one left.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil

import nbformat
import pytest

from helpers.render import build
from helpers.render import runner as render

from .conftest import REPO, SAMPLE_RAW

pytestmark = pytest.mark.e2e

DATASET = "sample"
REGIONS = ["plaju", "sawahlunto"]  # two regions are enough, and half the time of four
CHANGED_REGION = "plaju"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """A project root with copies of the raw sample and of the notebooks, ingested."""
    from helpers.ingest import ingest

    root = tmp_path_factory.mktemp("incremental")
    shutil.copytree(SAMPLE_RAW, root / "data" / "raw" / DATASET)
    shutil.copytree(REPO / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    old = os.environ.get("ASN_EVAL_ROOT")
    os.environ["ASN_EVAL_ROOT"] = str(root)
    ingest(root / "data" / "raw" / DATASET)
    yield root
    if old is None:
        os.environ.pop("ASN_EVAL_ROOT", None)
    else:
        os.environ["ASN_EVAL_ROOT"] = old


def run(lang="id", force=False) -> dict:
    """``render_all`` as ``asn-eval report --all --jobs 2`` does it, for two regions; outcomes by name."""
    lines: list[str] = []
    outcomes = render.render_all(DATASET, REGIONS, lang=lang, jobs=2, progress=lines.append, force=force)
    assert len(lines) == len(REGIONS) + 1
    return {o.name: o for o in outcomes}


def rendered(outcomes: dict) -> set[str]:
    failed = {n: o.error for n, o in outcomes.items() if not o.ok}
    assert not failed, failed
    return {n for n, o in outcomes.items() if not o.skipped}


def stamps(root) -> dict:
    """Every file under reports/, with its modification time: what a run wrote."""
    folder = root / "reports" / DATASET
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def written_since(before: dict, root) -> set[str]:
    after = stamps(root)
    return {name for name, t in after.items() if before.get(name) != t}


def test_first_run_renders_every_report_and_records_its_inputs(root):
    outcomes = run()
    assert rendered(outcomes) == {*REGIONS, "summary"}
    assert {o.changed for o in outcomes.values()} == {("new",)}
    for name in (*REGIONS, "summary"):
        record = json.loads(build.record_path(DATASET, name, "id").read_text(encoding="utf-8"))
        assert record["schema"] == build.SCHEMA
        assert set(record["inputs"]) >= {"parameters", "notebook", "code", "environment", "manifest"}


def test_a_run_with_nothing_changed_renders_nothing_and_starts_no_kernel(root, monkeypatch):
    from helpers.render import kernels

    def no_kernel(*args, **kwargs):
        raise AssertionError("a kernel was started although every report is up to date")

    monkeypatch.setattr(kernels, "KernelPool", no_kernel)
    before = stamps(root)
    outcomes = run()
    assert rendered(outcomes) == set()
    assert all(o.skipped and o.ok for o in outcomes.values())
    assert written_since(before, root) == set()  # no notebook executed, no file rewritten, index included


def _change_one_test_score(root, region: str) -> None:
    """Raise the post-test score of the first test row of one of ``region``'s programmes by one point."""
    raw = root / "data" / "raw" / DATASET
    with open(raw / "programs.csv", encoding="utf-8", newline="") as fh:
        programmes = {row["program_id"] for row in csv.DictReader(fh) if row["region_id"] == region}
    with open(raw / "tests.csv", encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        fields, rows = reader.fieldnames, list(reader)
    score = re.compile(r"^\d{1,2}([.,]\d)?$")  # below 100; "59.2" or, as some exports write it, "59,2"
    row = next(r for r in rows if r["program_id"] in programmes and score.match(r["post_score"]))
    comma = "," in row["post_score"]
    raised = f"{float(row['post_score'].replace(',', '.')) + 1:.1f}"
    row["post_score"] = raised.replace(".", ",") if comma else raised
    with open(raw / "tests.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def test_changing_one_row_of_a_region_renders_that_region_and_the_summary_only(root):
    from helpers.ingest import ingest

    _change_one_test_score(root, CHANGED_REGION)
    ingest(root / "data" / "raw" / DATASET)  # rewrites every processed table and the manifest
    before = stamps(root)
    outcomes = run()
    assert rendered(outcomes) == {CHANGED_REGION, "summary"}
    assert outcomes[CHANGED_REGION].changed == ("data",)
    assert outcomes["summary"].changed == ("metrics",)  # it reads the region's new metrics.json
    untouched = [n for n in REGIONS if n != CHANGED_REGION]
    assert not {f for f in written_since(before, root) if f.split(".")[0] in untouched}


def test_editing_the_region_notebook_renders_every_region_but_not_the_summary(root):
    path = root / "notebooks" / render.REGION_NOTEBOOK
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("A note for whoever adapts this notebook."))
    nbformat.write(nb, path)
    outcomes = run()
    assert rendered(outcomes) == set(REGIONS)
    assert {outcomes[r].changed for r in REGIONS} == {("notebook",)}
    assert outcomes["summary"].skipped  # the regions' numbers did not change, nor did its metrics.json


def test_another_language_is_another_report_and_leaves_the_first_untouched(root):
    before = stamps(root)
    outcomes = run(lang="en")
    assert rendered(outcomes) == {*REGIONS, "summary"}
    assert {o.changed for o in outcomes.values()} == {("new",)}
    rewritten = written_since(before, root)
    assert not {f for f in rewritten if ".en." not in f and not f.startswith(".build/") and f != "index.html"}
    assert rendered(run(lang="en")) == set()


def test_a_report_with_a_file_missing_is_rendered_again(root):
    (root / "reports" / DATASET / "sawahlunto.pdf").unlink()
    outcomes = run()
    assert rendered(outcomes) == {"sawahlunto"}
    assert outcomes["sawahlunto"].changed == ("missing output",)
    assert (root / "reports" / DATASET / "sawahlunto.pdf").is_file()


def test_a_failed_render_records_nothing_so_the_next_run_renders_it_again(root, monkeypatch):
    record = build.record_path(DATASET, "plaju", "id")
    record.unlink()

    def broken(path, info):
        raise OSError("disk full")

    monkeypatch.setattr(render, "html_without_code", broken)
    outcomes = {o.name: o for o in render.render_all(DATASET, REGIONS, jobs=1, progress=lambda line: None)}
    assert not outcomes["plaju"].ok and "disk full" in outcomes["plaju"].error
    assert outcomes["sawahlunto"].skipped
    assert not record.exists()
    assert (root / "reports" / DATASET / "plaju.html").is_file()  # the previous good report stays
    monkeypatch.undo()
    (root / "reports" / DATASET / "failed" / "plaju.ipynb").unlink()
    outcomes = run()
    assert rendered(outcomes) == {"plaju"} and outcomes["plaju"].changed == ("new",)


def test_force_renders_everything(root):
    outcomes = run(force=True)
    assert rendered(outcomes) == {*REGIONS, "summary"}
    assert {o.changed for o in outcomes.values()} == {("forced",)}


# ---- the inputs themselves (no rendering) -------------------------------------------------------


def test_region_rows_cover_every_row_the_analysis_reads(root):
    """The data digest is honest only if it covers what ``RegionData`` selects for the region."""
    from helpers.analysis.region import RegionData
    from helpers.store import load_processed

    ds = load_processed(DATASET)
    for region in (r["id"] for r in ds.regions):
        data, rows = RegionData(ds, region), build.region_rows(ds, region)
        for table, df in ds.tables.items():
            read = getattr(data, table)
            columns = [c for c in df.columns if c in read.columns]
            hashed = set(map(tuple, rows[table][columns].astype(str).to_numpy()))
            missing = [r for r in map(tuple, read[columns].astype(str).to_numpy()) if r not in hashed]
            assert not missing, (region, table, missing[:2])


def test_region_rows_leave_out_other_regions(root):
    from helpers.store import load_processed

    ds = load_processed(DATASET)
    rows = build.region_rows(ds, "plaju")
    assert set(rows["participants"]["region_id"]) == {"plaju"}
    assert set(rows["programs"]["region_id"]) == {"plaju"}
    assert len(rows["tests"]) < len(ds.tables["tests"])


def test_the_manifest_view_leaves_out_raw_file_hashes_and_other_regions():
    manifest = {
        "inputs": {"tests.csv": "abc"},
        "analysis": {"disclosure": {"min_cell": 5}},
        "regions": [{"id": "plaju", "name": "Plaju"}, {"id": "salatiga", "name": "Salatiga"}],
        "planted_effects": [{"region": "plaju", "truth": 1.0}, {"region": "salatiga", "truth": 2.0}],
    }
    view = build.manifest_view(manifest, "plaju")
    assert "inputs" not in view
    assert view["analysis"] == manifest["analysis"]
    assert view["regions"] == [{"id": "plaju", "name": "Plaju"}]
    assert view["planted_effects"] == [{"region": "plaju", "truth": 1.0}]
    assert len(build.manifest_view(manifest)["regions"]) == 2  # the summary reads every region


def test_the_code_digest_covers_yaml_and_templates(tmp_path):
    package = tmp_path / "helpers"
    (package / "render" / "templates").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "render" / "templates" / "report.css").write_text("body {}")
    (package / "settings.yml").write_text("min_cell: 5\n")
    first = build.code_digest(package)
    (package / "settings.yml").write_text("min_cell: 10\n")
    second = build.code_digest(package)
    (package / "render" / "templates" / "report.css").write_text("body {color: red}")
    third = build.code_digest(package)
    assert len({first, second, third}) == 3
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    assert build.code_digest(package) == third  # byte-code caches never count
