"""How ingest's time and memory grow with the data: rows, seconds, rows per second, peak RSS.

Run from the project root::

    .venv/bin/python benchmarks/ingest_scale.py                        # scales 1,10,30,100
    .venv/bin/python benchmarks/ingest_scale.py --scales 1,10,100 --national
    .venv/bin/python benchmarks/ingest_scale.py --root /tmp/ingest-bench --repeat 3

For each scale N the dataset ``asn-eval synth --scale N`` is written into a scratch project root
(``--root``, a new temporary folder by default; a dataset already there is reused, so a second run
skips synth). ``--national`` adds ``asn-eval synth --scale national`` (about 4.3 million ASN in
510 regions, several CSV files per table). Then ``asn-eval ingest`` runs in its own process,
through the real command line: it reads every file, validates every row, pseudonymises, writes
the processed tables, and the figures are of that process:

* rows: raw rows read, from the run's ``manifest.json`` (the sum of ``read`` over the tables);
* wall s: elapsed time; cpu s: user + system time (``os.wait4``); rows/s: rows / wall;
* peak RSS MiB: ``ru_maxrss`` (``os.wait4``); MiB per million rows: peak RSS / rows x 10^6.

Timings include starting Python and importing the package (about a second and a half), which
flattens the growth at small sizes; so the growth exponent, the least-squares slope of log(time)
on log(rows), is given over all scales and over the two largest (the marginal exponent). With
``--repeat`` each figure is the median of the runs. The machine may be shared: the load average
before each run is printed, and CPU time is the steadier figure. Figures, not assertions.
Nothing is written to ``data/processed`` or ``reports``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Run:
    """One ``asn-eval ingest`` process."""

    rows: int
    wall: float
    cpu: float
    rss_mib: float
    load: float  # 1-minute load average just before it started


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log(ys) on log(xs).

    >>> round(slope([1, 10, 100], [2, 20, 200]), 6)
    1.0
    """
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum((a - mx) ** 2 for a in lx)


def synth(root: Path, scale: str) -> Path:
    """The dataset of ``asn-eval synth --scale <scale>`` under ``root`` (written if missing)."""
    folder = root / "data" / "raw" / f"scale-{scale}"
    if not (folder / "dataset.yml").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run(
            [str(BIN / "asn-eval"), "synth", "--scale", scale, "--out", str(folder)],
            check=True,
            env={**os.environ, "ASN_EVAL_ROOT": str(root)},
            stdout=subprocess.DEVNULL,
        )
    return folder


def ingest(root: Path, folder: Path) -> Run:
    """Run ``asn-eval ingest`` on ``folder`` in its own process and measure it."""
    env = {**os.environ, "ASN_EVAL_ROOT": str(root)}
    load = os.getloadavg()[0]
    cmd = [str(BIN / "asn-eval"), "ingest", "--accept-quarantine", str(folder)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4: tell Popen
    if proc.returncode != 0:
        raise SystemExit(f"ingest of {folder} failed (exit {proc.returncode}):\n{output.decode(errors='replace')}")
    name = _dataset_name(folder)
    manifest = json.loads((root / "data" / "processed" / name / "manifest.json").read_text(encoding="utf-8"))
    rows = sum(t["read"] for t in manifest["tables"].values())
    shutil.rmtree(root / "data" / "processed" / name)  # the next scale need not share the disk with it
    return Run(rows, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, load)


def _dataset_name(folder: Path) -> str:
    import yaml

    return str(yaml.safe_load((folder / "dataset.yml").read_text(encoding="utf-8"))["name"])


def median_run(runs: list[Run]) -> Run:
    """Each figure the median over ``runs`` (rows are the same in every run)."""
    return Run(
        runs[0].rows,
        statistics.median(r.wall for r in runs),
        statistics.median(r.cpu for r in runs),
        statistics.median(r.rss_mib for r in runs),
        statistics.median(r.load for r in runs),
    )


def report(results: dict[str, Run]) -> list[str]:
    """The table and the growth exponents, as printed."""
    lines = [
        f"{'scale':>9}{'rows':>12}{'wall s':>9}{'cpu s':>9}{'rows/s':>10}{'peak RSS MiB':>14}"
        f"{'MiB/M rows':>12}{'load':>6}"
    ]
    for scale, r in results.items():
        lines.append(
            f"{scale:>9}{r.rows:>12,}{r.wall:>9.1f}{r.cpu:>9.1f}{r.rows / r.wall:>10,.0f}{r.rss_mib:>14,.0f}"
            f"{r.rss_mib / r.rows * 1e6:>12,.0f}{r.load:>6.1f}"
        )
    runs = sorted(results.values(), key=lambda r: r.rows)
    if len(runs) >= 2:
        rows = [r.rows for r in runs]
        lines.append("")
        lines.append("growth exponent (slope of log time on log rows):")
        for label, pick in (("wall", lambda r: r.wall), ("cpu", lambda r: r.cpu)):
            every = slope(rows, [pick(r) for r in runs])
            last = slope(rows[-2:], [pick(r) for r in runs[-2:]])
            lines.append(f"  {label:<5} all scales {every:.2f}   two largest {last:.2f}")
        lines.append(f"  peak RSS   all scales {slope(rows, [r.rss_mib for r in runs]):.2f}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,10,30,100", help="comma-separated synth scales (default 1,10,30,100)")
    parser.add_argument("--national", action="store_true", help="add `asn-eval synth --scale national`")
    parser.add_argument("--root", type=Path, help="scratch project root (default: a new temporary folder)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per scale; figures are medians (default 1)")
    args = parser.parse_args()
    scales = [s.strip() for s in args.scales.split(",") if s.strip()] + (["national"] if args.national else [])
    root = args.root or Path(tempfile.mkdtemp(prefix="asn-ingest-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"{platform.platform()}; Python {platform.python_version()}"
    )
    print(f"root: {root}; runs per scale: {args.repeat}")
    results = {}
    for scale in scales:
        folder = synth(root, scale)
        results[scale] = median_run([ingest(root, folder) for _ in range(args.repeat)])
        print(f"  {scale}: {results[scale].rows:,} rows in {results[scale].wall:.1f} s", flush=True)
    print()
    print("\n".join(report(results)))


if __name__ == "__main__":
    main()
