"""Baseline: a uniform grid of ``n_points`` energies, measured low to high."""

from __future__ import annotations

import numpy as np

from adaptive.arrays import check_int
from adaptive.space import Space
from adaptive.strategies.scan import Scan

#: The most points a grid takes (a step scan of more is a mistake, and a memory error).
MAX_POINTS = 100_000


class UniformGrid(Scan):
    """The plain step scan: ``n_points`` equally spaced, ends included."""

    name = "grid"

    def __init__(self, space: Space, n_points: int = 100):
        super().__init__(space)
        self.n_points = check_int("n_points", n_points, 2, MAX_POINTS)

    def positions(self) -> np.ndarray:
        """All scan energies (m,): ``n_points``, fewer if snapping to the step merges some."""
        return np.unique(self.dimension.snap(np.linspace(self.low, self.high, self.n_points)))

    def _choose(self, n, taken):
        return self._next_unmeasured(self.positions(), n, taken, f"grid of {self.n_points}")

    def stop_reason(self) -> str | None:
        positions = self.positions()
        if self._all_measured(positions):
            return f"all {len(positions)} grid points measured"
        return None
