"""One region's numbers, computed once: sections per Kirkpatrick level, headline indicators,
recommendations, and the cross-region summary from saved metrics.

Language-free: sections hold findings (message keys and typed values), numeric tables and
result objects; ``helpers.present`` words and formats them.

Modules
-------
settings         analysis settings (settings.yml) with per-dataset overrides
region           one region's rows; people counting and small-cell suppression
findings         typed values and findings (what to say, not how)
section          the Section container and shared rules
profile, reaction, learning, behaviour, results, participation, context
                 one section each, in report order
recommendations  rules that turn evidence into recommendations
metrics          headline indicators (metrics.json schema asn-eval/metrics/1)
report           RegionReport: everything above for one region
cross_region     the summary across regions, read from saved metrics.json files
"""

from .report import RegionReport, build_region_report, build_sections
from .settings import AnalysisSettings, load_settings

__all__ = ["AnalysisSettings", "RegionReport", "build_region_report", "build_sections", "load_settings"]
