"""Initial designs: space-filling sets of feasible points to start a campaign.

Every design draws in the unit cube ``[0, 1]^d`` (see :meth:`Space.to_unit`), decodes
with :meth:`Space.from_unit` (integers rounded, stepped dimensions snapped), keeps
the rows that satisfy the space's constraints and drops duplicates. When too few
remain it draws again with a larger sample, for a bounded number of rounds
(:data:`MAX_ROUNDS`, at most :data:`MAX_DRAWS` unit points in all), then raises
:class:`InvalidParameterError`.

How each design copes with constraints:

- ``lhs``: without constraints (and when snapping makes no duplicates) the result is
  a plain Latin hypercube of ``n`` points, so each of the ``n`` equal bins of every
  continuous dimension without a step holds exactly one point (integer, stepped and
  categorical columns are rounded after stratifying, so their bins can hold two).
  Otherwise it oversamples: Latin hypercubes of growing size fill a pool of distinct
  feasible points (``POOL_FACTOR * n`` wanted; when that exceeds :data:`MAX_POOL`,
  ``MAX_POOL`` wanted and only the first ``MAX_POOL`` used, which bounds the cost for
  large ``n``), and ``n`` are chosen from the pool by
  greedy maximin in the unit cube (start at the pool point nearest the pool's
  centroid, then repeatedly add the point farthest from those already chosen; another
  choice of a categorical dimension counts 1 apart, whichever it is, and the commoner
  a point's choice in the pool, the nearer the centroid).
  Stratification is lost, but the points stay spread over the feasible region.
- ``sobol``: a scrambled Sobol' sequence, drawn in powers of two; the first ``n``
  distinct feasible points in sequence order are kept.
- ``random``: uniform draws, first ``n`` distinct feasible points kept.

Note that integer, stepped and categorical dimensions decode by rounding, so their end
values get half the weight of inner values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterator
from typing import Any

import numpy as np
from scipy.stats import qmc

from adaptive.arrays import is_int
from adaptive.errors import InvalidParameterError
from adaptive.space import Space, check_space
from surrogates.one_hot import one_hot_columns, recipe_distance

#: rounds of drawing before a design gives up
MAX_ROUNDS = 20
#: most unit-cube points one design draws in all
MAX_DRAWS = 1 << 18
#: LHS with constraints: how many feasible candidates per wanted point
POOL_FACTOR = 10
#: LHS with constraints: most candidates in the pool once ``POOL_FACTOR * n`` exceeds
#: it; greedy maximin costs ``n x pool x d``, so this bounds it (seconds at MAX_POINTS)
MAX_POOL = 20_000
#: most points one design returns: the LHS pool of a constrained space, drawn twice over,
#: stays within MAX_DRAWS
MAX_POINTS = MAX_DRAWS // (2 * POOL_FACTOR)

Design = Callable[..., list[dict[str, Any]]]


def _check(space: Space, n: Any, seed: Any) -> np.random.Generator:
    """Check the arguments every design takes; the random generator ``seed`` gives."""
    check_space(space, "a design")
    if not is_int(n) or n < 1:
        raise InvalidParameterError(f"n must be a positive integer number of points, got {n!r}")
    if n > MAX_POINTS:
        raise InvalidParameterError(
            f"n={n} exceeds the {MAX_POINTS} points a design draws at most "
            f"({MAX_DRAWS} unit points in all); ask for fewer"
        )
    if not (seed is None or isinstance(seed, np.random.Generator) or (is_int(seed) and seed >= 0)):
        raise InvalidParameterError(
            f"seed={seed!r} must be a non-negative integer, a numpy Generator or None"
        )
    return np.random.default_rng(seed)


def _too_few(space: Space, n: int, found: int, drawn: int) -> InvalidParameterError:
    undrawable = space.undrawable()
    if undrawable is not None:
        return InvalidParameterError(undrawable)
    labels = [c.describe() for c in space.constraints]
    why = (
        f"the constraints {labels} leave too little feasible volume"
        if space.constraints
        else "the space has too few distinct points"
    )
    fix = "ask for fewer points or loosen the constraints"
    equality = next((c for c in space.constraints if c.is_equality), None)
    if equality is not None:
        fix += (
            f"; an equality such as {equality.label} = {equality.upper:g} holds on few lattice "
            "points: drop one of its dimensions from the space (the driver sets it from the "
            "others) and bound the rest instead"
        )
    return InvalidParameterError(
        f"found only {found} distinct feasible points of the {n} asked for after {drawn} "
        f"draws: {why}; {fix}"
    )


def _growing(first: int, make: Callable[[int], np.ndarray]) -> Iterator[np.ndarray]:
    """Batches of ``first``, ``2 * first``, ``4 * first``, ... rows, within the limits."""
    size, drawn = first, 0
    for _ in range(MAX_ROUNDS):
        if drawn + size > MAX_DRAWS:
            return
        yield make(size)
        drawn += size
        size *= 2


def collect_feasible(
    space: Space, n: int, batches: Iterator[np.ndarray], target: int
) -> tuple[list[dict[str, Any]], np.ndarray]:
    """Take distinct feasible points from ``batches`` (each ``m x d``) until ``target``.

    Returns the points in draw order and the ``len x d`` unit coordinates of the
    decoded (snapped) points. Raises when fewer than ``n`` are found.
    """
    points: list[dict[str, Any]] = []
    seen: set[tuple] = set()
    drawn = 0
    for u in batches:
        drawn += len(u)
        u = u[space.feasible(u)]
        keep = []
        for i, row in enumerate(space.from_unit_array(u)):
            key = tuple(row.tolist())
            if key not in seen:
                seen.add(key)
                keep.append(i)
        points.extend(space.from_unit(u[keep]))
        if len(points) >= target:
            break
    if len(points) < n:
        raise _too_few(space, n, len(points), drawn)
    return points, space.to_unit(points)


def _maximin(u: np.ndarray, n: int, categorical: Collection[int]) -> list[int]:
    """Greedy maximin: indices of ``n`` rows of ``u`` (``m x d``) spread far apart in
    ``recipe_distance``, the columns ``categorical`` holding choices. The first is the
    row nearest the centroid where that distance is Euclidean: such a column taken
    one-hot over sqrt(2), its centroid the shares of its choices."""
    offset = u - u.mean(axis=0)
    offset[:, list(categorical)] = 0.0
    gap = np.sum(offset**2, axis=1)  # squared distance to the centroid (m,)
    for j in categorical:
        _, choice, count = np.unique(u[:, j], return_inverse=True, return_counts=True)
        share = count / len(u)
        gap += (1.0 - 2.0 * share[choice] + np.sum(share**2)) / 2.0
    chosen = [int(np.argmin(gap))]
    dist = recipe_distance(u, u[chosen[0]], categorical).numpy()
    for _ in range(n - 1):
        nxt = int(np.argmax(dist))
        chosen.append(nxt)
        dist = np.minimum(dist, recipe_distance(u, u[nxt], categorical).numpy())
    return chosen


def latin_hypercube(space: Space, n: int, seed: Any = None) -> list[dict[str, Any]]:
    """``n`` distinct feasible points from a Latin hypercube (see the module notes).

    Args:
        space: the space, with its constraints.
        n: number of points.
        seed: int, ``numpy.random.Generator`` or None.

    Raises:
        InvalidParameterError: the constraints leave too little feasible volume.
    """
    rng = _check(space, n, seed)
    d = len(space.dimensions)
    u = qmc.LatinHypercube(d, rng=rng).random(n)
    if not space.constraints:
        if len(np.unique(space.from_unit_array(u), axis=0)) == n:
            points = space.from_unit(u)
            return [space.validate(p) for p in points]

    def draw(m: int) -> np.ndarray:
        return qmc.LatinHypercube(d, rng=rng).random(m)

    target = POOL_FACTOR * n
    capped = target > MAX_POOL  # greedy maximin costs n x pool x d: bound it for large n
    if capped:
        target = MAX_POOL
    pool, pool_u = collect_feasible(space, n, _growing(target, draw), target)
    if capped:
        pool_u = pool_u[:MAX_POOL]
    categorical = one_hot_columns(space.choice_counts, d)  # two choices: 0 and 1 already
    return [space.validate(pool[i]) for i in _maximin(pool_u, n, categorical)]


def sobol(space: Space, n: int, seed: Any = None) -> list[dict[str, Any]]:
    """``n`` distinct feasible points from a scrambled Sobol' sequence.

    Draws in powers of two (keeping the sequence balanced) and keeps the first ``n``
    distinct feasible points in sequence order.

    Args:
        space: the space, with its constraints.
        n: number of points.
        seed: int, ``numpy.random.Generator`` or None.

    Raises:
        InvalidParameterError: the constraints leave too little feasible volume.
    """
    rng = _check(space, n, seed)
    sampler = qmc.Sobol(len(space.dimensions), scramble=True, rng=rng)

    def batches() -> Iterator[np.ndarray]:
        # the total drawn stays a power of two (2**k, 2**(k+1), ...), as Sobol' needs
        m = max(1, math.ceil(math.log2(n)))
        for _ in range(MAX_ROUNDS):
            if (1 << (m + 1)) > MAX_DRAWS:
                return
            yield sampler.random_base2(m)
            m = int(math.log2(sampler.num_generated))

    points, _ = collect_feasible(space, n, batches(), n)
    return [space.validate(p) for p in points[:n]]


def random_design(space: Space, n: int, seed: Any = None) -> list[dict[str, Any]]:
    """``n`` distinct feasible points drawn uniformly in the unit cube.

    Args:
        space: the space, with its constraints.
        n: number of points.
        seed: int, ``numpy.random.Generator`` or None.

    Raises:
        InvalidParameterError: the constraints leave too little feasible volume.
    """
    rng = _check(space, n, seed)
    d = len(space.dimensions)
    points, _ = collect_feasible(space, n, _growing(2 * n, lambda m: rng.random((m, d))), n)
    return [space.validate(p) for p in points[:n]]


#: designs by name, each ``design(space, n, seed=None) -> list[dict]``
DESIGNS: dict[str, Design] = {
    "lhs": latin_hypercube,
    "sobol": sobol,
    "random": random_design,
}
