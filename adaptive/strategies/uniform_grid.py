"""Baseline: a uniform grid of ``n_points`` energies, measured low to high."""

from __future__ import annotations

import numpy as np

from adaptive.errors import InvalidParameterError
from adaptive.space import Space
from adaptive.strategies.scan import Scan


class UniformGrid(Scan):
    """The plain step scan: ``n_points`` equally spaced, ends included."""

    name = "grid"

    def __init__(self, space: Space, n_points: int = 100):
        super().__init__(space)
        if not isinstance(n_points, int) or n_points < 2:
            raise InvalidParameterError(f"n_points={n_points!r} must be an integer >= 2")
        self.n_points = n_points

    def positions(self) -> np.ndarray:
        """All scan energies (n_points,)."""
        return np.linspace(self.low, self.high, self.n_points)

    def _choose(self, n, taken):
        return _next_unmeasured(self.positions(), n, taken, f"grid of {self.n_points}")

    def stop_reason(self) -> str | None:
        if len(self.data()[0]) >= self.n_points:
            return f"all {self.n_points} grid points measured"
        return None


def _next_unmeasured(positions: np.ndarray, n: int, taken: list[float], label: str) -> list:
    """The first ``n`` of ``positions`` (m,) not in ``taken``, as (x, None, reason) rows."""
    out = []
    span = positions[-1] - positions[0]
    for k, x in enumerate(positions):
        if len(out) == n:
            break
        if not any(abs(x - t) <= 1e-9 * span for t in taken):
            out.append((float(x), None, f"{label}: point {k + 1}/{len(positions)}"))
    if len(out) < n:
        raise InvalidParameterError(
            f"{label} has only {len(out)} unmeasured points left; ask for at most that many"
        )
    return out
