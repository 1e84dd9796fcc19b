"""Baseline: energies drawn uniformly at random."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

import numpy as np

from adaptive.arrays import is_int
from adaptive.errors import InvalidParameterError
from adaptive.records import Suggestion
from adaptive.space import Space
from adaptive.strategies.scan import Scan


class RandomScan(Scan):
    """Uniform random energies from an explicit ``seed``.

    The k-th suggestion depends only on the seed and on how many points are
    measured, pending or failed, so a restored campaign continues the same sequence
    and a draw whose reading failed is passed over, not drawn again (a glitch fails
    again: asked again, one energy failed 20 times in a row and the driver gave up).
    On a dimension with a ``step`` each draw is snapped to its lattice, and a
    draw that lands on a measured, pending or already drawn energy is skipped, so a
    batch is smaller (or empty) when fewer lattice points are left.
    """

    name = "random"
    avoids_failed = True  # the failed draws count as drawn (see ``suggest``)

    def __init__(self, space: Space, seed: int = 0):
        super().__init__(space)
        if not is_int(seed) or seed < 0:
            raise InvalidParameterError(f"seed={seed!r} must be a non-negative integer")
        self.seed = seed
        self._n_failed = 0  # readings failed, as the last suggest was told

    def suggest(
        self, n: int, pending: Sequence[dict[str, Any]] = (), failed: Sequence[dict] = ()
    ) -> list[Suggestion]:
        """``Scan.suggest``; the ``failed`` points' draws are passed over as drawn."""
        self._n_failed = len(failed)
        return super().suggest(n, pending, failed)

    def _choose(self, n, taken):
        n_steps = self.dimension.n_steps
        if n_steps is not None:  # fewer (none) when fewer lattice points are left
            n = min(n, n_steps + 1 - len(np.unique(self.dimension.snap(taken))))
        rng = np.random.default_rng(self.seed)
        rng.uniform(size=len(taken) + self._n_failed)  # the draws measured, pending or failed
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
