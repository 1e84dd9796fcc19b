"""Review W19 (chemist): replicates whose honest uncertainties differ between recipes keep
them; only readings that scatter more than they say widen the variances."""

import numpy as np
import pytest

from adaptive.records import Observation
from adaptive.space import Dimension, Space
from adaptive.strategies.batch_bo import MEDIAN_VARIANCE_FACTOR, BatchBO

PLANE = Space((Dimension("a", low=0.0, high=1.0), Dimension("b", low=0.0, high=1.0)))


def replicated(sds, understated=1.0, droplets=3):
    """A BatchBO that saw one recipe per entry of ``sds``, ``droplets`` readings each of
    noise ``understated`` x sd, each reading carrying ``sd`` as its uncertainty."""
    strategy = BatchBO(PLANE, q=5, seed=0)
    rng = np.random.default_rng(0)
    observations = []
    for i, sd in enumerate(sds):
        point = {"a": float(rng.random()), "b": float(rng.random())}
        for j in range(droplets):
            value = point["a"] + rng.normal(0, understated * sd)
            observations.append(Observation(point, value=value, uncertainty=sd, time=i + j / 10))
    strategy.observe(observations)
    return strategy


def median_sd(sd, droplets=3):
    return sd * np.sqrt(MEDIAN_VARIANCE_FACTOR[droplets - 1] / droplets)


def test_a_noisy_recipe_s_honest_scatter_does_not_widen_a_precise_one_s():
    sds = [0.2, 0.2] + [0.01] * 8
    variance = replicated(sds).data()[2]
    # the pool of all scatter, the noisy recipes' mostly, gave each precise one 0.0549
    np.testing.assert_allclose(np.sort(np.sqrt(variance)), median_sd(np.sort(sds)))


@pytest.mark.parametrize("sds", [[0.2, 0.2] + [0.01] * 8, [0.05] * 10])
def test_readings_that_scatter_more_than_they_say_are_widened_alike(sds):
    honest = replicated(sds, understated=1.0).data()[2]
    widened = replicated(sds, understated=4.0).data()[2]  # same draws, four times the noise
    ratio = widened / honest
    np.testing.assert_allclose(ratio, ratio[0])  # one factor for every recipe
    assert 8 < ratio[0] < 32  # about 16, the square of 4
