"""What an unchanged re-run costs beside a forced full run of ``asn-eval report --all``.

Run from the project root::

    .venv/bin/python benchmarks/incremental.py            # the sample, --jobs 2, 3 repeats
    .venv/bin/python benchmarks/incremental.py --repeat 5 --jobs 1

It works in a temporary project root (the raw sample and the notebooks linked in; never
``data/processed`` or ``reports/``): ingest once, render once to have reports, then for each
repeat a forced full run (``--force``: every report rendered) and, right after it, the same
command without ``--force`` (nothing changed: every report up to date, the index kept). Both are
timed as whole subprocesses, interpreter start included, and printed side by side with their
ratio (median over the repeats), in wall time and in CPU time (user + system of the command and
of every process it waited for: kernels, PDF workers), which other work on a shared machine
disturbs less. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ASN_EVAL = Path(sys.executable).parent / "asn-eval"


def timed(args: list[str], root: Path) -> tuple[float, float, str]:
    """Wall and CPU seconds (user + system, the kernels and PDF workers included) of one command."""
    env = {**os.environ, "ASN_EVAL_ROOT": str(root), "CI": "true"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([str(ASN_EVAL), *args], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"asn-eval {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="sample", help="a dataset under data/raw/ (default: sample)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="asn-incremental-") as tmp:
        root = Path(tmp)
        (root / "data" / "raw").mkdir(parents=True)
        (root / "data" / "raw" / args.dataset).symlink_to(REPO / "data" / "raw" / args.dataset)
        (root / "notebooks").symlink_to(REPO / "notebooks")
        timed(["ingest", args.dataset], root)
        report = ["report", "--dataset", args.dataset, "--all", "--jobs", str(args.jobs)]
        timed(report, root)  # the first render: reports and build records to start from

        runs = []
        for i in range(args.repeat):
            full = timed([*report, "--force"], root)
            again = timed(report, root)
            if not re.search(r"^0 rendered,", again[2], re.M):
                print(f"repeat {i + 1}: the re-run rendered something (did a file change meanwhile?):\n{again[2]}")
            runs.append((full[:2], again[:2]))
            print(
                f"repeat {i + 1}: forced full run {full[0]:6.1f} s wall {full[1]:6.1f} s cpu   "
                f"no-change re-run {again[0]:5.2f} s wall {again[1]:5.2f} s cpu",
                flush=True,
            )

    print()
    command = f"asn-eval report --dataset {args.dataset} --all --jobs {args.jobs}"
    print(f"{command}, median of {args.repeat} (load {load()}):")
    print(f"{'':<6}{'forced full run (--force)':>27}{'no-change re-run':>18}{'ratio':>9}")
    for k, what in enumerate(("wall", "cpu")):
        full = statistics.median(r[0][k] for r in runs)
        again = statistics.median(r[1][k] for r in runs)
        print(f"{what:<6}{full:>25.1f} s{again:>16.2f} s{again / full:>9.1%}")


def load() -> str:
    """The machine's 1-minute load average: other work on a shared machine inflates wall times."""
    return f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


if __name__ == "__main__":
    main()
