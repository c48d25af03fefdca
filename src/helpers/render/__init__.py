"""Render reports: papermill execution (runner), the region artefacts (export), the index page.

Modules
-------
runner   execute notebooks into a staging folder, export HTML, move into place, collect failures
export   metrics.json and the partner xlsx from a region's report model (called by the notebook)
index    reports/<dataset>/index.html from the regions' metrics.json
"""

from .runner import RenderOutcome, render_all, render_region, render_summary

__all__ = ["RenderOutcome", "render_all", "render_region", "render_summary"]
