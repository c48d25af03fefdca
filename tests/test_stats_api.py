"""The public surface of helpers.evaluation: re-exports and report-ready results.

Reference: the module layout in docs/architecture.md (pure functions returning frozen
result objects with n, method, as_dict() and, where tabular, to_frame()).
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

import helpers.evaluation as ev


def test_every_public_name_is_re_exported():
    for name in ev.__all__:
        assert hasattr(ev, name), name
    # The documented import path gives the implementing function and its result type.
    from helpers.evaluation import PairedEffect, paired_effect

    assert isinstance(paired_effect([50, 60, 70], [55, 62, 80]), PairedEffect)


_PLAIN = (str, int, float, bool, type(None))


def _results():
    rng = np.random.default_rng(0)
    items = pd.DataFrame(rng.integers(1, 6, size=(30, 4)), columns=list("abcd"))
    yield ev.cronbach_alpha(items)
    yield ev.likert_summary(items)
    yield ev.paired_effect(rng.normal(60, 8, 20), rng.normal(66, 8, 20))
    yield ev.segmented_regression(rng.normal(size=30) + np.r_[np.zeros(15), np.ones(15)], np.arange(1, 31), 16)
    yield ev.ikm_score(pd.DataFrame({f"u{i}": [3, 4, 4] for i in range(1, 10)}))
    yield ev.proportion_ci(7, 20)
    yield ev.pool_effects([0.2, 0.5, 0.4], [0.02, 0.03, 0.05])
    yield ev.suppress_small_cells(pd.DataFrame({"g": ["x", "y"], "n": [3, 9]}), "n")


@pytest.mark.parametrize("result", list(_results()), ids=lambda r: type(r).__name__)
def test_results_are_frozen_and_serialise_to_json(result):
    assert dataclasses.is_dataclass(result)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.method = "changed"
    d = result.as_dict()
    assert ("n" in d or "k" in d) and "method" in d  # a meta-analysis counts studies as k
    # Plain Python scalars (or lists of them) only: json.dumps alone would accept np.float64,
    # a float subclass, so check the exact types.
    for key, value in d.items():
        values = value if isinstance(value, list) else [value]
        assert all(type(v) in _PLAIN for v in values), f"{key}: {type(value).__name__}"
    json.dumps(d, allow_nan=True)
    if hasattr(result, "to_frame"):
        assert isinstance(result.to_frame(), pd.DataFrame)
