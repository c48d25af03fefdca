"""Print how long the pipeline takes and how much memory it needs, stage by stage.

Run from the project root:  .venv/bin/python benchmarks/pipeline.py [--render]

Works in a temporary project root, so data/processed and reports/ are not touched. Figures,
not assertions: targets are judged by people reading them (see the closing notes of issues).
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--render", action="store_true", help="also render one region through papermill")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="asn-bench-"))
    (root / "data" / "raw").mkdir(parents=True)
    (root / "data" / "raw" / "sample").symlink_to(REPO / "data" / "raw" / "sample")
    (root / "notebooks").symlink_to(REPO / "notebooks")
    os.environ["ASN_EVAL_ROOT"] = str(root)

    from helpers.analysis import build_region_report
    from helpers.ingest import ingest
    from helpers.store import load_processed

    t0 = time.perf_counter()
    result = ingest(root / "data" / "raw" / "sample")
    rows = sum(c["read"] for c in result.counts.values())
    print(f"ingest sample: {time.perf_counter() - t0:.2f} s for {rows} raw rows; peak RSS {peak_rss_mib():.0f} MiB")

    ds = load_processed("sample")
    for r in ds.regions:
        t0 = time.perf_counter()
        build_region_report(ds, r["id"])
        print(f"report model {r['id']:<12}: {time.perf_counter() - t0:.2f} s")
    print(f"peak RSS after the report models: {peak_rss_mib():.0f} MiB")

    if args.render:
        from helpers.render import render_region

        out = render_region("sample", "plaju", "id")
        print(f"render plaju (papermill + HTML): {out.seconds:.1f} s, ok={out.ok}")


if __name__ == "__main__":
    main()
