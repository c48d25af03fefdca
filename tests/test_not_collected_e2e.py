"""End to end: a dataset without enrolments or follow-up, and with a programme column not
collected, renders reports that say "not collected", never 0, never ■, never "no problems".

The dataset is the sample's files mapped the way a partner's folder would be: ``enrollments``
and ``followup`` are left out of ``files:``, the programme list has no ``incentive`` column (declared
``not_collected``), and some participants took the pre-test but not the post-test (dropouts).
"""

from __future__ import annotations

import csv
import json
import shutil

import pandas as pd
import pytest
import yaml

from helpers.ingest import ingest
from helpers.partitions import read_table
from helpers.present.text import Text
from helpers.render import runner as render

from .conftest import SAMPLE_RAW

pytestmark = pytest.mark.e2e

DATASET = "partial"
REGION = "salatiga"
DROPOUT_ROWS = range(10, 60, 2)  # data rows of tests.csv whose post-test is blanked


@pytest.fixture(scope="module")
def partial(use_root):
    """Write data/raw/partial from the sample, ingest it, render one region in both languages."""
    raw = use_root / "data" / "raw" / DATASET
    raw.mkdir()
    spec = yaml.safe_load((SAMPLE_RAW / "dataset.yml").read_text(encoding="utf-8"))
    for table in ("enrollments", "followup"):
        del spec["files"][table]
    spec.update(name=DATASET, planted_effects=[])
    spec["files"]["programs"] = {"path": "programs.csv", "not_collected": ["incentive"]}
    (raw / "dataset.yml").write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    for name in ("participants", "reaction", "service", "skm", "qualitative"):
        shutil.copy(SAMPLE_RAW / f"{name}.csv", raw / f"{name}.csv")
    programs = pd.read_csv(SAMPLE_RAW / "programs.csv", dtype=str, keep_default_na=False)
    programs.drop(columns=["incentive"]).to_csv(raw / "programs.csv", index=False)
    with open(SAMPLE_RAW / "tests.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for i in DROPOUT_ROWS:
        rows[i]["post_score"] = ""
    with open(raw / "tests.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = ingest(raw)
    pages = {}
    for lang in ("id", "en"):
        outcome = render.render_region(DATASET, REGION, lang)
        assert outcome.ok, outcome.error
        pages[lang] = outcome.html.read_text(encoding="utf-8")
    metrics = json.loads((use_root / "reports" / DATASET / f"{REGION}.metrics.json").read_text(encoding="utf-8"))
    return {"result": result, "pages": pages, "metrics": metrics, "root": use_root}


def _indicators(partial) -> dict:
    return {i["id"]: i for i in partial["metrics"]["indicators"]}


def test_ingest_records_what_was_not_collected(partial):
    manifest = json.loads(
        (partial["root"] / "data" / "processed" / DATASET / "manifest.json").read_text(encoding="utf-8")
    )
    assert {"enrollments", "followup"} <= set(manifest["tables_not_collected"])
    assert "incentive" in manifest["columns_not_collected"]["programs"]
    assert partial["result"].counts["tests"]["quarantined"] <= 1  # dropouts are kept, not quarantined


@pytest.mark.parametrize(
    "ind_id",
    [
        "profile.enrollments",
        "participation.completion_rate",
        "participation.jp_share",
        "behaviour.application_gap",
        "behaviour.supervisor_support",
    ],
)
def test_metrics_say_not_collected_with_no_estimate(partial, ind_id):
    ind = _indicators(partial)[ind_id]
    assert ind["status"] == "not_collected"
    assert ind["estimate"] is None and ind["ci_low"] is None


def test_no_indicator_that_is_not_estimated_carries_a_number(partial):
    for ind in partial["metrics"]["indicators"]:
        if ind["status"] != "ok":
            assert ind["estimate"] is None, ind


def test_attrition_rate_matches_a_hand_count_from_the_processed_tables(partial):
    folder = partial["root"] / "data" / "processed" / DATASET
    tests = read_table(folder / "tests")
    programs = read_table(folder / "programs")
    mine = tests[tests["program_id"].isin(programs.loc[programs["region_id"] == REGION, "program_id"])]
    pretested = mine[mine["pre_score"].notna()]
    dropouts = pretested.loc[pretested["post_score"].isna(), "participant_key"].nunique()
    assert dropouts > 0  # the blanked post-tests reached this region
    ind = _indicators(partial)["learning.attrition_rate"]
    assert ind["status"] == "ok"
    assert ind["estimate"] == pytest.approx(dropouts / pretested["participant_key"].nunique())
    assert ind["n"] == pretested["participant_key"].nunique()


def test_paired_gain_uses_only_people_with_both_tests(partial):
    folder = partial["root"] / "data" / "processed" / DATASET
    tests = read_table(folder / "tests")
    programs = read_table(folder / "programs")
    mine = tests[tests["program_id"].isin(programs.loc[programs["region_id"] == REGION, "program_id"])]
    paired = mine.dropna(subset=["pre_score", "post_score"])
    ind = _indicators(partial)["learning.mean_gain"]
    assert ind["n"] == len(paired)
    assert ind["estimate"] == pytest.approx((paired["post_score"] - paired["pre_score"]).mean())


@pytest.mark.parametrize("lang", ["id", "en"])
def test_report_says_not_collected_and_never_zero_enrolled(partial, lang):
    page = partial["pages"][lang]
    t = Text(lang)
    assert t("common.not_collected") in page
    assert "0 orang terdaftar" not in page and "0 enrolled" not in page
    assert t("metrics.status.not_collected") in page  # the executive summary rows


@pytest.mark.parametrize("lang", ["id", "en"])
def test_recommendations_do_not_claim_no_problems_without_evidence(partial, lang):
    page = partial["pages"][lang]
    t = Text(lang)
    assert t("recommendations.none") not in page
    no_evidence = t(
        "recommendations.no_evidence", question=t("questions.schedule_conflict"), why=t("evidence.not_collected")
    )
    assert no_evidence in page


def test_summary_renders_with_one_region(partial):
    outcome = render.render_summary(DATASET, "id")
    assert outcome.ok, outcome.error
    page = outcome.html.read_text(encoding="utf-8")
    assert "Kota Salatiga" in page
