"""Which factors matter: SHAP values of a surrogate's prediction, as numbers and figures."""

from __future__ import annotations

import reprlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import shap
from matplotlib import colormaps
from matplotlib.figure import Figure

from adaptive.arrays import finite_matrix, is_finite_real, is_real
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
    choices: Mapping[str, Sequence] | None = None,
) -> Path:
    """Save a bar chart of mean |SHAP| beside a beeswarm of every SHAP value.

    A beeswarm point is coloured by its recipe's value of the factor: a number from low
    (blue) to high (red), a categorical choice by a colour no other choice in the figure
    has, named ``factor = choice`` in the legend (factors top to bottom as in the
    beeswarm, each one's choices in the order of ``choices``, else as they first appear).

    Args:
        values: (m, d) SHAP values.
        recipes: the m explained recipes, one per row of ``values``, as points
            ``{factor: value}`` (``campaign_insights``' ``shap_recipes``).
        names: d distinct factor names, one per column of ``values``.
        choices: ``{factor: its choices}`` of categorical factors in the space's order
            (``space[factor].choices``); a factor given here is categorical even when its
            choices are numbers.

    Raises:
        InvalidParameterError: bad ``values`` or ``names`` (see :func:`importance`), or
            ``recipes`` not m points holding the factors, a number among them NaN/inf, or
            a value of a factor in ``choices`` not among its choices.
    """
    ranking = importance(values, names)
    values, names = np.asarray(values, float), list(names)
    columns = _columns(recipes, names, len(values), choices or {})
    order = [names.index(n) for n in ranking][::-1]  # most important on top
    n_choices = sum(len(c) for c, at in columns if at is not None)
    fig = Figure(figsize=(11, max(0.6 * len(names) + 1.8, 0.2 * n_choices + 1.0)))
    bar, swarm = fig.subplots(1, 2, sharey=True)
    bar.barh(range(len(order)), [ranking[names[i]] for i in order], color="C0")
    bar.set_yticks(range(len(order)), [names[i] for i in order])
    bar.set_xlabel("mean |SHAP|")
    bar.set_xlim(left=0)  # a mean of absolute values: all zero drew an axis from -0.04
    rng = np.random.default_rng(0)
    numbers = None
    legend: list = []  # categorical factors' choices, top row first
    for row, j in enumerate(order):
        (column, at), jitter = columns[j], row + rng.uniform(-0.25, 0.25, len(values))
        if at is None:
            colour = (column - column.min()) / (np.ptp(column) or 1.0)
            numbers = swarm.scatter(values[:, j], jitter, c=colour, cmap="coolwarm", s=12)
            continue
        legend[:0] = [
            swarm.scatter(values[at == k, j], jitter[at == k], s=12, label=f"{names[j]} = {choice}")
            for k, choice in enumerate(column)
        ]
    swarm.axvline(0, color="0.5", lw=0.8)
    swarm.set_xlabel("SHAP value (effect on the prediction)")
    if numbers is not None:
        fig.colorbar(numbers, ax=swarm, label="factor value, scaled 0-1 per factor (low → high)")
    for points, colour in zip(legend, _palette(len(legend)), strict=True):
        points.set_color(colour)
    room = 0.0  # of the figure's width, right of the axes, for the legend
    if legend:
        key = swarm.legend(
            handles=legend,
            fontsize=8,
            loc="upper right",
            bbox_to_anchor=(1.0, 0.93),
            bbox_transform=fig.transFigure,
        )
        key.set_in_layout(False)
        fig.draw_without_rendering()
        room = key.get_window_extent().width / fig.bbox.width
    fig.suptitle(title)
    fig.tight_layout(rect=(0.0, 0.0, 1.0 - room, 1.0))
    return save_figure(fig, path)


def _palette(n: int) -> np.ndarray:
    """``n`` distinct colours (n, 4): tab10's (``C0``...), tab20's lighter shades, then,
    for more than 20, ``turbo`` at even steps."""
    if n > 20:
        return colormaps["turbo"](np.linspace(0.0, 1.0, n))
    tab20 = colormaps["tab20"](np.arange(20))
    return np.vstack([tab20[::2], tab20[1::2]])[:n]


def _columns(
    recipes: Sequence[dict], names: list[str], m: int, choices: Mapping[str, Sequence]
) -> list[tuple]:
    """Each factor's values over ``recipes``: ``(floats, None)`` when all are numbers and
    the factor is not in ``choices``, else ``(choices seen, as text, in order; each
    recipe's index among them)``."""
    if not (isinstance(recipes, Sequence) and len(recipes) == m) or not all(
        isinstance(r, dict) and set(names) <= set(r) for r in recipes
    ):
        raise InvalidParameterError(
            f"recipes must be {m} points {{factor: value}} with the factors {names}, one per "
            f"row of values, as campaign_insights' shap_recipes; got {reprlib.repr(recipes)}"
        )
    if not isinstance(choices, Mapping) or not all(
        n in names and isinstance(c, Sequence) and not isinstance(c, str)
        for n, c in choices.items()
    ):
        raise InvalidParameterError(
            f"choices must map factors among {names} to lists of their choices, as "
            f"{{name: space[name].choices}}; got {reprlib.repr(choices)}"
        )
    columns = []
    for name in names:
        column = [r[name] for r in recipes]
        if name in choices or not all(is_real(v) for v in column):  # a categorical factor
            text = [str(v) for v in column]
            listed = [str(c) for c in choices.get(name, dict.fromkeys(text))]
            if bad := [i for i, v in enumerate(text) if v not in listed]:
                raise InvalidParameterError(
                    f"recipe {bad[0]} has {name} = {column[bad[0]]!r}, not one of its "
                    f"choices {listed}"
                )
            seen = [c for c in listed if c in set(text)]
            columns.append((seen, np.array([seen.index(v) for v in text])))
        elif bad := [i for i, v in enumerate(column) if not is_finite_real(v)]:
            raise InvalidParameterError(
                f"recipe {bad[0]} has {name} = {column[bad[0]]!r}; every number must be finite"
            )
        else:
            columns.append((np.array(column, float), None))
    return columns
