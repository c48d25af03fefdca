"""Time and memory of every pipeline stage at several dataset sizes, beside two baselines.

Run from the project root (``make bench`` runs the first line)::

    .venv/bin/python benchmarks/bench.py --scales 1,10,100
    .venv/bin/python benchmarks/bench.py --scales 1,10 --repeat 3 --json bench.json
    .venv/bin/python benchmarks/bench.py --scales 1 --national   # add the national dataset

``--national`` adds ``asn-eval synth --scale national`` (about 4.3 million ASN in 500+ regions,
the sample's four regions among them, unchanged) with three stages: synth, ingest and one region
(the same ``salatiga`` report as at 1x, on the national processed data). Rendering all 500+
regions takes hours on two cores and is not part of the benchmark (BENCHMARKS.md records a
national run through Dask separately). The national stages run without the address-space
limit, which counts reserved rather than used memory; their peak RSS is the figure to read.

For each scale N it writes ``asn-eval synth --scale N`` into a temporary project root (never
``data/processed`` or ``reports/``) and runs every stage as its own subprocess through the real
command line: synth, ingest (which validates every row), one region (``asn-eval report
--region salatiga``), all regions (``asn-eval report --all --jobs 2``: regions, summary and
index), the summary alone, and the PDF step alone (WeasyPrint on the finished HTML pages). The
reports are deleted before each report stage, so every run renders everything. Beside them, in
the same run:

* floor: the same analyses in one plain Python process, no notebooks: ``build_region_report``
  and ``metrics.json`` for every region, then the cross-region pooling of the summary notebook;
* naive: the loop a partner would write by hand, two regions at a time (``xargs -P 2``):
  ``papermill`` then ``jupyter nbconvert --to html --no-input`` per region, then the summary.

What is measured, per stage (the median of ``--repeat`` runs, each metric on its own):

* wall: elapsed time of the subprocess;
* cpu: user + system time of the subprocess and every descendant it waited for (the Jupyter
  kernels included), from ``os.wait4``;
* max RSS: ``ru_maxrss`` from ``os.wait4``: the resident size of the largest *single* process of
  the stage's tree (Linux semantics), not their sum;
* tree RSS: the largest sum of the resident sizes of the whole process tree, sampled every
  0.2 s with psutil (two kernels at once under ``--jobs 2``; a peak shorter than 0.2 s is missed).

Every process runs under an address-space limit (``--mem-limit``, RLIMIT_AS) so that a stage
that would exhaust the shared machine fails with MemoryError instead; a failed stage is shown,
not hidden. The growth exponent of a stage is the least-squares slope of log(time) on log(scale)
over the scales where it succeeded; "rows" is the number of raw rows the dataset's ingest read, and
the exponent on rows (log time on log rows) is shown too, as scaled datasets are not exactly N
times the rows. Figures, not assertions (see BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ONE_REGION = "salatiga"
STAGES = ("synth", "ingest", "one region", "all regions", "summary", "pdf only", "floor", "naive")
NATIONAL = 0  # the scale of the national dataset in a Run (its size is in ``rows``)
NATIONAL_STAGES = ("synth", "ingest", "one region")
# The loop a partner writes by hand: regions two at a time, then the summary (its parameters:
# dataset, lang). It writes metrics.json and the xlsx (output_dir) but no PDF and no index.
NAIVE = """
printf '%s\\n' {regions} | xargs -P 2 -I{{}} sh -c '
  papermill notebooks/region_report.ipynb out/{{}}.ipynb -p dataset {dataset} -p region {{}} -p lang id \
    -p output_dir reports/{dataset} && jupyter nbconvert --to html --no-input out/{{}}.ipynb'
papermill notebooks/cross_region_summary.ipynb out/summary.ipynb -p dataset {dataset} -p lang id
jupyter nbconvert --to html --no-input out/summary.ipynb
"""


@dataclass(frozen=True)
class Run:
    stage: str
    scale: int
    wall_s: float
    cpu_s: float
    max_rss_mib: float
    tree_rss_mib: float
    ok: bool
    note: str = ""
    rows: int = 0  # raw rows of the dataset (the manifest's rows read), known after ingest


def scale_label(scale: int) -> str:
    return "nat" if scale == NATIONAL else str(scale)


def measure(stage: str, scale: int, cmd: list[str], root: Path, timeout: float, log, mem_limit: float = 0) -> Run:
    """Run ``cmd`` in ``root`` as its own process group and measure it (module docstring).

    ``mem_limit``: address-space limit in GiB of the process and its children (0: none).
    """
    env = {**os.environ, "ASN_EVAL_ROOT": str(root), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}

    def limit() -> None:
        if mem_limit > 0:
            cap = int(mem_limit * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=log, start_new_session=True, preexec_fn=limit)
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            try:
                tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
                peak[0] = max(peak[0], sum(_rss(p) for p in tree))
            except psutil.NoSuchProcess:
                pass

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    killer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
    killer.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    killer.cancel()
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4: tell Popen
    note = "" if proc.returncode == 0 else f"exit {proc.returncode}"
    if proc.returncode == -signal.SIGKILL and wall >= timeout:
        note = f"killed after {timeout:.0f} s"
    cpu = usage.ru_utime + usage.ru_stime
    return Run(stage, scale, wall, cpu, usage.ru_maxrss / 1024, peak[0] / 2**20, proc.returncode == 0, note)


def _rss(p: psutil.Process) -> int:
    try:
        return p.memory_info().rss
    except psutil.NoSuchProcess:
        return 0


def median_run(runs: list[Run]) -> Run:
    """The median of each metric over repeated runs; failed if any run failed."""
    first = runs[0]
    return Run(
        first.stage,
        first.scale,
        statistics.median(r.wall_s for r in runs),
        statistics.median(r.cpu_s for r in runs),
        statistics.median(r.max_rss_mib for r in runs),
        statistics.median(r.tree_rss_mib for r in runs),
        all(r.ok for r in runs),
        "; ".join(sorted({r.note for r in runs if r.note})),
    )


def project_root(parent: Path, name: str, processed_from: Path | None = None) -> Path:
    """A throw-away project root with the real notebooks linked in."""
    root = parent / name
    (root / "data" / "raw").mkdir(parents=True)
    (root / "out").mkdir()
    (root / "notebooks").symlink_to(REPO / "notebooks")
    if processed_from is not None:  # the naive loop reads the data ingested by the pipeline run
        (root / "data" / "processed").symlink_to(processed_from / "data" / "processed")
    return root


def bench_scale(scale: int, args, workdir: Path, log) -> list[Run]:
    """Every stage at one scale (``NATIONAL``: the national dataset), each ``args.repeat`` times;
    stops after a failed synth or ingest."""
    national = scale == NATIONAL
    dataset = "sample-national" if national else "sample" if scale == 1 else f"sample-x{scale}"
    root = project_root(workdir, "national" if national else f"x{scale}")
    naive_root = project_root(workdir, f"x{scale}-naive", processed_from=root)
    (naive_root / "reports" / dataset).mkdir(parents=True)
    from helpers.synth import REGIONS  # the same regions at every scale

    asn, me = str(BIN / "asn-eval"), [sys.executable, str(Path(__file__).resolve()), "--inprocess"]
    commands = {
        "synth": [
            asn,
            "synth",
            "--out",
            str(root / "data" / "raw" / dataset),
            "--scale",
            "national" if national else str(scale),
        ],
        "ingest": [asn, "ingest", dataset],
        "one region": [asn, "report", "--dataset", dataset, "--region", ONE_REGION, "--force"],
        "all regions": [asn, "report", "--dataset", dataset, "--all", "--jobs", "2", "--force"],
        "summary": [*me, "summary", dataset],
        "pdf only": [*me, "pdf", dataset],
        "floor": [*me, "floor", dataset],
        "naive": ["bash", "-ec", NAIVE.format(regions=" ".join(r.id for r in REGIONS), dataset=dataset)],
    }
    runs = []
    for stage in NATIONAL_STAGES if national else STAGES:
        where = naive_root if stage == "naive" else root
        print(f"  x{scale_label(scale)} {stage} ...", file=sys.stderr, flush=True)
        log.write(f"\n===== x{scale_label(scale)} {stage}: {commands[stage]}\n".encode())
        log.flush()
        repeats = []
        for _ in range(args.repeat):
            if stage in ("one region", "all regions"):  # render everything, even if reports look up to date
                shutil.rmtree(root / "reports" / dataset, ignore_errors=True)
            limit = 0 if national else args.mem_limit
            repeats.append(measure(stage, scale, commands[stage], where, args.timeout, log, limit))
        run = median_run(repeats)
        runs.append(run)
        if not run.ok and stage in ("synth", "ingest"):
            break
    rows = raw_rows(root / "data" / "processed" / dataset / "manifest.json")
    return [replace(r, rows=rows) for r in runs]


def raw_rows(manifest: Path) -> int:
    """Rows the dataset's ingest read, over every table (0 if it was not ingested)."""
    try:
        tables = json.loads(manifest.read_text(encoding="utf-8"))["tables"]
    except (OSError, ValueError, KeyError):
        return 0
    return sum(int(t.get("read", 0)) for t in tables.values())


def growth_exponent(runs: list[Run], metric: str, by: str = "scale") -> float | None:
    """Least-squares slope of log(metric) on log(``by``: scale or rows) over the successful runs of
    one stage (the national run counts only on rows)."""
    points = [
        (math.log(getattr(r, by)), math.log(getattr(r, metric)))
        for r in runs
        if r.ok and getattr(r, metric) > 0 and getattr(r, by) > 0
    ]
    if len({x for x, _ in points}) < 2:
        return None
    mx, my = statistics.fmean(x for x, _ in points), statistics.fmean(y for _, y in points)
    return sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)


def machine() -> dict:
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), platform.processor())
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def report(runs: list[Run], scales: list[int], args) -> str:
    """The printed figures: one table of every stage, the growth exponents, the side-by-side ratios."""
    m = machine()
    lines = [
        f"machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM; {m['os']}; Python {m['python']}",
        f"scales {','.join(map(scale_label, scales))} ('nat': the national dataset); median of {args.repeat} run(s); "
        f"limit {args.mem_limit} GiB per process (none for 'nat')",
        "",
        f"{'stage':<12}{'scale':>6}{'rows':>11}{'wall s':>9}{'cpu s':>9}{'cpu/wall':>9}{'max RSS MiB':>13}"
        f"{'tree RSS MiB':>14}  ok",
    ]
    for stage in STAGES:
        for r in (r for r in runs if r.stage == stage):
            lines.append(
                f"{r.stage:<12}{scale_label(r.scale):>6}{r.rows:>11,}{r.wall_s:>9.1f}{r.cpu_s:>9.1f}"
                f"{r.cpu_s / r.wall_s:>9.2f}{r.max_rss_mib:>13.0f}{r.tree_rss_mib:>14.0f}"
                f"  {'yes' if r.ok else 'NO ' + r.note}"
            )
    lines += [
        "",
        "growth exponent: slope of log(time) on log(scale), least squares over the scales that succeeded;",
        "'last step': the slope between the two largest of them (fixed start-up costs flatten the fit);",
        "'on rows': the slope of log(cpu) on log(raw rows read), over every run including the national one",
        f"{'stage':<12}{'wall':>7}{'cpu':>7}{'cpu, last step':>16}{'cpu on rows':>13}  over scales",
    ]
    for stage in STAGES:
        mine = [r for r in runs if r.stage == stage]
        scaled = [r for r in mine if r.scale != NATIONAL]
        wall, cpu = growth_exponent(scaled, "wall_s"), growth_exponent(scaled, "cpu_s")
        last = growth_exponent([r for r in scaled if r.ok][-2:], "cpu_s")
        on_rows = growth_exponent(mine, "cpu_s", by="rows")
        used = ",".join(scale_label(r.scale) for r in mine if r.ok)
        lines.append(f"{stage:<12}{_fmt(wall):>7}{_fmt(cpu):>7}{_fmt(last):>16}{_fmt(on_rows):>13}  {used}")
    one = {r.scale: r for r in runs if r.stage == "one region"}
    if NATIONAL in one and 1 in one:
        lines += [
            "",
            f"one region ({ONE_REGION}) on the national data / on the sample (target: at most 1.5):"
            f" wall {_ratio(one[NATIONAL], one[1], 'wall_s')}, cpu {_ratio(one[NATIONAL], one[1], 'cpu_s')}",
        ]
    ingest = {r.scale: r for r in runs if r.stage == "ingest"}
    if NATIONAL in ingest:
        r = ingest[NATIONAL]
        lines.append(
            f"national ingest + validate: {r.rows:,} raw rows in {_secs(r, 'wall_s')} s wall,"
            f" {_secs(r, 'cpu_s')} s cpu,"
            f" peak {r.tree_rss_mib / 1024:.2f} GiB (targets: under 300 s and under 8 GB)"
        )
    lines += [
        "",
        "all regions + summary: asn-eval report --all --jobs 2 / naive papermill loop / plain-Python floor",
        f"{'':>6}{'wall s':>24}{'cpu s':>24}{'asn-eval / naive':>19}{'asn-eval / floor':>19}",
        f"{'scale':>6}{'asn-eval naive floor':>24}{'asn-eval naive floor':>24}{'wall   cpu':>19}{'wall   cpu':>19}",
    ]
    for scale in scales:
        got = {r.stage: r for r in runs if r.scale == scale}
        full, naive, floor = (got.get(s) for s in ("all regions", "naive", "floor"))
        if not (full and naive and floor):
            continue
        lines.append(
            f"{scale_label(scale):>6}{_secs(full, 'wall_s'):>10}{_secs(naive, 'wall_s'):>7}{_secs(floor, 'wall_s'):>7}"
            f"{_secs(full, 'cpu_s'):>10}{_secs(naive, 'cpu_s'):>7}{_secs(floor, 'cpu_s'):>7}"
            f"{_ratio(full, naive, 'wall_s'):>13}{_ratio(full, naive, 'cpu_s'):>6}"
            f"{_ratio(full, floor, 'wall_s'):>13}{_ratio(full, floor, 'cpu_s'):>6}"
        )
    lines += [
        "",
        "notes: 'all regions' renders every region, then the summary, then the index; it also writes a PDF",
        "  per region and for the summary (WeasyPrint; there is no option to skip it), and the xlsx and",
        "  metrics.json. 'naive' writes the HTML, xlsx and metrics.json but no PDF and no index; 'pdf only'",
        "  times WeasyPrint alone on the finished HTML pages of every region and the summary, one process.",
        "  'floor' computes the same report models and the cross-region pooling without notebooks, HTML or",
        "  files other than metrics.json. 'summary' is the summary notebook alone, after 'all regions'.",
        "  cpu includes the Jupyter kernels; max RSS is the largest single process, tree RSS the sampled",
        "  sum of the process tree (two kernels at once under --jobs 2).",
    ]
    return "\n".join(lines)


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def _secs(r: Run, metric: str) -> str:
    return f"{getattr(r, metric):.1f}" if r.ok else "failed"


def _ratio(a: Run, b: Run, metric: str) -> str:
    return f"{getattr(a, metric) / getattr(b, metric):.2f}" if a.ok and b.ok else "–"


# --- stages that run inside one Python process (``--inprocess WHAT DATASET``) ---------------------


def floor(dataset: str) -> int:
    """Every region's report model and metrics.json, then the summary's pooling: no notebooks."""
    from helpers.analysis import build_region_report, load_settings
    from helpers.analysis.cross_region import cross_region
    from helpers.render.export import write_metrics
    from helpers.store import load_processed

    ds = load_processed(dataset)
    out = Path(tempfile.mkdtemp(prefix="asn-floor-"))
    failed = 0
    for r in ds.regions:
        try:
            write_metrics(build_region_report(ds, r["id"]), out / f"{r['id']}.metrics.json", "id")
        except Exception as exc:  # noqa: BLE001 - like the runner: a failed region does not stop the others
            print(f"{r['id']}: {type(exc).__name__}: {exc}", file=sys.stderr)
            failed += 1
    settings = load_settings(ds.manifest.get("analysis"))  # as notebooks/cross_region_summary.py does
    ids = [r["id"] for r in ds.regions]
    cross_region(out, ids, pooling=settings["cross_region.pooling"], min_cell=settings.min_cell)
    shutil.rmtree(out)
    return 1 if failed else 0


def summary(dataset: str) -> int:
    """The summary notebook alone, through the renderer (the regions' metrics.json must exist)."""
    from helpers.render import render_summary

    return 0 if render_summary(dataset).ok else 1


def pdf(dataset: str) -> int:
    """WeasyPrint alone: the PDF of every finished region page and the summary, into a scratch folder."""
    from helpers import paths
    from helpers.render.html import write_pdf
    from helpers.store import load_processed

    folder = paths.reports_dataset_dir(dataset)
    names = [r["id"] for r in load_processed(dataset).regions] + ["summary"]
    with tempfile.TemporaryDirectory(prefix="asn-pdf-") as out:
        for name in names:
            write_pdf((folder / f"{name}.html").read_text(encoding="utf-8"), Path(out) / f"{name}.pdf")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,10,100", help="comma-separated positive integers (default 1,10,100)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per stage; the median is shown (default 1)")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument("--national", action="store_true", help="also the national dataset (synth, ingest, one region)")
    parser.add_argument("--mem-limit", type=float, default=8.0, help="address-space limit per process, GiB")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds before a stage is killed")
    parser.add_argument("--keep", action="store_true", help="keep the temporary project roots and the log")
    parser.add_argument("--inprocess", nargs=2, metavar=("WHAT", "DATASET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inprocess:
        what, dataset = args.inprocess
        sys.exit({"floor": floor, "summary": summary, "pdf": pdf}[what](dataset))
    scales = [int(s) for s in args.scales.split(",")]
    if any(s < 1 for s in scales) or args.repeat < 1:
        parser.error("--scales must be positive integers and --repeat at least 1")
    scales += [NATIONAL] if args.national else []
    workdir = Path(tempfile.mkdtemp(prefix="asn-bench-"))
    runs: list[Run] = []
    with open(workdir / "bench.log", "wb") as log:
        for scale in scales:
            runs += bench_scale(scale, args, workdir, log)
    text = report(runs, scales, args)
    print(text)
    if args.json:
        exponents = {
            s: {
                **{
                    m: growth_exponent([r for r in runs if r.stage == s and r.scale != NATIONAL], m)
                    for m in ("wall_s", "cpu_s")
                },
                "cpu_s_on_rows": growth_exponent([r for r in runs if r.stage == s], "cpu_s", by="rows"),
            }
            for s in STAGES
        }
        payload = {"machine": machine(), "argv": sys.argv, "runs": [asdict(r) for r in runs], "exponents": exponents}
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    if args.keep or not all(r.ok for r in runs):  # keep what explains a failure
        print(f"\nkept {workdir} (log: {workdir / 'bench.log'})")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
