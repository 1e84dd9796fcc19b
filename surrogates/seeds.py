"""Seeds derived from a run's seed, so that every part of a run (a chunk of simulated
spectra, an epoch's order, an ensemble member) draws its own reproducible stream."""

from __future__ import annotations

import numpy as np


def derived_seed(*key: int) -> int:
    """A 32-bit seed derived from non-negative integers (seed, chunk, epoch, member...)."""
    return int(np.random.SeedSequence(list(key)).generate_state(1)[0])
