"""The report layer recovers the effects planted in the synthetic sample (DESIGN §3).

The generator (helpers.synth) is the independent reference: it plants known effects, and the
analyses, run through the same code path as the reports, must find them within their CIs.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from helpers.analysis import report
from helpers.synth import GAIN_BY_METHOD, REGIONS, SERVICE_SERIES


@pytest.fixture(scope="module")
def sections(sample_data):
    out = {}
    for r in sample_data.regions:
        data = report.RegionData(sample_data, r["id"], "id")
        out[r["id"]] = (data, report.build_sections(data))
    return out


def _series(region, unit):
    for s in SERVICE_SERIES:
        if s[0] == region and s[1] == unit:
            return s
    raise KeyError(unit)


@pytest.mark.parametrize("region,unit", [("dki-jakarta", "Dukcapil"), ("sawahlunto", "Layanan Pengaduan"),
                                         ("salatiga", "DPMPTSP")])
def test_its_recovers_planted_level_change(sections, region, unit):
    _, secs = sections[region]
    (key, series), = [(k, v) for k, v in secs["results"].results["its"].items() if k[0] == unit]
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
        rows.append({"region_id": "plaju", "unit": "Uji", "indicator": "processing_days", "period": period,
                     "value": value, "n_cases": 100, "trained_from": start})
    tables = dict(sample_data.tables)
    tables["service"] = pd.DataFrame(rows)
    ds = type(sample_data)(sample_data.name, sample_data.manifest, tables, sample_data.quarantine)
    sec = report.results(report.RegionData(ds, "plaju", "id"))
    res = sec.results["its"][("Uji", "processing_days")].result
    assert res.level_change == pytest.approx(-2.0, abs=1e-9)
    assert res.slope_change == pytest.approx(-0.2, abs=1e-9)


def test_did_recovers_dukcapil_drop_against_comparison_unit(sections):
    _, secs = sections["dki-jakarta"]
    did = secs["results"].results["did"]["processing_days"]
    # Planted: -1.5 from 2024-07 plus -0.05/month (t - t0 = 1..18 over the 18 post months, mean 9.5).
    planted = -1.5 - 0.05 * 9.5
    assert abs(did.estimate - planted) < 0.3


def test_learning_gain_by_method_ranks_as_planted(sections):
    data, secs = sections["dki-jakarta"]
    by_method = secs["learning"].results["by_method"].set_index("method")
    offset = next(r.learning_offset for r in REGIONS if r.id == "dki-jakarta")
    for method, row in by_method.iterrows():
        planted = GAIN_BY_METHOD[method] + offset
        # Clipping at 0/100 biases gains slightly towards zero; the CI should still cover.
        assert row["diff_ci_low"] - 1.0 <= planted <= row["diff_ci_high"] + 1.0, (method, row["mean_diff"], planted)


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


def test_recommendations_follow_the_evidence(sections):
    data, secs = sections["sawahlunto"]
    recs = report.recommend(secs, data)
    assert any("bentrok jadwal" in r for r in recs)
    assert any("Layanan Pengaduan" in r for r in recs)


def test_supervisor_gap_is_positive_as_planted(sections):
    for region, (_, secs) in sections.items():
        gap = secs["behaviour"].results["gap"]
        assert gap.diff_ci_low <= 0.3 <= gap.diff_ci_high + 0.05, region


def test_small_groups_are_suppressed_in_tables(sample_data):
    """Shrink a region to a handful of people: its group rows must be masked, not shown."""
    tables = dict(sample_data.tables)
    people = tables["participants"]
    keep = people[people["region_id"] == "plaju"].head(12)
    tables["participants"] = pd.concat([people[people["region_id"] != "plaju"], keep])
    small = type(sample_data)(sample_data.name, sample_data.manifest, tables, sample_data.quarantine)
    data = report.RegionData(small, "plaju", "id")
    prof = report.profile(data)
    comp = prof.tables["participants"]
    n_col = data.text.column("n")
    shown = comp.loc[~comp["suppressed"], n_col].dropna()
    assert (shown >= data.min_cell).all()
    assert comp["suppressed"].any()


def test_headline_metrics_are_json_plain(sections):
    import json

    data, secs = sections["plaju"]
    metrics = report.headline_metrics(secs, data)
    json.dumps(metrics)
    assert metrics["participants"] == data.participants["participant_key"].nunique()
    assert math.isfinite(metrics["learning_d_z"])


def test_cross_region_pooling_reflects_planted_regional_differences(sample_data):
    """Regional offsets of the learning gain are planted (helpers.synth.REGIONS): pooling finds
    heterogeneity, and the pooled gain lies within the range of the regional gains."""
    cross = report.cross_region(sample_data, "id")
    effects = cross.studies["effect"]
    assert cross.pooled.k == 4
    assert effects.min() < cross.pooled.estimate < effects.max()
    assert cross.pooled.i2 > 0.5
    salatiga = cross.metrics["salatiga"]["learning_mean_diff"]
    sawahlunto = cross.metrics["sawahlunto"]["learning_mean_diff"]
    assert salatiga > sawahlunto  # planted offsets +2 and -1 points


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
    data = report.RegionData(small, "plaju", "id")
    t = data.text
    count_labels = {t.column("n"), t.column("enrolled"), t.column("completed")}
    checked = 0
    for fn in (report.profile, report.reaction, report.learning, report.behaviour, report.participation):
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
