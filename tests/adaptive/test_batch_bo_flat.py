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
