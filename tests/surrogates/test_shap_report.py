"""SHAP report: values add up to the prediction, and bad input gets a typed error."""

import itertools
import math

import numpy as np
import pytest

from adaptive.errors import InvalidParameterError
from surrogates.shap_report import MAX_EXACT_FACTORS, importance, plot_shap, shap_values

BACKGROUND = np.random.default_rng(0).random((10, 2))
VALUES = np.array([[1.0, -2.0, 3.0], [1.0, 2.0, -3.0]])


def linear(u: np.ndarray) -> np.ndarray:
    return u[:, 0] + 2 * u[:, 1]


def weighted_sum(u: np.ndarray) -> np.ndarray:
    return u @ np.arange(1.0, u.shape[1] + 1)


@pytest.mark.parametrize("n", [10, 150])
@pytest.mark.parametrize("d", [2, MAX_EXACT_FACTORS + 1])  # exact values, permutation estimate
def test_shap_values_add_up_to_the_prediction_minus_the_background_mean(n, d):
    background = np.random.default_rng(0).random((n, d))  # shap's masker samples 100 by default
    values = shap_values(weighted_sum, background, background[:3])
    assert values.shape == (3, d)
    np.testing.assert_allclose(
        values.sum(1), weighted_sum(background[:3]) - weighted_sum(background).mean()
    )


def test_exact_shap_values_are_the_shapley_values_of_an_interacting_model():
    def model(u):
        return u[:, 0] * u[:, 1] + np.sin(3 * u[:, 2]) + u[:, 3] * u[:, 4] * u[:, 0]

    d, rng = 5, np.random.default_rng(1)
    background, explain = rng.random((20, d)), rng.random((2, d))

    def worth(row, coalition):  # mean prediction with the coalition's factors set to row's
        masked = background.copy()
        masked[:, list(coalition)] = row[list(coalition)]
        return model(masked).mean()

    expected = np.zeros((2, d))
    for r, row in enumerate(explain):
        for i in range(d):
            others = [j for j in range(d) if j != i]
            for size in range(d):
                weight = math.factorial(size) * math.factorial(d - 1 - size) / math.factorial(d)
                for coalition in itertools.combinations(others, size):
                    gain = worth(row, (*coalition, i)) - worth(row, coalition)
                    expected[r, i] += weight * gain
    np.testing.assert_allclose(shap_values(model, background, explain), expected, atol=1e-12)


@pytest.mark.parametrize("d", [2, MAX_EXACT_FACTORS + 1])  # exact values, permutation estimate
def test_shap_values_leave_numpys_global_random_state_alone(d):
    np.random.seed(123)
    expected = np.random.rand(3)
    np.random.seed(123)
    recipes = np.random.default_rng(0).random((10, d))
    shap_values(weighted_sum, recipes, recipes[:2], seed=7)
    np.testing.assert_array_equal(np.random.rand(3), expected)


@pytest.mark.parametrize(
    "background, explain, match",
    [
        (np.empty((0, 2)), BACKGROUND[:3], "n, m, d >= 1"),
        (BACKGROUND, np.empty((0, 2)), "n, m, d >= 1"),
        (BACKGROUND, np.array([[np.nan, 0.5]]), "not finite"),
        ("abc", BACKGROUND, "numeric"),
        (BACKGROUND, BACKGROUND[:3, :1], "same factors"),
    ],
)
def test_shap_values_refuse_empty_non_finite_non_numeric_or_mismatched_inputs(
    background, explain, match
):
    with pytest.raises(InvalidParameterError, match=match):
        shap_values(linear, background, explain)


def test_importance_ranks_factors_by_mean_absolute_value():
    assert list(importance(VALUES, ("a", "b", "c")).items()) == [
        ("c", 3.0),
        ("b", 2.0),
        ("a", 1.0),
    ]


@pytest.mark.parametrize(
    "values, names, match",
    [
        (VALUES, ["a", "b"], "3 distinct factor names"),
        (VALUES, ["a", "b", "c", "d"], "3 distinct factor names"),
        (VALUES, ["a", "a", "c"], "3 distinct factor names"),
        (VALUES, "abc", "3 distinct factor names"),
        (VALUES[0], ["a", "b", "c"], "2-D"),
        (np.empty((0, 3)), ["a", "b", "c"], "at least one"),
        (np.array([[np.nan, 1.0, 2.0]]), ["a", "b", "c"], "not finite"),
    ],
)
def test_importance_refuses_values_and_names_that_do_not_match(values, names, match):
    with pytest.raises(InvalidParameterError, match=match):
        importance(values, names)


RECIPES = [{"a": 0.1, "b": 2, "c": "water"}, {"a": 0.7, "b": 5, "c": "ethanol"}]


def test_plot_shap_saves_a_figure(tmp_path):
    path = plot_shap(VALUES, RECIPES, ["a", "b", "c"], tmp_path / "shap.png")
    assert path.is_file() and path.stat().st_size > 0


@pytest.mark.parametrize(
    "values, recipes, names, match",
    [
        (VALUES, RECIPES[:1], ["a", "b", "c"], "recipes must be 2 points"),
        (VALUES, VALUES, ["a", "b", "c"], "recipes must be 2 points"),
        (VALUES, [{"a": 0.1, "b": 2}] * 2, ["a", "b", "c"], "with the factors"),
        (VALUES, [RECIPES[0], {**RECIPES[1], "a": math.nan}], ["a", "b", "c"], "recipe 1 has a"),
        (VALUES, RECIPES, ["a", "a", "c"], "distinct factor names"),
        (np.empty((2, 0)), [{}, {}], [], "at least one"),
    ],
)
def test_plot_shap_refuses_mismatched_inputs(tmp_path, values, recipes, names, match):
    with pytest.raises(InvalidParameterError, match=match):
        plot_shap(values, recipes, names, tmp_path / "shap.png")
    assert not (tmp_path / "shap.png").exists()
