"""Batch Bayesian optimisation of recipes: one GP, switchable batch methods."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from adaptive.designs import DESIGNS
from adaptive.errors import InvalidParameterError
from adaptive.objectives import reduce_replicates
from adaptive.records import Observation, Suggestion
from adaptive.space import Space
from surrogates.batch_acquisition import BATCH_METHODS, select_batch
from surrogates.recipe_gp import fit_recipe_gp, posterior_mean_std


class BatchBO:
    """Propose batches of recipes with a GP (ARD Matern-5/2, learned noise).

    Replicates of one recipe reduce to their median; where recipes have
    replicates, the variance of that median is given to the GP
    (heteroscedastic), else one noise level is learned. The first
    ``n_initial`` recipes come from a space-filling design; after that each
    batch is picked over a candidate set by ``batch_method``.

    Candidates: the given ``candidates`` (a pool of recipes; each is measured at
    most once), or else ``n_candidates`` feasible Sobol points plus Gaussian
    perturbations of the best recipes, snapped to the space's steps.

    Args:
        space: the recipe space (constraints and steps are respected).
        q: default batch size (a request for ``n`` overrides it).
        batch_method: one of ``qlognei`` (sequential greedy, default),
            ``kriging_believer``, ``local_penalization``, ``thompson``.
        n_initial: recipes in the initial design (default ``q``).
        initial_design: ``lhs``, ``sobol`` or ``random``.
        minimize: whether smaller objective values are better.
        candidates: optional pool of recipes (list of points).
        n_candidates: size of the generated candidate set.
        search_box: optional ``{name: [low, high]}`` narrower than the space;
            a bound is widened by ``widen_fraction`` of the range (up to the
            space's own bound) when the best recipe hugs it.
        target_value: stop once the best objective is at least this good.
        stable_rounds, stable_tolerance: stop when best and median objective per
            round moved less than ``stable_tolerance`` of the range over that many rounds.
        seed: seeds designs, candidates and Monte-Carlo samplers.
    """

    name = "batch_bo"

    def __init__(
        self,
        space: Space,
        q: int = 15,
        batch_method: str = "qlognei",
        n_initial: int | None = None,
        initial_design: str = "lhs",
        minimize: bool = True,
        candidates: Sequence[dict[str, Any]] | None = None,
        n_candidates: int = 2048,
        search_box: dict[str, Sequence[float]] | None = None,
        widen_fraction: float = 0.1,
        target_value: float | None = None,
        stable_rounds: int | None = None,
        stable_tolerance: float = 0.01,
        seed: int = 0,
    ):
        if batch_method not in BATCH_METHODS:
            raise InvalidParameterError(
                f"batch_method={batch_method!r}; choose one of {sorted(BATCH_METHODS)}"
            )
        if initial_design not in DESIGNS:
            raise InvalidParameterError(
                f"initial_design={initial_design!r}; choose one of {sorted(DESIGNS)}"
            )
        if not isinstance(q, int) or q < 1:
            raise InvalidParameterError(f"q={q!r} must be a positive integer")
        self.space = space
        self.q = q
        self.batch_method = batch_method
        self.n_initial = q if n_initial is None else n_initial
        self.initial_design = initial_design
        self.minimize = minimize
        self.pool = None if candidates is None else [space.validate(p) for p in candidates]
        self.n_candidates = n_candidates
        self.search_box = self._check_box(search_box)
        self.widen_fraction = widen_fraction
        self.target_value = target_value
        self.stable_rounds = stable_rounds
        self.stable_tolerance = stable_tolerance
        self.seed = seed
        self._values: dict[tuple, dict[tuple, float]] = {}
        self.model = None

    # ------------------------------------------------------------------ data
    def _check_box(self, box) -> dict[str, list[float]]:
        if box is None:
            return {}
        out = {}
        for name, bounds in box.items():
            dim = self.space[name]
            low, high = (float(b) for b in bounds)
            if not dim.low <= low < high <= dim.high:
                raise InvalidParameterError(
                    f"search_box {name}=[{low}, {high}] must lie inside [{dim.low}, {dim.high}]"
                )
            out[name] = [low, high]
        return out

    def _key(self, point: dict[str, Any]) -> tuple:
        return tuple(point[name] for name in self.space.names)

    def observe(self, observations: Sequence[Observation]) -> None:
        for obs in observations:
            if obs.value is None:
                raise InvalidParameterError(
                    f"batch_bo needs a scalar value (the objective) for {obs.point}; give the "
                    "campaign an objective to turn spectra into values"
                )
            point = self.space.validate(obs.point)
            self._values.setdefault(self._key(point), {})[(obs.value, obs.time)] = obs.value

    def data(self, in_order: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Recipes (n, d) in the unit cube, median objective (n,), its variance (n,) or None.

        Sorted by recipe, or with ``in_order`` by when each recipe was first measured.
        """
        keys = sorted(self._values)
        if in_order:
            keys.sort(key=lambda k: min(t for _, t in self._values[k]))
        x = self.space.to_unit([dict(zip(self.space.names, k, strict=True)) for k in keys])
        reps = [np.fromiter(self._values[k].values(), float) for k in keys]
        y = np.array([reduce_replicates(r) for r in reps])
        counts = np.array([len(r) for r in reps])
        if not (counts >= 2).any():
            return x, y, None
        # variance of a median ~ (pi/2) var / count; recipes measured once get the pooled var
        pooled = np.mean([r.var(ddof=1) for r in reps if len(r) >= 2])
        per_droplet = np.array([r.var(ddof=1) if len(r) >= 2 else pooled for r in reps])
        return x, y, np.pi / 2 * np.maximum(per_droplet, 1e-12) / counts

    # ------------------------------------------------------------------ proposals
    def suggest(
        self, n: int | None = None, pending: Sequence[dict[str, Any]] = ()
    ) -> list[Suggestion]:
        n = self.q if n is None else n
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise InvalidParameterError(f"n={n!r}: ask for at least one recipe (an integer)")
        taken = set(self._values) | {self._key(self.space.validate(p)) for p in pending}
        out: list[Suggestion] = []
        if len(taken) < self.n_initial:
            out = self._initial(min(n, self.n_initial - len(taken)), taken)
            taken |= {self._key(s.point) for s in out}
        if len(out) < n:
            if len(self._values) < 2:
                raise InvalidParameterError(
                    f"the model needs 2 measured recipes before it can propose; "
                    f"{len(self._values)} measured, {len(pending)} pending"
                )
            out += self._model_batch(n - len(out), taken, pending)
        return out

    def _initial(self, n: int, taken: set) -> list[Suggestion]:
        if self.pool is not None:
            free = [p for p in self.pool if self._key(p) not in taken]
            rng = np.random.default_rng(self.seed)
            picks = rng.choice(len(free), size=min(n, len(free)), replace=False)
            return [
                Suggestion(free[i], f"{self.name}:design", None, "random pick from the pool")
                for i in picks
            ]
        design = DESIGNS[self.initial_design](self.space, self.n_initial, self.seed)
        free = [p for p in design if self._key(p) not in taken][:n]
        label = f"initial {self.initial_design} design"
        return [Suggestion(p, f"{self.name}:design", None, label) for p in free]

    def _candidates(self, taken: set) -> tuple[np.ndarray, list[dict[str, Any]]]:
        """Candidate recipes, none measured or pending: (m, d) in the unit cube, and as points."""
        if self.pool is not None:
            free = [p for p in self.pool if self._key(p) not in taken]
            if not free:
                raise InvalidParameterError("the pool is exhausted: every recipe was measured")
            return self.space.to_unit(free), free
        rng = np.random.default_rng(self.seed + len(self._values))
        x, y, _ = self.data()
        best = x[np.argsort(y if self.minimize else -y)[:5]]
        local = best[rng.integers(len(best), size=self.n_candidates // 4)]
        local = local + rng.normal(0.0, 0.05, local.shape)
        unit = np.vstack([self._sobol_unit(rng), np.clip(local, 0.0, 1.0)])
        unit = self._inside_box(unit)
        unit = self.space.to_unit(self.space.from_unit(unit))  # snap steps and integers
        unit = unit[self.space.feasible(unit)]
        points = self.space.from_unit(unit)
        fresh: dict[tuple, int] = {}
        for i, point in enumerate(points):
            key = self._key(point)
            if key not in taken and key not in fresh:
                fresh[key] = i
        keep = list(fresh.values())
        return unit[keep], [points[i] for i in keep]

    def _sobol_unit(self, rng) -> np.ndarray:
        from scipy.stats import qmc

        sampler = qmc.Sobol(len(self.space.names), scramble=True, seed=rng)
        return sampler.random_base2(int(np.ceil(np.log2(self.n_candidates))))[: self.n_candidates]

    def _inside_box(self, unit: np.ndarray) -> np.ndarray:
        """Rescale the unit cube into the current search box (whole space if none)."""
        unit = unit.copy()
        for j, dim in enumerate(self.space.dimensions):
            if dim.name in self.search_box:
                low, high = self.search_box[dim.name]
                scale = dim.high - dim.low
                a, b = (low - dim.low) / scale, (high - dim.low) / scale
                unit[:, j] = a + unit[:, j] * (b - a)
        return unit

    def _widen_box(self, best_point: dict[str, Any]) -> list[str]:
        """Widen each search-box bound the best recipe hugs; return what changed."""
        changes = []
        for name, (low, high) in self.search_box.items():
            dim = self.space[name]
            step = self.widen_fraction * (high - low)
            value = best_point[name]
            if value - low < 0.02 * (high - low) and low > dim.low:
                self.search_box[name][0] = max(dim.low, low - step)
                changes.append(f"{name} low -> {self.search_box[name][0]:g}")
            if high - value < 0.02 * (high - low) and high < dim.high:
                self.search_box[name][1] = min(dim.high, high + step)
                changes.append(f"{name} high -> {self.search_box[name][1]:g}")
        return changes

    def _model_batch(self, n: int, taken: set, pending) -> list[Suggestion]:
        x, y, y_var = self.data()
        sign = -1.0 if self.minimize else 1.0
        self.model = fit_recipe_gp(x, sign * y, y_var)
        note = ""
        if self.search_box:
            best = self.space.from_unit(x[[int(np.argmax(sign * y))]])[0]
            changes = self._widen_box(best)
            note = f"; widened {', '.join(changes)}" if changes else ""
        candidates, candidate_points = self._candidates(taken)
        pending_unit = self.space.to_unit([self.space.validate(p) for p in pending])
        chosen, values = select_batch(
            self.batch_method, self.model, candidates, x, pending_unit, n, self.seed
        )
        points = [candidate_points[i] for i in chosen]
        mean, std = posterior_mean_std(self.model, candidates[chosen])
        return [
            Suggestion(
                point,
                f"{self.name}:gp",
                value,
                f"{self.batch_method} pick {k + 1}/{n}: predicted "
                f"{sign * m:.4g} ± {s:.2g} over {len(x)} recipes{note}",
            )
            for k, (point, value, m, s) in enumerate(zip(points, values, mean, std, strict=True))
        ]

    # ------------------------------------------------------------------ reporting
    def predict(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Posterior mean and std of the objective at recipes ``points`` (m, d) in space units."""
        x, y, y_var = self.data()
        if self.model is None or len(self.model.train_inputs[0]) != len(x):
            self.model = fit_recipe_gp(x, (-1.0 if self.minimize else 1.0) * y, y_var)
        rows = np.asarray(points, float).reshape(-1, len(self.space.names))
        unit = self.space.to_unit([dict(zip(self.space.names, row, strict=True)) for row in rows])
        mean, std = posterior_mean_std(self.model, unit)
        return (-mean if self.minimize else mean), std

    def round_ends(self, n_recipes: int) -> list[int]:
        """Recipe counts at the end of each round: the initial design, then batches of q."""
        ends = list(range(min(self.n_initial, n_recipes), n_recipes + 1, self.q))
        if not ends or ends[-1] != n_recipes:
            ends.append(n_recipes)
        return ends

    def stop_reason(self) -> str | None:
        """The study's stopping rules: objective past ``target_value``, or the best and the
        median objective per round both moving less than ``stable_tolerance`` (a fraction of
        the objective's range so far) over the last ``stable_rounds`` complete rounds."""
        _, y, _ = self.data(in_order=True)
        if len(y) == 0:
            return None
        best = float(y.min() if self.minimize else y.max())
        target = self.target_value
        if target is not None and (best <= target if self.minimize else best >= target):
            return f"best objective {best:.4g} reached the target {target:g}"
        if not self.stable_rounds:
            return None
        ends = [
            e
            for e in self.round_ends(len(y))
            if e == self.n_initial or (e - self.n_initial) % self.q == 0
        ]
        if len(ends) <= self.stable_rounds:
            return None
        pick = np.min if self.minimize else np.max
        bests = [pick(y[:e]) for e in ends]
        medians = [np.median(y[a:b]) for a, b in zip([0, *ends[:-1]], ends, strict=True)]
        scale = float(np.ptp(y)) or 1.0
        window = slice(-self.stable_rounds - 1, None)
        moves = max(np.ptp(bests[window]), np.ptp(medians[window])) / scale
        if moves < self.stable_tolerance:
            return (
                f"stable: best and median objective moved {100 * moves:.2f}% of the range "
                f"over the last {self.stable_rounds} rounds (< {100 * self.stable_tolerance:g}%)"
            )
        return None

    def state(self) -> dict:
        return {"search_box": self.search_box}

    def load_state(self, state: dict) -> None:
        unknown = set(state) - {"search_box"}
        if unknown:
            raise InvalidParameterError(f"unknown batch_bo state keys {sorted(unknown)}")
        self.search_box = {k: list(v) for k, v in state.get("search_box", {}).items()}
