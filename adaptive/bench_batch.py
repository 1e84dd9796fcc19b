"""Time to propose one batch of recipes in the AgNP synthesis space, per batch method."""

from __future__ import annotations

import time

import numpy as np
from tqdm import tqdm

from adaptive.arrays import check_int
from adaptive.designs import random_design
from adaptive.objectives import target_loss
from adaptive.records import Observation
from adaptive.simulate import GOAL_RECIPE, synthesis_space
from adaptive.space import Space
from adaptive.strategies.batch_bo import MAX_GREEDY_BATCH, BatchBO, check_greedy_batch
from simulators import AgNPSynthesis
from simulators.agnp import FACTORS, WAVELENGTHS
from surrogates.batch_acquisition import BATCH_METHODS


def bench_batch_time(
    n_observations: int = 150, q: int = 15, repeats: int = 3, progress: bool = True
) -> dict:
    """Seconds to propose one batch of ``q`` in the 5-D AgNP space after ``n_observations``.

    Observations are noisy simulated losses of random feasible recipes; the
    figure per batch method is the median over ``repeats`` proposals. Counts are
    checked under their CLI flags: ``n_observations`` (``--observations``) at least
    ``max(2, q)`` so the timed batch comes from the model, not the initial design, and
    ``q`` (``--batch``) at most ``MAX_GREEDY_BATCH`` (it times ``GREEDY_METHODS`` too).
    ``progress`` shows a progress bar of the proposals on stderr.
    """
    q = check_int("--batch", q)
    check_greedy_batch(
        BATCH_METHODS,
        q,
        f"--batch {q}",
        f"pass --batch {MAX_GREEDY_BATCH} or less (bench batch times every batch method)",
    )
    n_observations = check_int("--observations", n_observations, low=max(2, q))
    repeats = check_int("--repeats", repeats)
    space = Space.from_dict(synthesis_space())
    simulator = AgNPSynthesis(seed=0)
    target = simulator.spectrum_true(np.array([GOAL_RECIPE[f] for f in FACTORS]))
    recipes = random_design(space, n_observations, seed=0)
    spectra = [simulator.measure(np.array([r[f] for f in FACTORS]))[0] for r in recipes]
    observations = [
        Observation(point=r, value=target_loss(WAVELENGTHS, s, WAVELENGTHS, target))
        for r, s in zip(recipes, spectra, strict=True)
    ]
    times: dict[str, list[float]] = {method: [] for method in BATCH_METHODS}
    runs = [(method, repeat) for method in BATCH_METHODS for repeat in range(repeats)]
    for method, repeat in tqdm(runs, desc="batch proposals", unit="batch", disable=not progress):
        strategy = BatchBO(space, q=q, batch_method=method, seed=repeat)
        strategy.observe(observations)
        started = time.perf_counter()
        strategy.suggest(q)
        times[method].append(time.perf_counter() - started)
    out = {
        method: {"batch_s_median": float(np.median(seconds)), "batch_s_max": max(seconds)}
        for method, seconds in times.items()
    }
    return {"observations": n_observations, "q": q, "dimensions": 5, "methods": out}
