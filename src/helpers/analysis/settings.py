"""Analysis settings as data: defaults in ``settings.yml``, per-dataset overrides from ``dataset.yml``.

Every threshold and model choice of the region reports is read from here, never written as a
constant in an analysis module, so a researcher changes one for their dataset without touching
code (docs/architecture.md, "Analysis settings").
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ..errors import UsageError

SETTINGS_PATH = Path(__file__).resolve().parent / "settings.yml"


@lru_cache(maxsize=1)
def _defaults() -> dict:
    return yaml.safe_load(SETTINGS_PATH.read_text(encoding="utf-8"))


def _merge(base: dict, override: Mapping, where: str) -> dict:
    """Deep-merge ``override`` into a copy of ``base``; an unknown key is a user error."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if key not in base:
            known = ", ".join(sorted(base))
            raise UsageError(f"{where}: unknown analysis setting '{key}' (known: {known})")
        if isinstance(base[key], dict) and key != "indicator_direction":
            if not isinstance(value, Mapping):
                raise UsageError(f"{where}.{key}: expected a mapping of settings, not {value!r}")
            out[key] = _merge(base[key], value, f"{where}.{key}")
        elif isinstance(base[key], dict):  # indicator_direction: new indicators may be added
            if not isinstance(value, Mapping) or not set(map(str, value.values())) <= {"lower", "higher"}:
                raise UsageError(f"{where}.{key}: map each indicator to 'lower' or 'higher'")
            out[key] = {**base[key], **{str(k): str(v) for k, v in value.items()}}
        else:
            out[key] = _checked_scalar(base[key], value, f"{where}.{key}")
    return out


def _checked_scalar(default: Any, value: Any, where: str) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise UsageError(f"{where}: expected true or false, not {value!r}")
        return value
    if isinstance(default, int | float) and not isinstance(default, bool):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise UsageError(f"{where}: expected a number, not {value!r}")
        return type(default)(value) if isinstance(default, float) else value
    if isinstance(default, list):
        if not isinstance(value, list):
            raise UsageError(f"{where}: expected a list, not {value!r}")
        return list(value)
    if isinstance(default, str) and where.endswith("pooling") and value not in ("pm", "dl"):
        raise UsageError(f"{where}: expected pm or dl, not {value!r}")
    if isinstance(default, str) and (not isinstance(value, str) or not value.strip()):
        raise UsageError(f"{where}: expected a text (a catalogue code or your own words), not {value!r}")
    return value


@dataclass(frozen=True)
class AnalysisSettings:
    """The settings one report used: defaults merged with the dataset's ``analysis:`` overrides."""

    values: dict

    def __getitem__(self, dotted: str) -> Any:
        node: Any = self.values
        for part in dotted.split("."):
            node = node[part]
        return node

    @property
    def min_cell(self) -> int:
        return int(self["disclosure.min_cell"])

    def rule(self, name: str) -> dict | None:
        """A recommendation rule's thresholds, or None when it is switched off."""
        rule = self.values["recommendations"][name]
        return rule if rule.get("enabled", False) else None

    def flat(self) -> dict[str, Any]:
        """``{"results.its_min_months_each_side": 3, ...}``: what the methods note and metrics.json print."""
        out: dict[str, Any] = {}

        def walk(node: Mapping, prefix: str) -> None:
            for key, value in node.items():
                name = f"{prefix}{key}"
                if isinstance(value, Mapping) and key not in ("indicator_direction",) and prefix != "recommendations.":
                    walk(value, name + ".")
                else:
                    out[name] = json.loads(json.dumps(value))

        walk(self.values, "")
        return out


def load_settings(
    overrides: Mapping | None = None,
    where: str = "dataset.yml: analysis",
    region: Mapping | None = None,
    region_where: str = "dataset.yml: regions: analysis",
) -> AnalysisSettings:
    """Defaults from ``settings.yml`` with ``overrides`` (a dataset's ``analysis:`` mapping)
    applied, then ``region`` (the ``analysis:`` mapping of one entry under ``regions:``), so a
    region can name its own owner of a follow-up action or its own threshold."""
    values = _defaults()
    for mapping, label in ((overrides, where), (region, region_where)):
        if mapping is not None and not isinstance(mapping, Mapping):
            raise UsageError(f"{label}: expected a mapping of settings")
        values = _merge(values, mapping or {}, label)
    return AnalysisSettings(values)
