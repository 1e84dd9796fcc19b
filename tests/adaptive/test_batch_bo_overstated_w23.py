"""Review W23 (flow-synthesis chemist): uncertainties in other units (a percent for a loss
that is a fraction) were held as the GP's noise, 100 times the droplets' scatter, so every
batch was a farthest-recipe pick; where the replicates show it they are not held, and the
strategy's warning says so."""

import numpy as np
import pytest

from adaptive.campaign import Campaign
from adaptive.journal import Journal
from adaptive.records import Observation
from adaptive.space import Dimension, Space
from adaptive.strategies.batch_bo import MEDIAN_VARIANCE_FACTOR, BatchBO

CUBE = Space(tuple(Dimension(name, low=0.0, high=1.0) for name in "abc"))
SPACE = {"dimensions": [{"name": name, "low": 0, "high": 1} for name in "abc"]}
SD = 0.005  # the droplets' true scatter


def loss(point):
    return 0.1 + 0.5 * ((point["a"] - 0.7) ** 2 + (point["b"] - 0.2) ** 2 + (point["c"] - 0.5) ** 2)


def droplets(points, uncertainty, seed=0, droplets=3):
    """``droplets`` readings of scatter ``SD`` per point, each with ``uncertainty``."""
    rng = np.random.default_rng(seed)
    return [
        Observation(p, value=loss(p) + rng.normal(0, SD), uncertainty=uncertainty, time=i + j / 10)
        for i, p in enumerate(points)
        for j in range(droplets)
    ]


def observed(uncertainty, seed=0):
    """A BatchBO that saw its 8-recipe design, 3 droplets each, every one with ``uncertainty``."""
    strategy = BatchBO(CUBE, q=4, n_initial=8, seed=seed)
    strategy.observe(droplets([s.point for s in strategy.suggest(8)], uncertainty, seed))
    return strategy


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_uncertainties_far_over_the_replicates_scatter_are_not_held(seed):
    stated, unstated = observed(100 * SD, seed), observed(None, seed)
    # held before: 0.5**2 * 1.346 / 3, 10^4 times the droplets' median variance
    np.testing.assert_allclose(stated.data()[2], unstated.data()[2])
    warning = stated.warning()
    assert warning.startswith("the readings' uncertainties are ")
    assert "times the scatter of their replicates (16 degrees of freedom), over 5 times" in warning
    assert "the replicates' pooled variance is the GP's noise instead" in warning
    assert "farthest-recipe pick" not in stated.suggest(4)[0].reason  # the GP finds the signal


@pytest.mark.parametrize("scale", [1.0, 3.0, 0.25])
def test_honest_conservative_or_understated_uncertainties_are_held_as_before(scale):
    strategy = observed(scale * SD)
    assert strategy.warning() is None
    variance = strategy.data()[2]
    held = (scale * SD) ** 2 * MEDIAN_VARIANCE_FACTOR[2] / 3
    if scale >= 1:
        np.testing.assert_allclose(variance, held)
    else:  # understated 4 times: widened, as before, by about 16
        assert np.all(variance > 4 * held)


def test_an_uncertainty_without_replicates_cannot_be_checked_and_is_held():
    strategy = BatchBO(CUBE, q=4, n_initial=8, seed=0)
    strategy.observe(droplets([s.point for s in strategy.suggest(8)], 100 * SD, droplets=1))
    np.testing.assert_allclose(strategy.data()[2], (100 * SD) ** 2)
    assert strategy.warning() is None


def test_droplets_that_agree_exactly_do_not_count_as_overstatement():
    """Readings rounded below their scatter (every droplet of a recipe equal) tell nothing of
    it: with honest uncertainties they are held."""
    strategy = BatchBO(CUBE, q=4, n_initial=8, seed=0)
    points = [s.point for s in strategy.suggest(8)]
    readings = [
        Observation(p, value=round(loss(p), 1), uncertainty=SD, time=i + j / 10)
        for i, p in enumerate(points)
        for j in range(3)
    ]
    strategy.observe(readings)
    np.testing.assert_allclose(strategy.data()[2], SD**2 * MEDIAN_VARIANCE_FACTOR[2] / 3)
    assert strategy.warning() is None


def test_the_put_after_which_they_are_not_held_warns_once(tmp_path):
    journal = Journal(tmp_path / "j.sqlite")
    goals = {"max_observations": 24}
    campaign = Campaign.create(journal, SPACE, {"name": "batch_bo", "options": {"q": 4}}, goals)
    rng = np.random.default_rng(0)
    warned, put = [], 0
    for suggestion in campaign.suggest(4):  # the design: no GP fitted
        for _ in range(3):
            value = loss(suggestion.point) + rng.normal(0, SD)
            put += 1
            campaign.observe(
                Observation(
                    suggestion.point,
                    value=value,
                    uncertainty=100 * SD,
                    suggestion_id=suggestion.id,
                    time=float(put),
                )
            )
            warned += [(put, w) for w in campaign.last_warnings]
    journal.close()
    # 5 degrees of freedom once the third recipe has two droplets: its 8th put
    ((at, warning),) = warned
    assert at == 8 and "so they are not held" in warning


def test_droplets_rounded_to_one_value_stay_out_of_the_pool():
    """Three droplets of 0.1 have a mean an ulp off 0.1: their squares, 1e-34, were pooled
    as scatter (W22 kept only exact zeros out), every median's noise sd 1e-17."""
    strategy = BatchBO(CUBE, q=4, n_initial=8, seed=0)
    points = [s.point for s in strategy.suggest(8)]
    rounded = [
        Observation(p, value=0.1, time=i + j / 10)
        for i, p in enumerate(points[:5])
        for j in range(3)
    ]
    strategy.observe(rounded + droplets(points[5:], None))
    assert np.all(np.sqrt(strategy.data()[2]) > 0.2 * SD)
