"""Review W20 (chemist): droplets of one suggested recipe, each put at the pumps' readback
(the setpoint within the readback tolerance), are replicates of that recipe."""

import itertools

import numpy as np

from adaptive.records import Observation
from adaptive.space import READBACK_TOLERANCE, Dimension, Space
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


def test_readbacks_on_either_side_of_the_setpoint_are_one_recipe_in_any_order():
    # review C25: +0.9 and -0.9 of the tolerance from the setpoint (1.8 apart) stayed two
    # recipes when put before the droplet at the setpoint, one when put after it
    offsets = 0.9 * READBACK_TOLERANCE * 10.0 * np.array([1.0, -1.0, 0.0])  # a's span is 10
    for order in itertools.permutations(range(3)):
        for put in (order, order[:2]):
            strategy = BatchBO(PLANE, q=4, seed=0)
            s = strategy.suggest(4)[0]
            strategy.observe(
                [
                    Observation(
                        {**s.point, "a": s.point["a"] + offsets[i]},
                        1.0 + i,
                        suggestion_id=s.id,
                        time=t,
                    )
                    for t, i in enumerate(put)
                ]
            )
            _, y, _ = strategy.data()
            assert y.tolist() == [np.median([1.0 + i for i in put])], (order, put)
