"""Batches from a spectrum network: the loss of predicted spectra, and diverse picks."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from adaptive.arrays import check_int, finite_matrix, is_finite_real, real_array
from adaptive.errors import InvalidParameterError
from surrogates.one_hot import one_hot_columns, recipe_distance
from surrogates.spectrum_net import SpectrumNet

#: Candidates scored at once: their (members, CHUNK, w) predicted spectra, about 17 MB
#: for 5 members and 421 wavelengths, rather than ~100 KB per candidate all at once.
CHUNK = 1024


def predicted_loss(
    net: SpectrumNet, losses: Callable[[np.ndarray], np.ndarray], x: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Loss of every member's predicted spectrum, summarised over the ensemble; the
    candidates are scored ``CHUNK`` at a time.

    Args:
        net: a fitted spectrum ensemble.
        losses: maps spectra (k, w) to their losses (k,).
        x: (m, d) recipes in the unit cube.

    Returns:
        mean: (m,) ensemble mean of the predicted loss.
        std: (m,) its spread across members.
    """

    def member_losses(chunk: np.ndarray) -> np.ndarray:
        members = net.predict_members(chunk)  # (M, k, w)
        return losses(members.reshape(-1, members.shape[-1])).reshape(members.shape[:2])

    starts = range(0, max(len(x), 1), CHUNK)  # no candidates: one empty chunk
    per_member = np.concatenate([member_losses(x[s : s + CHUNK]) for s in starts], axis=1)
    return per_member.mean(axis=0), per_member.std(axis=0)


def pick_diverse(
    score: np.ndarray,
    x: np.ndarray,
    n: int,
    min_distance: float,
    avoid: np.ndarray,
    choices: Mapping[int, int] | None = None,
) -> list[int]:
    """Greedily take the ``n`` lowest scores at least ``min_distance`` from each other.

    When too few candidates keep that distance, the closest ones are admitted in
    order of score, so the batch is always full (if there are ``n`` candidates).

    Args:
        score: (m,) lower is better.
        x: (m, d) candidate recipes in the unit cube.
        n: batch size.
        min_distance: ``recipe_distance`` between picks: Euclidean in the unit cube,
            another choice of a categorical column 1 apart, whichever it is in the list.
        avoid: (p, d) recipes already pending; picks also keep away from them.
        choices: ``{column: number of choices}`` of the categorical columns
            (``Space.choice_counts``), or None for none.

    Returns:
        Indices into the candidates, best first.

    Raises:
        InvalidParameterError: ``x`` not (m, d) or not finite, ``score`` not (m,),
            ``n`` not an int >= 0, ``min_distance`` not a finite number >= 0, or
            ``avoid`` not (p, d) (a single pending recipe as ``avoid[None, :]``), or
            ``choices`` not a mapping of columns of ``x`` to numbers of choices.
    """
    x = finite_matrix("x", x, "recipe")
    m, d = x.shape
    score = real_array("score", score)
    if score.shape != (m,):
        raise InvalidParameterError(
            f"score must have shape ({m},), one per candidate row of x, got {score.shape}"
        )
    check_int("n", n, 0, why="the batch size")
    if not is_finite_real(min_distance) or min_distance < 0:
        raise InvalidParameterError(
            f"min_distance must be a finite number >= 0, got {min_distance!r}"
        )
    avoid = _pending(avoid, d)
    categorical = one_hot_columns(choices, d)  # two choices are 0 and 1 already

    def within(centre: np.ndarray) -> np.ndarray:
        return (recipe_distance(x, centre, categorical) < min_distance).numpy()

    order = np.argsort(score)
    taken: list[int] = []
    near = np.zeros(m, bool)
    for row in avoid:
        near |= within(row)
    for i in order:
        if len(taken) == n:
            break
        if not near[i]:
            taken.append(int(i))
            near |= within(x[i])
    rest = [int(i) for i in order if int(i) not in set(taken)]
    return taken + rest[: n - len(taken)]


def _pending(avoid, d: int) -> np.ndarray:
    """``avoid`` as a finite (p, d) array (empty: nothing pending), or an error."""
    a = real_array("avoid", avoid)
    if a.size == 0:
        return np.empty((0, d))
    if a.ndim != 2:
        raise InvalidParameterError(
            f"avoid must be a 2-D array (p, {d}), one pending recipe per row, got shape "
            f"{a.shape}; pass a single pending recipe as avoid[None, :]"
        )
    if a.shape[1] != d:
        raise InvalidParameterError(
            f"avoid has {a.shape[1]} columns but the candidates x have {d}; give the pending "
            "recipes in the same unit-cube encoding as x"
        )
    return finite_matrix("avoid", a, "pending recipe")
