"""Review W22: recipes whose droplets agree exactly (no product: a yield of 0 in each) pooled
the droplet noise to 0, so every recipe's median was handed to the GP as exact."""

import numpy as np

from adaptive.records import Observation
from adaptive.space import Dimension, Space
from adaptive.strategies.batch_bo import BatchBO


def test_droplets_that_agree_exactly_leave_the_noise_to_those_that_scatter():
    space = Space((Dimension("temp", low=20, high=120), Dimension("conc", low=0.1, high=2.0)))
    rng = np.random.default_rng(0)
    bo = BatchBO(space, q=12, seed=0, minimize=False)
    for k, s in enumerate(bo.suggest(12)):
        product = k % 12 >= 7  # 7 of 12 recipes give none
        for _ in range(3):
            value = float(0.5 + rng.normal(0, 0.05)) if product else 0.0
            bo.observe([Observation(point=s.point, value=value, suggestion_id=s.id)])
    _, y, variance = bo.data()
    assert (y == 0).sum() == 7
    # a median of 3 droplets of sd 0.05 scatters about 0.034
    assert 0.01 < np.sqrt(variance).min() < 0.1
