"""Batches from a spectrum network: the loss of predicted spectra, and diverse picks."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from surrogates.spectrum_net import SpectrumNet


def predicted_loss(
    net: SpectrumNet, losses: Callable[[np.ndarray], np.ndarray], x: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Loss of every member's predicted spectrum, summarised over the ensemble.

    Args:
        net: a fitted spectrum ensemble.
        losses: maps spectra (k, w) to their losses (k,).
        x: (m, d) recipes in the unit cube.

    Returns:
        mean: (m,) ensemble mean of the predicted loss.
        std: (m,) its spread across members.
    """
    members = net.predict_members(x)  # (M, m, w)
    flat = losses(members.reshape(-1, members.shape[-1]))
    per_member = flat.reshape(members.shape[:2])
    return per_member.mean(axis=0), per_member.std(axis=0)


def pick_diverse(
    score: np.ndarray, x: np.ndarray, n: int, min_distance: float, avoid: np.ndarray
) -> list[int]:
    """Greedily take the ``n`` lowest scores at least ``min_distance`` from each other.

    When too few candidates keep that distance, the closest ones are admitted in
    order of score, so the batch is always full (if there are ``n`` candidates).

    Args:
        score: (m,) lower is better.
        x: (m, d) candidate recipes in the unit cube.
        n: batch size.
        min_distance: Euclidean distance in the unit cube between picks.
        avoid: (p, d) recipes already pending; picks also keep away from them.

    Returns:
        Indices into the candidates, best first.
    """
    order = np.argsort(score)
    taken: list[int] = []
    near = np.zeros(len(x), bool)
    for row in avoid:
        near |= np.linalg.norm(x - row, axis=1) < min_distance
    for i in order:
        if len(taken) == n:
            break
        if not near[i]:
            taken.append(int(i))
            near |= np.linalg.norm(x - x[i], axis=1) < min_distance
    rest = [int(i) for i in order if int(i) not in set(taken)]
    return taken + rest[: n - len(taken)]
