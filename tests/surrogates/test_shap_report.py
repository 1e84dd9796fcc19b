"""SHAP report: values add up to the prediction, and bad input gets a typed error."""

import itertools
import math

import numpy as np
import pytest

from adaptive.errors import InvalidParameterError
from surrogates import shap_report
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


def drawn(monkeypatch, tmp_path, values, recipes, names, **kwargs):
    """The beeswarm axes of plot_shap's figure, kept instead of saved."""
    figures = []
    monkeypatch.setattr(shap_report, "save_figure", lambda fig, path: figures.append(fig))
    plot_shap(values, recipes, names, tmp_path / "shap.png", **kwargs)
    return figures[0].axes[1]


def legend_of(swarm) -> tuple[list[str], list[tuple]]:
    """The legend's labels and each entry's colour, as drawn."""
    legend = swarm.get_legend()
    labels = [t.get_text() for t in legend.get_texts()]
    return labels, [tuple(h.get_facecolor()[0]) for h in legend.legend_handles]


def test_all_zero_shap_values_draw_no_negative_mean_axis(monkeypatch, tmp_path):
    # a flat model's zeros drew the mean |SHAP| panel from -0.04 to 0.04
    figures = []
    monkeypatch.setattr(shap_report, "save_figure", lambda fig, path: figures.append(fig))
    plot_shap(np.zeros((2, 3)), RECIPES, ["a", "b", "c"], tmp_path / "shap.png")
    assert figures[0].axes[0].get_xlim()[0] == 0.0


TWELVE = [f"s{i}" for i in range(1, 13)]


def test_twelve_choices_keep_their_order_and_each_has_its_own_colour(monkeypatch, tmp_path):
    """Not sorted as text (s10 before s2), no colour again after ten."""
    recipes = [{"T": 20.0 + i, "solvent": TWELVE[i % 12]} for i in range(24)]
    values = np.random.default_rng(0).normal(size=(24, 2))
    swarm = drawn(monkeypatch, tmp_path, values, recipes, ["T", "solvent"])
    labels, colours = legend_of(swarm)
    assert labels == [f"solvent = {s}" for s in TWELVE]  # as they first appear
    assert len(set(colours)) == 12
    points = {tuple(c.get_facecolor()[0]) for c in swarm.collections if c.get_label() in labels}
    assert points == set(colours)  # the points wear their legend entry's colour


def test_choices_are_listed_in_the_spaces_order_factor_by_factor(monkeypatch, tmp_path):
    """Each factor's choices in the space's order (not the recipes' nor the text's), the
    factors as the beeswarm rows from the top, no colour shared; numbers given as choices
    are choices, not a colour scale."""
    order = ["toluene", "water", "ethanol"]
    recipes = [
        {"solvent": s, "ligands": n} for s, n in [("water", 2), ("ethanol", 10), ("toluene", 1)]
    ]
    values = np.array([[1.0, -2.0], [1.0, 2.0], [1.0, -2.0]])  # ligands matter more: on top
    swarm = drawn(
        monkeypatch,
        tmp_path,
        values,
        recipes,
        ["solvent", "ligands"],
        choices={"solvent": order, "ligands": [1, 2, 10]},
    )
    labels, colours = legend_of(swarm)
    assert labels == ["ligands = 1", "ligands = 2", "ligands = 10"] + [
        f"solvent = {s}" for s in order
    ]
    assert len(set(colours)) == 6


@pytest.mark.parametrize(
    "choices, match",
    [
        ({"solvent": ["water"]}, "recipe 1 has solvent = 'ethanol', not one of its choices"),
        ({"pressure": ["low"]}, "choices must map factors among"),
        ({"solvent": "water"}, "choices must map factors among"),
    ],
)
def test_plot_shap_refuses_choices_that_do_not_fit_the_recipes(tmp_path, choices, match):
    recipes = [{"a": 0.1, "b": 2, "solvent": "water"}, {"a": 0.7, "b": 5, "solvent": "ethanol"}]
    with pytest.raises(InvalidParameterError, match=match):
        plot_shap(VALUES, recipes, ["a", "b", "solvent"], tmp_path / "shap.png", choices=choices)
