"""The ``Section`` a level's analysis returns, and the small rules every section shares."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .findings import Finding, Int, finding
from .region import RegionData

#: Section status, as in metrics.json: results shown; too few people to show any; table not supplied.
OK, TOO_FEW, NOT_COLLECTED = "ok", "too_few", "not_collected"


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


def unavailable(sec: Section, data: RegionData, table: str) -> Section:
    """Mark a section that cannot show results: not collected, or too few people."""
    if not data.collected(table):
        sec.status = NOT_COLLECTED
        sec.findings.append(finding("common.not_collected"))
    else:
        sec.status = TOO_FEW
        sec.findings.append(finding("common.too_few", min_cell=Int(data.min_cell)))
    return sec


def direction(low: float, high: float, null: float = 0.0) -> str:
    """'up', 'down' or 'unclear' from a confidence interval and the no-effect value."""
    if low > null:
        return "up"
    if high < null:
        return "down"
    return "unclear"
