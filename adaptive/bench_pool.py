"""The pool benchmark of Liang et al. (npj Comput. Mater. 7, 188, 2021), with batches.

A pool of measured experiments (replicates averaged) is the whole search space; rows
whose inputs agree within BatchBO's readback tolerance (``READBACK_TOLERANCE`` of each
input's range; the same recipe written at two precisions) are replicates of one recipe.
Each method starts from ``init`` random recipes and proposes batches of ``q``
until 80% of the pool's top 5% (ranked by mean objective) have been measured.

Figures per method (medians over seeds):
    top5_found_at: experiments after which 80% of the top 5% were measured.
    af_at_0.8: random's experiments to that point divided by the method's.
    ef_at_30pct: fraction of the top 5% found after measuring 30% of the pool,
        divided by random's expectation (0.3).
    suggest_s_median: seconds to propose one batch.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from adaptive.arrays import check_int
from adaptive.errors import InvalidParameterError
from adaptive.records import Observation
from adaptive.space import READBACK_TOLERANCE, Dimension, Space
from adaptive.strategies.batch_bo import MAX_GREEDY_BATCH, BatchBO, check_greedy_batch
from simulators import PoolEmulator
from surrogates.batch_acquisition import BATCH_METHODS

TOP_FRACTION = 0.05
FOUND_FRACTION = 0.8
EF_FRACTION = 0.3  # the enhancement factor is read after measuring this share of the pool
METHODS = (*BATCH_METHODS, "random")
MIN_INIT = 2  # the fewest initial recipes BatchBO's model can be fitted on


def pool_space(pool: PoolEmulator) -> Space:
    """A continuous space spanning the pool's inputs, none of which may be constant."""
    for j, name in enumerate(pool.inputs):
        if np.ptp(pool.X[:, j]) == 0:
            raise InvalidParameterError(
                f"input column {name!r} has the same value {pool.X[0, j]:g} in every row, so "
                "it cannot be searched; drop it from the inputs (--inputs)"
            )
    return Space(
        tuple(
            Dimension(name, low=float(pool.X[:, j].min()), high=float(pool.X[:, j].max()))
            for j, name in enumerate(pool.inputs)
        )
    )


def run_pool_campaign(pool, method, q, n_init, seed, minimize=True) -> dict:
    """One campaign, until 80% of the top 5% and 30% of the pool are measured.

    Returns the order in which candidates were measured and the batch times.
    """
    n = pool.n_candidates
    if method == "random":
        return {"order": list(np.random.default_rng(seed).permutation(n)), "batch_s": [0.0]}
    space = pool_space(pool)
    points = [dict(zip(pool.inputs, map(float, row), strict=True)) for row in pool.X]
    index = {tuple(p.values()): i for i, p in enumerate(points)}
    strategy = BatchBO(
        space,
        q=q,
        batch_method=method,
        n_initial=n_init,
        candidates=points,
        minimize=minimize,
        seed=seed,
    )
    top = set(pool.top_indices(TOP_FRACTION, minimize).tolist())
    need = math.ceil(FOUND_FRACTION * len(top))
    budget = round(EF_FRACTION * n)
    order: list[int] = []
    batch_s: list[float] = []
    while len(order) < n and (len(top & set(order)) < need or len(order) < budget):
        size = min(n_init - len(order), n - len(order)) if len(order) < n_init else q
        started = time.perf_counter()
        batch = strategy.suggest(min(size, n - len(order)))
        if len(order) >= n_init:
            batch_s.append(time.perf_counter() - started)
        for suggestion in batch:
            i = index[tuple(suggestion.point.values())]
            order.append(i)
            value = pool.measure(i, mode="mean")
            strategy.observe([Observation(point=suggestion.point, value=value)])
    return {"order": order, "batch_s": batch_s or [0.0]}


def _found_at(order: list[int], top: set[int], need: int) -> int | None:
    found = 0
    for k, i in enumerate(order, start=1):
        found += i in top
        if found >= need:
            return k
    return None


def bench_pool(
    path: str | Path,
    inputs: list[str],
    objective: str,
    minimize: bool = True,
    q: int = 15,
    n_init: int = 15,
    seeds: int = 5,
    methods: list[str] | None = None,
    progress: bool = True,
) -> dict:
    """Run every batch method and random on a pool; return the figures.

    ``seeds`` is an int >= 1; ``methods`` distinct names from ``METHODS`` (default: all
    of them); ``n_init`` (``--init``) from ``MIN_INIT`` to one less than the pool's
    candidates (so a pool needs ``MIN_INIT + 1`` distinct recipes),
    ``q`` (``--batch``) from 1 to their number (to ``MAX_GREEDY_BATCH`` with ``GREEDY_METHODS``).
    """
    check_int("seeds", seeds, 1)
    known = list(METHODS)
    if methods is not None:
        if isinstance(methods, str) or not methods:
            raise InvalidParameterError(
                f"methods={methods!r} must be a non-empty list of names from {known}"
            )
        unknown = [m for m in methods if m not in known]
        if unknown:
            raise InvalidParameterError(f"unknown method(s) {unknown}; choose from {known}")
        if len(set(methods)) != len(methods):
            raise InvalidParameterError(f"methods {list(methods)} repeat a name; list each once")
    pool = PoolEmulator.from_csv(path, inputs, objective, seed=0, tolerance=READBACK_TOLERANCE)
    n = pool.n_candidates
    if n < MIN_INIT + 1:
        raise InvalidParameterError(
            f"the pool {path} has only {n} distinct recipe{'s' if n != 1 else ''} (rows with "
            "--inputs values within the readback tolerance are replicates of one); bench "
            "pool needs at least "
            f"{MIN_INIT + 1} (an initial design of {MIN_INIT} and one to find): use a larger pool"
        )
    n_init = check_int("--init", n_init, low=MIN_INIT, high=n - 1)  # leave the model a choice
    q = check_int("--batch", q, high=n)
    methods = known if methods is None else list(methods)
    check_greedy_batch(
        methods,
        q,
        f"--batch {q}",
        f"pass --batch {MAX_GREEDY_BATCH} or less, or leave those out of --methods",
    )
    top = set(pool.top_indices(TOP_FRACTION, minimize).tolist())
    need = math.ceil(FOUND_FRACTION * len(top))
    budget = round(EF_FRACTION * n)
    random_found = [
        _found_at(list(np.random.default_rng(s).permutation(n)), top, need) for s in range(2000)
    ]
    random_median = float(np.median(random_found))
    out = {}
    runs = [(m, s) for m in methods for s in range(seeds)]
    results: dict[str, list[dict]] = {m: [] for m in methods}
    for method, seed in tqdm(runs, desc="pool campaigns", disable=not progress):
        results[method].append(run_pool_campaign(pool, method, q, n_init, seed, minimize))
    for method, runs_ in results.items():
        found_at = [_found_at(r["order"], top, need) for r in runs_]
        reached = [f for f in found_at if f is not None]
        median_found = float(np.median(reached)) if len(reached) > len(found_at) / 2 else None
        ef = [len(top & set(r["order"][:budget])) / len(top) / EF_FRACTION for r in runs_]
        out[method] = {
            "top5_found_at": median_found,
            "af_at_0.8": None if median_found is None else random_median / median_found,
            "ef_at_30pct": float(np.median(ef)),
            "suggest_s_median": float(np.median([t for r in runs_ for t in r["batch_s"]])),
            "found_at_per_seed": found_at,
        }
    return {
        "pool": str(path),
        "objective": objective,
        "minimize": minimize,
        "n_candidates": n,
        "top_count": len(top),
        "need": need,
        "random_found_at_median_2000_shuffles": random_median,
        "q": q,
        "init": n_init,
        "seeds": seeds,
        "methods": out,
    }
