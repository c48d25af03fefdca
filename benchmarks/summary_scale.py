"""Time of the cross-region summary as the number of regions grows (4 to 500: a national run).

Run from the project root::

    .venv/bin/python benchmarks/summary_scale.py                       # n = 4, 50, 125, 250, 500
    .venv/bin/python benchmarks/summary_scale.py --notebook            # + papermill at n = 4 and 500
    .venv/bin/python benchmarks/summary_scale.py --scales 4,50,500 --repeat 5

It works in a temporary project root (the raw sample and the notebooks linked in; never
``data/processed`` or ``reports/``). It ingests the sample once and writes one real region's
``metrics.json`` (Salatiga, ``helpers.render.export.write_metrics``), then for each n builds a
fake-but-valid dataset ``scale<n>``: the sample's processed manifest with n regions (ids
``r0001``..., 38 provinces) and one metrics.json per region, copied from Salatiga's with the id and
name rewritten and the learning gain drawn around a known μ and τ (each region's standard error
Salatiga's times a factor in [0.6, 1.6], its interval rescaled with it). About 2% of the regions
are suppressed, 2% not collected and 1% not rendered (no metrics.json), as a national run would
have.

Timed in this process (median of ``--repeat`` runs), what the summary notebook does:

* read + pool: ``cross_region`` (one metrics.json per region, random-effects pooling);
* model: the summary's tables and pages (``helpers.present.summary``: headline table pages,
  forest pages, status counts, highest/lowest, regions not in the forest plot, the distribution);
* figures: every forest page and the overview histogram drawn and encoded as PNG, as the
  notebook's ``display`` does;
* html: every table turned into HTML (``helpers.present.notebook.table_html``).

With ``--notebook`` the summary notebook itself is executed with papermill at the smallest and
the largest n (kernel start included). The growth exponent is the least-squares slope of
log(time) on log(n); 1 is linear. It is given over all scales and over n >= 50, where fixed
costs no longer dominate. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MU, TAU = 12.0, 2.5  # the known mean gain and between-region spread of the fake regions
PROVINCES = 38


def make_root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="asn-summary-scale-"))
    (root / "data" / "raw").mkdir(parents=True)
    (root / "data" / "raw" / "sample").symlink_to(REPO / "data" / "raw" / "sample")
    (root / "notebooks").symlink_to(REPO / "notebooks")
    os.environ["ASN_EVAL_ROOT"] = str(root)  # helpers.paths and the papermill kernels
    return root


def template(root: Path) -> tuple[dict, dict]:
    """The sample's processed manifest and Salatiga's metrics.json, as the pipeline writes them."""
    from helpers.analysis import build_region_report
    from helpers.ingest import ingest
    from helpers.render.export import write_metrics
    from helpers.store import load_processed

    ingest(root / "data" / "raw" / "sample")
    ds = load_processed("sample")
    path = write_metrics(build_region_report(ds, "salatiga"), root / "salatiga.metrics.json", "id")
    return ds.manifest, json.loads(path.read_text(encoding="utf-8"))


def fake_dataset(root: Path, n: int, manifest: dict, metrics: dict, seed: int = 1) -> tuple[str, list[dict]]:
    """Dataset ``scale<n>``: a manifest with n regions and their metrics.json files."""
    import numpy as np

    name = f"scale{n}"
    rng = np.random.default_rng(seed)
    regions = [
        {
            "id": f"r{i:04d}",
            "name": f"Kabupaten Contoh {i:04d}",
            "level": "kabupaten",
            "province": f"Provinsi {i % PROVINCES + 1:02d}",
            "kemendagri_code": f"{i % PROVINCES + 11}.{i:02d}",
        }
        for i in range(1, n + 1)
    ]
    processed = root / "data" / "processed" / name
    processed.mkdir(parents=True, exist_ok=True)
    (processed / "manifest.json").write_text(
        json.dumps({**manifest, "dataset": name, "regions": regions}), encoding="utf-8"
    )
    reports = root / "reports" / name
    reports.mkdir(parents=True, exist_ok=True)
    gain = next(i for i in metrics["indicators"] if i["id"] == "learning.mean_gain")
    half_per_se = (gain["ci_high"] - gain["ci_low"]) / 2 / gain["se"]  # Salatiga's t quantile
    for region in regions:
        draw = rng.random()
        if n > 4 and draw < 0.01:
            continue  # not rendered: no metrics.json
        se = gain["se"] * rng.uniform(0.6, 1.6)
        est = MU + rng.normal(0, TAU) + rng.normal(0, se)
        status = "too_few" if n > 4 and draw < 0.03 else "not_collected" if n > 4 and draw < 0.05 else "ok"
        shown = status == "ok"
        mine = {
            **gain,
            "status": status,
            "estimate": est if shown else None,
            "se": se if shown else None,
            "ci_low": est - half_per_se * se if shown else None,
            "ci_high": est + half_per_se * se if shown else None,
        }
        indicators = [mine if ind["id"] == "learning.mean_gain" else ind for ind in metrics["indicators"]]
        payload = {**metrics, "dataset": name, "region_id": region["id"], "region": region["name"]}
        payload["indicators"] = indicators
        (reports / f"{region['id']}.metrics.json").write_text(json.dumps(payload), encoding="utf-8")
    return name, regions


def build_summary(name: str, regions: list[dict]) -> dict[str, float]:
    """What the summary notebook computes and draws, stage by stage: CPU seconds of this process
    per stage (other work on a shared machine disturbs them less than wall time), the wall time
    of all stages, the pages and the pooled regions."""
    import matplotlib.pyplot as plt

    from helpers import paths
    from helpers.analysis.cross_region import cross_region
    from helpers.present import figures, summary
    from helpers.present import notebook as show
    from helpers.present.text import Text

    t = Text("id")
    times = {}
    wall = time.perf_counter()
    start = time.process_time()
    cross = cross_region(paths.reports_dataset_dir(name), regions, pooling="pm")
    times["read + pool"] = time.process_time() - start

    start = time.process_time()
    tables = list(summary.region_table_pages(cross, t))
    pages = summary.forest_pages(cross, t)
    tables += [summary.pooled_table(cross, t), summary.unshown_table(cross, t)]
    summary.pooled_paragraphs(cross, t)
    parts = None
    if summary.has_overview(cross):
        tables += [summary.status_table(cross, t), summary.extremes_table(cross, t)]
        parts = summary.distribution_parts(cross, t)
    times["model"] = time.process_time() - start

    start = time.process_time()
    drawn = [
        figures.forest(
            p.rows,
            p.pooled,
            xlabel=t("cross.forest_axis"),
            text=t,
            xlim=p.xlim,
            reference=True,
            row_height=p.row_height,
        )
        for p in pages
    ]
    if parts is not None:
        drawn.append(
            figures.distribution(
                parts["values"], parts["pooled"], parts["xlabel"], parts["ylabel"], text=t, xlim=parts["xlim"]
            )
        )
    for fig in drawn:
        fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)
    times["figures"] = time.process_time() - start

    start = time.process_time()
    for table in tables:
        if table is not None:
            show.table_html(table)
    times["html"] = time.process_time() - start
    times["total"] = sum(times.values())
    times["wall"] = time.perf_counter() - wall
    times["pages"] = len(pages)
    times["pooled"] = cross.pooled.k if cross.pooled is not None else 0
    return times


def run_notebook(root: Path, name: str) -> float:
    import papermill as pm

    start = time.perf_counter()
    pm.execute_notebook(
        str(REPO / "notebooks" / "cross_region_summary.ipynb"),
        str(root / f"{name}.ipynb"),
        parameters={"dataset": name, "lang": "id"},
        progress_bar=False,
        cwd=str(root),
    )
    return time.perf_counter() - start


def slope(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of log(time) on log(n)."""
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(s) for _, s in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="4,50,125,250,500", help="numbers of regions, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="runs per scale (the median is shown)")
    parser.add_argument("--notebook", action="store_true", help="also run the notebook with papermill at min and max n")
    parser.add_argument("--keep", action="store_true", help="keep the scratch project root (to look at the inputs)")
    args = parser.parse_args(argv)
    scales = sorted(int(s) for s in args.scales.split(","))

    root = make_root()
    try:
        return _run(root, scales, args)
    finally:
        if args.keep:
            print(f"scratch root kept: {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


def _run(root: Path, scales: list[int], args) -> int:
    manifest, metrics = template(root)
    stages = ("read + pool", "model", "figures", "html", "total", "wall")
    print("CPU seconds per stage (median of the runs); wall = elapsed time of all stages")
    print(f"{'n':>5} {'pooled':>6} {'pages':>5} " + " ".join(f"{s:>11}" for s in stages) + "  cpu ms/region")
    medians = []
    for n in scales:
        name, regions = fake_dataset(root, n, manifest, metrics)
        build_summary(name, regions)  # warm up: imports, font cache
        runs = [build_summary(name, regions) for _ in range(args.repeat)]
        median = {s: statistics.median(r[s] for r in runs) for s in stages}
        medians.append((n, median))
        cells = " ".join(f"{median[s]:>10.3f}s" for s in stages)
        print(f"{n:>5} {runs[0]['pooled']:>6} {runs[0]['pages']:>5} {cells}  {1000 * median['total'] / n:13.1f}")
    for label, low in (("all scales", 0), ("n >= 50", 50)):
        chosen = [(n, m) for n, m in medians if n >= low]
        if len(chosen) >= 2:
            exps = ", ".join(f"{s} {slope([(n, max(m[s], 1e-6)) for n, m in chosen]):.2f}" for s in stages)
            print(f"growth exponent, {label}: {exps}")
    if args.notebook:
        ends = [scales[0], scales[-1]]
        seconds = [(n, run_notebook(root, f"scale{n}")) for n in ends]
        for n, s in seconds:
            print(f"notebook (papermill, new kernel) n = {n:>4}: {s:6.2f} s")
        print(f"growth exponent of the notebook between n = {ends[0]} and {ends[1]}: {slope(seconds):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
