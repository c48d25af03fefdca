"""Coverage of every planted indicator's 95% interval over many synthetic datasets.

For each seed: generate a synthetic dataset (``helpers.synth``), ingest it, build every region's
report model with the same code the reports use (``helpers.analysis.build_region_report``, no
notebooks), and compare each planted indicator's interval with its truth from the dataset's
``planted_effects`` (derived in ``helpers.planted``). Prints, per indicator: coverage of the 95%
interval, mean width, and the share of runs in which it was not estimated (with the statuses).

    .venv/bin/python benchmarks/coverage.py                 # 200 seeds (make coverage)
    .venv/bin/python benchmarks/coverage.py --seeds 20      # quick look while developing

Figures, not assertions: the accepted floor (0.93) is checked by people reading the table; the
recorded figures live in docs/validity.md with the command that produced them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml

FLOOR = 0.93


def one_seed(seed: int) -> list[dict]:
    """Every planted indicator's estimate and interval for one synthetic dataset."""
    from helpers.analysis import build_region_report
    from helpers.ingest import ingest
    from helpers.store import load_processed
    from helpers.synth import write_dataset

    tmp = Path(tempfile.mkdtemp(prefix=f"asn-coverage-{seed}-"))
    try:
        raw = tmp / "sample"
        write_dataset(raw, seed)
        ingest(raw, out_dir=tmp / "processed")
        ds = load_processed("sample", root=tmp / "processed")
        planted = yaml.safe_load((raw / "dataset.yml").read_text(encoding="utf-8"))["planted_effects"]
        indicators = {}
        for region in ds.regions:
            report = build_region_report(ds, region["id"])
            indicators[region["id"]] = {i.id: i for i in report.indicators}
        rows = []
        for effect in planted:
            for rid in [effect["region"]] if effect.get("region") else list(indicators):
                ind = indicators[rid].get(effect["indicator"])
                rows.append(
                    {
                        "region": rid,
                        "indicator": effect["indicator"],
                        "truth": effect["truth"],
                        "status": "absent" if ind is None else ind.status,
                        "estimate": None if ind is None else ind.estimate,
                        "ci_low": None if ind is None else ind.ci_low,
                        "ci_high": None if ind is None else ind.ci_high,
                    }
                )
        return rows
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def summarise(runs: list[list[dict]]) -> list[dict]:
    by_key: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for rows in runs:
        for r in rows:
            by_key[(r["indicator"], r["region"])].append(r)
    table = []
    for (indicator, region), rows in sorted(by_key.items()):
        estimated = [r for r in rows if r["status"] == "ok" and r["ci_low"] is not None]
        covered = [r for r in estimated if r["ci_low"] <= r["truth"] <= r["ci_high"]]
        statuses = sorted({r["status"] for r in rows if r not in estimated})
        table.append(
            {
                "indicator": indicator,
                "region": region,
                "truth": rows[0]["truth"],
                "runs": len(rows),
                "coverage": len(covered) / len(estimated) if estimated else None,
                "width": sum(r["ci_high"] - r["ci_low"] for r in estimated) / len(estimated) if estimated else None,
                "not_estimated": 1 - len(estimated) / len(rows),
                "statuses": ",".join(statuses),
            }
        )
    return table


def print_table(table: list[dict], out=sys.stdout) -> int:
    """Print the coverage table; return how many estimated indicators fall below the floor."""
    header = f"{'indicator':<70}{'region':<13}{'truth':>9}{'coverage':>10}{'width':>9}{'not est.':>9}  status"
    print(header, file=out)
    print("-" * len(header), file=out)
    below = 0
    for r in table:
        cov = "—" if r["coverage"] is None else f"{r['coverage']:.3f}"
        width = "—" if r["width"] is None else f"{r['width']:.3g}"
        flag = ""
        if r["coverage"] is not None and r["coverage"] < FLOOR:
            below += 1
            flag = "  < floor"
        print(
            f"{r['indicator']:<70}{r['region']:<13}{r['truth']:>9.4g}{cov:>10}{width:>9}"
            f"{r['not_estimated']:>9.2f}  {r['statuses']}{flag}",
            file=out,
        )
    return below


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200, help="number of synthetic datasets (default 200)")
    parser.add_argument("--first-seed", type=int, default=1, help="first seed (default 1)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    args = parser.parse_args()
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        runs = list(pool.map(one_seed, seeds))
    below = print_table(summarise(runs))
    print(
        f"\n{args.seeds} seeds ({seeds.start}-{seeds.stop - 1}), {time.perf_counter() - start:.0f} s; "
        f"{below} estimated indicator(s) below the {FLOOR} floor"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
