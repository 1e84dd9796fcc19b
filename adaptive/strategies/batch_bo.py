"""Batch Bayesian optimisation of recipes: one GP, switchable batch methods."""

from __future__ import annotations

import contextlib
import hashlib
import math
import reprlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from functools import cached_property
from typing import Any

import numpy as np
from scipy import stats

from adaptive.arrays import (
    ascending_steps,
    check_all_finite,
    check_bool,
    check_int,
    is_finite_real,
    is_int,
)
from adaptive.designs import DESIGNS, MAX_DRAWS, MAX_POINTS, collect_feasible
from adaptive.errors import InvalidParameterError, OutOfSpaceError
from adaptive.objectives import (
    OBJECTIVE_SHAPE,
    SpectrumObjective,
    reduce_replicates,
    reduce_spectra,
)
from adaptive.records import Observation, Spectrum, Suggestion
from adaptive.space import READBACK_TOLERANCE, Space, check_space, jitters
from adaptive.strategies.energy_scan import OVERSTATED
from adaptive.strategy import check_state, observation_list
from surrogates.batch_acquisition import BATCH_METHODS, posterior_is_flat, select_batch
from surrogates.net_acquisition import pick_diverse, predicted_loss
from surrogates.recipe_gp import fit_recipe_gp, posterior_mean_std
from surrogates.spectrum_net import SpectrumNet

#: Which model proposes: the GP, the spectrum network, or half of each batch from each.
MODELS = ("gp", "net", "mix")
#: Unit-cube distance kept between the network's picks in one batch.
NET_MIN_DISTANCE = 0.1
#: Network picks minimise predicted loss minus this many ensemble spreads.
NET_EXPLORATION = 1.0
#: Most recipes one batch (``q``, or ``n`` of one ``suggest``) holds.
MAX_BATCH = 1000
#: The batch methods that condition the GP on every earlier pick of the batch: their
#: time grows steeply with its size (qlognei's Monte-Carlo acquisition as the size
#: cubed; the believers re-predict every candidate on a model grown by each pick).
GREEDY_METHODS = ("qlognei", "kriging_believer", "ucb")
#: Most GP picks one batch of a ``GREEDY_METHODS`` method holds (one core, 2048
#: candidates, 150 observed recipes, a busy machine: 64 picks took ucb 17 s,
#: kriging_believer 51 s, qlognei 158 s; thompson and local_penalization pick 512 in 1 s).
MAX_GREEDY_BATCH = 64
#: Most generated candidates, Sobol and local points together (``select_batch``
#: shortlists them for Thompson sampling's joint draws).
MAX_CANDIDATES = 8192
#: Least Sobol candidates per recipe asked for, so a large batch finds enough distinct ones.
CANDIDATES_PER_PICK = 4
#: Least degrees of freedom (droplets beyond the first, over all recipes) before the
#: pooled replicate variance is trusted as known noise; with fewer (and readings without
#: an uncertainty) the GP learns it.
MIN_NOISE_DOF = 5
#: ``n * Var(median of n) / Var(one droplet)`` for normal droplets, n = 1 to 10 (exact,
#: from order statistics); more droplets take the large-n limit pi / 2.
MEDIAN_VARIANCE_FACTOR = (1.0, 1.0, 1.346, 1.193, 1.434, 1.289, 1.473, 1.345, 1.495, 1.383)
#: Replicates scatter more than their uncertainties say where the chi-square of their
#: deviations, each over its recipe's stated variance, pooled, is above this quantile of
#: its chance distribution: honest ones are then widened in 5 % of campaigns, not half.
OVERSCATTER_QUANTILE = 0.95


class BatchBO:
    """Propose batches of recipes with a GP (ARD Matern-5/2, learned noise) and/or a
    network that predicts each recipe's whole spectrum (the study's "two-step" model).
    The GP takes a categorical factor of more than two choices one-hot, so no choice is
    nearer another by its place in the list (``surrogates.recipe_gp``).

    Replicates of one recipe reduce to their median. Once the replicated recipes
    give ``MIN_NOISE_DOF`` degrees of freedom, their pooled droplet variance (a median
    over the recipes, so an outlying droplet widens no other recipe's)
    yields each median's variance (smaller for recipes with more droplets) as
    known noise; when every reading carries an ``uncertainty``, the readings' own
    variances do (widened where the replicates scatter more than they say, not held where
    they say over ``OVERSTATED`` times as much: see ``data`` and ``warning``); else one
    noise level is learned. Every observation
    object is one replicate (two droplets with equal time and value count
    twice); observing the same object again changes nothing. The first
    ``n_initial`` recipes come from a space-filling design (inside the search
    box, if any); after that each batch is picked over a candidate set by
    ``batch_method``.

    Candidates: the given ``candidates`` (a pool of recipes, repeats dropped; each
    is measured at most once, and the last batches hold what is left), or else
    ``max(n_candidates, CANDIDATES_PER_PICK * n)`` Sobol points for a batch of ``n`` plus
    ``n_candidates // 4`` Gaussian perturbations of the best recipes, snapped to the
    space's steps, infeasible ones dropped (fewer Sobol points where both would pass
    ``MAX_CANDIDATES``). Where the constraints leave less than half of those Sobol points
    feasible, the sequence goes on (doubling, up to ``designs.MAX_DRAWS`` points) until
    half are; a batch still short of candidates says so in its reasons.

    A recipe observed at a driver's readback (within ``READBACK_TOLERANCE`` of the span
    of each continuous dimension without a step) counts as measuring the design or pool
    recipe nearest it, and readings naming one suggestion within twice that of each other
    (chained) are replicates of one recipe (``_replicate_of``). ``stop_reason`` also fires
    once no recipe is left: the pool, or every feasible recipe of a space without
    continuous dimensions, measured or failed.

    Args:
        space: the recipe space (constraints and steps are respected).
        q: batch size, 1 to ``MAX_BATCH``: the default ``n`` of ``suggest`` (a campaign
            always passes the ``n`` it is asked for: ``suggestions_get``'s default is 1, so
            ask for ``n=q``), the default initial design, and the size of a round (see
            ``_rounds``); qlognei, kriging_believer and ucb pick at most
            ``MAX_GREEDY_BATCH`` per request.
        batch_method: one of ``qlognei`` (sequential greedy, default),
            ``kriging_believer``, ``local_penalization``, ``thompson``, ``ucb``
            (see ``surrogates.batch_acquisition``).
        n_initial: recipes in the initial design, 2 to ``designs.MAX_POINTS`` (default
            ``q``, at least 2).
        initial_design: ``lhs``, ``sobol`` or ``random``.
        minimize: whether smaller objective values are better (must stay True with
            an ``objective``, whose values are losses).
        candidates: optional pool of recipes (list of points).
        n_candidates: size of the generated candidate set, ``q`` to ``MAX_CANDIDATES``.
        search_box: optional ``{name: [low, high]}`` of numeric dimensions, narrower
            than the space; a bound is widened by ``widen_fraction`` (in (0, 1]) of the
            range (up to the space's own bound) when, after new observations, the best
            recipe hugs it. Not with ``candidates``, whose pool is searched whole.
        target_value: stop once the best objective is at least this good (a number).
        stable_rounds, stable_tolerance: stop when best and median objective per
            round moved less than ``stable_tolerance`` (in (0, 1]) of the range over
            that many rounds (an integer >= 1).
        model: ``gp``; ``net`` (the spectrum network proposes once ``net_after``
            recipes have spectra, the GP before); ``mix`` (then half of each batch
            from each). Network picks minimise the ensemble's predicted loss minus
            its spread, kept apart in the unit cube; they are tagged ``batch_bo:net``.
        net_after: recipes with spectra before the network proposes, at least 3
            (default ``n_initial + q``: the design and one GP round).
        net_accuracy: stop once the network, trained on every earlier round,
            predicts the newest round's spectra with R^2 at least this (in (0, 1], e.g. 0.9).
        net_members: networks in the spectrum ensemble, at least 1.
        objective: the campaign's spectrum objective (given by the campaign); the
            network's predicted spectra are scored with it, and spectra are kept on
            its target axis.
        seed: seeds designs, candidates, Monte-Carlo samplers and networks.
    """

    name = "batch_bo"
    avoids_failed = True  # a recipe that failed (clogged) is not suggested again
    option_synonyms = {"batch_size": "q", "batch": "q"}  # for check_options' hint

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
        model: str = "gp",
        net_after: int | None = None,
        net_accuracy: float | None = None,
        net_members: int = 5,
        objective: SpectrumObjective | None = None,
        seed: int = 0,
    ):
        check_space(space, "BatchBO")
        if batch_method not in BATCH_METHODS:
            raise InvalidParameterError(
                f"batch_method={batch_method!r}; choose one of {sorted(BATCH_METHODS)}"
            )
        if initial_design not in DESIGNS:
            raise InvalidParameterError(
                f"initial_design={initial_design!r}; choose one of {sorted(DESIGNS)}"
            )
        check_int("q", q, 1, MAX_BATCH)
        if n_initial is not None:
            why = "the model needs two measured recipes before it can propose"
            check_int("n_initial", n_initial, 2, MAX_POINTS, why)
        if candidates is not None and search_box:
            raise InvalidParameterError(
                "search_box with candidates: the pool is searched whole, so the box would be "
                "ignored; drop search_box, or leave the recipes outside it out of the pool"
            )
        if candidates is None:
            why = "each batch is picked from them"
            check_int("n_candidates", n_candidates, q, MAX_CANDIDATES, why)
        _check_fraction("widen_fraction", widen_fraction)
        _check_fraction("stable_tolerance", stable_tolerance)
        if target_value is not None and not is_finite_real(target_value):
            raise InvalidParameterError(
                f"target_value={target_value!r} must be a finite number or null"
            )
        if net_accuracy is not None and not (
            is_finite_real(net_accuracy) and 0 < net_accuracy <= 1
        ):
            raise InvalidParameterError(
                f"net_accuracy={net_accuracy!r} must be in (0, 1] or null: it is the R^2 of the "
                "network's predictions of the newest round's spectra (e.g. 0.9), not a percentage"
            )
        if stable_rounds is not None:
            check_int("stable_rounds", stable_rounds, 1)
        if net_after is not None:
            check_int("net_after", net_after, 3, why="the network needs 3 recipes' spectra")
        check_int("net_members", net_members, 1)
        check_bool("minimize", minimize)
        check_int("seed", seed, 0, 2**63 - 1, why="torch takes a signed 64-bit seed")
        if model not in MODELS:
            raise InvalidParameterError(f"model={model!r}; choose one of {list(MODELS)}")
        if objective is not None and not isinstance(objective, SpectrumObjective):
            raise InvalidParameterError(
                f"objective must be a SpectrumObjective, got {type(objective).__name__}; "
                "build one with SpectrumObjective.from_dict(config)"
            )
        if objective is None and (model != "gp" or net_accuracy is not None):
            given = [f"model={model!r}"] if model != "gp" else []
            given += [] if net_accuracy is None else [f"net_accuracy={net_accuracy!r}"]
            raise InvalidParameterError(
                f"{' with '.join(given)} needs spectra scored by an objective: create the "
                f"campaign with an objective, {OBJECTIVE_SHAPE} (in Python "
                "SpectrumObjective(...).to_dict())"
            )
        if objective is not None and not minimize:
            raise InvalidParameterError(
                "minimize=False with a spectrum objective: the objective's values are losses, "
                "to be minimised; drop minimize=False"
            )
        self.space = space
        self.q = q
        self.batch_method = batch_method
        self.n_initial = max(q, 2) if n_initial is None else n_initial
        self.initial_design = initial_design
        self.minimize = minimize
        self.pool = None if candidates is None else self._distinct(candidates)
        self.n_candidates = n_candidates
        self.search_box = self._check_box(search_box)
        self._check_box_feasible()
        self.widen_fraction = widen_fraction
        self.target_value = target_value
        self.stable_rounds = stable_rounds
        self.stable_tolerance = stable_tolerance
        self.model_kind = model
        self.net_after = self.n_initial + q if net_after is None else net_after
        self.net_accuracy = net_accuracy
        self.net_members = net_members
        self.objective = objective
        self.seed = seed
        self._observed: dict[int, Observation] = {}  # id -> observation, held so ids stay unique
        # recipe -> [(time, value, uncertainty)], one per reading
        self._values: dict[tuple, list[tuple[float, float, float | None]]] = {}
        self._named: dict[tuple, set[str]] = {}  # recipe -> the suggestion ids its puts name
        # the suggestion ids of each round: the initial design, then the model's batches of q
        self._batches: list[list[str]] = [[]]
        self._spectra: dict[tuple, list[np.ndarray]] = {}  # recipe -> spectra on target_x
        # suggestion id -> the keys of its readings, grouped by the recipe each is kept under
        self._recipes_of: dict[str, list[list[tuple]]] = {}
        self._lost: set[tuple] = set()  # the failed recipes, not measured, the last suggest got
        self._accuracy: tuple[int, float | None] = (-1, None)  # (observations, R^2)
        self._widened_on = 0  # observations when the search box was last checked
        self.gp = None
        self._gp_data: bytes | None = None  # fingerprint of the data self.gp was fitted on

    # ------------------------------------------------------------------ data
    def check_new(self) -> None:
        """Refuse, for a new campaign only (a journal holding one still resumes, asked in
        parts or stopped), a ``q`` the greedy batch method cannot pick in one request, a
        space of lattice dimensions whose feasible recipes are fewer than the design, and
        constraints (in the search box) too tight for the initial design to be drawn: the
        same seeded draw ``suggest`` makes, which would fail there on every request."""
        check_greedy_batch([self.batch_method], self.q, f"the option q={self.q}")
        if self.pool is not None:
            return
        n = self._n_feasible
        if n is not None and n < self.n_initial:
            labels = [c.describe() for c in self.space.constraints]
            under = f", under the constraints {labels}" if labels else ""
            smaller = f"pass n_initial={n} or less, or " if n >= 2 else ""
            raise InvalidParameterError(
                f"the space holds {n} feasible recipe{'s' * (n != 1)} (its integer, "
                f"categorical and stepped dimensions' values{under}), fewer than the "
                f"n_initial={self.n_initial} of the initial design; {smaller}widen the space"
                + (" or loosen the constraints" if labels else "")
            )
        try:
            self._design()
        except InvalidParameterError as err:
            box = "; or widen search_box" if self.search_box else ""
            raise InvalidParameterError(
                f"the campaign was not created: its initial {self.initial_design} design "
                f"(n_initial={self.n_initial}) cannot be drawn, so it could never suggest a "
                f"recipe: {err}{box}"
            ) from None

    def _check_box(self, box) -> dict[str, list[float]]:
        if box is None:
            return {}
        if not isinstance(box, Mapping):
            raise InvalidParameterError(
                f"search_box must map dimension names to [low, high], got {box!r}"
            )
        out = {}
        for name, bounds in box.items():
            if name not in self.space.names:
                raise InvalidParameterError(
                    f"search_box names {name!r}, which is not a dimension; the space has "
                    f"{self.space.names}"
                )
            dim = self.space[name]
            if dim.kind == "categorical":
                raise InvalidParameterError(
                    f"search_box names the categorical dimension {name!r}; a box narrows "
                    "numeric dimensions only, so leave it out"
                )
            if (
                isinstance(bounds, str)
                or not isinstance(bounds, Sequence | np.ndarray)
                or len(bounds) != 2
                or not all(is_finite_real(b) for b in bounds)
            ):
                raise InvalidParameterError(
                    f"search_box {name}={bounds!r} must be two finite numbers [low, high]"
                )
            low, high = (float(b) for b in bounds)
            if not dim.low <= low < high <= dim.high:
                raise InvalidParameterError(
                    f"search_box {name}=[{low}, {high}] must have low < high and lie inside "
                    f"[{dim.low}, {dim.high}]"
                )
            out[name] = [low, high]
        return out

    def _check_box_feasible(self) -> None:
        """Refuse a search box in which some constraint, or all together, can never hold."""
        dims = self._box_space(constraints=()).dimensions
        for con in self.space.constraints:
            try:
                Space(dims, (con,))
            except InvalidParameterError:
                bounds = " and ".join(
                    f"{side} {bound:g}"
                    for side, bound in (("lower", con.lower), ("upper", con.upper))
                    if bound is not None
                )
                raise InvalidParameterError(
                    f"search_box {self.search_box} lies wholly outside the constraint "
                    f"{con.label!r} ({bounds}): no recipe in the box meets it; widen search_box "
                    "until it reaches recipes the constraint allows"
                ) from None
        try:
            Space(dims, self.space.constraints)
        except InvalidParameterError:
            raise InvalidParameterError(
                f"search_box {self.search_box} holds no recipe that meets the constraints "
                f"{[c.describe() for c in self.space.constraints]} together (each alone, "
                "yes); widen search_box until it reaches recipes they all allow"
            ) from None

    def _point(self, key: tuple) -> dict[str, Any]:
        return dict(zip(self.space.names, key, strict=True))

    def _distinct(self, candidates: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """The checked pool, each recipe once (a droplet table lists one per droplet),
        strictly feasible: no readback tolerance for a recipe that will be suggested. A bad
        recipe is refused naming its index in ``candidates`` and the fix."""
        box = Space(self.space.dimensions)  # the constraints are checked strictly below
        points = {}
        for index, candidate in enumerate(candidates):
            try:
                point = box.validate(candidate)
            except InvalidParameterError as err:
                raise type(err)(
                    f"candidates[{index}], recipe {candidate!r}: {err}; fix it, or drop it "
                    "from the pool"
                ) from None
            problems = [p for c in self.space.constraints if (p := c.violation(point))]
            if problems:
                raise OutOfSpaceError(
                    f"candidates[{index}], recipe {candidate!r}, violates the constraints: "
                    f"{'; '.join(problems)}; drop it from the pool, or loosen the constraint"
                )
            points[self.space.key(point)] = point
        if not points:
            raise InvalidParameterError(
                "candidates holds no recipe; give the pool's recipes, or leave candidates "
                "out to generate them"
            )
        return list(points.values())

    def observe(self, observations: Sequence[Observation]) -> None:
        for obs in observation_list(observations, self.name):
            if id(obs) in self._observed:  # this very object: already learned
                continue
            if obs.failed is not None:
                raise InvalidParameterError(
                    f"batch_bo learns no failed reading (failed={obs.failed!r} at {obs.point}); "
                    "pass its recipe to suggest(failed=[point]) so that it is not suggested "
                    "again, or put it through a Campaign, which does so"
                )
            if obs.value is None:
                raise InvalidParameterError(
                    f"batch_bo needs a scalar value (the objective) for {obs.point}; the "
                    "strategy scores no spectra itself: a campaign with an objective does, or "
                    "pass value=objective(spectrum.x, spectrum.y) with the spectrum"
                )
            key = self._replicate_of(self.space.key(self.space.validate(obs.point)), obs)
            if obs.spectrum is not None and self.objective is not None:
                obs.spectrum.refuse_missing()  # the spectrum network learns every channel
                on_target = self._on_target(obs.spectrum)
                self._spectra.setdefault(key, []).append(on_target)
            self._observed[id(obs)] = obs
            self._values.setdefault(key, []).append((obs.time, obs.value, obs.uncertainty))
            if obs.suggestion_id is not None:
                self._named.setdefault(key, set()).add(obs.suggestion_id)

    def _replicate_of(self, key: tuple, obs: Observation) -> tuple:
        """The recipe key a reading at ``key`` is kept under: with a suggestion id, that of
        the readings of the same suggestion it chains to, each within twice
        ``READBACK_TOLERANCE`` of the next (two readbacks of one setpoint, one on either
        side of it, are replicates), keyed by the lowest of them in unit coordinates, so
        the order of the readings does not matter; else ``key``."""
        if obs.suggestion_id is None:
            return key
        groups = self._recipes_of.setdefault(obs.suggestion_id, [])
        joined = [group for group in groups if self._replicates(key, group)]
        merged = [key, *(k for group in joined for k in group)]
        groups[:] = [group for group in groups if group not in joined] + [merged]
        recipe = self._lowest(merged)
        for old in {self._lowest(group) for group in joined} - {recipe}:
            for table in (self._values, self._named, self._spectra):
                if old in table:  # the recipe moves to its lowest reading's key
                    moved = table.pop(old)
                    table[recipe] = type(moved)([*table.get(recipe, []), *moved])
        return recipe

    def _replicates(self, key: tuple, group: list[tuple]) -> bool:
        """Whether the reading at ``key`` lies within twice ``READBACK_TOLERANCE`` of the
        span of one of the readings at ``group`` in each continuous dimension without a
        step, and equal in the others."""
        unit = self.space.to_unit([self._point(k) for k in [key, *group]])
        near = np.abs(unit[1:] - unit[0]) <= 2 * self._readback_tolerance
        return bool(np.any(np.all(near, axis=1)))

    @cached_property
    def _readback_tolerance(self) -> np.ndarray:
        """How far (d,), in unit coordinates, a driver's readback may lie from its recipe:
        ``READBACK_TOLERANCE`` in each continuous dimension without a step, 0 in the others."""
        return np.array(
            [READBACK_TOLERANCE if jitters(dim) else 0.0 for dim in self.space.dimensions]
        )

    def _lowest(self, keys: list[tuple]) -> tuple:
        """The lowest of the recipe ``keys`` in unit coordinates."""
        unit = self.space.to_unit([self._point(k) for k in keys])
        return keys[np.lexsort(unit.T[::-1])[0]]

    def _on_target(self, spectrum: Spectrum) -> np.ndarray:
        """``spectrum``'s y on the objective's target axis (w,). Its x may run either way
        (UV-Vis is often recorded high to low) but must not repeat a value."""
        x, y = spectrum.ascending()
        fix = "average the points measured at one x into one"
        ascending_steps("the sorted spectrum x", x, fix)
        return np.interp(self.objective.target_x, x, y)

    def _sorted_recipes(self, in_order: bool) -> tuple[list[tuple], np.ndarray]:
        """Keys of the measured recipes and their unit coordinates (n, d), as ``data`` sorts."""
        keys = list(self._values)
        x = self.space.to_unit([self._point(k) for k in keys])
        order = self._measured_order(keys, x) if in_order else np.lexsort(x.T[::-1])
        if in_order:  # by round, then as measured (a stable sort)
            order = order[np.argsort(self._rounds(keys, order)[0][order], kind="stable")]
        return [keys[i] for i in order], x[order]

    def _measured_order(self, keys: list[tuple], x: np.ndarray) -> np.ndarray:
        """The indices of ``keys`` (n,) in the order the recipes were first measured (ties by
        their unit coordinates x (n, d): categorical choices in listed order)."""
        first = [min(reading[0] for reading in self._values[k]) for k in keys]
        return np.lexsort([*x.T[::-1], first])  # the last key sorts first

    def _rounds(self, keys: list[tuple], measured: np.ndarray) -> tuple[np.ndarray, bool]:
        """The round of each recipe of ``keys`` (n,), and whether the newest round is complete.

        A recipe's round is that of the suggestion its puts name (the earliest, if several
        do; see ``_keep_rounds``): 0 for the initial design, then the model's suggestions
        in rounds of ``q``; a recipe naming none joins the round of the recipe measured
        before it. While no put names a suggestion of this strategy (observations without
        ``suggestion_id``), rounds are counted instead: the first ``n_initial`` recipes
        measured, then every ``q``.

        Args:
            keys: the measured recipes (n,).
            measured: the indices of ``keys`` (n,) in the order the recipes were first measured.
        """
        batch_of = {i: b for b, ids in enumerate(self._batches) for i in ids}
        named = [
            min((batch_of[i] for i in self._named.get(k, ()) if i in batch_of), default=-1)
            for k in keys
        ]
        rounds = np.zeros(len(keys), int)
        if max(named, default=-1) < 0:
            position = np.arange(len(keys))
            rounds[measured] = np.where(
                position < self.n_initial, 0, 1 + (position - self.n_initial) // self.q
            )
            size = self.n_initial if len(keys) <= self.n_initial else self.q
            return rounds, int(np.sum(rounds == rounds.max(initial=0))) == size
        current = 0
        for i in measured:
            current = named[i] if named[i] >= 0 else current
            rounds[i] = current
        newest = set(self._batches[rounds.max()])  # complete once all its suggestions are measured
        return rounds, newest <= set().union(*self._named.values())

    def recipes(self, in_order: bool = False) -> list[dict[str, Any]]:
        """The measured recipes as points, in the row order of ``data(in_order)``."""
        return [self._point(k) for k in self._sorted_recipes(in_order)[0]]

    def data(self, in_order: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Recipes (n, d) in the unit cube, median objective (n,), its variance (n,) or None.

        The variance of recipe i's median of c_i droplets is s^2 f(c_i) / c_i, with f
        ``MEDIAN_VARIANCE_FACTOR`` (1 for c_i <= 2, where the median is the mean) and s^2
        the droplet variance: pooled over the replicated recipes once their degrees of
        freedom (c_i - 1 each) sum to ``MIN_NOISE_DOF``, as the median over them of each
        one's sample variance over the median of chi-square of its degrees of freedom
        (the variance, where the droplets are normal; one outlying droplet, a clogged run,
        moves it little, where a mean of squares took it whole); when every reading
        carries an uncertainty, the mean square of recipe i's, widened by the chi-square per
        degree of freedom of all replicates' deviations, each over its own recipe's mean
        square, where they give ``MIN_NOISE_DOF`` and it is above chance
        (``OVERSCATTER_QUANTILE``: readings scattering more than they say; honest
        uncertainties that differ between recipes are held, and a precise recipe's
        understatement counts as much as a noisy one's; a recipe of uncertainty 0 takes the
        pooled variance); uncertainties over ``OVERSTATED`` times the scatter of the
        replicates whose droplets differ (``_overstated``: in other units) are not held,
        every recipe taking the pooled variance, and ``warning`` says so. None, for the GP
        to learn the noise, when neither is there: one recipe's own sample variance is too
        unsteady to fix the noise with; an uncertainty without replicates is held as given.

        Sorted by recipe, or with ``in_order`` by round (see ``_rounds``), then by when
        each recipe was first measured.
        """
        keys, x = self._sorted_recipes(in_order)
        y = np.array([reduce_replicates([value for _, value, _ in self._values[k]]) for k in keys])
        return x, y, self._variances(keys, [len(keys)])[0]

    def round_variances(self) -> list[np.ndarray | None]:
        """Per end e of ``round_ends()``, the variance (e,) or None that ``data`` gives the
        first e recipes of ``data(in_order=True)`` when they are all there is: later
        recipes' droplets leave a round's data alone."""
        return self._variances(self._sorted_recipes(True)[0], self.round_ends())

    def _variances(self, keys: list[tuple], ends: list[int]) -> list[np.ndarray | None]:
        """``data``'s variance (e,) or None of the first e of ``keys`` (n,), for each e of
        ``ends``, in one pass over the readings."""
        counts, squares, mean_square, told = self._droplet_sums(keys)
        dof = np.cumsum([0, *(counts - 1)])  # of the first e recipes at index e
        # each replicated recipe's sample variance over its chance median, pooled by their
        # median: one outlying droplet (a clogged run) widens no other recipe's variance. A
        # recipe whose droplets agree exactly (readings at a detection limit, or rounded
        # below their scatter) tells nothing of the scatter: out of the pool (7 of 12 recipes
        # reading 0 pooled it to 0, every median taken as exact; review W22)
        scaled = np.where(
            (counts > 1) & (squares > 0),
            squares / stats.chi2.ppf(0.5, np.maximum(counts - 1, 1)),
            np.nan,
        )
        scattered = np.cumsum([0, *np.isfinite(scaled)])  # recipes in the pool, to e
        told = np.cumprod([1, *told])  # all carry one, to e
        said = mean_square > 0  # an uncertainty 0 is exact: no scatter to compare with
        chi2, chi2_dof = _chi2_sums(counts, squares, mean_square, said)
        low_chi2, low_dof = _chi2_sums(counts, squares, mean_square, said & (squares > 0))
        table = len(MEDIAN_VARIANCE_FACTOR)
        factor = np.array(
            [MEDIAN_VARIANCE_FACTOR[c - 1] if c <= table else np.pi / 2 for c in counts]
        )
        variances = []
        for e in ends:
            uncertain = e > 0 and bool(told[e]) and not _overstated(low_chi2[e], low_dof[e])
            if dof[e] < MIN_NOISE_DOF and not uncertain:
                variances.append(None)
                continue
            pooled = dof[e] >= MIN_NOISE_DOF and scattered[e] > 0
            droplet_var = np.full(e, np.nanmedian(scaled[:e]) if pooled else 0.0)
            if uncertain:  # widened by as much as the replicates scatter more than they say
                excess, k = 1.0, chi2_dof[e]
                if k >= MIN_NOISE_DOF and chi2[e] > stats.chi2.ppf(OVERSCATTER_QUANTILE, k):
                    excess = chi2[e] / k
                droplet_var = np.where(said[:e], mean_square[:e] * excess, droplet_var)
            variances.append(droplet_var * factor[:e] / counts[:e])
        return variances

    def _droplet_sums(
        self, keys: list[tuple]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per recipe of ``keys`` (n,): its droplets (n,), their sum of squared deviations
        from their mean (n,; 0 where they agree exactly), the mean square of their
        uncertainties (n,; 0 where one has none) and whether every droplet carries one (n,)."""
        readings = [self._values[k] for k in keys]
        counts = np.array([len(r) for r in readings], int)
        values = [np.array([r[1] for r in rs]) for rs in readings]
        # 0 where the droplets agree exactly: their mean can be an ulp off (3 x 0.1 / 3)
        squares = np.array([np.sum((v - v.mean()) ** 2) if np.ptp(v) else 0.0 for v in values])
        stated = [[u for _, _, u in rs] for rs in readings]
        told = np.array([None not in us for us in stated], bool)
        mean_square = np.array(
            [np.mean(np.square(us)) if ok else 0.0 for us, ok in zip(stated, told, strict=True)]
        )
        return counts, squares, mean_square, told

    def warning(self) -> str | None:
        """What a put's reply warns of (see ``Strategy``): uncertainties, every reading's,
        over ``OVERSTATED`` times their replicates' scatter, not held (see ``data``)."""
        counts, squares, mean_square, told = self._droplet_sums(list(self._values))
        if not told.all():
            return None
        scattered = (mean_square > 0) & (squares > 0)
        chi2, dof = (sums[-1] for sums in _chi2_sums(counts, squares, mean_square, scattered))
        if not _overstated(chi2, dof):
            return None
        return (
            f"the readings' uncertainties are {np.sqrt(dof / chi2):.3g} times the scatter of "
            f"their replicates ({dof} degrees of freedom), over {OVERSTATED:g} times, so they "
            "are not held: the replicates' pooled variance is the GP's noise instead; are they "
            "in the values' units (not a percent of a fraction)?"
        )

    def spectrum_data(self) -> tuple[np.ndarray, np.ndarray]:
        """Recipes with spectra (n, d) in the unit cube, in the row order of
        ``data(in_order=True)``, and their median replicate spectra (n, w) on the
        objective's target axis."""
        keys, x = self._sorted_recipes(in_order=True)
        rows = [i for i, k in enumerate(keys) if k in self._spectra]
        width = 0 if self.objective is None else len(self.objective.target_x)
        spectra = [reduce_spectra(self._spectra[keys[i]]) for i in rows]
        return x[rows], np.array(spectra).reshape(len(rows), width)

    def fit_net(self, x: np.ndarray, spectra: np.ndarray) -> SpectrumNet:
        """The spectrum ensemble fitted on recipes x (n, d) and spectra (n, w)."""
        return SpectrumNet(
            n_members=self.net_members, seed=self.seed, choices=self.space.choice_counts
        ).fit(x, spectra)

    def net_losses(self, net: SpectrumNet, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and spread (m,) of the objective on the spectra the ensemble predicts at x."""

        def losses(spectra: np.ndarray) -> np.ndarray:
            return self.objective.losses(self.objective.target_x, spectra)

        return predicted_loss(net, losses, x)

    # ------------------------------------------------------------------ proposals
    def suggest(
        self,
        n: int | None = None,
        pending: Sequence[dict[str, Any]] = (),
        failed: Sequence[dict[str, Any]] = (),
    ) -> list[Suggestion]:
        """Up to ``n`` new recipes (default ``q``), none equal to a ``pending`` or ``failed``
        one; from a pool, what is left of it. Until two recipes are measured the model
        cannot fit, so only the initial design: none once the measured and pending recipes
        fill it (the pending ones are waited on), else ``min(n, n_initial)``: what is left of
        it, topped up with more design recipes (a driver's own recipe counts toward
        ``n_initial`` but is not a design point). A failed design recipe does not count as
        part of the design: it is replaced (see ``_initial``), so failures cannot stall the
        design."""
        n = self.q if n is None else n
        if not is_int(n) or not 1 <= n <= MAX_BATCH:
            raise InvalidParameterError(f"n={n!r}: ask for 1 to {MAX_BATCH} recipes (an integer)")
        taken = set(self._values) | {self.space.key(self.space.validate(p)) for p in pending}
        lost = {self.space.key(self.space.validate(p)) for p in failed} - taken
        self._lost = lost - set(self._values)
        design: list[Suggestion] = []
        if len(taken) < self.n_initial:
            design = self._initial(min(n, self.n_initial - len(taken)), taken | lost, len(lost))
            size = min(n, self.n_initial)  # design recipes this batch takes, at most
            if len(design) < size and len(self._values) < 2:  # the model cannot fill the rest
                with contextlib.suppress(InvalidParameterError):  # a lattice too small for it
                    design = self._initial(size, taken | lost, len(lost) + size - len(design))
            taken |= {self.space.key(s.point) for s in design}
        taken |= lost
        pending = [*pending, *failed]
        model: list[Suggestion] = []
        if len(design) < n and len(self._values) >= 2 and (self.pool is None or self._free(taken)):
            model = self._model_batch(
                n - len(design), taken, [*pending, *(s.point for s in design)]
            )
        self._keep_rounds(design, model)
        return design + model

    def _keep_rounds(self, design: list[Suggestion], model: list[Suggestion]) -> None:
        """File suggestions under their rounds: the initial design is round 0, however many
        calls it takes; the model's fill rounds of ``q``, so asking for fewer per call (a
        driver's batch of 1) still makes rounds of ``q``."""
        self._batches[0] += [s.id for s in design]
        for suggestion in model:
            if len(self._batches) == 1 or len(self._batches[-1]) >= self.q:
                self._batches.append([])
            self._batches[-1].append(suggestion.id)

    def _free(self, taken: set) -> list[dict[str, Any]]:
        """The pool's recipes not in ``taken`` (measured, pending or just suggested)."""
        hit = self._is_taken(self.pool, taken)
        return [p for p, h in zip(self.pool, hit, strict=True) if not h]

    def _is_taken(self, points: list[dict[str, Any]], taken: set) -> np.ndarray:
        """Whether each of the checked ``points`` (m,) is one of the recipe keys ``taken``.

        A taken recipe takes the point equal to it; one equal to none (a driver's readback
        of a suggested recipe, 9100.001 for 9100) takes the nearest point within
        ``READBACK_TOLERANCE`` of the span in each continuous dimension without a step, and
        equal in the others.
        """
        keys = [self.space.key(p) for p in points]
        hit = np.array([key in taken for key in keys], bool)
        readbacks = taken - set(keys)
        if not readbacks:
            return hit
        unit = self.space.to_unit(points)
        for row in self.space.to_unit([self._point(k) for k in readbacks]):
            gap = np.abs(unit - row)
            near = np.all(gap <= self._readback_tolerance, axis=1)
            if near.any():
                hit[np.argmin(np.where(near, gap.max(axis=1), np.inf))] = True
        return hit

    def _initial(self, n: int, taken: set, n_extra: int) -> list[Suggestion]:
        """``n`` distinct recipes of the initial design not in ``taken``: from a pool, random
        picks; else the design's points, then (replacing ``n_extra`` failed recipes, or
        topping up a short batch; see ``suggest``) those of a second design of ``n_extra``
        points, seeded by the seed and ``n_extra``."""
        if self.pool is not None:
            free = self._free(taken)
            rng = np.random.default_rng(self.seed)
            picks = rng.choice(len(free), size=min(n, len(free)), replace=False)
            return [
                Suggestion(free[i], f"{self.name}:design", None, "random pick from the pool")
                for i in picks
            ]
        design = self._design()
        if n_extra:
            make = DESIGNS[self.initial_design]
            more = min(n_extra, MAX_POINTS)
            design += make(self._box_space(), more, np.random.default_rng([self.seed, n_extra]))
        design = [self.space.validate(p) for p in design]
        hit = self._is_taken(design, taken)
        free = list(
            {self.space.key(p): p for p, h in zip(design, hit, strict=True) if not h}.values()
        )
        free = free[:n]
        label = f"initial {self.initial_design} design"
        return [Suggestion(p, f"{self.name}:design", None, label) for p in free]

    def _design(self) -> list[dict[str, Any]]:
        """The seeded initial design's ``n_initial`` points (in the search box, if any)."""
        return DESIGNS[self.initial_design](self._box_space(), self.n_initial, self.seed)

    def _box_space(self, constraints: tuple | None = None) -> Space:
        """The space narrowed to the search box, each bound moved out onto the values its
        dimension takes (stepped: the space's lattice, at least one step wide; integer:
        whole numbers), so the box's points are the space's; with the space's constraints
        unless ``constraints`` are given."""
        dims = []
        for dim in self.space.dimensions:
            if dim.name in self.search_box:
                low, high = self.search_box[dim.name]
                if dim.step is not None:
                    step = dim.step
                    high = min(dim.low + math.ceil((high - dim.low) / step) * step, dim.high)
                    k = min(
                        math.floor((low - dim.low) / step), math.floor((high - dim.low) / step) - 1
                    )
                    low = dim.low + k * step
                elif dim.kind == "integer":
                    low, high = max(math.floor(low), dim.low), min(math.ceil(high), dim.high)
                dim = replace(dim, low=low, high=high)
            dims.append(dim)
        return Space(tuple(dims), self.space.constraints if constraints is None else constraints)

    def _candidates(self, taken: set, n: int) -> tuple[np.ndarray, list[dict[str, Any]], str]:
        """Candidate recipes for a batch of ``n``, none measured or pending: (m, d) in the unit
        cube, as points (none when a pool is used up), and a note for the reasons when fewer
        than ``n`` are generated ("" otherwise)."""
        if self.pool is not None:
            free = self._free(taken)
            return self.space.to_unit(free), free, ""
        rng = np.random.default_rng(self.seed + len(self._values))
        x, y, _ = self.data()
        best = x[np.argsort(y if self.minimize else -y)[:5]]
        n_local = self.n_candidates // 4
        local = best[rng.integers(len(best), size=n_local)]
        local = local + rng.normal(0.0, 0.05, local.shape)
        d = len(self.space.names)
        box_low, box_high = self._inside_box(np.array([np.zeros(d), np.ones(d)]))
        n_sobol = min(max(self.n_candidates, CANDIDATES_PER_PICK * n), MAX_CANDIDATES - n_local)
        sobol, drawn = self._sobol_unit(rng, n_sobol)
        local = np.clip(local, box_low, box_high)
        local = self.space.to_unit(self.space.from_unit(local)).reshape(-1, d)  # snap steps
        unit = np.vstack([sobol, local])
        unit = unit[self.space.feasible(unit)]
        if not len(unit):
            raise InvalidParameterError(
                f"no candidate recipe meets the constraints: none of {drawn} Sobol points in "
                f"the search box, nor of {n_local} perturbations of the best recipes; loosen "
                "the constraints or widen search_box"
            )
        points = self.space.from_unit(unit)
        fresh: dict[tuple, int] = {}
        for i, point in enumerate(points):
            key = self.space.key(point)
            if key not in taken and key not in fresh:
                fresh[key] = i
        keep = list(fresh.values())
        note = ""
        if len(keep) < n:
            note = (
                f"; short batch: {len(keep)} new candidates for {n} recipes asked ({drawn} "
                f"Sobol points gave {len(sobol)} distinct recipes within the constraints)"
            )
        return unit[keep], [points[i] for i in keep], note

    def _sobol_unit(self, rng, n: int) -> tuple[np.ndarray, int]:
        """Feasible scrambled Sobol points in the search box, snapped to the space's values,
        (m, d) in the unit cube with m <= n, and how many points were drawn: the first ``n``
        of the sequence; while fewer than half of them are feasible, the sequence goes on,
        doubling, up to ``MAX_DRAWS`` points, until half are."""
        from scipy.stats import qmc

        sampler = qmc.Sobol(len(self.space.names), scramble=True, seed=rng)
        first = sampler.random_base2(int(np.ceil(np.log2(n))))

        def batches():  # the total drawn stays a power of two, as Sobol' needs
            yield first[:n]
            yield first[n:]
            while 2 * sampler.num_generated <= MAX_DRAWS:
                yield sampler.random_base2(int(np.log2(sampler.num_generated)))

        _, unit = collect_feasible(self.space, 0, map(self._inside_box, batches()), (n + 1) // 2)
        return unit.reshape(-1, len(self.space.names))[:n], sampler.num_generated

    def _inside_box(self, unit: np.ndarray) -> np.ndarray:
        """Rescale unit-cube rows (m, d) into the current search box (whole space if none)."""
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
        """GP picks, then network picks, as ``model`` and ``net_after`` decide; the search
        box is widened first."""
        n_net = 0
        if self.model_kind != "gp" and len(self._spectra) >= self.net_after:
            alternate = len(self._values) % 2  # mix with n = 1: every other pick
            n_net = n if self.model_kind == "net" else (n // 2 if n > 1 else alternate)
        check_greedy_batch([self.batch_method], n - n_net, "this request's model batch")
        note = self._widen()
        out = self._gp_batch(n - n_net, taken, pending, note) if n_net < n else []
        if n_net:
            taken = taken | {self.space.key(s.point) for s in out}
            out += self._net_batch(n_net, taken, [*pending, *(s.point for s in out)], note)
        return out

    def _widen(self) -> str:
        """Widen the search box if new observations put the best recipe on its edge; return
        a note for the reasons ("" if nothing changed)."""
        n_observed = len(self._observed)
        if not self.search_box or n_observed == self._widened_on:
            return ""
        x, y, _ = self.data()
        sign = -1.0 if self.minimize else 1.0
        changes = self._widen_box(self.space.from_unit(x[[int(np.argmax(sign * y))]])[0])
        self._widened_on = n_observed
        return f"; widened {', '.join(changes)}" if changes else ""

    def _net_batch(self, n: int, taken: set, pending, note: str) -> list[Suggestion]:
        candidates, candidate_points, short = self._candidates(taken, n)
        if not candidate_points:
            return []
        x, spectra = self.spectrum_data()
        net = self.fit_net(x, spectra)
        mean, std = self.net_losses(net, candidates)
        score = mean - NET_EXPLORATION * std
        pending_unit = self.space.to_unit([self.space.validate(p) for p in pending])
        chosen = pick_diverse(
            score, candidates, n, NET_MIN_DISTANCE, pending_unit, self.space.choice_counts
        )
        return [
            Suggestion(
                candidate_points[i],
                f"{self.name}:net",
                float(-score[i]),
                f"net pick {k + 1}/{len(chosen)}: predicted loss {mean[i]:.4g} ± {std[i]:.2g} "
                f"({self.net_members} networks on {len(x)} recipes' spectra){note}{short}",
            )
            for k, i in enumerate(chosen)
        ]

    def _fit_gp(self, x: np.ndarray, y: np.ndarray, y_var: np.ndarray | None) -> None:
        """Fit ``self.gp`` on recipes x (n, d), objective y (n,) and variance y_var (n,)."""
        sign = -1.0 if self.minimize else 1.0
        self.gp = fit_recipe_gp(x, sign * y, y_var, self.space.choice_counts)
        self._gp_data = fingerprint(x, y, y_var)

    def _gp_batch(self, n: int, taken: set, pending, note: str) -> list[Suggestion]:
        x, y, y_var = self.data()
        sign = -1.0 if self.minimize else 1.0
        candidates, candidate_points, short = self._candidates(taken, n)
        if not candidate_points:
            return []
        self._fit_gp(x, y, y_var)
        pending_unit = self.space.to_unit([self.space.validate(p) for p in pending])
        chosen, values = select_batch(
            self.batch_method, self.gp, candidates, x, pending_unit, n, self.seed
        )
        points = [candidate_points[i] for i in chosen]
        mean, std = posterior_mean_std(self.gp, candidates[chosen])
        pick, flat = f"{self.batch_method} pick", ""
        if posterior_is_flat(self.gp, candidates):
            pick = "farthest-recipe pick"
            flat = f" (the GP finds no signal, its std is flat, so {self.batch_method} is not used)"
        return [
            Suggestion(
                point,
                f"{self.name}:gp",
                value,
                f"{pick} {k + 1}/{len(chosen)}{flat}: predicted "
                f"{sign * m:.4g} ± {s:.2g} over {len(x)} recipes{note}{short}",
            )
            for k, (point, value, m, s) in enumerate(zip(points, values, mean, std, strict=True))
        ]

    # ------------------------------------------------------------------ reporting
    def predict(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Posterior mean and std (m,) of the objective at recipes ``points`` (m, d) in space
        units, columns in ``space.names`` order; one recipe may be (d,), and with d = 1
        ``points`` may be (m,). A list of m recipes as mappings ``{name: value}`` is taken
        too: the way to name categorical choices that are text. A value a hair past a
        bound (within ``READBACK_TOLERANCE``, a driver's readback) is taken on the bound, as
        ``observation_put`` takes it (``Space.clip_readback``)."""
        d = len(self.space.names)
        if isinstance(points, list | tuple) and points and isinstance(points[0], dict):
            recipes = list(points)
        else:
            try:
                rows = np.asarray(points, float)
            except (TypeError, ValueError) as err:
                raise InvalidParameterError(
                    f"points must be an (m, {d}) array of numbers, columns "
                    f"{list(self.space.names)}, or a list of recipes {{name: value}}: {err}"
                ) from None
            check_all_finite("points", rows, "predict at real recipes")  # indices as passed
            if rows.ndim == 1 and (d == 1 or rows.size == d):
                rows = rows[:, None] if d == 1 else rows[None]
            if rows.ndim != 2 or rows.shape[1] != d:
                raise InvalidParameterError(
                    f"points must be an (m, {d}) array, columns {list(self.space.names)}, or "
                    f"one recipe ({d},); got shape {rows.shape}"
                )
            recipes = [dict(zip(self.space.names, row, strict=True)) for row in rows]
        unit = np.array([self._encoded(k, recipe) for k, recipe in enumerate(recipes)])
        x, y, y_var = self.data()
        if len(x) < 2:
            raise InvalidParameterError(
                f"{self.name} needs two measured recipes to predict; {len(x)} measured so far: "
                "put observations of more recipes first"
            )
        if self.gp is None or self._gp_data != fingerprint(x, y, y_var):
            self._fit_gp(x, y, y_var)
        mean, std = posterior_mean_std(self.gp, unit)
        return (-mean if self.minimize else mean), std

    def _encoded(self, k: int, recipe: Any) -> np.ndarray:
        """Recipe ``k`` of a prediction in the unit cube (d,), its values a hair past a
        bound moved onto it (``Space.clip_readback``), or an error naming it."""
        try:
            inside = self.space.clip_readback(recipe)[0]
        except OutOfSpaceError as err:
            raise OutOfSpaceError(
                f"points[{k}]: {err.problem}",
                "predict inside the space (the model does not extrapolate)",
            ) from None
        try:
            return self.space.to_unit([inside])[0]
        except InvalidParameterError as err:
            raise type(err)(f"points[{k}]: {err}") from None

    def round_ends(self) -> list[int]:
        """Recipe counts, in the rows of ``data(in_order=True)``, at the end of each round
        that has measured recipes (see ``_rounds``)."""
        return self._round_ends()[0]

    def _round_ends(self) -> tuple[list[int], bool]:
        """``round_ends`` and whether the newest round is complete (see ``_rounds``)."""
        keys = list(self._values)
        x = self.space.to_unit([self._point(k) for k in keys])
        rounds, complete = self._rounds(keys, self._measured_order(keys, x))
        counts = np.unique(rounds, return_counts=True)[1]
        return np.cumsum(counts).tolist(), complete

    def stop_options(self) -> dict[str, Any]:
        """The stopping rules set, ``{name: value}`` of ``target_value``, ``stable_rounds``
        and ``net_accuracy`` when not None: a campaign runs them with its goal
        ``stop_on_convergence`` only."""
        rules = {n: getattr(self, n) for n in ("target_value", "stable_rounds", "net_accuracy")}
        return {name: value for name, value in rules.items() if value is not None}

    def stop_reason(self) -> str | None:
        """The study's stopping rules (see ``_goal_reason``), else every recipe measured or
        failed (as the last ``suggest`` was told): all of the pool, or all feasible recipes
        of a space without continuous dimensions (counted when it has at most
        ``designs.MAX_DRAWS`` lattice points)."""
        return self._goal_reason() or self._used_up()

    def _used_up(self) -> str | None:
        """Why no recipe is left to measure, or None while some is."""
        lost = self._lost - set(self._values)  # a failed recipe measured since: measured
        failed = f" ({len(lost)} of them failed)" if lost else ""
        if self.pool is not None:
            free = self._free(set(self._values) | lost)
            return None if free else f"all {len(self.pool)} recipes of the pool measured{failed}"
        n = self._n_feasible
        if n is not None and len(self._values) + len(lost) >= n:
            return f"all {n} feasible recipes of the space measured{failed}"
        return None

    @cached_property
    def _n_feasible(self) -> int | None:
        """How many recipes meet the constraints in a space of integer, categorical and
        stepped dimensions; None with a continuous one, or over ``MAX_DRAWS`` lattice points."""
        sizes = []  # each dimension's number of values, counted before any is listed
        for dim in self.space.dimensions:
            if dim.kind == "categorical":
                sizes.append(len(dim.choices))
            elif dim.kind == "integer":
                sizes.append(math.floor(dim.high) - math.ceil(dim.low) + 1)
            elif dim.step is not None:
                sizes.append(dim.n_steps + 1)
            else:
                return None
        if math.prod(sizes) > MAX_DRAWS:
            return None
        axes = []  # each dimension's values, in the unit cube
        for dim, size in zip(self.space.dimensions, sizes, strict=True):
            if dim.kind == "categorical":
                axes.append(np.linspace(0.0, 1.0, size))
                continue
            if dim.kind == "integer":
                values = math.ceil(dim.low) + np.arange(size)
            else:
                values = dim.snap(dim.low + dim.step * np.arange(size))
            axes.append((values - dim.low) / (dim.high - dim.low))
        grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(axes))
        return int(self.space.feasible(grid).sum())

    def _goal_reason(self) -> str | None:
        """The study's stopping rules: objective past ``target_value``, or the best and the
        median objective per round both moving less than ``stable_tolerance`` (a fraction of
        the objective's range so far) over the last ``stable_rounds`` complete rounds, once
        the objective has a range: every value equal is no signal found yet (a map whose
        element no point has hit), not a stable one."""
        _, y, _ = self.data(in_order=True)
        if len(y) == 0:
            return None
        best = float(y.min() if self.minimize else y.max())
        target = self.target_value
        if target is not None and (best <= target if self.minimize else best >= target):
            return f"best objective {best:.4g} reached the target {target:g}"
        accuracy = self.newest_batch_accuracy()
        if self.net_accuracy is not None and accuracy is not None:
            if accuracy >= self.net_accuracy:
                return (
                    f"the spectrum network trained on earlier rounds predicts the newest "
                    f"batch with R^2 {accuracy:.3f} >= {self.net_accuracy:g}"
                )
        if not self.stable_rounds or np.ptp(y) == 0:
            return None
        ends, complete = self._round_ends()
        ends = ends if complete else ends[:-1]
        if len(ends) <= self.stable_rounds:
            return None
        pick = np.min if self.minimize else np.max
        bests = [pick(y[:e]) for e in ends]
        medians = [np.median(y[a:b]) for a, b in zip([0, *ends[:-1]], ends, strict=True)]
        scale = float(np.ptp(y))
        window = slice(-self.stable_rounds - 1, None)
        moves = max(np.ptp(bests[window]), np.ptp(medians[window])) / scale
        if moves < self.stable_tolerance:
            return (
                f"stable: best and median objective moved {100 * moves:.2f}% of the range "
                f"over the last {self.stable_rounds} rounds (< {100 * self.stable_tolerance:g}%)"
            )
        return None

    def newest_batch_accuracy(self) -> float | None:
        """R^2 of the spectrum network, trained on all rounds before the newest, on the
        newest round's spectra; None until two rounds have spectra (cached until the next
        observation)."""
        n = len(self._spectra)
        n_observed = len(self._observed)
        if self.net_accuracy is None or self._accuracy[0] == n_observed:
            return self._accuracy[1]
        ends = self.round_ends()
        score = None
        if len(ends) >= 2 and n == len(self._values) and ends[-2] >= 3:
            x, spectra = self.spectrum_data()
            net = self.fit_net(x[: ends[-2]], spectra[: ends[-2]])
            score = net.score(x[ends[-2] :], spectra[ends[-2] :])
        self._accuracy = (n_observed, score)
        return score

    def state(self) -> dict:
        return {
            "search_box": self.search_box,
            "widened_on": self._widened_on,
            "batches": self._batches,
        }

    def load_state(self, state: dict) -> None:
        check_state(self.name, state, {"search_box", "widened_on", "batches"})
        self.search_box = {k: list(v) for k, v in state["search_box"].items()}
        self._widened_on = int(state["widened_on"])
        batches = state["batches"]
        if not isinstance(batches, list) or not all(
            isinstance(ids, list) and all(isinstance(i, str) for i in ids) for ids in batches
        ):
            raise InvalidParameterError(
                f"{self.name} state's batches must be lists of suggestion ids, got "
                f"{reprlib.repr(batches)}; load only what its state() returned"
            )
        self._batches = [list(ids) for ids in batches]


def _check_fraction(name: str, value: Any) -> None:
    """Refuse ``value`` unless a number in (0, 1]."""
    if not is_finite_real(value) or not 0 < value <= 1:
        raise InvalidParameterError(f"{name}={value!r} must be a number in (0, 1], e.g. 0.1")


#: What to do instead of a greedy batch that the strategy refuses (``check_greedy_batch``).
ASK_SMALLER = (
    "use batch_method thompson or local_penalization for larger batches, or ask in parts of "
    f"up to {MAX_GREEDY_BATCH}"
)


def check_greedy_batch(
    methods: Collection[str], picks: int, what: str, fix: str = ASK_SMALLER
) -> None:
    """Refuse more than ``MAX_GREEDY_BATCH`` GP ``picks`` in one batch when ``methods``
    include one of ``GREEDY_METHODS``: the one check of the strategy (its ``q``, each
    request's model batch) and of the commands that take ``--batch`` before any campaign.
    The message starts with ``what`` asked (``--batch 65``) and ends with ``fix``."""
    greedy = [m for m in GREEDY_METHODS if m in methods]
    if greedy and picks > MAX_GREEDY_BATCH:
        one = len(greedy) == 1
        raise InvalidParameterError(
            f"{what} asks {', '.join(greedy)} for {picks} recipes in one batch; "
            f"{'it picks' if one else 'they pick'} at most {MAX_GREEDY_BATCH} (each conditions "
            "the model on every earlier pick, so its time grows steeply with the batch): "
            f"{fix}"
        )


def _chi2_sums(
    counts: np.ndarray, squares: np.ndarray, mean_square: np.ndarray, kept: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The chi-square of the ``kept`` recipes' droplet deviations, each recipe's ``squares``
    over its stated ``mean_square``, and its degrees of freedom (``counts`` - 1 each), over
    the first e recipes for e = 0 to n: two (n + 1,) arrays, of recipe arrays (n,)."""
    chi2 = np.where(kept, squares / np.where(kept, mean_square, 1.0), 0.0)
    return np.cumsum([0.0, *chi2]), np.cumsum([0, *np.where(kept, counts - 1, 0)])


def _overstated(chi2: float, dof: int) -> bool:
    """Whether uncertainties whose replicates' deviations, each over its recipe's stated
    variance, give ``chi2`` on ``dof`` degrees of freedom are in other units (a percent for
    a loss that is a fraction): over ``OVERSTATED`` times (the energy scan's) the scatter,
    beyond chance (``OVERSCATTER_QUANTILE``: ``chi2`` below the 5th percentile of its
    distribution at that ratio), on at least ``MIN_NOISE_DOF`` degrees of freedom. Honest
    ones are refused in under 1e-4 of campaigns, 4.5 times the scatter in up to 3 %, 100
    times always: held, these left every batch a farthest-recipe pick (the GP found no
    signal), the best recipe's regret 0.02 against 0.0005 (review W23)."""
    chance = stats.chi2.ppf(1 - OVERSCATTER_QUANTILE, max(dof, 1)) / OVERSTATED**2
    return dof >= MIN_NOISE_DOF and chi2 < chance


def fingerprint(*arrays: np.ndarray | None) -> bytes:
    """A digest of the arrays' shapes, dtypes and values (None counts as itself): the
    identity of a model's training data, e.g. recipes x (n, d), y (n,), y_var (n,) or None."""
    digest = hashlib.sha256()
    for a in arrays:
        if a is None:
            digest.update(b"None")
            continue
        a = np.ascontiguousarray(a)
        digest.update(f"{a.dtype.str}{a.shape}".encode())
        digest.update(a.tobytes())
    return digest.digest()
