"""Processed tables on disk, one file per region (``helpers.partitions``), and reading them back
(``helpers.store``): a region's report reads only its rows, and gets exactly the rows it read from
the whole table before."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from helpers import partitions
from helpers.errors import UsageError
from helpers.render import build
from helpers.store import load_processed


def _programs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "program_id": pd.array(["P1", "P2", "P3"], dtype="string"),
            "region_id": pd.array(["kota a/b", "kab-x", "kota a/b"], dtype="string"),
            "start_date": [dt.date(2024, 1, 2), dt.date(2024, 2, 3), dt.date(2024, 3, 4)],
            "jp": pd.array([20, None, 8], dtype="Int64"),
        }
    )


def _tests() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "participant_key": pd.array(["k1", "k2", "k3", "k4", "k5"], dtype="string"),
            "program_id": pd.array(["P2", "P1", "P9", "P3", "P2"], dtype="string"),
            "pre_score": pd.array([50.5, None, 40.0, 61.0, 70.0], dtype="Float64"),
            "passed": pd.array([True, None, False, True, False], dtype="boolean"),
        }
    )


def _write(folder, tables: dict[str, pd.DataFrame]) -> None:
    regions = partitions.program_regions(tables.get("programs"))
    for name, df in tables.items():
        partitions.write_table(folder, name, df, regions)


def test_each_region_gets_its_own_rows_in_their_order_and_types_survive(tmp_path):
    _write(tmp_path, {"programs": _programs(), "tests": _tests()})
    tests_dir = tmp_path / "tests"
    # P9 is no programme's: its row belongs to no region (ingest quarantines such rows anyway).
    assert partitions.regions_of(tests_dir) == ["kab-x", "kota a/b"]
    assert (tests_dir / partitions.NO_REGION_DIR).is_dir()
    assert all("/" not in p.name[len("region=") :] for p in tests_dir.glob("region=*"))
    own = partitions.read_table(tests_dir, ["kota a/b"])
    assert own["participant_key"].tolist() == ["k2", "k4"]  # programmes P1 and P3, in written order
    pd.testing.assert_frame_equal(own.dtypes.to_frame(), _tests().dtypes.to_frame())
    kab = partitions.read_table(tests_dir, ["kab-x"])
    assert kab["participant_key"].tolist() == ["k1", "k5"]
    assert kab["passed"].tolist() == [True, False]
    programs = partitions.read_table(tmp_path / "programs", ["kota a/b"])
    assert programs["start_date"].tolist() == [dt.date(2024, 1, 2), dt.date(2024, 3, 4)]
    assert programs["jp"].dtype == "Int64" and programs["jp"].tolist() == [20, 8]


def test_the_whole_table_has_every_row_once(tmp_path):
    _write(tmp_path, {"programs": _programs(), "tests": _tests()})
    whole = partitions.read_table(tmp_path / "tests")
    assert sorted(whole["participant_key"]) == ["k1", "k2", "k3", "k4", "k5"]
    back = whole.sort_values("participant_key").reset_index(drop=True)
    pd.testing.assert_frame_equal(back, _tests())


def test_an_empty_table_is_empty_not_missing(tmp_path):
    _write(tmp_path, {"programs": _programs(), "tests": _tests().iloc[:0]})
    assert partitions.is_table(tmp_path / "tests")
    assert partitions.regions_of(tmp_path / "tests") == []
    empty = partitions.read_table(tmp_path / "tests", ["kab-x"])
    assert empty.empty and list(empty.columns) == list(_tests().columns)
    assert empty["pre_score"].dtype == "Float64"


def test_a_region_without_rows_reads_as_empty_with_the_schema(tmp_path):
    _write(tmp_path, {"programs": _programs(), "tests": _tests()})
    none = partitions.read_table(tmp_path / "tests", ["kota-tanpa-data"])
    assert none.empty and list(none.columns) == list(_tests().columns)


def test_the_same_rows_give_the_same_bytes(tmp_path):
    """The build fingerprint hashes these files: a rewrite of unchanged rows must not look like a change."""
    _write(tmp_path / "a", {"programs": _programs(), "tests": _tests()})
    _write(tmp_path / "b", {"programs": _programs(), "tests": _tests()})
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.parquet"))
    assert files
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)


# ---- through ingest and the store ----------------------------------------------------------------


def test_a_region_load_reads_exactly_the_rows_the_region_report_reads(sample_data):
    from helpers.analysis.region import RegionData

    for region in (r["id"] for r in sample_data.regions):
        whole, own = RegionData(sample_data, region), RegionData(load_processed("sample", region=region), region)
        for table in sample_data.tables:
            pd.testing.assert_frame_equal(
                getattr(whole, table).reset_index(drop=True), getattr(own, table).reset_index(drop=True)
            )
        loaded = load_processed("sample", region=region).tables
        assert set(loaded["participants"]["region_id"]) == {region}
        assert len(loaded["enrollments"]) < len(sample_data.tables["enrollments"])


def test_a_region_load_refuses_an_unknown_region(sample_data):
    with pytest.raises(UsageError, match="no region 'atlantis'"):
        load_processed("sample", region="atlantis")


def test_one_changed_row_changes_only_its_regions_fingerprint(tmp_path, sample_data):
    folder = tmp_path / "processed"
    source = load_processed("sample")
    programs = source.tables["programs"]
    tests = source.tables["tests"].copy()
    _write(folder, {"programs": programs, "tests": tests})
    (folder / "manifest.json").write_text(json.dumps(source.manifest), encoding="utf-8")
    before = {r["id"]: build.region_data_digest(load_processed("x", root=folder), r["id"]) for r in source.regions}
    plaju = set(programs.loc[programs["region_id"] == "plaju", "program_id"])
    row = tests.index[tests["program_id"].isin(plaju)][0]
    tests.loc[row, "post_score"] = 1.0 if tests.loc[row, "post_score"] != 1.0 else 2.0
    changed = tmp_path / "changed"
    _write(changed, {"programs": programs, "tests": tests})
    (changed / "manifest.json").write_text(json.dumps(source.manifest), encoding="utf-8")
    after = {r["id"]: build.region_data_digest(load_processed("x", root=changed), r["id"]) for r in source.regions}
    assert {r for r in before if before[r] != after[r]} == {"plaju"}


def test_a_dataset_processed_by_an_older_version_asks_for_a_new_ingest(tmp_path):
    (tmp_path / "manifest.json").write_text("{}", encoding="utf-8")
    pd.DataFrame({"a": [1]}).to_parquet(tmp_path / "tests.parquet")
    with pytest.raises(UsageError, match="ingest"):
        load_processed("old", root=tmp_path)


@pytest.mark.parametrize("odd_id", ["_", "%none", "region=%none", "../x"])
def test_no_region_id_reads_the_rows_of_no_region(tmp_path, odd_id):
    programs = _programs().assign(region_id=pd.array([odd_id, "kab-x", odd_id], dtype="string"))
    _write(tmp_path, {"programs": programs, "tests": _tests()})
    assert partitions.regions_of(tmp_path / "tests") == sorted([odd_id, "kab-x"], key=partitions.quote_id)
    own = partitions.read_table(tmp_path / "tests", [odd_id])
    assert own["participant_key"].tolist() == ["k2", "k4"]  # not k3, whose programme P9 is no region's
    assert sorted(partitions.read_table(tmp_path / "tests")["participant_key"]) == ["k1", "k2", "k3", "k4", "k5"]
    written = list((tmp_path / "tests").rglob("part-0.parquet"))
    assert len(written) == 3 and all(p.parent.parent == tmp_path / "tests" for p in written)  # none escaped
