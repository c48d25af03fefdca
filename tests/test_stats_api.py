"""The public surface of helpers.evaluation: re-exports and report-ready results.

Reference: the module layout agreed in DESIGN §2/§5 (pure functions returning frozen
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
    from helpers.evaluation import paired_effect, PairedEffect  # noqa: F401  (the documented import)


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
        setattr(result, "method", "changed")
    d = result.as_dict()
    assert ("n" in d or "k" in d) and "method" in d  # a meta-analysis counts studies as k
    json.dumps(d, allow_nan=True)  # plain Python scalars only
    if hasattr(result, "to_frame"):
        assert isinstance(result.to_frame(), pd.DataFrame)
