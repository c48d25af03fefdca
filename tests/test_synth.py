"""The synthetic sample: reproducible, realistic in shape, and carrying what it claims."""

from __future__ import annotations

import collections
import csv
import filecmp
import hashlib
import statistics

import pytest
import yaml

from helpers import cli
from helpers.ingest.privacy import nip_problem
from helpers.synth import DEFAULT_SEED, REGIONS, write_dataset

from .conftest import SAMPLE_RAW


def test_sample_regenerates_byte_for_byte_with_recorded_seed(tmp_path):
    seed = yaml.safe_load((SAMPLE_RAW / "dataset.yml").read_text(encoding="utf-8"))["seed"]
    written = write_dataset(tmp_path, seed)
    committed = sorted(p.name for p in SAMPLE_RAW.iterdir())
    assert sorted(p.name for p in written) == committed
    for path in written:
        assert filecmp.cmp(path, SAMPLE_RAW / path.name, shallow=False), f"{path.name} differs from the committed file"


def test_another_seed_gives_different_data(tmp_path):
    write_dataset(tmp_path, DEFAULT_SEED + 1)
    assert (tmp_path / "tests.csv").read_bytes() != (SAMPLE_RAW / "tests.csv").read_bytes()


def test_sample_is_small_and_declared_synthetic():
    total = sum(p.stat().st_size for p in SAMPLE_RAW.iterdir())
    assert total < 5 * 1024 * 1024
    spec = yaml.safe_load((SAMPLE_RAW / "dataset.yml").read_text(encoding="utf-8"))
    assert spec["synthetic"] is True
    assert len(spec["planted_effects"]) >= 5
    assert {r["id"] for r in spec["regions"]} == {"salatiga", "plaju", "dki-jakarta", "sawahlunto"}


def _rows(name):
    with open(SAMPLE_RAW / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_region_sizes_dki_largest_plaju_smallest():
    people = _rows("participants.csv")
    counts = {r.id: sum(p["region_id"] == r.id for p in people) for r in REGIONS}
    assert max(counts, key=counts.get) == "dki-jakarta"
    assert min(counts, key=counts.get) == "plaju"


def test_participants_carry_names_and_real_structure_nips():
    people = _rows("participants.csv")
    assert all(p["name"] for p in people)
    valid = [p for p in people if nip_problem(p["nip"]) is None]
    # Exactly one NIP is broken on purpose (17 digits) so quarantine is exercised.
    assert len(people) - len(valid) == 1
    assert len({p["nip"] for p in valid}) == len(valid)
    for p in valid[:50]:
        assert p["nip"][14] == ("1" if p["gender"] == "L" else "2")
        assert p["nip"][:4] == p["birth_year"]


def test_planted_learning_gains_are_in_the_data():
    """Reference: the effect declared in dataset.yml (planted_effects[0]): mean post - pre by method,
    project_based +14, competency_based +12, simulation +10, classroom +6, e_learning +5, plus the
    region offsets (salatiga +2, plaju 0, dki-jakarta +1, sawahlunto -1). Noise sd 8 and clipping at
    0-100 allow about 1.5 points on a method's mean (the smallest group has over 150 tests); each
    programme's own effect (sd PROGRAM_GAIN_SD) moves a method's mean by up to three standard errors
    of the mean of its k programmes' effects.
    """
    from helpers.synth.catalogue import PROGRAM_GAIN_SD

    method_gain = {"project_based": 14, "competency_based": 12, "simulation": 10, "classroom": 6, "e_learning": 5}
    region_offset = {"salatiga": 2, "plaju": 0, "dki-jakarta": 1, "sawahlunto": -1}
    programs = {p["program_id"]: p for p in _rows("programs.csv")}
    gains, planted = {m: [] for m in method_gain}, {m: [] for m in method_gain}
    programmes_of = {m: set() for m in method_gain}
    for row in _rows("tests.csv"):
        prog = programs.get(row["program_id"])
        try:
            gain = float(row["post_score"]) - float(row["pre_score"])
        except ValueError:  # contract violations planted on purpose (blank or text scores)
            continue
        if prog is None or prog["method"] not in method_gain:
            continue
        gains[prog["method"]].append(gain)
        programmes_of[prog["method"]].add(prog["program_id"])
        planted[prog["method"]].append(method_gain[prog["method"]] + region_offset[prog["region_id"]])
    for method in method_gain:
        assert len(gains[method]) > 150, method
        tolerance = 1.5 + 3 * PROGRAM_GAIN_SD / len(programmes_of[method]) ** 0.5
        assert statistics.fmean(gains[method]) == pytest.approx(statistics.fmean(planted[method]), abs=tolerance)


def test_all_nine_contract_tables_present():
    from helpers.ingest.contract import TABLES

    assert len(TABLES) == 9
    for table in TABLES:
        assert _rows(f"{table}.csv"), table


# --- asn-eval synth --scale N: the same regions, N times the civil servants -------------------


def _sha256s(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _csv(folder, name):
    with open(folder / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("scale_args", [["--scale", "1"], []], ids=["scale-1", "no-scale"])
def test_scale_1_writes_the_bundled_sample_file_for_file(tmp_path, scale_args):
    seed = yaml.safe_load((SAMPLE_RAW / "dataset.yml").read_text(encoding="utf-8"))["seed"]
    assert cli.main(["synth", "--out", str(tmp_path), "--seed", str(seed), *scale_args]) == 0
    assert _sha256s(tmp_path) == _sha256s(SAMPLE_RAW)


def test_scale_below_1_is_a_usage_error(tmp_path, capsys):
    assert cli.main(["synth", "--out", str(tmp_path), "--scale", "0"]) == 2
    assert "--scale" in capsys.readouterr().err
    assert not tmp_path.joinpath("dataset.yml").exists()


@pytest.fixture(scope="module")
def scaled_3(tmp_path_factory):
    folder = tmp_path_factory.mktemp("raw") / "sample-x3"
    write_dataset(folder, DEFAULT_SEED, scale=3)
    return folder


def test_scale_3_has_three_times_the_participants_of_each_region(scaled_3):
    def per_region(folder):
        return collections.Counter(p["region_id"] for p in _csv(folder, "participants.csv"))

    sample, scaled = per_region(SAMPLE_RAW), per_region(scaled_3)
    # The one participant planted with a broken NIP is added once, whatever the scale.
    assert scaled == {r: 3 * (n - (r == "salatiga")) + (r == "salatiga") for r, n in sample.items()}
    assert yaml.safe_load((scaled_3 / "dataset.yml").read_text(encoding="utf-8"))["name"] == "sample-x3"


def test_scale_3_nips_are_unique_and_valid_but_the_one_planted(scaled_3):
    nips = [p["nip"] for p in _csv(scaled_3, "participants.csv")]
    valid = [n for n in nips if nip_problem(n) is None]
    assert len(nips) - len(valid) == 1
    assert len(set(valid)) == len(valid)


def test_scale_3_runs_each_programme_as_three_cohorts(scaled_3):
    sample, scaled = _csv(SAMPLE_RAW, "programs.csv"), _csv(scaled_3, "programs.csv")
    assert len(scaled) == 3 * len(sample)
    assert len({p["program_id"] for p in scaled}) == len(scaled)
    assert collections.Counter(p["method"] for p in scaled) == {
        m: 3 * n for m, n in collections.Counter(p["method"] for p in sample).items()
    }


def test_scale_3_ingests_with_no_larger_quarantine_share_than_the_sample(scaled_3, tmp_path, monkeypatch):
    from helpers.ingest import ingest

    (tmp_path / "data" / "raw").mkdir(parents=True)
    monkeypatch.setenv("ASN_EVAL_ROOT", str(tmp_path))

    def quarantine_share(folder):
        counts = ingest(folder).counts
        return sum(c["quarantined"] for c in counts.values()) / sum(c["read"] for c in counts.values())

    share_1, share_3 = quarantine_share(SAMPLE_RAW), quarantine_share(scaled_3)
    assert 0 < share_3 <= share_1
    assert (tmp_path / "data" / "processed" / "sample-x3" / "manifest.json").is_file()
