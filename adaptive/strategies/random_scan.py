"""Baseline: energies drawn uniformly at random."""

from __future__ import annotations

import numpy as np

from adaptive.space import Space
from adaptive.strategies.scan import Scan


class RandomScan(Scan):
    """Uniform random energies from an explicit ``seed``.

    The k-th suggestion depends only on the seed and on how many points are
    measured or pending, so a restored campaign continues the same sequence.
    """

    name = "random"

    def __init__(self, space: Space, seed: int = 0):
        super().__init__(space)
        self.seed = seed

    def _choose(self, n, taken):
        draws = np.random.default_rng(self.seed).uniform(self.low, self.high, len(taken) + n)
        return [(float(x), None, f"uniform random draw (seed {self.seed})") for x in draws[-n:]]
