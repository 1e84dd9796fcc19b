"""Review W19 (chemist): replicates whose honest uncertainties differ between recipes keep
them; only readings that scatter more than they say widen the variances."""

import numpy as np
import pytest

from adaptive.records import Observation
from adaptive.space import Dimension, Space
from adaptive.strategies.batch_bo import MEDIAN_VARIANCE_FACTOR, BatchBO

PLANE = Space((Dimension("a", low=0.0, high=1.0), Dimension("b", low=0.0, high=1.0)))


def replicated(sds, understated=1.0, droplets=3, seed=0):
    """A BatchBO that saw one recipe per entry of ``sds``, ``droplets`` readings each of
    noise ``understated`` x sd (a number, or one per recipe), each reading carrying ``sd``
    as its uncertainty; recipe i at a = (i + 0.5) / n, so ``data`` keeps their order."""
    strategy = BatchBO(PLANE, q=5, seed=0)
    rng = np.random.default_rng(seed)
    observations = []
    for i, (sd, factor) in enumerate(zip(sds, np.broadcast_to(understated, len(sds)), strict=True)):
        point = {"a": (i + 0.5) / len(sds), "b": 0.5}
        for j in range(droplets):
            value = point["a"] + rng.normal(0, factor * sd)
            observations.append(Observation(point, value=value, uncertainty=sd, time=i + j / 10))
    strategy.observe(observations)
    return strategy


def median_sd(sd, droplets=3):
    return sd * np.sqrt(MEDIAN_VARIANCE_FACTOR[droplets - 1] / droplets)


def test_a_noisy_recipe_s_honest_scatter_does_not_widen_a_precise_one_s():
    sds = [0.2, 0.2] + [0.01] * 8
    held = 0
    for seed in range(10):
        sd = np.sqrt(replicated(sds, seed=seed).data()[2])
        # the pool of all scatter, the noisy recipes' mostly, gave each precise one 0.0549
        assert np.max(sd[np.array(sds) == 0.01]) < 2 * median_sd(0.01), seed
        held += np.allclose(sd, median_sd(np.array(sds)))
    assert held >= 8  # honest uncertainties widened by chance in 5 % of campaigns


def test_precise_recipes_that_understate_are_widened_though_noisy_ones_are_honest():
    # pooled without weighing each recipe by its own uncertainty, the two noisy honest
    # recipes outweighed eight precise ones scattering 4x what they say: held at 0.065x
    sds = np.array([0.2, 0.2] + [0.01] * 8)
    understated = np.where(sds == 0.01, 4.0, 1.0)
    for seed in range(5):
        variance = replicated(sds, understated, seed=seed).data()[2]
        truth = median_sd(sds * understated) ** 2
        assert np.all(variance[sds == 0.01] > 0.3 * truth[sds == 0.01]), seed


@pytest.mark.parametrize("sds", [[0.2, 0.2] + [0.01] * 8, [0.05] * 10])
def test_readings_that_scatter_more_than_they_say_are_widened_alike(sds):
    honest = replicated(sds, understated=1.0).data()[2]
    widened = replicated(sds, understated=4.0).data()[2]  # same draws, four times the noise
    ratio = widened / honest
    np.testing.assert_allclose(ratio, ratio[0])  # one factor for every recipe
    assert 8 < ratio[0] < 32  # about 16, the square of 4
