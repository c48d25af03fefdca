"""The analysis layer recovers the effects planted in the synthetic sample (docs/architecture.md).

The generator (helpers.synth) is the independent reference: it plants known effects, and the
analyses, run through the same code path as the reports, must find them within their CIs.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from helpers.analysis import build_region_report, build_sections
from helpers.analysis.behaviour import behaviour
from helpers.analysis.cross_region import cross_region
from helpers.analysis.learning import learning
from helpers.analysis.participation import participation
from helpers.analysis.profile import profile
from helpers.analysis.reaction import reaction
from helpers.analysis.region import RegionData
from helpers.analysis.results import results
from helpers.present import region as view
from helpers.present import summary
from helpers.present.text import Text
from helpers.render.export import metrics_payload, write_region_artefacts
from helpers.synth import GAIN_BY_METHOD, REGIONS, SERVICE_SERIES


@pytest.fixture(scope="module")
def sections(sample_data):
    out = {}
    for r in sample_data.regions:
        data = RegionData(sample_data, r["id"])
        out[r["id"]] = (data, build_sections(data))
    return out


def _series(region, unit):
    for s in SERVICE_SERIES:
        if s[0] == region and s[1] == unit:
            return s
    raise KeyError(unit)


@pytest.mark.parametrize(
    "region,unit", [("dki-jakarta", "Dukcapil"), ("sawahlunto", "Layanan Pengaduan"), ("salatiga", "DPMPTSP")]
)
def test_its_recovers_planted_level_change(sections, region, unit):
    _, secs = sections[region]
    ((_key, series),) = [(k, v) for k, v in secs["results"].results["its"].items() if k[0] == unit]
    planted = _series(region, unit)[6]
    res = series.result
    # One seeded draw with noise: require the right direction, a CI that excludes zero, and an
    # estimate within 30% of the planted size. Exact alignment is checked on a noise-free series
    # below; coverage over many draws is the statistics tests' job.
    assert res.level_ci_high < 0
    assert abs(res.level_change - planted) <= 0.3 * abs(planted), (res.level_change, planted)


def test_its_alignment_is_exact_on_a_noise_free_series(sample_data):
    """Training month, t0 and the level/slope terms line up: a noiseless series is fitted exactly."""
    months = [f"{y}-{m:02d}" for y in (2023, 2024) for m in range(1, 13)]
    start = "2023-10"
    t0 = months.index(start)  # 1-based index of the last pre month equals the 0-based start index
    rows = []
    for i, period in enumerate(months, start=1):
        post = period >= start
        value = 10 + 0.1 * i + ((-2.0 + -0.2 * (i - t0)) if post else 0.0)
        rows.append(
            {
                "region_id": "plaju",
                "unit": "Uji",
                "indicator": "processing_days",
                "period": period,
                "value": value,
                "n_cases": 100,
                "trained_from": start,
            }
        )
    tables = dict(sample_data.tables)
    tables["service"] = pd.DataFrame(rows)
    ds = type(sample_data)(sample_data.name, sample_data.manifest, tables, sample_data.quarantine)
    sec = results(RegionData(ds, "plaju"))
    res = sec.results["its"][("Uji", "processing_days")].result
    assert res.level_change == pytest.approx(-2.0, abs=1e-9)
    assert res.slope_change == pytest.approx(-0.2, abs=1e-9)


def test_did_recovers_dukcapil_drop_against_comparison_unit(sections):
    _, secs = sections["dki-jakarta"]
    did = secs["results"].results["did"]["processing_days"]
    # Planted: -1.5 from 2024-07 plus -0.05/month (t - t0 = 1..18 over the 18 post months, mean 9.5).
    planted = -1.5 - 0.05 * 9.5
    assert abs(did.estimate - planted) < 0.3


def test_learning_gain_by_method_is_covered_or_refused_as_planted(sections):
    """Reference: the generator's planted gain per method (helpers.synth), plus programme effects of
    sd PROGRAM_GAIN_SD, so each method's interval is clustered by programme. A method taught in a
    single programme has no interval: its programme's effect cannot be separated from the method's."""
    _data, secs = sections["dki-jakarta"]
    by_method = secs["learning"].results["by_method"].set_index("method")
    offset = next(r.learning_offset for r in REGIONS if r.id == "dki-jakarta")
    checked = 0
    for method, row in by_method.iterrows():
        planted = GAIN_BY_METHOD[method] + offset
        if row["programs"] < 2:
            assert math.isnan(row["diff_ci_low"]) and math.isnan(row["diff_ci_high"]), method
            continue
        checked += 1
        # Clipping at 0/100 biases gains slightly towards zero; the clustered CI should still cover.
        assert row["diff_ci_low"] - 1.0 <= planted <= row["diff_ci_high"] + 1.0, (method, row["mean_diff"], planted)
    assert checked >= 2


def test_ikm_rises_after_training_in_every_region(sections):
    for region, (_, secs) in sections.items():
        ikm = secs["results"].results["ikm"].sort_values("period")
        assert ikm["ikm"].iloc[-1] > ikm["ikm"].iloc[0] + 3, region


def test_schedule_conflict_lowers_completion_most_in_sawahlunto(sections):
    ors = {}
    for region, (_, secs) in sections.items():
        table = secs["participation"].results["model"].to_frame().set_index("term")
        ors[region] = table.loc["schedule_conflict", "odds_ratio"]
        assert table.loc["schedule_conflict", "ci_low"] < 1
    assert min(ors, key=ors.get) == "sawahlunto"


def test_recommendations_follow_the_evidence(sample_data):
    report = build_region_report(sample_data, "sawahlunto")
    recs = view.recommendations(report, Text("id"))
    assert any("bentrok jadwal" in r for r in recs)
    assert any("Layanan Pengaduan" in r for r in recs)


def test_supervisor_gap_is_positive_as_planted(sections):
    for region, (_, secs) in sections.items():
        gap = secs["behaviour"].results["gap"]
        assert gap.ci_low <= 0.3 <= gap.ci_high + 0.05, region


def test_small_groups_are_suppressed_in_tables(sample_data):
    """Shrink a region to a handful of people: its group rows must be masked, not shown."""
    tables = dict(sample_data.tables)
    people = tables["participants"]
    keep = people[people["region_id"] == "plaju"].head(12)
    tables["participants"] = pd.concat([people[people["region_id"] != "plaju"], keep])
    small = type(sample_data)(sample_data.name, sample_data.manifest, tables, sample_data.quarantine)
    data = RegionData(small, "plaju")
    comp = profile(data).tables["participants"]
    shown = comp.loc[~comp["suppressed"], "n"].dropna()
    assert (shown >= data.min_cell).all()
    assert comp["suppressed"].any()


def test_metrics_payload_is_plain_json_with_one_record_per_indicator(sample_data):
    import json

    report = build_region_report(sample_data, "plaju")
    payload = json.loads(json.dumps(metrics_payload(report, "id")))
    assert payload["schema"] == "asn-eval/metrics/1"
    ids = [i["id"] for i in payload["indicators"]]
    assert len(ids) == len(set(ids))
    by_id = {i["id"]: i for i in payload["indicators"]}
    assert by_id["profile.participants"]["estimate"] == report.data.participants["participant_key"].nunique()
    assert math.isfinite(by_id["learning.d_z"]["estimate"])
    assert by_id["learning.mean_gain"]["clusters"] >= 2
    for ind in payload["indicators"]:
        assert ind["status"] in {"ok", "too_few", "not_collected", "refused"}
        assert (ind["estimate"] is None) == (ind["status"] != "ok"), ind["id"]


def test_cross_region_pooling_reads_saved_metrics_and_reflects_planted_differences(sample_data, tmp_path):
    """Regional offsets of the learning gain are planted (helpers.synth.REGIONS): pooling the
    regions' saved metrics finds heterogeneity, and the pooled gain lies within the regional range."""
    ids = [r["id"] for r in sample_data.regions]
    for rid in ids:
        write_region_artefacts(build_region_report(sample_data, rid), tmp_path, "id")
    cross = cross_region(tmp_path, ids)
    effects = cross.pooled.studies["effect"]
    assert cross.pooled.k == 4 and not cross.missing
    assert effects.min() < cross.pooled.estimate < effects.max()
    assert cross.pooled.i2 > 0.5
    gains = {r.region_id: r.get("learning.mean_gain")["estimate"] for r in cross.regions}
    assert gains["salatiga"] > gains["sawahlunto"]  # planted offsets +2 and -1 points
    (tmp_path / "plaju.metrics.json").unlink()
    assert cross_region(tmp_path, ids).missing == ("plaju",)


def test_the_forest_plot_draws_each_region_with_its_reported_interval(sample_data, tmp_path):
    """Not estimate ± 1,96 SE: each region's bar is the t interval its own report shows."""
    ids = [r["id"] for r in sample_data.regions]
    for rid in ids:
        write_region_artefacts(build_region_report(sample_data, rid), tmp_path, "id")
    cross = cross_region(tmp_path, ids)
    studies, _ = summary.forest_rows(cross, Text("id"))
    for r in cross.regions:
        row = studies.set_index("label").loc[r.name]
        shown = r.get("learning.mean_gain")
        assert (row["ci_low"], row["ci_high"]) == (shown["ci_low"], shown["ci_high"])
        assert row["ci_high"] - row["ci_low"] >= 2 * 1.959 * shown["se"]  # t, never narrower than normal


def test_every_count_shown_in_a_small_region_meets_the_minimum_cell(sample_data):
    """Disclosure control across all sections: shrink Plaju to 9 people and check every
    displayed count (any column named n, enrolled or completed) is >= min_cell or masked."""
    tables = dict(sample_data.tables)
    people = tables["participants"]
    small_keys = set(people.loc[people["region_id"] == "plaju", "participant_key"].head(9))
    plaju_programs = set(tables["programs"].loc[tables["programs"]["region_id"] == "plaju", "program_id"])
    for name in ("participants", "enrollments", "reaction", "tests", "followup"):
        df = tables[name]
        in_plaju = df["program_id"].isin(plaju_programs) if "program_id" in df.columns else df["region_id"] == "plaju"
        tables[name] = df[~in_plaju | df["participant_key"].isin(small_keys)]
    small = type(sample_data)(sample_data.name, sample_data.manifest, tables, sample_data.quarantine)
    data = RegionData(small, "plaju")
    count_labels = {"n", "enrolled", "completed"}
    checked = 0
    for fn in (profile, reaction, learning, behaviour, participation):
        try:
            sec = fn(data)
        except ValueError:
            continue  # a model that cannot be fitted on 9 people is not shown at all
        for name, table in sec.tables.items():
            flags = table["suppressed"] if "suppressed" in table.columns else pd.Series(False, index=table.index)
            for col in count_labels & set(table.columns):
                shown = pd.to_numeric(table.loc[~flags.astype(bool), col], errors="coerce").dropna()
                if name in ("model", "support"):
                    continue  # model n is the fitting sample, reported with its CI
                checked += len(shown)
                assert (shown == 0).sum() + (shown >= data.min_cell).sum() == len(shown), (fn.__name__, name, col)
    assert checked > 0
