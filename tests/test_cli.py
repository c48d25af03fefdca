"""The command line: exit codes and one-line errors, as the README promises."""

from __future__ import annotations

import subprocess
import sys


def run(*args, env_root=None):
    import os

    env = dict(os.environ)
    if env_root is not None:
        env["ASN_EVAL_ROOT"] = str(env_root)
    return subprocess.run([sys.executable, "-m", "helpers.cli", *args], capture_output=True, text=True, env=env)


def test_unknown_command_is_usage_error_exit_2():
    res = run("frobnicate")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr


def test_missing_dataset_folder_is_one_line_exit_2(tmp_path):
    res = run("ingest", str(tmp_path / "nope"))
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert "dataset.yml" in res.stderr


def test_report_for_unknown_region_names_the_known_ones(ingested, use_root):
    res = run("report", "--dataset", "sample", "--region", "atlantis", env_root=use_root)
    assert res.returncode == 2
    assert "salatiga" in res.stderr and "Traceback" not in res.stderr


def test_report_before_ingest_says_what_to_run(tmp_path):
    res = run("report", "--dataset", "sample", "--all", env_root=tmp_path)
    assert res.returncode == 2
    assert "asn-eval ingest" in res.stderr


def test_check_sample_lists_quarantined_rows_and_exits_2(use_root):
    res = run("check", str(use_root / "data" / "raw" / "sample"), env_root=use_root)
    assert res.returncode == 2
    assert "reaction.csv, row 5, column 'overall', value 'Sangat Bagus'" in res.stdout
    assert "tests.csv, row 7, column 'post_score', value '105'" in res.stdout


def test_synth_writes_a_dataset(tmp_path):
    res = run("synth", "--out", str(tmp_path / "s"), "--seed", "7")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "s" / "dataset.yml").is_file()


def test_list_shows_regions_and_reports(ingested, use_root):
    res = run("list", env_root=use_root)
    assert res.returncode == 0
    assert "sample (ingested)" in res.stdout
    assert "dki-jakarta" in res.stdout
