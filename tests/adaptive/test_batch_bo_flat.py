"""A map whose design missed its one feature: the GP reads every value as noise."""

import numpy as np
import pytest
from scipy.spatial.distance import pdist

from adaptive.records import Observation
from adaptive.space import Space
from adaptive.strategies import BatchBO

SPACE = Space.from_dict(
    {
        "dimensions": [
            {"name": "x", "low": 0.0, "high": 10.0, "units": "um"},
            {"name": "y", "low": 0.0, "high": 10.0, "units": "um"},
        ]
    }
)


@pytest.mark.parametrize("method", ["thompson", "local_penalization"])
def test_a_flat_gp_fills_the_map_and_the_reasons_say_why(method):
    strategy = BatchBO(SPACE, q=12, batch_method=method, n_initial=15, seed=0)
    design = strategy.suggest(15)
    noise = np.abs(np.random.default_rng(1).normal(0, 1e-3, 15))  # no particle under any
    strategy.observe(
        [
            Observation(point=s.point, value=v, time=i)
            for i, (s, v) in enumerate(zip(design, noise, strict=True))
        ]
    )
    batch = strategy.suggest(12)
    xy = np.array([[s.point["x"], s.point["y"]] for s in batch])
    # Thompson draws put two picks 0.66 um apart, local penalisation 0.04 um
    assert pdist(xy).min() > 1.0
    assert all(s.reason.startswith("farthest-recipe pick") for s in batch)
    assert all(f"so {method} is not used" in s.reason for s in batch)
    assert all(s.acquisition > 0.1 for s in batch)  # a distance in the unit square


def test_a_map_of_zeros_is_filled_not_measured_again_on_a_corner():
    # every value 0: the std is 1.4e-3 everywhere, varying by 2e-6 (not within 1e-3 of its
    # largest relatively); ucb's near-ties put 11 of 36 picks on one corner, measured again
    strategy = BatchBO(SPACE, q=4, batch_method="ucb", n_initial=12, minimize=False, seed=0)
    measured = []
    for _ in range(6):
        batch = strategy.suggest(4 if measured else 12)
        measured += [s.point for s in batch]
        strategy.observe(
            [
                Observation(point=s.point, value=0.0, time=len(measured) + i)
                for i, s in enumerate(batch)
            ]
        )
    xy = np.array([[p["x"], p["y"]] for p in measured])
    assert pdist(xy).min() > 0.5  # 10 um maps: no spot measured twice
    assert all(s.reason.startswith("farthest-recipe pick") for s in batch)
