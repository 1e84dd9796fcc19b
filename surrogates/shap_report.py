"""Which factors matter: SHAP values of a surrogate's prediction, as numbers and figures."""

from __future__ import annotations

import reprlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import shap
from matplotlib.figure import Figure

from adaptive.arrays import finite_matrix, is_finite_number, is_number
from adaptive.errors import InvalidParameterError
from adaptive.figures import save_figure
from surrogates.threads import PROCESS_STATE_LOCK

#: Feature permutations averaged per explained row (both directions each).
PERMUTATIONS = 10
#: Up to this many factors the exact Shapley values are computed (2**d masked recipes per
#: background row); above it, the permutation estimate is cheaper.
MAX_EXACT_FACTORS = 7


def shap_values(
    predict: Callable[[np.ndarray], np.ndarray],
    background: np.ndarray,
    explain: np.ndarray,
    seed: int = 0,
) -> np.ndarray:
    """SHAP values of ``predict`` at ``explain`` (m, d) -> (m, d).

    Exact Shapley values for d <= ``MAX_EXACT_FACTORS`` (``predict`` sees 2**d * n
    recipes per explained row), else the permutation estimate (about
    ``PERMUTATIONS * (2 d + 1) * n``). Every background row is used (none subsampled), so
    each row's values add up to its prediction minus the mean prediction over
    ``background``. ``predict`` is called with all the masked recipes of one explained row
    at once. numpy's global random state is left as it was (shap's permutations reseed it).

    Args:
        predict: maps recipes (k, d) to predictions (k,), e.g. a GP's mean loss.
        background: (n, d) recipes that define "absent" factors (the campaign's data).
        explain: (m, d) recipes to explain.
        seed: seeds the permutations (unused by the exact values).

    Raises:
        InvalidParameterError: an input not a finite numeric 2-D array, without rows or
            columns, or the two with different numbers of columns.
    """
    background = finite_matrix("background", background, "recipe")
    explain = finite_matrix("explain", explain, "recipe")
    if 0 in background.shape or 0 in explain.shape or background.shape[1] != explain.shape[1]:
        raise InvalidParameterError(
            f"background {background.shape} and explain {explain.shape} must be (n, d) and "
            "(m, d) with n, m, d >= 1: recipes of the same factors, one per row"
        )
    masker = shap.maskers.Independent(background, max_samples=len(background))
    d = explain.shape[1]
    if d <= MAX_EXACT_FACTORS:
        explainer = shap.ExactExplainer(predict, masker)
        return np.asarray(explainer(explain, batch_size=2**d, silent=True).values)
    evals = PERMUTATIONS * (2 * d + 1)  # each permutation costs 2 d + 1 model calls
    with PROCESS_STATE_LOCK:  # PermutationExplainer calls np.random.seed(seed)
        state = np.random.get_state()
        try:
            explainer = shap.PermutationExplainer(predict, masker, seed=seed)
            values = explainer(explain, max_evals=evals, batch_size=evals, silent=True).values
            return np.asarray(values)
        finally:
            np.random.set_state(state)


def importance(values: np.ndarray, names: Sequence[str]) -> dict[str, float]:
    """Mean |SHAP| per factor, largest first: ``{name: value}``.

    Args:
        values: (m, d) finite SHAP values, m, d >= 1.
        names: d distinct factor names, one per column of ``values``.

    Raises:
        InvalidParameterError: ``values`` not a finite (m, d) array with m, d >= 1, or
            ``names`` not d distinct strings.
    """
    values = finite_matrix("values", values, "explained recipe")
    if 0 in values.shape:
        raise InvalidParameterError(
            f"values has shape {values.shape}; pass the SHAP values of at least one "
            "explained recipe and one factor"
        )
    d = values.shape[1]
    listed = isinstance(names, Sequence | np.ndarray) and not isinstance(names, str)
    if not (listed and len(names) == d and all(isinstance(n, str) for n in names)) or (
        len(set(names)) != d
    ):
        raise InvalidParameterError(
            f"names must be {d} distinct factor names, one per column of values "
            f"{values.shape}, got {names!r}"
        )
    mean_abs = np.abs(values).mean(axis=0)
    order = np.argsort(mean_abs)[::-1]
    return {names[i]: float(mean_abs[i]) for i in order}


def plot_shap(
    values: np.ndarray,
    recipes: Sequence[dict],
    names: Sequence[str],
    path: str | Path,
    title: str = "",
) -> Path:
    """Save a bar chart of mean |SHAP| beside a beeswarm of every SHAP value.

    A beeswarm point is coloured by its recipe's value of the factor: a number from low
    (blue) to high (red), any other value (a categorical choice) by name, in the legend.

    Args:
        values: (m, d) SHAP values.
        recipes: the m explained recipes, one per row of ``values``, as points
            ``{factor: value}`` (``campaign_insights``' ``shap_recipes``).
        names: d distinct factor names, one per column of ``values``.

    Raises:
        InvalidParameterError: bad ``values`` or ``names`` (see :func:`importance`), or
            ``recipes`` not m points holding the factors, or a number among them NaN/inf.
    """
    ranking = importance(values, names)
    values, names = np.asarray(values, float), list(names)
    columns = _columns(recipes, names, len(values))
    order = [names.index(n) for n in ranking][::-1]  # most important on top
    fig = Figure(figsize=(11, 0.6 * len(names) + 1.8))
    bar, swarm = fig.subplots(1, 2, sharey=True)
    bar.barh(range(len(order)), [ranking[names[i]] for i in order], color="C0")
    bar.set_yticks(range(len(order)), [names[i] for i in order])
    bar.set_xlabel("mean |SHAP|")
    rng = np.random.default_rng(0)
    numbers = None
    for row, j in enumerate(order):
        column, jitter = columns[j], row + rng.uniform(-0.25, 0.25, len(values))
        if column.dtype.kind == "f":
            colour = (column - column.min()) / (np.ptp(column) or 1.0)
            numbers = swarm.scatter(values[:, j], jitter, c=colour, cmap="coolwarm", s=12)
        else:
            for k, choice in enumerate(sorted(set(column))):
                at = column == choice
                label = f"{names[j]} = {choice}"
                swarm.scatter(values[at, j], jitter[at], color=f"C{k}", s=12, label=label)
    swarm.axvline(0, color="0.5", lw=0.8)
    swarm.set_xlabel("SHAP value (effect on the prediction)")
    if numbers is not None:
        fig.colorbar(numbers, ax=swarm, label="factor value (low → high)")
    if swarm.get_legend_handles_labels()[1]:
        swarm.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path)


def _columns(recipes: Sequence[dict], names: list[str], m: int) -> list[np.ndarray]:
    """Each factor's values over ``recipes``: floats when all are numbers, else text."""
    if not (isinstance(recipes, Sequence) and len(recipes) == m) or not all(
        isinstance(r, dict) and set(names) <= set(r) for r in recipes
    ):
        raise InvalidParameterError(
            f"recipes must be {m} points {{factor: value}} with the factors {names}, one per "
            f"row of values, as campaign_insights' shap_recipes; got {reprlib.repr(recipes)}"
        )
    columns = []
    for name in names:
        column = [r[name] for r in recipes]
        if not all(is_number(v) for v in column):  # a categorical factor's choices
            columns.append(np.array([str(v) for v in column]))
        elif bad := [i for i, v in enumerate(column) if not is_finite_number(v)]:
            raise InvalidParameterError(
                f"recipe {bad[0]} has {name} = {column[bad[0]]!r}; every number must be finite"
            )
        else:
            columns.append(np.array(column, float))
    return columns
