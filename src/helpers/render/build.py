"""Build records: what each rendered report was made from, so that an unchanged report is not rendered again.

After a successful render the runner writes ``reports/<dataset>/.build/<stem>.json`` (atomically,
after the report's files are in place) with the digests of the report's inputs. The next run
renders the report again only when one of them differs, when one of its files is missing, or when
asked to (``--force``). The inputs:

``parameters``
    the notebook, dataset, region and language.
``notebook``
    SHA-256 of the ``.ipynb`` papermill executes.
``code``
    SHA-256 over every file of the ``helpers`` package (modules, settings.yml, text.yml,
    contract.yml, the page template), by relative path: any change of code, wording or settings
    renders everything again.
``environment``
    ``requirements.lock`` (the checkout's, or the project root's) and the Python version; without a
    lock file, the name and version of every installed distribution.
``data`` (region reports)
    the SHA-256 of every file a report of the region reads (``helpers.partitions``: each table's
    schema and the region's own file); for a dataset held in memory (tests), a digest of the
    region's rows of every table (``region_rows``) with the column names and types. Another
    region's rows do not count.
``manifest``
    the processed ``manifest.json`` as the report reads it: analysis settings, period, cover
    lines, row counts and problems (the data-quality appendix), columns not collected. Left out:
    ``inputs``, ingest's hashes of the raw export files, which change whenever any region's rows
    change (the rows themselves are hashed per region instead); and for a region report, the
    other regions' entries of ``regions`` and ``planted_effects``, which it never reads.
``metrics`` (the summary)
    every region's ``metrics.json`` that the summary reads (``helpers.analysis.cross_region``:
    the file in the summary's language, else the Indonesian one), or that it is missing.

On disk the fingerprint is exact: a region report loads only its region's files
(``load_processed(..., region=...)``), the same files that are hashed. In memory, the region's rows
are chosen as a superset of what ``helpers.analysis.region.RegionData`` reads (rows of the
region's id, of its programmes, of its participants).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .. import paths
from ..errors import UsageError
from .layout import file_name, stem

SCHEMA = "asn-eval/build/1"
BUILD_DIR = ".build"
REGION_OUTPUTS = ("html", "pdf", "xlsx", "metrics.json", "ipynb")
SUMMARY_OUTPUTS = ("html", "pdf", "ipynb")
LOCK_FILE = "requirements.lock"
# Manifest keys no report reads: ingest's hashes of the raw files (see the module docstring).
MANIFEST_NOT_READ = ("inputs",)
# Manifest lists with one entry per region (key, the entry's region field): a region report reads its own.
MANIFEST_PER_REGION = {"regions": "id", "planted_effects": "region"}
_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # src/helpers


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _json_digest(value) -> str:
    return _sha256(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8"))


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, or ``"missing"``."""
    try:
        return _sha256(Path(path).read_bytes())
    except FileNotFoundError:
        return "missing"


def code_digest(package_dir: Path = _PACKAGE_DIR) -> str:
    """SHA-256 over every file of the package (path and bytes), byte-code caches excluded."""
    h = hashlib.sha256()
    for path in sorted(package_dir.rglob("*")):
        if path.is_dir() or "__pycache__" in path.parts or path.suffix in (".pyc", ".pyo"):
            continue
        h.update(path.relative_to(package_dir).as_posix().encode("utf-8") + b"\0")
        h.update(_sha256(path.read_bytes()).encode("ascii"))
    return h.hexdigest()


def environment_digest(package_dir: Path = _PACKAGE_DIR) -> str:
    """The pinned environment: the lock file's digest and the Python version.

    The lock file is the checkout's (the package is installed from ``<checkout>/src/helpers``)
    or the project root's; without one, every installed distribution's name and version.
    """
    candidates = [package_dir.parent.parent / LOCK_FILE]
    try:
        candidates.append(paths.project_root() / LOCK_FILE)
    except UsageError:  # no project root: the checkout's lock, or the installed versions
        pass
    for lock in candidates:
        if lock.is_file():
            return _json_digest({"lock": file_digest(lock), "python": platform.python_version()})
    installed = sorted({(d.metadata["Name"] or "", d.version) for d in metadata.distributions()})
    return _json_digest({"installed": installed, "python": platform.python_version()})


def frame_digest(df) -> str:
    """SHA-256 of a table's column names and types and of every row's values, in order."""
    import pandas as pd

    h = hashlib.sha256()
    h.update(json.dumps([[str(c), str(t)] for c, t in df.dtypes.items()]).encode("utf-8"))
    if len(df):
        try:
            h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
        except TypeError:  # a column of unhashable values (lists, dicts): hash their text instead
            h.update(df.to_csv(index=False).encode("utf-8"))
    return h.hexdigest()


def region_rows(dataset, region_id: str) -> dict:
    """Each processed table's rows that can concern ``region_id``: those with its ``region_id``,
    those of its programmes (``program_id``) and those of its participants (``participant_key``).
    A table with none of those columns is taken whole."""
    tables = dataset.tables
    programs = tables.get("programs")
    people = tables.get("participants")
    program_ids = (
        programs.loc[programs["region_id"] == region_id, "program_id"]
        if programs is not None and {"region_id", "program_id"} <= set(programs.columns)
        else None
    )
    people_keys = (
        people.loc[people["region_id"] == region_id, "participant_key"]
        if people is not None and {"region_id", "participant_key"} <= set(people.columns)
        else None
    )
    out = {}
    for name, df in sorted(tables.items()):
        mask = None
        for column, match in (
            ("region_id", lambda s: s == region_id),
            ("program_id", lambda s: s.isin(program_ids) if program_ids is not None else None),
            ("participant_key", lambda s: s.isin(people_keys) if people_keys is not None else None),
        ):
            if column in df.columns:
                hit = match(df[column])
                if hit is not None:
                    mask = hit if mask is None else (mask | hit)
        out[name] = df if mask is None else df[mask.fillna(False).astype(bool)]
    return out


def region_data_digest(dataset, region_id: str) -> str:
    """The ``data`` input of a region report (see the module docstring)."""
    folder = getattr(dataset.tables, "folder", None)
    if folder is None:  # tables held in memory
        rows = region_rows(dataset, region_id)
        return _json_digest({name: frame_digest(df) for name, df in rows.items()})
    from ..store import LazyTables

    own = LazyTables(folder, (region_id,))  # the same, whether ``dataset`` was loaded whole or by region
    return _json_digest({name: [file_digest(f) for f in own.files(name)] for name in own})


def manifest_view(manifest: dict, region_id: str | None = None) -> dict:
    """The manifest as a report reads it (see the module docstring)."""
    view = {k: v for k, v in manifest.items() if k not in MANIFEST_NOT_READ}
    if region_id is not None:
        for key, field in MANIFEST_PER_REGION.items():
            if isinstance(view.get(key), list):
                view[key] = [e for e in view[key] if isinstance(e, dict) and e.get(field) == region_id]
    return view


@dataclass(frozen=True)
class Common:
    """The inputs every report shares, computed once per run."""

    code: str
    environment: str

    @classmethod
    def collect(cls) -> Common:
        return cls(code_digest(), environment_digest())


def region_inputs(dataset, region_id: str, lang: str, notebook: str, common: Common) -> dict:
    """The inputs of one region report (``dataset``: a ``helpers.store.ProcessedDataset``)."""
    return {
        "parameters": {"notebook": notebook, "dataset": dataset.name, "region": region_id, "lang": lang},
        "notebook": file_digest(paths.notebooks_dir() / notebook),
        "code": common.code,
        "environment": common.environment,
        "data": region_data_digest(dataset, region_id),
        "manifest": _json_digest(manifest_view(dataset.manifest, region_id)),
    }


def summary_inputs(dataset, lang: str, notebook: str, common: Common) -> dict:
    """The inputs of the cross-region summary: the regions' saved metrics, not their data."""
    folder = paths.reports_dataset_dir(dataset.name)
    metrics = {}
    for region in dataset.regions:
        rid = region["id"]
        names = dict.fromkeys((file_name(rid, "metrics.json", lang), file_name(rid, "metrics.json")))
        found = next((n for n in names if (folder / n).is_file()), None)
        metrics[rid] = [found, file_digest(folder / found)] if found else None
    return {
        "parameters": {"notebook": notebook, "dataset": dataset.name, "lang": lang},
        "notebook": file_digest(paths.notebooks_dir() / notebook),
        "code": common.code,
        "environment": common.environment,
        "metrics": _json_digest(metrics),
        "manifest": _json_digest(manifest_view(dataset.manifest)),
    }


def index_inputs(dataset, lang: str, common: Common) -> dict:
    """What the index pages show (``helpers.render.index.write_indexes``): the regions and the
    dataset from the manifest, each region's metrics.json, which report files exist to link to,
    and which languages have an index, for ``lang`` and every language whose index exists."""
    from ..present.text import LANGS

    folder = paths.reports_dataset_dir(dataset.name)
    shown = {}
    for code in LANGS:
        if code != lang and not (folder / file_name("index", "html", code)).is_file():
            continue
        linked = [file_name(r["id"], ext, code) for r in dataset.regions for ext in REGION_OUTPUTS]
        linked += [file_name("summary", ext, code) for ext in SUMMARY_OUTPUTS]
        linked += [file_name("index", "html", other) for other in LANGS if other != code]
        metrics = {r["id"]: file_digest(folder / file_name(r["id"], "metrics.json", code)) for r in dataset.regions}
        shown[code] = {"metrics": metrics, "files": sorted(f for f in linked if (folder / f).is_file())}
    return {
        "code": common.code,
        "manifest": _json_digest(manifest_view(dataset.manifest)),
        "shown": _json_digest(shown),
    }


def record_path(dataset: str, name: str, lang: str) -> Path:
    return paths.reports_dataset_dir(dataset) / BUILD_DIR / f"{stem(name, lang)}.json"


def outputs(name: str, lang: str) -> tuple[str, ...]:
    """The files a render of ``name`` (a region, ``summary`` or ``index``) leaves in the reports folder."""
    exts = {"summary": SUMMARY_OUTPUTS, "index": ("html",)}.get(name, REGION_OUTPUTS)
    return tuple(file_name(name, ext, lang) for ext in exts)


def why_render(dataset: str, name: str, lang: str, inputs: dict) -> tuple[str, ...]:
    """Why the report must be rendered: ``()`` when it is up to date, else ``("new",)`` (no build
    record), ``("missing output",)`` or the names of the inputs that changed."""
    folder = paths.reports_dataset_dir(dataset)
    try:
        record = json.loads(record_path(dataset, name, lang).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ("new",)
    if not isinstance(record, dict) or record.get("schema") != SCHEMA or not isinstance(record.get("inputs"), dict):
        return ("new",)
    if not all((folder / f).is_file() for f in outputs(name, lang)):
        return ("missing output",)
    before = record["inputs"]
    return tuple(k for k in sorted(set(inputs) | set(before)) if inputs.get(k) != before.get(k))


def write_record(dataset: str, name: str, lang: str, inputs: dict, seconds: float) -> Path:
    """Record a successful render, atomically (a temporary file, then a rename)."""
    path = record_path(dataset, name, lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "schema": SCHEMA,
        "report": stem(name, lang),
        "inputs": inputs,
        "outputs": list(outputs(name, lang)),
        "seconds": round(seconds, 2),
    }
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        tmp.write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
