"""Where each rendered file goes, per language: ``helpers.paths.stem`` and ``file_name``
(kept there so that the analysis layer, which reads saved metrics, needs nothing from here)."""

from __future__ import annotations

from ..paths import DEFAULT_LANG, file_name, stem

__all__ = ["DEFAULT_LANG", "file_name", "stem"]
