"""A region's report model, computed once: every section, the headline indicators and the
recommendations. The notebook builds it, and the same object feeds the HTML, the xlsx and
``metrics.json`` (helpers.render.export), so the three cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..store import ProcessedDataset
from .behaviour import behaviour
from .context import data_quality, qualitative, uncollected
from .findings import Uncollected
from .learning import learning
from .metrics import Headlines, Indicator, headline_indicators
from .participation import participation
from .profile import profile
from .reaction import reaction
from .recommendations import FollowUpPlan, recommend
from .region import RegionData
from .results import results
from .section import Section
from .settings import AnalysisSettings

#: Report order of the sections; each builder takes a RegionData and returns a Section.
SECTION_BUILDERS = (profile, reaction, learning, behaviour, results, participation, qualitative, data_quality)


@dataclass(frozen=True)
class RegionReport:
    """Everything a region's report shows, language-free."""

    data: RegionData
    sections: dict[str, Section]
    indicators: tuple[Indicator, ...]
    recommendations: FollowUpPlan

    @property
    def region(self) -> dict:
        return self.data.region

    @property
    def region_id(self) -> str:
        return self.data.region_id

    @property
    def settings(self) -> AnalysisSettings:
        return self.data.settings

    @property
    def synthetic(self) -> bool:
        return self.data.dataset.synthetic

    def indicator(self, ind_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == ind_id:
                return ind
        raise KeyError(ind_id)

    def missing_sections(self) -> list[str]:
        """Keys of the sections whose data were not collected."""
        return [k for k, s in self.sections.items() if s.status == "not_collected"]

    @property
    def not_collected(self) -> Uncollected:
        """The tables and columns the dataset did not supply."""
        return uncollected(self.data)


def build_sections(data: RegionData) -> dict[str, Section]:
    """Every section of a region report, in report order."""
    return {sec.key: sec for sec in (build(data) for build in SECTION_BUILDERS)}


def build_region_report(
    dataset: ProcessedDataset, region_id: str, settings: AnalysisSettings | None = None
) -> RegionReport:
    """Compute a region's whole report once (settings: the dataset's, unless given)."""
    data = RegionData(dataset, region_id, settings)
    sections = build_sections(data)
    indicators = Headlines(headline_indicators(sections, data), uncollected(data))
    return RegionReport(data, sections, indicators, recommend(sections, data))
