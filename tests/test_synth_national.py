"""The national synthetic dataset (``asn-eval synth --scale national``), checked on a mini version.

The mini version has the sample's four regions and a dozen invented ones with 20,000 ASN in all,
split into files of five regions each so that every table comes in several parts, as at full size.
"""

from __future__ import annotations

import collections
import csv
import functools
import hashlib
import re

import numpy as np
import pytest
import yaml

from helpers import cli
from helpers.ingest.privacy import nip_problem
from helpers.synth import DEFAULT_SEED, REGIONS
from helpers.synth import national as nat

from .conftest import SAMPLE_RAW

MINI_REGIONS, MINI_ASN, MINI_BLOCK = 12, 20_000, 5
SAMPLE_IDS = {r.id for r in REGIONS}
TABLES = ("programs", "participants", "enrollments", "reaction", "tests", "followup", "service", "skm", "qualitative")


def _write_mini(folder, seed=DEFAULT_SEED):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(nat, "BLOCK_REGIONS", MINI_BLOCK)
        nat.write_national(folder, seed, n_regions=MINI_REGIONS, asn_total=MINI_ASN)
    return folder


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    return _write_mini(tmp_path_factory.mktemp("raw") / "sample-national")


def _sha256s(folder):
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _spec(folder):
    return yaml.safe_load((folder / "dataset.yml").read_text(encoding="utf-8"))


def _rows(folder, table, parts="all"):
    """Rows of a table's files: ``parts`` "all", "sample" (part-000) or "invented" (the others)."""
    out = []
    for path in sorted((folder / table).glob("part-*.csv")):
        is_sample = path.name == "part-000.csv"
        if parts == "all" or (parts == "sample") == is_sample:
            with open(path, encoding="utf-8", newline="") as fh:
                out += list(csv.DictReader(fh))
    return out


def test_same_seed_writes_the_same_bytes_in_every_file(mini, tmp_path):
    again = _write_mini(tmp_path / "again")
    assert _sha256s(again) == _sha256s(mini)
    other = _write_mini(tmp_path / "other", seed=DEFAULT_SEED + 1)
    assert (other / "tests" / "part-001.csv").read_bytes() != (mini / "tests" / "part-001.csv").read_bytes()


def test_sample_regions_are_the_scale_1_sample_byte_for_byte(mini):
    """Part 0 of each table is the sample's file (data/raw/sample, generated with the default seed),
    and no other part holds a row of the sample's regions, programmes or people."""
    for table in TABLES:
        assert (mini / table / "part-000.csv").read_bytes() == (SAMPLE_RAW / f"{table}.csv").read_bytes(), table
    sample_nips = {p["nip"] for p in _rows(mini, "participants", "sample")}
    sample_programs = {p["program_id"] for p in _rows(mini, "programs", "sample")}
    for table in TABLES:
        for row in _rows(mini, table, "invented"):
            assert re.fullmatch(r"(kab|kota)-\d{4}", row.get("region_id", "kab-0000")), (table, row)
            assert row.get("nip") not in sample_nips, table
            assert row.get("program_id") not in sample_programs, table


def test_every_part_has_the_samples_columns_in_the_samples_order(mini):
    for table in TABLES:
        headers = {p.name: p.read_text(encoding="utf-8").split("\n", 1)[0] for p in (mini / table).glob("part-*.csv")}
        assert len(headers) == 1 + -(-MINI_REGIONS // MINI_BLOCK), table
        assert set(headers.values()) == {headers["part-000.csv"]}, table


def test_nips_are_unique_nationally_and_valid_but_the_one_planted(mini):
    people = _rows(mini, "participants")
    valid = [p for p in people if nip_problem(p["nip"]) is None]
    assert len(people) - len(valid) == 1  # the sample's NIP of 17 digits
    assert len({p["nip"] for p in valid}) == len(valid)
    for p in valid:
        assert p["nip"][14] == ("1" if p["gender"] == "L" else "2")
        assert p["nip"][:4] == p["birth_year"]


def test_the_requested_number_of_asn_is_met_exactly(mini):
    people = [p for p in _rows(mini, "participants") if nip_problem(p["nip"]) is None]
    assert len(people) == MINI_ASN
    per_region = collections.Counter(p["region_id"] for p in people)
    assert len(per_region) == len(REGIONS) + MINI_REGIONS
    assert min(per_region.values()) >= 50


def test_ingest_quarantines_exactly_the_samples_planted_rows(mini, tmp_path, monkeypatch):
    from helpers.ingest import ingest

    (tmp_path / "data" / "raw").mkdir(parents=True)
    monkeypatch.setenv("ASN_EVAL_ROOT", str(tmp_path))
    result = ingest(mini)
    quarantined = {name: c["quarantined"] for name, c in result.counts.items() if c["quarantined"]}
    assert quarantined == {"participants": 1, "enrollments": 1, "reaction": 1, "tests": 1}
    assert {p.file.split("/")[-1] for p in result.problems} == {"part-000.csv"}
    assert sum(c["read"] for c in result.counts.values()) == sum(len(_rows(mini, t)) for t in TABLES)
    assert (tmp_path / "data" / "processed" / "sample-national" / "manifest.json").is_file()


def test_dataset_yml_declares_synthetic_invented_regions_and_one_file_per_block(mini):
    from helpers.ingest.dataset_spec import load_dataset_spec

    spec = load_dataset_spec(mini)
    assert spec.name == "sample-national" and spec.synthetic
    assert "synthetic" in spec.title.lower()
    assert _spec(mini)["generator"].startswith("asn-eval synth --scale national")
    assert spec.seed == DEFAULT_SEED
    for table in TABLES:
        assert [f.path for f in spec.files[table]] == [f"{table}/part-{k:03d}.csv" for k in range(4)]
    provinces = {p[0] for p in nat.PROVINCES}
    invented = [r for r in spec.regions if r.id not in SAMPLE_IDS]
    assert len(invented) == MINI_REGIONS
    for r in invented:
        assert re.fullmatch(r"(kab|kota)-\d{4}", r.id)
        assert r.name == f"{'Kabupaten' if r.level == 'kabupaten' else 'Kota'} Sintetis {r.id[-4:]}"
        assert r.province in provinces
        assert r.kemendagri_code == ""  # no invented official code
    sample = {r["id"]: r for r in _spec(SAMPLE_RAW)["regions"]}
    assert [r for r in _spec(mini)["regions"] if r["id"] in SAMPLE_IDS] == list(sample.values())


def test_every_invented_region_lists_its_planted_learning_gain(mini):
    spec, sample = _spec(mini), _spec(SAMPLE_RAW)
    effects = spec["planted_effects"]
    assert effects[: len(sample["planted_effects"])] == sample["planted_effects"]
    invented = [e for e in effects if e["region"] not in SAMPLE_IDS]
    assert sorted(e["region"] for e in invented) == sorted(
        r["id"] for r in spec["regions"] if r["id"] not in SAMPLE_IDS
    )
    assert {e["indicator"] for e in invented} == {"learning.mean_gain"}
    assert set(invented[0]) == set(sample["planted_effects"][0])  # region, indicator, truth, estimand
    by_id = {r.id: r for r in nat.synthetic_regions(DEFAULT_SEED, MINI_REGIONS, MINI_ASN)}
    for e in invented:
        assert e["truth"] == pytest.approx(nat.expected_gain(by_id[e["region"]].learning_gain), abs=1e-4)
    dist = spec["planted_distribution"]
    assert (dist["mu"], dist["tau"]) == (nat.LEARNING_MU, nat.LEARNING_TAU)
    assert f"mu={nat.LEARNING_MU}" in spec["notes"] and f"tau={nat.LEARNING_TAU}" in spec["notes"]


def test_planted_gain_is_recovered_from_each_invented_regions_tests(mini):
    """Reference: the truth in planted_effects. The mean of a region's observed gains has
    standard error about sqrt(68/n) from people (noise sd 8, programme sd 2) plus 2/sqrt(k) from
    its k programmes' shared effects; four of those are allowed."""
    truth = {e["region"]: e["truth"] for e in _spec(mini)["planted_effects"] if e["region"] not in SAMPLE_IDS}
    region_of = {p["program_id"]: p["region_id"] for p in _rows(mini, "programs", "invented")}
    gains, programmes = collections.defaultdict(list), collections.defaultdict(set)
    for t in _rows(mini, "tests", "invented"):
        if t["post_score"]:
            gains[region_of[t["program_id"]]].append(float(t["post_score"]) - float(t["pre_score"]))
            programmes[region_of[t["program_id"]]].add(t["program_id"])
    assert set(gains) == set(truth)
    for region, g in gains.items():
        se = (68 / len(g) + 4 / len(programmes[region])) ** 0.5
        assert np.mean(g) == pytest.approx(truth[region], abs=4 * se), region


def test_expected_gain_matches_a_simulation_of_the_generators_scores():
    """Independent reference: 2 million simulated scores, drawn as the generators draw them."""
    rng = np.random.default_rng(1)
    n, delta = 2_000_000, 10.0
    pre = np.clip(rng.normal(55, 12, n), 5, 95)
    post = np.clip(pre + delta + rng.normal(0, 2, n) + rng.normal(0, 8, n), 0, 100)
    assert nat.expected_gain(delta) == pytest.approx(float(np.mean(post - pre)), abs=0.03)


def test_full_size_regions_are_skewed_and_cover_every_province():
    regions = nat.synthetic_regions()
    sizes = np.array([r.n_asn for r in regions])
    assert len(regions) == 506
    assert sizes.sum() + nat.sample_asn() == nat.ASN_TOTAL
    assert collections.Counter(r.level for r in regions) == {"kabupaten": 415, "kota": 91}
    assert sizes.min() >= 1000 and sizes.max() >= 20_000
    assert np.mean(sizes) > np.median(sizes)  # a long tail of large regions
    assert {r.province for r in regions} | {r.province for r in REGIONS} == {p[0] for p in nat.PROVINCES} | {
        "DKI Jakarta"
    }
    assert len({p[0] for p in nat.PROVINCES} | {"DKI Jakarta"}) == 38


# --- the command line ----------------------------------------------------------------------------


def test_cli_scale_national_writes_the_national_dataset(tmp_path, monkeypatch):
    import helpers.synth

    small = functools.partial(nat.write_national, n_regions=2, asn_total=3_000)
    monkeypatch.setattr(helpers.synth, "write_national", small)
    assert cli.main(["synth", "--scale", "national", "--out", str(tmp_path), "--seed", "7"]) == 0
    spec = _spec(tmp_path)
    assert (spec["name"], spec["seed"], len(spec["regions"])) == ("sample-national", 7, 6)


def test_cli_help_offers_the_national_scale(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["synth", "--help"])
    assert exc.value.code == 0
    assert "national" in capsys.readouterr().out


def test_cli_scale_that_is_neither_a_number_nor_national_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["synth", "--out", str(tmp_path), "--scale", "nasional"])
    assert exc.value.code == 2
    assert "--scale" in capsys.readouterr().err
    assert not (tmp_path / "dataset.yml").exists()
