"""The synthetic sample: reproducible, realistic in shape, and carrying what it claims."""

from __future__ import annotations

import csv
import filecmp
import statistics

import pytest
import yaml

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
