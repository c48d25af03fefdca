"""Rendering on Dask distributed (``asn-eval report --executor dask``): the reports, build records,
failures and exit codes of the local executor, on a local cluster or on one started with the
``dask`` command.

The tests of the first part run in order on one project root: each starts from the reports the
previous one left.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import psutil
import pytest

from helpers import cli
from helpers.render import build, dask_executor
from helpers.render import runner as render

from .conftest import REPO

pytestmark = pytest.mark.e2e

DATASET = "sample"
REGIONS = ["plaju", "sawahlunto"]  # two regions on two workers: enough, and half the time of four
DASK = Path(sys.executable).with_name("dask")  # the dask command of this environment


def _project(root: Path, processed: Path, notebooks: Path | None = None) -> Path:
    """A project root: the session's processed data (read-only) and the real notebooks, or ``notebooks``."""
    (root / "data").mkdir(parents=True)
    (root / "data" / "processed").symlink_to(processed)
    (root / "notebooks").symlink_to(notebooks or REPO / "notebooks")
    return root


@pytest.fixture(scope="module")
def root(ingested, use_root, tmp_path_factory) -> Iterator[Path]:
    """This module's project root, so that its reports do not mix with those other tests render.

    The package's digest is taken once for the module: an edit of the checkout while the tests
    run (another developer's) must not make every report out of date between two tests.
    """
    common = build.Common.collect()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(build.Common, "collect", classmethod(lambda cls: common))
        yield _project(tmp_path_factory.mktemp("dask"), use_root / "data" / "processed")


@pytest.fixture
def in_root(root, monkeypatch) -> Path:
    monkeypatch.setenv("ASN_EVAL_ROOT", str(root))
    return root


def _run(executor: str, regions=REGIONS, **kwargs) -> dict:
    lines: list[str] = []
    outcomes = render.render_all(DATASET, regions, jobs=2, progress=lines.append, executor=executor, **kwargs)
    assert len(lines) == len(outcomes)
    return {o.name: o for o in outcomes}


def _metrics(folder: Path, region: str) -> dict:
    """A region's metrics.json (its schema has no render time or duration: compared whole)."""
    return json.loads((folder / f"{region}.metrics.json").read_text(encoding="utf-8"))


def test_a_local_cluster_renders_every_report_and_records_it(in_root):
    outcomes = _run("dask")
    failed = {n: o.error for n, o in outcomes.items() if not o.ok}
    assert not failed, failed
    assert set(outcomes) == {*REGIONS, "summary"}
    assert {o.changed for o in outcomes.values()} == {("new",)}
    folder = in_root / "reports" / DATASET
    for region in REGIONS:
        for ext in ("html", "pdf", "xlsx", "metrics.json", "ipynb"):
            assert (folder / f"{region}.{ext}").is_file(), f"{region}.{ext}"
        assert (folder / ".build" / f"{region}.json").is_file()
    assert (folder / "summary.html").is_file() and (folder / "summary.pdf").is_file()
    assert (folder / "index.html").is_file()
    assert not list(folder.glob(".*.tmp-*"))  # no staging folder left behind


def test_what_the_cluster_rendered_is_up_to_date_for_both_executors(in_root, monkeypatch):
    import distributed

    from helpers.render import kernels

    def nothing_to_start(*args, **kwargs):
        raise AssertionError("a cluster or a kernel was started although every report is up to date")

    monkeypatch.setattr(distributed, "LocalCluster", nothing_to_start)
    monkeypatch.setattr(kernels, "KernelPool", nothing_to_start)
    for executor in ("dask", "local"):
        outcomes = _run(executor)
        assert all(o.ok and o.skipped for o in outcomes.values()), (executor, outcomes)


def test_a_region_rendered_on_the_cluster_has_the_metrics_the_local_executor_writes(in_root):
    folder = in_root / "reports" / DATASET
    on_cluster = _metrics(folder, "plaju")
    outcomes = _run("local", ["plaju"], summary=False, force=True)
    assert outcomes["plaju"].ok and not outcomes["plaju"].skipped, outcomes["plaju"].error
    assert outcomes["plaju"].changed == ("forced",)
    assert _metrics(folder, "plaju") == on_cluster


def test_scheduler_without_the_dask_executor_or_out_of_reach_is_a_usage_error(in_root, monkeypatch, capsys):
    assert cli.main(["report", "--dataset", DATASET, "--all", "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "--scheduler needs --executor dask" in capsys.readouterr().err
    monkeypatch.setattr(dask_executor, "CONNECT_TIMEOUT", 1.0)
    args = ["report", "--dataset", DATASET, "--all", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9"]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err and "Traceback" not in err


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _start(where: Path, name: str, *args) -> subprocess.Popen:
    """``dask <args>`` in ``where``, without ASN_EVAL_ROOT (the worker must be told the project
    root), logging to ``<name>.log``."""
    env = {k: v for k, v in os.environ.items() if k != "ASN_EVAL_ROOT"}
    with open(where / f"{name}.log", "wb") as log:
        return subprocess.Popen([DASK, *args], cwd=where, env=env, stdout=log, stderr=subprocess.STDOUT)


@pytest.fixture
def cluster(tmp_path):
    """A scheduler and a worker started with the ``dask`` command in another folder; stopped
    (worker first) at the end. Yields the scheduler's address and the worker's process."""
    where = tmp_path / "cluster"
    where.mkdir()
    scheduler_file = where / "scheduler.json"
    started: list[subprocess.Popen] = []
    try:
        started.append(
            _start(where, "scheduler", "scheduler", "--host", "127.0.0.1", "--port", "0",
                   "--dashboard-address", "127.0.0.1:0", "--scheduler-file", scheduler_file)
        )  # fmt: skip
        address, deadline = None, time.monotonic() + 60
        while address is None:
            assert started[0].poll() is None and time.monotonic() < deadline, (where / "scheduler.log").read_text()
            time.sleep(0.2)
            try:
                address = json.loads(scheduler_file.read_text(encoding="utf-8"))["address"]
            except (OSError, ValueError, KeyError):  # not written yet, or not whole yet
                pass
        started.append(
            _start(where, "worker", "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
                   "--local-directory", where)
        )  # fmt: skip
        yield address, started[1]
    finally:
        for proc in reversed(started):
            _stop(proc)


def _kernels_under(proc: subprocess.Popen) -> list[str]:
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    kernels = []
    for child in children:
        try:
            if "ipykernel_launcher" in " ".join(child.cmdline()):
                kernels.append(child.cmdline())
        except psutil.NoSuchProcess:
            pass
    return kernels


def test_a_cluster_started_with_the_dask_command_renders_through_the_cli(root, cluster):
    address, worker = cluster
    env = {**os.environ, "ASN_EVAL_ROOT": str(root), "CI": "true"}
    before = (root / "reports" / DATASET / "sawahlunto.html").stat().st_mtime_ns
    args = ["report", "--dataset", DATASET, "--region", "sawahlunto", "--force", "--executor", "dask"]
    done = subprocess.run(
        [sys.executable, "-m", "helpers.cli", *args, "--scheduler", address],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "[1/1] sawahlunto: ok (" in done.stdout
    assert "1 rendered, 0 up to date, 0 failed" in done.stdout
    assert "Traceback" not in out
    assert (root / "reports" / DATASET / "sawahlunto.html").stat().st_mtime_ns > before
    assert _kernels_under(worker) == []  # the run shut its warm kernel down


@pytest.fixture
def failing_root(ingested, use_root, tmp_path, monkeypatch) -> Path:
    """A project root whose region notebook raises for Plaju and kills its worker process for Salatiga."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for name in (render.REGION_NOTEBOOK, render.SUMMARY_NOTEBOOK):
        (notebooks / name).write_bytes((REPO / "notebooks" / name).read_bytes())
    path = notebooks / render.REGION_NOTEBOOK
    nb = nbformat.read(path, as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])) + 1
    nb.cells.insert(
        at,
        nbformat.v4.new_code_cell(
            'if region == "plaju":\n'
            '    raise ValueError("no data for plaju today")\n'
            'if region == "salatiga":  # the kernel kills its parent, the worker process, then itself\n'
            "    import os, signal\n"
            "    os.kill(os.getppid(), signal.SIGKILL)\n"
            "    os._exit(1)"
        ),
    )
    nbformat.write(nb, path)
    root = _project(tmp_path / "failing", use_root / "data" / "processed", notebooks)
    monkeypatch.setenv("ASN_EVAL_ROOT", str(root))
    monkeypatch.setenv("CI", "true")
    return root


def test_failures_stay_per_region_with_the_local_executors_messages_and_exit_code(failing_root, capfd):
    regions = ["--region", "plaju", "--region", "salatiga", "--region", "sawahlunto"]
    code = cli.main(["report", "--dataset", DATASET, *regions, "--jobs", "2", "--executor", "dask"])
    out, err = capfd.readouterr()
    assert code == cli.EXIT_FAILED, out + err
    assert "1 rendered, 0 up to date, 2 failed" in out
    assert "sawahlunto: ok (" in out
    folder = failing_root / "reports" / DATASET
    assert (folder / "sawahlunto.html").is_file()
    assert not (folder / "plaju.html").is_file() and not (folder / "salatiga.html").is_file()
    assert (folder / "failed" / "plaju.ipynb").is_file()
    assert (folder / "failed" / "salatiga.ipynb").is_file()  # the copy staged before the worker died
    assert not list(folder.glob(".*.tmp-*"))
    died = next(line for line in err.splitlines() if line.startswith("  salatiga: "))
    assert "WorkerDiedError: the Dask worker rendering it died" in died
    on_cluster = next(line for line in err.splitlines() if line.startswith("  plaju: "))
    assert "ValueError: no data for plaju today" in on_cluster

    code = cli.main(["report", "--dataset", DATASET, "--region", "plaju"])  # the local executor
    out, err = capfd.readouterr()
    assert code == cli.EXIT_FAILED, out + err
    local = next(line for line in err.splitlines() if line.startswith("  plaju: "))
    assert local == on_cluster  # the same message and executed copy
