"""``asn-eval``: the one command-line entry point (the Makefile only calls this).

Exit codes: 0 success; 2 bad input or usage (one line on stderr, no traceback);
1 when a notebook failed (the others still render; failures are listed at the end).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import paths
from .errors import UsageError, UserError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        """Usage mistakes: one line on stderr and exit code 2, like every user error."""
        self.exit(EXIT_USAGE, f"asn-eval: error: {message} (see asn-eval --help)\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="asn-eval", description="ASN training evaluation workbook")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("synth", help="write the synthetic sample dataset")
    s.add_argument("--out", required=True, type=Path)
    s.add_argument("--seed", type=int, default=None)
    s = sub.add_parser("ingest", help="raw dataset folder -> data/processed/<dataset>/")
    s.add_argument("dataset_dir", type=Path)
    s = sub.add_parser("check", help="validate a raw dataset without writing processed data")
    s.add_argument("dataset_dir", type=Path)
    s = sub.add_parser("report", help="render region reports, the summary and the index")
    s.add_argument("--dataset", required=True)
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--region", action="append", help="region id (repeatable)")
    g.add_argument("--all", action="store_true", help="every region of the dataset")
    s.add_argument("--lang", default="id", choices=["id", "en"])
    s.add_argument("--jobs", type=int, default=1)
    sub.add_parser("list", help="datasets, their regions, and which reports exist")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return {"synth": _synth, "ingest": _ingest, "check": _check, "report": _report, "list": _list}[args.command](
            args
        )
    except UserError as exc:
        print(f"asn-eval: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _synth(args) -> int:
    from .synth import DEFAULT_SEED, write_dataset

    files = write_dataset(args.out, args.seed if args.seed is not None else DEFAULT_SEED)
    print(f"wrote {len(files)} files to {args.out}")
    return EXIT_OK


def _print_counts(result) -> None:
    print(f"{'table':<14}{'read':>8}{'accepted':>10}{'quarantined':>13}")
    for name, c in result.counts.items():
        print(f"{name:<14}{c['read']:>8}{c['accepted']:>10}{c['quarantined']:>13}")


def _check_analysis_settings(dataset_dir: Path) -> None:
    """Stop before any file is read when dataset.yml's ``analysis:`` overrides a setting wrongly."""
    from .analysis.settings import load_settings
    from .ingest.dataset_spec import load_dataset_spec

    spec = load_dataset_spec(dataset_dir)
    load_settings(spec.analysis, where=f"{Path(dataset_dir) / 'dataset.yml'}: analysis")


def _ingest(args) -> int:
    from .ingest import ingest

    _check_analysis_settings(args.dataset_dir)
    result = ingest(args.dataset_dir)
    _print_counts(result)
    n = len(result.problems)
    print(
        f"processed data written to {paths.processed_dataset_dir(result.spec.name)}"
        + (f"; {n} problem(s), rows in quarantine/ (run `asn-eval check` for details)" if n else "")
    )
    return EXIT_OK


def _check(args) -> int:
    from .ingest import run_checks

    _check_analysis_settings(args.dataset_dir)
    result = run_checks(args.dataset_dir)
    _print_counts(result)
    if result.clean:
        print("no problems found")
        return EXIT_OK
    print(f"\n{len(result.problems)} problem(s); these rows would be quarantined:")
    for p in result.problems:
        print(f"  {p}")
    return EXIT_USAGE


def _report(args) -> int:
    from .render import render_all
    from .store import load_processed

    ds = load_processed(args.dataset)
    regions = [r["id"] for r in ds.regions] if args.all else args.region
    for r in regions:
        ds.region(r)  # raises UsageError naming the known regions
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    outcomes = render_all(args.dataset, regions, lang=args.lang, jobs=args.jobs, summary=bool(args.all))
    failed = [o for o in outcomes if not o.ok]
    print(f"reports in {paths.reports_dataset_dir(args.dataset)} (index.html)")
    if failed:
        print(f"{len(failed)} notebook(s) failed:", file=sys.stderr)
        for o in failed:
            print(f"  {o.name}: {o.error} (executed copy: {o.failed_notebook})", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _list(args) -> int:
    from .store import list_processed, load_processed

    raw = (
        sorted(p.name for p in paths.raw_dir().iterdir() if (p / "dataset.yml").is_file())
        if paths.raw_dir().is_dir()
        else []
    )
    processed = list_processed()
    for name in sorted(set(raw) | set(processed)):
        state = "ingested" if name in processed else "not ingested"
        print(f"{name} ({state})")
        if name in processed:
            ds = load_processed(name)
            folder = paths.reports_dataset_dir(name)
            for r in ds.regions:
                have = "report" if (folder / f"{r['id']}.html").is_file() else "no report"
                print(f"  {r['id']:<14} {r['name']:<40} {have}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
