"""Baseline: energies drawn uniformly at random."""

from __future__ import annotations

import bisect

import numpy as np

from adaptive.arrays import is_int
from adaptive.errors import InvalidParameterError
from adaptive.space import Space
from adaptive.strategies.scan import Scan


class RandomScan(Scan):
    """Uniform random energies from an explicit ``seed``.

    The k-th suggestion depends only on the seed and on how many points are
    measured or pending, so a restored campaign continues the same sequence.
    On a dimension with a ``step`` each draw is snapped to its lattice, and a
    draw that lands on a measured, pending or already drawn energy is skipped, so a
    batch is smaller (or empty) when fewer lattice points are left.
    """

    name = "random"

    def __init__(self, space: Space, seed: int = 0):
        super().__init__(space)
        if not is_int(seed) or seed < 0:
            raise InvalidParameterError(f"seed={seed!r} must be a non-negative integer")
        self.seed = seed

    def _choose(self, n, taken):
        n_steps = self.dimension.n_steps
        if n_steps is not None:  # fewer (none) when fewer lattice points are left
            n = min(n, n_steps + 1 - len(np.unique(self.dimension.snap(taken))))
        rng = np.random.default_rng(self.seed)
        rng.uniform(size=len(taken))  # the draws already measured or pending
        seen = sorted(taken)  # a draw is taken if its nearest neighbour here is
        out = []
        while len(out) < n:
            x = float(self.dimension.snap(rng.uniform(self.low, self.high, 1))[0])
            i = bisect.bisect_left(seen, x)
            if not self._is_taken([x], seen[max(i - 1, 0) : i + 1])[0]:
                bisect.insort(seen, x)
                out.append((x, None, f"uniform random draw (seed {self.seed})"))
        return out

    def stop_reason(self) -> str | None:
        n_steps = self.dimension.n_steps
        if n_steps is None:
            return None
        measured = np.unique(self.dimension.snap(self.data()[0]))
        return f"all {n_steps + 1} lattice points measured" if measured.size > n_steps else None
