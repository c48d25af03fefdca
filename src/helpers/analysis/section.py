"""The ``Section`` a level's analysis returns, and the small rules every section shares."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .findings import Fields, Finding, Int, Label, finding
from .region import RegionData, recorded

#: Section status, as in metrics.json: results shown; too few people to show any; table not supplied.
OK, TOO_FEW, NOT_COLLECTED = "ok", "too_few", "not_collected"
#: Status of a sub-analysis the data cannot support (metrics.json ``refused``).
REFUSED = "refused"


@dataclass
class Section:
    """One report section: its findings, numeric tables (contract column names, codes as values)
    and the result objects figures and metrics read. Wording and formatting come later
    (``helpers.present``); the title is the catalogue entry ``<key>.title``."""

    key: str
    findings: list[Finding] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    results: dict[str, object] = field(default_factory=dict)
    status: str = OK
    #: Sub-analyses that show no result, and why: result key -> ``not_collected``, ``too_few`` or
    #: ``refused``. Headline indicators and recommendation rules read it, so a part whose data
    #: were not collected is never reported as too few people, let alone as zero.
    missing: dict[str, str] = field(default_factory=dict)


def unavailable(sec: Section, data: RegionData, table: str) -> Section:
    """Mark a section that cannot show results: not collected, or too few people."""
    if not data.collected(table):
        sec.status = NOT_COLLECTED
        sec.findings.append(finding("common.not_collected"))
    else:
        sec.status = TOO_FEW
        sec.findings.append(finding("common.too_few", min_cell=Int(data.min_cell)))
    return sec


def part_not_collected(
    sec: Section, part: str | tuple[str, ...], analysis: str, table: str, columns: tuple[str, ...] = ()
) -> None:
    """One sentence for a sub-analysis whose table or columns were not collected, and its status.

    ``part`` names the result key(s) the sub-analysis would have filled (``sec.missing``);
    ``analysis`` is its name in the catalogue (``analyses.<analysis>``).
    """
    for key in (part,) if isinstance(part, str) else part:
        sec.missing[key] = NOT_COLLECTED
    sec.findings.append(
        finding("common.part_not_collected", analysis=Label("analysis", analysis), what=Fields(table, tuple(columns)))
    )


def refuse(sec: Section, part: str, reason: str) -> None:
    """Record a sub-analysis the data cannot support, with the reason code (``reasons.<code>``)."""
    sec.missing[part] = REFUSED
    sec.results.setdefault("refusal_reasons", {})[part] = reason


def missing_columns(data: RegionData, table: str, columns, frame: pd.DataFrame | None = None) -> tuple[str, ...]:
    """The columns of ``table`` among ``columns`` that the dataset did not collect, or, given the
    region's rows (``frame``), that hold no value there: an all-blank column is no data either."""
    return tuple(c for c in columns if not data.has(table, c) or (frame is not None and not recorded(frame, c)))


def direction(low: float, high: float, null: float = 0.0) -> str:
    """'up', 'down' or 'unclear' from a confidence interval and the no-effect value."""
    if low > null:
        return "up"
    if high < null:
        return "down"
    return "unclear"
