"""Categorical recipe factors as model inputs: one-hot, not ordered by the list of choices.

``Space.to_unit`` holds a factor of k choices in one column, ``index / (k - 1)``, which
makes neighbours in the list nearer than other choices. The models that take recipes
(the recipe GP's kernel, the spectrum network) widen a column of more than two choices
into k inputs instead, so no choice is nearer another than the rest; and
``recipe_distance``, the spacing of fill-space batches, local penalisation, the
network's diverse picks and maximin designs, counts another choice 1 apart, whichever
it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import torch

from adaptive.arrays import is_int
from adaptive.errors import InvalidParameterError

#: Unit-cube coordinates of one categorical choice differ by less (choices are snapped).
CHOICE_TOLERANCE = 1e-9


def one_hot_columns(choices: Mapping[int, int] | None, d: int) -> dict[int, int]:
    """The columns of more than two choices, ``{column: k}``, of ``choices`` (None: none).

    Args:
        choices: ``{column: number of choices}`` of the categorical columns of recipes
            with ``d`` columns (``Space.choice_counts``).

    Raises:
        InvalidParameterError: ``choices`` not such a mapping.
    """
    choices = {} if choices is None else choices
    if not isinstance(choices, Mapping) or not all(
        is_int(j) and 0 <= j < d and is_int(k) and k >= 1 for j, k in choices.items()
    ):
        raise InvalidParameterError(
            f"choices must map categorical columns (0 to {d - 1}) of the recipes to their "
            f"numbers of choices (>= 1), as Space.choice_counts does; got {choices!r}"
        )
    return {int(j): int(k) for j, k in choices.items() if k > 2}


def one_hot(x: torch.Tensor, choices: Mapping[int, int]) -> torch.Tensor:
    """Inputs (..., d) -> (..., d - len(choices) + sum of their k).

    Each column ``j`` of ``choices`` (``one_hot_columns``), holding ``index / (k - 1)``,
    becomes k "hat" functions of the index, exactly one-hot at the choices and piecewise
    linear between them (so gradients in the unit cube still exist); the other columns
    are kept as they are (no ``choices``: ``x`` itself).
    """
    if not choices:
        return x
    columns = []
    for j in range(x.shape[-1]):
        column = x[..., j : j + 1]
        k = choices.get(j)
        if k is not None:
            at = torch.arange(k, dtype=x.dtype, device=x.device)
            column = (1.0 - (column * (k - 1) - at).abs()).clamp_min(0.0)
        columns.append(column)
    return torch.cat(columns, dim=-1)


def recipe_distance(x, centre, categorical: Iterable[int]) -> torch.Tensor:
    """Euclidean distances (m,) from recipes ``x`` (m, d) to ``centre`` (d,) in the unit
    cube (tensors or arrays), each column of ``categorical`` (column indices, or
    ``Space.choice_counts``) counting 1 for another choice and 0 for the same: the order
    of the choices means nothing."""
    offset = torch.as_tensor(x) - torch.as_tensor(centre)
    columns = list(categorical)
    offset[:, columns] = (offset[:, columns].abs() > CHOICE_TOLERANCE).to(offset.dtype)
    return torch.linalg.norm(offset, dim=-1)
