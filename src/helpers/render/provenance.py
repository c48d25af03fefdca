"""Where a rendered report came from, so that a researcher can defend and rebuild every number:
the data's fingerprints, the notebook parameters, the software versions, the code's git commit,
the render time and the commands that reproduce the report.

``collect`` gathers it once per render (it reads the processed ``manifest.json`` and asks git);
``provenance_frame`` words it for the report's appendix and ``Provenance.as_dict`` gives it to
machines. Nothing personal goes in: file names relative to the dataset folder (never an absolute
path of the user's machine), parameters scrubbed of NIP-like numbers, e-mail addresses and
phone numbers, and no row of data.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shlex
import signal
import subprocess
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import Any

import pandas as pd

from .. import paths
from ..errors import UsageError
from ..ingest.privacy import scrub_text
from ..present.text import Text
from ..store import ProcessedDataset

#: Distributions whose versions the numbers depend on, in the order the appendix lists them
#: (the project's own first: its name in pyproject.toml is ``paths.PROJECT_NAME``).
DISTRIBUTIONS = (
    paths.PROJECT_NAME,
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbconvert",
    "weasyprint",
)
#: Notebook parameters that describe this machine's render, not the report: left out.
MACHINE_PARAMETERS = frozenset({"output_dir"})
#: Seconds a git command may take before its answer counts as unknown.
GIT_TIMEOUT = 5.0
_COMMIT = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")  # SHA-1, or SHA-256 repositories


@dataclass(frozen=True)
class Provenance:
    """A report's provenance. Fields that could not be determined are None ("unknown").

    Attributes
    ----------
    dataset : str
        The processed dataset's name (``data/processed/<dataset>``).
    synthetic : bool
        Whether the dataset is marked synthetic.
    manifest_sha256 : str or None
        SHA-256 of the processed ``manifest.json`` the report was built from; None when the
        file is missing or no longer the one the report read. The manifest holds what
        ``dataset.yml`` declared (period, regions, analysis overrides) and the row counts, so
        this one hash also covers the dataset description, which ``inputs`` does not.
    inputs : tuple of (str, str)
        ``(file, sha256)`` of each input file, as the manifest records them (see ``inputs_kind``).
    inputs_kind : str
        ``"raw"``: ingest's hashes of the raw export files, read from the manifest's
        ``inputs`` (paths relative to the raw dataset folder); ``"processed"``: a manifest
        without ``inputs`` (older ingest), so the processed parquet files were hashed instead.
    parameters : tuple of (str, plain value)
        The notebook's papermill parameters, without machine-specific ones (``output_dir``).
    versions : tuple of (str, str or None)
        ``python`` and each of ``DISTRIBUTIONS``; None when not installed.
    git_commit : str or None
        ``git rev-parse HEAD`` of the checkout the package runs from (``CODE_DIR``), else of
        the project root; None without git or a repository.
    git_dirty : bool or None
        Whether ``git status --porcelain`` lists any change (untracked files included).
    rendered_at : str
        Render time, ISO 8601 with the UTC offset.
    commands : tuple of str
        The shell commands that reproduce the report from the raw data.
    """

    dataset: str
    synthetic: bool
    manifest_sha256: str | None
    inputs: tuple[tuple[str, str], ...]
    inputs_kind: str
    parameters: tuple[tuple[str, Any], ...]
    versions: tuple[tuple[str, str | None], ...]
    git_commit: str | None
    git_dirty: bool | None
    rendered_at: str
    commands: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values, e.g. for ``metrics.json`` or a render log."""
        return {
            "dataset": self.dataset,
            "synthetic": self.synthetic,
            "manifest_sha256": self.manifest_sha256,
            "inputs": dict(self.inputs),
            "inputs_kind": self.inputs_kind,
            "parameters": dict(self.parameters),
            "versions": dict(self.versions),
            "git_commit": self.git_commit,
            "git_dirty": self.git_dirty,
            "rendered_at": self.rendered_at,
            "commands": list(self.commands),
        }


def collect(
    dataset: ProcessedDataset, params: dict, *, root: Path | str | None = None, now: datetime | None = None
) -> Provenance:
    """Gather the provenance of a report built from ``dataset`` with notebook ``params``.

    Parameters
    ----------
    dataset : ProcessedDataset
        The processed dataset the report read (``helpers.store.load_processed``).
    params : dict
        The notebook's parameters: ``dataset``, ``lang`` and, for a region report, ``region``
        (without ``region`` the commands reproduce the whole set with ``--all``).
    root : path, optional
        The project root: its ``data/processed/<dataset>/manifest.json`` is hashed and git is
        asked there. Default: ``helpers.paths.project_root()`` (``$ASN_EVAL_ROOT`` if set).
    now : datetime, optional
        The render time; a naive time is taken as local time. Default: now.

    Returns
    -------
    Provenance
        Never raises for a missing git, repository or manifest: those fields are None.
    """
    base = _root(root)
    manifest_file = base / "data" / "processed" / dataset.name / "manifest.json" if base else None
    plain = _parameters(params)
    inputs, kind = _inputs(dataset, manifest_file)
    # The code's version: the checkout the package runs from (an editable install), else the
    # project root's repository (a data folder elsewhere says nothing about the code).
    commit, dirty = git_state(CODE_DIR)
    if commit is None and base:
        commit, dirty = git_state(base)
    return Provenance(
        dataset=dataset.name,
        synthetic=dataset.synthetic,
        manifest_sha256=_manifest_sha256(dataset, manifest_file),
        inputs=inputs,
        inputs_kind=kind,
        parameters=plain,
        versions=versions(),
        git_commit=commit,
        git_dirty=dirty,
        rendered_at=_aware(now or datetime.now()).isoformat(timespec="seconds"),
        commands=reproduce_commands(dataset.name, dict(plain).get("region"), str(dict(plain).get("lang", "id"))),
    )


#: The installed package's folder: in an editable install, inside the project's checkout.
CODE_DIR = Path(__file__).resolve().parents[1]


def _aware(moment: datetime) -> datetime:
    """The time with its UTC offset: an aware time as given, a naive one as local time."""
    return moment if moment.tzinfo is not None and moment.utcoffset() is not None else moment.astimezone()


def _root(root) -> Path | None:
    if root is not None:
        return Path(root)
    try:
        return paths.project_root()
    except UsageError:  # no project root: the report still renders, its provenance says unknown
        return None


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def _manifest_sha256(dataset: ProcessedDataset, path: Path | None) -> str | None:
    """The manifest file's hash, only if it is still the manifest the report was built from
    (ingest may have run again since the dataset was loaded, or it was loaded from elsewhere)."""
    if path is None or not path.is_file():
        return None
    data = path.read_bytes()
    try:
        same = json.loads(data.decode("utf-8")) == dataset.manifest
    except (UnicodeDecodeError, ValueError):
        return None
    return hashlib.sha256(data).hexdigest() if same else None


def _inputs(dataset: ProcessedDataset, manifest_file: Path | None) -> tuple[tuple[tuple[str, str], ...], str]:
    recorded = dataset.manifest.get("inputs")
    if isinstance(recorded, dict) and recorded:
        return tuple((_relative_name(name), str(digest)) for name, digest in recorded.items()), "raw"
    folder = manifest_file.parent if manifest_file is not None else None
    if folder is None or not folder.is_dir():
        return (), "processed"
    return tuple((p.name, sha256_file(p)) for p in sorted(folder.glob("*.parquet"))), "processed"


def _relative_name(name: str) -> str:
    """A file as dataset.yml names it, relative to the dataset folder; an absolute path (of
    the user's machine) is cut to the file's name."""
    text = str(name)
    for flavour in (PurePosixPath, PureWindowsPath):
        if flavour(text).is_absolute() or flavour(text).drive:
            return scrub_text(PurePath(flavour(text).name).as_posix())
    return scrub_text(text)


def _parameters(params: dict) -> tuple[tuple[str, Any], ...]:
    """The notebook parameters as plain values: no machine-specific ones, no absolute paths,
    and text scrubbed of anything personal (a parameter is never meant to hold any)."""
    out = []
    for key, value in params.items():
        if key in MACHINE_PARAMETERS:
            continue
        if isinstance(value, str):
            value = _relative_name(value)
        elif value is not None and not isinstance(value, bool | int | float):
            value = scrub_text(str(value))
        out.append((str(key), value))
    return tuple(out)


def versions() -> tuple[tuple[str, str | None], ...]:
    """Python's version and the installed version of each of ``DISTRIBUTIONS`` (None: absent)."""

    def version(dist: str) -> str | None:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None

    return (("python", platform.python_version()), *((d, version(d)) for d in DISTRIBUTIONS))


def _git(root: Path, *args: str) -> str | None:
    """A read-only git command's output in ``root``, or None when git, the repository or time
    is missing. ``--no-optional-locks``: ``git status`` must not even refresh the index."""
    try:
        proc = subprocess.Popen(
            ["git", "--no-optional-locks", "-C", str(root), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
            start_new_session=True,  # its own process group: a timeout ends git and its helpers
        )
    except OSError:  # no git on this machine
        return None
    try:
        out, _ = proc.communicate(timeout=GIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        _end(proc)
        return None
    return out if proc.returncode == 0 else None


def _end(proc: subprocess.Popen) -> None:
    """End a git that overran, with everything it started (a helper holding the pipe open
    would otherwise keep the render waiting)."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows has no process groups here
            proc.kill()
    except OSError:
        pass  # already gone
    try:
        proc.communicate(timeout=GIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        pass  # the pipes stay with the orphan; the render goes on


def git_state(root: Path) -> tuple[str | None, bool | None]:
    """``(commit, dirty)`` of the git repository holding ``root``; ``(None, None)`` without one.

    ``dirty`` is True when ``git status --porcelain`` lists anything: a modified, staged or
    untracked file (an untracked module changes the numbers as surely as an edited one).
    """
    if not Path(root).is_dir():
        return None, None
    head = _git(Path(root), "rev-parse", "--verify", "HEAD")
    commit = head.strip() if head else None
    if not commit or not _COMMIT.match(commit):
        return None, None
    status = _git(Path(root), "status", "--porcelain")
    return commit, (None if status is None else bool(status.strip()))


def reproduce_commands(dataset: str, region: str | None, lang: str) -> tuple[str, ...]:
    """The ``asn-eval`` commands (``helpers.cli``) that rebuild a report from the raw data:
    ingest, then render the region (or, without a region, every region and the summary)."""
    target = ["--region", str(region)] if region else ["--all"]
    return (
        shlex.join(["asn-eval", "ingest", dataset]),
        shlex.join(["asn-eval", "report", "--dataset", dataset, *target, "--lang", lang]),
    )


def _value(value: Any, t: Text) -> str:
    if value is None:
        return t("apparatus.provenance.unknown")
    if isinstance(value, bool):
        return t.yesno(value)
    return str(value)


def _rendered(iso: str, t: Text) -> str:
    """'5 Maret 2024, pukul 10.22.13 UTC+07:00' / '5 March 2024, 10:22:13 UTC+07:00'."""
    moment = datetime.fromisoformat(iso)
    clock = moment.strftime("%H:%M:%S")
    offset = moment.strftime("%z")
    zone = f"UTC{offset[:3]}:{offset[3:]}" if offset else ""
    return t(
        "apparatus.provenance.time",
        date=t.date(moment.date().isoformat()),
        time=clock.replace(":", ".") if t.lang == "id" else clock,  # Indonesian writes 10.22
        zone=zone,
    ).strip()


def provenance_frame(prov: Provenance, t: Text) -> pd.DataFrame:
    """The reproducibility appendix: one row per item, two columns (item, value), in the
    report's language. Hashes, versions and commands are shown exactly, never translated."""
    key = "apparatus.provenance."
    rows = [
        (t(key + "dataset"), prov.dataset),
        (t(key + "synthetic"), t.yesno(prov.synthetic)),
        (t(key + "manifest"), _value(prov.manifest_sha256, t)),
    ]
    label = key + ("input_raw" if prov.inputs_kind == "raw" else "input_processed")
    rows += [(t(label, file=name), digest) for name, digest in prov.inputs]
    rows.append((t(key + "parameters"), "; ".join(f"{k} = {_value(v, t)}" for k, v in prov.parameters)))
    rows.append(
        (
            t(key + "versions"),
            "; ".join(f"{name} {v if v else t(key + 'not_installed')}" for name, v in prov.versions),
        )
    )
    rows += [
        (t(key + "commit"), _value(prov.git_commit, t)),
        (t(key + "dirty"), _value(prov.git_dirty, t)),
        (t(key + "rendered"), _rendered(prov.rendered_at, t)),
        (t(key + "step_ingest"), prov.commands[0]),
        (t(key + "step_report"), prov.commands[1]),
    ]
    out = pd.DataFrame(rows, columns=[t(key + "columns.item"), t(key + "columns.value")])
    out.attrs["title"] = t(key + "table_title")  # the numbered title helpers.present.notebook.table shows
    return out
