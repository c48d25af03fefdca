"""Quiet runs: ``asn-eval report`` prints its progress (counts, ETA) and the failures, not the
kernels' chatter."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import pytest

from helpers.render.progress import Bar, Lines, describe, for_console
from helpers.render.runner import RenderOutcome

from .conftest import REPO, SAMPLE_RAW

KERNEL_NOISE = ("Kernel is running over TCP without encryption", "KeyboardInterrupt caught in kernel")


def _cli(*args, root, ci=True):
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["ASN_EVAL_ROOT"] = str(root)
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "helpers.cli", *args], capture_output=True, text=True, env=env, timeout=900
    )


@pytest.mark.e2e
def test_a_ci_run_prints_progress_lines_and_no_kernel_noise(tmp_path):
    root = tmp_path / "quiet"
    (root / "data" / "raw").mkdir(parents=True)
    (root / "data" / "raw" / "sample").symlink_to(SAMPLE_RAW)
    (root / "notebooks").symlink_to(REPO / "notebooks")
    assert _cli("ingest", "sample", root=root).returncode == 0

    first = _cli("report", "--dataset", "sample", "--all", "--jobs", "2", root=root)
    out = first.stdout + first.stderr
    assert first.returncode == 0, out
    for noise in KERNEL_NOISE:
        assert noise not in out
    assert "Traceback" not in out
    progress = re.findall(r"^\[(\d)/5\] (\S+): ok \(\d+\.\d s(, ETA \d+ s)?\)$", first.stdout, re.M)
    assert [int(n) for n, _, _ in progress] == [1, 2, 3, 4, 5], first.stdout
    assert {name for _, name, _ in progress} == {"salatiga", "plaju", "dki-jakarta", "sawahlunto", "summary"}
    assert progress[0][2] and not progress[-1][2]  # an estimate while reports are left, none after the last
    assert "5 rendered, 0 up to date, 0 failed" in first.stdout

    again = _cli("report", "--dataset", "sample", "--all", "--jobs", "2", root=root)
    assert again.returncode == 0
    assert len(re.findall(r"^\[\d/5\] \S+: up to date$", again.stdout, re.M)) == 5, again.stdout
    assert "0 rendered, 5 up to date, 0 failed" in again.stdout
    assert not again.stderr.strip()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_bar_and_ci_or_a_pipe_gets_lines(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert isinstance(for_console(_Terminal()), Bar)
    assert isinstance(for_console(io.StringIO()), Lines)
    monkeypatch.setenv("CI", "true")
    assert isinstance(for_console(_Terminal()), Lines)


def test_lines_count_reports_and_estimate_the_time_left():
    lines: list[str] = []
    progress = Lines(lines.append)
    progress.start(4, jobs=2)
    progress.update(RenderOutcome("plaju", True, 0.0, skipped=True))
    progress.update(RenderOutcome("salatiga", True, 10.0))
    progress.update(RenderOutcome("atlantis", False, 2.0, error="UsageError: no region 'atlantis'"))
    progress.update(RenderOutcome("summary", True, 1.0))
    assert lines == [
        "[1/4] plaju: up to date",
        "[2/4] salatiga: ok (10.0 s, ETA 10 s)",  # 10 s a report, two left, two jobs
        "[3/4] atlantis: FAILED (UsageError: no region 'atlantis') (ETA 6 s)",  # mean 6 s, one left
        "[4/4] summary: ok (1.0 s)",
    ]


def test_a_bar_writes_failures_above_itself():
    stream = _Terminal()
    bar = Bar(stream)
    bar.start(2)
    bar.update(RenderOutcome("atlantis", False, 1.0, error="UsageError: no region"))
    bar.update(RenderOutcome("summary", True, 1.0))
    bar.close()
    text = stream.getvalue()
    assert "atlantis: FAILED (UsageError: no region)" in text
    assert "2/2" in text


def test_describe_an_outcome():
    assert describe(RenderOutcome("x", True, 3.21)) == "ok (3.2 s)"
    assert describe(RenderOutcome("x", True, 3.21), eta=70) == "ok (3.2 s, ETA 70 s)"
    assert describe(RenderOutcome("x", True, 0.0, skipped=True)) == "up to date"
