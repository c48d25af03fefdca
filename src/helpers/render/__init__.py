"""Render reports: papermill execution, export of the artefacts, the index page."""

from .runner import RenderOutcome, render_all, render_region, render_summary

__all__ = ["RenderOutcome", "render_all", "render_region", "render_summary"]
