"""Review 11 (chemist): a fine step or a huge integer range is not listed to count recipes;
a reading's uncertainty is the recipe GP's known noise when every reading carries one."""

import tracemalloc

import numpy as np
import pytest

from adaptive.records import Observation
from adaptive.space import Dimension, Space
from adaptive.strategies.batch_bo import MEDIAN_VARIANCE_FACTOR, BatchBO

PLANE = Space((Dimension("A", low=0.0, high=10.0), Dimension("B", low=0.0, high=10.0)))


@pytest.mark.parametrize(
    "dims",
    [
        # a stepped factor of 4e10 values, then a continuous one: nothing to count
        [Dimension("QAg", low=0.5, high=43.0, step=1e-9), Dimension("Qpva", low=10.0, high=40.0)],
        [Dimension("n", kind="integer", low=0, high=1e18), Dimension("x", low=0.0, high=1.0)],
        # all on a lattice, but far more points than MAX_DRAWS: not counted (nor listed)
        [
            Dimension("a", low=0.0, high=1.0, step=1e-7),
            Dimension("n", kind="integer", low=0, high=9),
        ],
    ],
)
def test_fine_lattices_are_not_listed_to_count_recipes(dims):
    strategy = BatchBO(Space(tuple(dims)), q=4, batch_method="thompson", seed=0)
    tracemalloc.start()
    try:
        assert strategy.stop_reason() is None  # listed 317 GiB of lattice values before
        assert tracemalloc.get_traced_memory()[1] < 10_000_000
    finally:
        tracemalloc.stop()


def test_a_small_lattice_is_still_counted():
    space = Space(
        (
            Dimension("a", low=0.0, high=1.0, step=0.5),
            Dimension("n", kind="integer", low=1, high=2),
            Dimension("c", kind="categorical", choices=["x", "y"]),
        )
    )
    strategy = BatchBO(space, q=2, seed=0)
    recipes = [{"a": a, "n": n, "c": c} for a in (0.0, 0.5, 1.0) for n in (1, 2) for c in "xy"]
    strategy.observe([Observation(p, value=float(i)) for i, p in enumerate(recipes)])
    assert strategy.stop_reason() == "all 12 feasible recipes of the space measured"


def observed(uncertainties, replicates=1):
    """A BatchBO on the A-B plane that saw 8 recipes, each ``replicates`` readings, the
    j-th reading of each with uncertainty ``uncertainties[j]``; and those readings."""
    strategy = BatchBO(PLANE, q=8, batch_method="ucb", seed=0)
    rng = np.random.default_rng(0)
    observations = []
    for i, s in enumerate(strategy.suggest(8)):
        for j in range(replicates):
            value = (s.point["A"] - 3) ** 2 / 10 + s.point["B"] / 10 + rng.normal(0, 0.05)
            observations.append(
                Observation(s.point, value=value, uncertainty=uncertainties[j], time=i + j / 10)
            )
    strategy.observe(observations)
    return strategy, observations


def test_every_reading_s_uncertainty_is_the_gp_s_known_noise():
    (sure, _), (unsure, _) = observed([1e-4]), observed([5.0])
    np.testing.assert_allclose(sure.data()[2], np.full(8, 1e-8))
    np.testing.assert_allclose(unsure.data()[2], np.full(8, 25.0))
    points = np.array([[p["A"], p["B"]] for p in sure.recipes()])
    y = sure.data()[1]
    sure_mean, unsure_mean = sure.predict(points)[0], unsure.predict(points)[0]
    # identical before (the uncertainty was dropped): now the sure readings are met, the
    # unsure ones (noise far above their spread) smoothed over
    np.testing.assert_allclose(sure_mean, y, atol=1e-3)
    assert np.ptp(unsure_mean) < 0.5 * np.ptp(y)


@pytest.mark.parametrize("uncertainties", [[0.1, 0.3], [1e-3, 1e-3]])
def test_a_recipe_s_variance_is_that_of_the_median_of_its_readings(uncertainties):
    """Two readings per recipe (their median is their mean): the mean square of their
    uncertainties over two, or the pooled scatter's where that is larger."""
    strategy, readings = observed(uncertainties, replicates=2)  # 8 dof: pooled too
    reps: dict[tuple, list[float]] = {}
    for o in readings:
        reps.setdefault(tuple(o.point.values()), []).append(o.value)
    pooled = sum(np.sum((np.array(r) - np.mean(r)) ** 2) for r in reps.values()) / 8
    stated = np.mean(np.square(uncertainties))
    assert MEDIAN_VARIANCE_FACTOR[1] == 1.0
    np.testing.assert_allclose(strategy.data()[2], np.full(8, max(pooled, stated) / 2))


def test_readings_without_uncertainty_keep_the_learned_noise():
    assert observed([None])[0].data()[2] is None
    mixed = observed([1e-2])[0]
    point = mixed.recipes()[0]
    mixed.observe([Observation(point, value=0.5, time=50.0)])
    assert mixed.data()[2] is None  # one reading without: as before, nothing stated is used
