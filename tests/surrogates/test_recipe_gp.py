"""The batch-recipe GP: fits that do not depend on the objective's units, checked noise."""

import numpy as np
import pytest

from adaptive.errors import InvalidParameterError
from surrogates.batch_acquisition import select_batch
from surrogates.recipe_gp import fit_recipe_gp, posterior_mean_std

RNG = np.random.default_rng(0)
X = RNG.random((8, 2))
Y = np.sin(3 * X[:, 0]) + X[:, 1]
CANDIDATES = RNG.random((200, 2))


def fit_and_pick(scale: float, y_var: np.ndarray | None):
    gp = fit_recipe_gp(X, scale * Y, None if y_var is None else scale**2 * y_var)
    mean, std = posterior_mean_std(gp, CANDIDATES)
    picks = {
        method: select_batch(method, gp, CANDIDATES, X, np.empty((0, 2)), 4)[0]
        for method in ("ucb", "kriging_believer", "qlognei")
    }
    return mean / scale, std / scale, picks


@pytest.mark.parametrize("y_var", [None, np.full(8, 1e-2)], ids=["learned", "known noise"])
@pytest.mark.parametrize("scale", [1e-4, 1e-8])
def test_small_objectives_give_the_same_model_and_batch(scale, y_var):
    """Late in a campaign a 1 - cosine loss spans 1e-4 or less: the fit must not care."""
    mean, std, picks = fit_and_pick(1.0, y_var)
    scaled_mean, scaled_std, scaled_picks = fit_and_pick(scale, y_var)
    assert scaled_picks == picks
    np.testing.assert_allclose(scaled_mean, mean, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(scaled_std, std, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(
    "y_var",
    [np.r_[np.nan, np.full(7, 0.01)], np.full(5, 0.01), np.full((8, 1), 0.01), np.full(8, -1.0)],
    ids=["nan", "short", "column", "negative"],
)
def test_bad_noise_variances_are_refused(y_var):
    with pytest.raises(InvalidParameterError, match="y_var"):
        fit_recipe_gp(X, Y, y_var)


@pytest.mark.parametrize("value", [0.25, 0.0, -3e-9])
def test_all_equal_objectives_with_zero_noise_fit_without_warnings(value):
    """All replicates equal: the known noise is 0; it is floored, not warned about."""
    gp = fit_recipe_gp(X, np.full(8, value), np.zeros(8))
    mean, std = posterior_mean_std(gp, CANDIDATES)
    np.testing.assert_allclose(mean, value, atol=1e-6)
    assert np.all(std >= 0)
