"""The batch-recipe GP: fits that do not depend on the objective's units, checked noise,
categorical choices one-hot."""

import gpytorch
import numpy as np
import pytest
import torch

from adaptive.errors import InvalidParameterError
from surrogates.batch_acquisition import BATCH_METHODS, select_batch
from surrogates.recipe_gp import OneHotChoices, fit_recipe_gp, posterior_mean_std

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


def test_one_hot_choices_are_exact_at_the_choices():
    kernel = OneHotChoices(gpytorch.kernels.MaternKernel(), choices={1: 4})
    x = torch.tensor([[0.3, k / 3] for k in range(4)], dtype=torch.float64)
    expanded = kernel.expand(x)
    assert expanded.shape == (4, 5)
    np.testing.assert_allclose(expanded[:, 0].numpy(), 0.3)
    np.testing.assert_allclose(expanded[:, 1:].numpy(), np.eye(4), atol=1e-12)


def test_unmeasured_choices_are_predicted_alike_whatever_their_index():
    """Measured at choices 0 (high) and 4 (low) of 5: by index, choice 1 would sit nearer
    the high one than choice 3; one-hot, neither is nearer."""
    t = np.random.default_rng(1).random(12)
    choice = np.repeat([0.0, 1.0], 6)  # index / (5 - 1) of choices 0 and 4
    x, y = np.column_stack([t, choice]), np.where(choice == 0, 1.0, -1.0) + 0.1 * t
    query = np.array([[0.5, 0.25], [0.5, 0.75]])  # choices 1 and 3
    by_index = posterior_mean_std(fit_recipe_gp(x, y), query)[0]
    one_hot = posterior_mean_std(fit_recipe_gp(x, y, choices={1: 5}), query)[0]
    assert by_index[0] - by_index[1] > 0.1
    assert abs(one_hot[0] - one_hot[1]) < 1e-6


@pytest.mark.parametrize("method", sorted(BATCH_METHODS))
def test_batches_do_not_depend_on_the_order_of_the_choices(method):
    """A bad choice pending beside the best one in the list must not push a batch off it."""
    rng = np.random.default_rng(3)
    names, effect = ["w", "e", "t", "d", "m"], [0.0, 0.8, -0.5, 0.7, 0.2]
    measured = [(int(rng.integers(5)), rng.random()) for _ in range(14)]
    y = np.array([effect[c] - 2 * (t - 0.4) ** 2 + 0.02 * rng.normal() for c, t in measured])
    grid = [(c, t) for c in range(5) for t in np.linspace(0, 1, 11)]

    def batch(order: list[str]) -> list[tuple[str, float]]:
        unit = {names.index(n): i / 4 for i, n in enumerate(order)}
        x = np.array([[unit[c], t] for c, t in measured])
        candidates = np.array([[unit[c], t] for c, t in grid])
        gp = fit_recipe_gp(x, y, choices={0: 5})
        pending = np.array([[unit[names.index("t")], 0.4]])
        chosen = select_batch(method, gp, candidates, x, pending, 4)[0]
        return [(names[grid[i][0]], round(grid[i][1], 1)) for i in chosen]

    assert batch(names) == batch(["e", "t", "w", "m", "d"])


@pytest.mark.parametrize("choices", [{2: 3}, {1: 0}, {"1": 3}])
def test_choices_that_do_not_name_columns_of_x_are_refused(choices):
    """A map of choices the recipes lack was ignored: the kernel then took a factor of
    many choices by its index without a word."""
    with pytest.raises(InvalidParameterError, match="choices must map categorical columns"):
        fit_recipe_gp(X, Y, choices=choices)
