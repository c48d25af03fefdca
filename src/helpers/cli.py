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
from .ingest.contract import TABLES

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
    s.add_argument(
        "--scale",
        type=_scale,
        default=1,
        help="N times the sample's civil servants in the same regions (default 1: the sample itself), "
        "or 'national': about 4.3 million ASN in 510 regions, the sample's four and 506 invented "
        "kabupaten/kota (dataset sample-national)",
    )
    s = sub.add_parser("ingest", help="raw dataset -> data/processed/<dataset>/")
    s.add_argument("dataset", help="a dataset name under data/raw/, or the path of a dataset folder")
    s.add_argument(
        "--accept-quarantine",
        action="store_true",
        help="write the data even when so many rows are quarantined that a slip in dataset.yml is likely",
    )
    s = sub.add_parser("check", help="validate a raw dataset without writing processed data")
    s.add_argument("dataset", help="a dataset name under data/raw/, or the path of a dataset folder")
    s = sub.add_parser("contract", help="the data contract: tables, columns, allowed values and their synonyms")
    s.add_argument("table", nargs="?", help="one table (default: all)")
    s = sub.add_parser("report", help="render region reports, the summary and the index")
    s.add_argument("--dataset", required=True)
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--region", action="append", help="region id (repeatable)")
    g.add_argument("--all", action="store_true", help="every region of the dataset")
    s.add_argument("--lang", default="id", choices=["id", "en"])
    s.add_argument("--jobs", type=int, default=1, help="notebooks run at once, each job in its own warm kernel")
    s.add_argument(
        "--force",
        action="store_true",
        help="render every report, even those up to date (inputs and files unchanged since their last render)",
    )
    s.add_argument(
        "--executor",
        default="local",
        choices=["local", "dask"],
        help="local: --jobs warm kernels in this process (default); dask: one Dask task per report",
    )
    s.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="with --executor dask: the scheduler (tcp://host:port, or a scheduler file) of a running "
        "cluster, whose workers render (--jobs is ignored); default: a local cluster of --jobs processes",
    )
    sub.add_parser("list", help="datasets, their regions, and which reports exist")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        commands = {
            "synth": _synth,
            "ingest": _ingest,
            "check": _check,
            "contract": _contract,
            "report": _report,
            "list": _list,
        }
        return commands[args.command](args)
    except UserError as exc:
        print(f"asn-eval: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _scale(text: str) -> int | str:
    """``synth --scale``: a whole number, or ``national``."""
    if text.strip().lower() == "national":
        return "national"
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer or 'national', not {text!r}") from None


def _synth(args) -> int:
    from .synth import DEFAULT_SEED, write_dataset, write_national

    seed = args.seed if args.seed is not None else DEFAULT_SEED
    if args.scale == "national":
        files = write_national(args.out, seed)
    elif args.scale < 1:
        raise UsageError(f"--scale must be a positive integer or 'national', not {args.scale}")
    else:
        files = write_dataset(args.out, seed, args.scale)
    print(f"wrote {len(files)} files to {args.out}")
    return EXIT_OK


def _print_counts(result) -> None:
    print(f"{'table':<14}{'read':>8}{'accepted':>10}{'quarantined':>13}")
    for name, c in result.counts.items():
        print(f"{name:<14}{c['read']:>8}{c['accepted']:>10}{c['quarantined']:>13}")


def dataset_dir(arg: str) -> Path:
    """A dataset given by name (``data/raw/<name>`` under the project root) or by folder path."""
    given = Path(arg)
    if (given / "dataset.yml").is_file():
        return given
    by_name = paths.raw_dir() / arg
    if given.name == arg and (by_name / "dataset.yml").is_file():
        return by_name
    known = sorted(p.name for p in paths.raw_dir().glob("*") if (p / "dataset.yml").is_file())
    raise UsageError(
        f"no dataset '{arg}': not a folder with a dataset.yml, nor a dataset under {paths.raw_dir()} "
        f"(datasets there: {', '.join(known) or 'none'})"
    )


def _check_analysis_settings(folder: Path) -> None:
    """Stop before any file is read when dataset.yml's ``analysis:`` overrides a setting wrongly."""
    from .analysis.settings import load_settings
    from .ingest.dataset_spec import load_dataset_spec

    spec = load_dataset_spec(folder)
    where = folder / "dataset.yml"
    for i, region in enumerate(spec.regions):
        load_settings(spec.analysis, f"{where}: analysis", region.analysis, f"{where}: regions[{i}].analysis")


def _print_notes(result) -> None:
    """Warnings (not fatal) and what the dataset does not supply."""
    if result.warnings:
        print(f"\n{len(result.warnings)} warning(s):")
        for w in result.warnings:
            print(f"  {w}")
    if result.not_collected or len(result.tables) < len(TABLES):
        print("\nnot collected (the report says so wherever they would be used):")
        missing = [t for t in TABLES if t not in result.tables]
        if missing:
            print(f"  tables: {', '.join(missing)}")
        for table, cols in result.not_collected.items():
            print(f"  {table}: {', '.join(cols)}")


def _ingest(args) -> int:
    from .ingest import ingest

    folder = dataset_dir(args.dataset)
    _check_analysis_settings(folder)
    result = ingest(folder, accept_quarantine=args.accept_quarantine)
    _print_counts(result)
    _print_notes(result)
    n = len(result.problems)
    print(
        f"\nprocessed data written to {paths.processed_dataset_dir(result.spec.name)}"
        + (f"; {n} problem(s), rows in quarantine/ (run `asn-eval check` for details)" if n else "")
    )
    return EXIT_OK


def _check(args) -> int:
    from .ingest import run_checks, slips

    folder = dataset_dir(args.dataset)
    _check_analysis_settings(folder)
    result = run_checks(folder)
    _print_counts(result)
    _print_notes(result)
    found = slips(result)
    if found:
        print("\n`asn-eval ingest` would stop on these likely slips (--accept-quarantine overrides):")
        for s in found:
            print(f"  {s}")
    if result.clean:
        print("\nno problems found")
        return EXIT_OK
    print(f"\n{len(result.problems)} problem(s); these rows would be quarantined:")
    for p in result.problems:
        print(f"  {p}")
    return EXIT_USAGE


def _contract(args) -> int:
    from .ingest.contract_doc import contract_text

    print(contract_text(args.table), end="")
    return EXIT_OK


def _report(args) -> int:
    from .render import render_all
    from .store import load_processed

    ds = load_processed(args.dataset)
    regions = [r["id"] for r in ds.regions] if args.all else args.region
    for r in regions:
        ds.region(r)  # raises UsageError naming the known regions
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if args.scheduler and args.executor != "dask":
        raise UsageError("--scheduler needs --executor dask")
    from .render.progress import for_console

    outcomes = render_all(
        args.dataset,
        regions,
        lang=args.lang,
        jobs=args.jobs,
        progress=for_console(),
        summary=bool(args.all),
        force=args.force,
        executor=args.executor,
        scheduler=args.scheduler,
    )
    failed = [o for o in outcomes if not o.ok]
    skipped = sum(o.skipped for o in outcomes)
    from .render.layout import file_name

    print(f"{len(outcomes) - skipped - len(failed)} rendered, {skipped} up to date, {len(failed)} failed")
    print(f"reports in {paths.reports_dataset_dir(args.dataset)} ({file_name('index', 'html', args.lang)})")
    if failed:
        print(f"{len(failed)} notebook(s) failed:", file=sys.stderr)
        for o in failed:
            print(f"  {o.name}: {o.error} (executed copy: {o.failed_notebook})", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _list(args) -> int:
    from .present.text import LANGS
    from .render.layout import file_name
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
                langs = [lang for lang in LANGS if (folder / file_name(r["id"], "html", lang)).is_file()]
                have = f"report ({', '.join(langs)})" if langs else "no report"
                print(f"  {r['id']:<14} {r['name']:<40} {have}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
