"""Iterative Shirley background of photoemission spectra (Shirley, Phys. Rev. B 5, 4709 (1972))."""

import numpy as np


def shirley_background(counts: np.ndarray, iterations: int = 12, end_points: int = 5) -> np.ndarray:
    """Iterative Shirley background, vectorised over spectra.

    The background rises from the mean of the first ``end_points`` values (low binding
    energy) to the mean of the last ones (high binding energy), at each energy in
    proportion to the peak area (counts above the background) on its low-binding-energy
    side. Only counts above it count: with the differences below it integrated too, the
    iteration cycled (period 4-6) wherever the background does not fit a Shirley step.

    Args:
        counts: (..., m) spectra on an ascending, uniformly stepped binding-energy axis.
        iterations: fixed-point iterations (the background converges in a few).
        end_points: points averaged at each end for the end levels (>= 1).

    Returns:
        (..., m) background.
    """
    counts = np.asarray(counts, dtype=float)
    low = counts[..., :end_points].mean(axis=-1, keepdims=True)
    high = counts[..., -end_points:].mean(axis=-1, keepdims=True)
    background = np.broadcast_to(low, counts.shape).copy()
    for _ in range(iterations):
        cumulative = np.cumsum(np.clip(counts - background, 0.0, None), axis=-1)
        total = cumulative[..., -1:]
        fraction = np.divide(cumulative, total, out=np.zeros_like(cumulative), where=total > 0)
        background = low + (high - low) * fraction
    return background
