"""Progress of a render run: counts, an estimate of the time left, and the failures.

On a terminal a bar (tqdm) on stderr; elsewhere (a pipe, a log file, ``CI=true``) one plain line
per finished report, for example ``[3/5] sawahlunto: ok (10.2 s, ETA 12 s)`` or
``[1/5] plaju: up to date``. The estimate is the mean time of the reports rendered so far, times
the reports left, over the jobs that run them; reports found up to date take no time and do not
count in it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Protocol


class Reporter(Protocol):
    """What ``helpers.render.runner.render_all`` tells about its progress."""

    def start(self, total: int, jobs: int = 1) -> None: ...

    def update(self, outcome) -> None: ...

    def close(self) -> None: ...


def _seconds(s: float) -> str:
    return f"{s:.0f} s" if s < 90 else f"{s / 60:.1f} min"


class _Counts:
    def __init__(self) -> None:
        self.start(0)

    def start(self, total: int, jobs: int = 1) -> None:
        self.total, self.jobs, self.done = total, max(1, jobs), 0
        self.times: list[float] = []  # seconds of each report rendered so far

    def count(self, outcome) -> None:
        self.done += 1
        if not getattr(outcome, "skipped", False):
            self.times.append(outcome.seconds)

    def eta(self) -> float | None:
        """Seconds left: the mean time of a report rendered so far, times the reports left, over
        the jobs running them. None before the first render finished, or when nothing is left."""
        left = self.total - self.done
        if left <= 0 or not self.times:
            return None
        return sum(self.times) / len(self.times) * left / min(self.jobs, left)


def describe(outcome, eta: float | None = None) -> str:
    """``ok (10.2 s, ETA 12 s)``, ``up to date`` or ``FAILED (<error>)``."""
    later = f", ETA {_seconds(eta)}" if eta is not None else ""
    if getattr(outcome, "skipped", False):
        return "up to date"
    if outcome.ok:
        return f"ok ({outcome.seconds:.1f} s{later})"
    return f"FAILED ({outcome.error})" + (f" (ETA {_seconds(eta)})" if eta is not None else "")


class Lines:
    """One line per finished report through ``write`` (``print`` by default)."""

    def __init__(self, write: Callable[[str], None] = print):
        self.write = write
        self.counts = _Counts()

    def start(self, total: int, jobs: int = 1) -> None:
        self.counts.start(total, jobs)

    def update(self, outcome) -> None:
        c = self.counts
        c.count(outcome)
        self.write(f"[{c.done}/{c.total}] {outcome.name}: {describe(outcome, c.eta())}")

    def close(self) -> None:
        pass


class Bar:
    """A bar on a terminal; failures are printed above it as they happen."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.counts = _Counts()
        self.bar = None

    def start(self, total: int, jobs: int = 1) -> None:
        from tqdm import tqdm

        self.counts.start(total, jobs)
        self.bar = tqdm(
            total=total,
            file=self.stream,
            unit="report",
            dynamic_ncols=True,
            bar_format="{desc} {bar} {n_fmt}/{total_fmt}{postfix}",
            desc="rendering",
        )

    def update(self, outcome) -> None:
        self.counts.count(outcome)
        if not outcome.ok:
            self.bar.write(f"{outcome.name}: {describe(outcome)}", file=self.stream)
        self.bar.set_postfix_str(f"{outcome.name}: {describe(outcome, self.counts.eta())}", refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def for_console(stream=None) -> Reporter:
    """A bar when ``stream`` (stderr) is a terminal and ``CI`` is not set, else plain lines on stdout."""
    stream = stream or sys.stderr
    ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    if not ci and hasattr(stream, "isatty") and stream.isatty():
        return Bar(stream)
    return Lines(lambda line: print(line, flush=True))
