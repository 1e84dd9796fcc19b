"""Review W20 (chemist): droplets of one suggested recipe, each put at the pumps' readback
(the setpoint within the readback tolerance), are replicates of that recipe."""

import numpy as np

from adaptive.records import Observation
from adaptive.space import Dimension, Space
from adaptive.strategies.batch_bo import BatchBO

PLANE = Space((Dimension("a", low=0.0, high=10.0), Dimension("b", low=0.0, high=10.0)))


def droplets(strategy: BatchBO, jitter: float, seed: int = 0) -> list[Observation]:
    """3 readings of each of the 4 suggested recipes, each at the setpoint + ``jitter`` x
    normal noise in every flow, naming its suggestion."""
    rng = np.random.default_rng(seed)
    readings = []
    for s in strategy.suggest(4):
        for _ in range(3):
            point = {name: value + rng.normal(0, jitter) for name, value in s.point.items()}
            value = (s.point["a"] - 3) ** 2 / 10 + rng.normal(0, 0.05)
            readings.append(Observation(point, value, suggestion_id=s.id, time=len(readings)))
    return readings


def test_readbacks_of_one_suggestion_are_its_replicates_in_any_order():
    # 12 droplets put at readbacks were 12 recipes, none replicated: no median, no noise
    at_setpoint = BatchBO(PLANE, q=4, seed=0)
    at_setpoint.observe(droplets(at_setpoint, jitter=0.0))
    x, y, variance = at_setpoint.data()
    assert len(y) == 4 and variance is not None
    for order in (slice(None), slice(None, None, -1)):
        strategy = BatchBO(PLANE, q=4, seed=0)
        strategy.observe(droplets(strategy, jitter=1e-3)[order])
        x_read, y_read, variance_read = strategy.data()
        np.testing.assert_allclose(y_read, y)  # the same medians, recipe by recipe
        np.testing.assert_allclose(variance_read, variance)
        np.testing.assert_allclose(x_read, x, atol=1e-3)


def test_readings_of_one_suggestion_far_apart_stay_two_recipes():
    strategy = BatchBO(PLANE, q=1, seed=0)
    (s,) = strategy.suggest(1)
    far = {**s.point, "a": (s.point["a"] + 5.0) % 10.0}
    strategy.observe(
        [Observation(s.point, 0.1, suggestion_id=s.id), Observation(far, 0.2, suggestion_id=s.id)]
    )
    assert len(strategy.data()[1]) == 2
