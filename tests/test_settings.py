"""Analysis settings are data: defaults in settings.yml, overridden per dataset in dataset.yml."""

from __future__ import annotations

import shutil

import pytest
import yaml

from helpers.analysis import build_region_report, load_settings
from helpers.analysis.settings import SETTINGS_PATH
from helpers.cli import main
from helpers.errors import UsageError

from .conftest import SAMPLE_RAW


def test_defaults_come_from_settings_yml():
    raw = yaml.safe_load(SETTINGS_PATH.read_text(encoding="utf-8"))
    s = load_settings()
    assert s.min_cell == raw["disclosure"]["min_cell"]
    assert s["results.its_min_months_each_side"] == raw["results"]["its_min_months_each_side"]
    assert s.rule("jp_target") == raw["recommendations"]["jp_target"]


def test_override_changes_one_value_and_keeps_the_rest():
    s = load_settings(
        {"results": {"its_min_months_each_side": 6}, "recommendations": {"jp_target": {"min_share": 0.9}}}
    )
    assert s["results.its_min_months_each_side"] == 6
    assert s["results.did_min_units_for_clustering"] == load_settings()["results.did_min_units_for_clustering"]
    assert s.rule("jp_target") == {**load_settings().rule("jp_target"), "min_share": 0.9}


def test_a_region_overrides_the_dataset_which_overrides_the_defaults():
    s = load_settings(
        {"recommendations": {"jp_target": {"owner": "BKPSDM Kota X", "min_share": 0.9}}},
        region={"recommendations": {"jp_target": {"owner": "BPSDM Provinsi Y"}}},
    )
    assert s.rule("jp_target")["owner"] == "BPSDM Provinsi Y"
    assert s.rule("jp_target")["min_share"] == 0.9
    assert s.rule("jp_target")["timeline"] == load_settings().rule("jp_target")["timeline"]
    with pytest.raises(UsageError, match=r"regions\[0\]\.analysis\.recommendations\.jp_target\.owner: expected a text"):
        load_settings(region={"recommendations": {"jp_target": {"owner": 3}}}, region_where="regions[0].analysis")
    with pytest.raises(UsageError, match="unknown analysis setting 'jp_targt'"):
        load_settings(region={"recommendations": {"jp_targt": {"owner": "x"}}})


@pytest.mark.parametrize(
    "override, words",
    [
        ({"results": {"its_min_month": 6}}, "unknown analysis setting 'its_min_month'"),
        ({"resultz": {}}, "unknown analysis setting 'resultz'"),
        ({"disclosure": {"min_cell": "five"}}, "expected a number"),
        ({"cross_region": {"pooling": "fixed"}}, "expected pm or dl"),
        ({"recommendations": {"ikm_low": {"enabled": "yes"}}}, "expected true or false"),
    ],
)
def test_a_wrong_override_is_refused_naming_the_key(override, words):
    with pytest.raises(UsageError, match=words):
        load_settings(override)


def test_dataset_override_reaches_the_report(sample_data):
    """A dataset that wants 30 months either side of training gets no interrupted time series."""
    manifest = {**sample_data.manifest, "analysis": {"results": {"its_min_months_each_side": 30}}}
    ds = type(sample_data)(sample_data.name, manifest, sample_data.tables, sample_data.quarantine)
    report = build_region_report(ds, "salatiga")
    assert report.settings["results.its_min_months_each_side"] == 30
    assert not report.sections["results"].results["its"]
    assert any(f.key == "results.its_skipped" for f in report.sections["results"].findings)
    its = [i for i in report.indicators if i.id.startswith("results.its.")]
    assert its and all(i.status == "refused" and i.estimate is None and i.notes == ("too_few_months",) for i in its)
    default = build_region_report(sample_data, "salatiga")
    assert any(i.id.startswith("results.its.") and i.status == "ok" for i in default.indicators)


def test_check_refuses_a_misspelt_setting_before_reading_data(tmp_path, capsys):
    folder = tmp_path / "sample"
    shutil.copytree(SAMPLE_RAW, folder)
    spec = yaml.safe_load((folder / "dataset.yml").read_text(encoding="utf-8"))
    spec["analysis"] = {"disclosure": {"min_cel": 10}}
    (folder / "dataset.yml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    assert main(["check", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "min_cel" in err and "dataset.yml" in err and err.count("\n") == 1
