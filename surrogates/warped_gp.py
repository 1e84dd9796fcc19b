"""A 1-D Gaussian process on a data-driven monotone input warp.

An absorption spectrum has a sharp edge next to slow EXAFS wiggles, which no
stationary kernel fits. The warp ``u = W(x)`` stretches the axis where the
current reconstruction curves (density ``rho ~ |f''|**exponent``, smoothed,
with a ``floor`` fraction of a base density mixed in: ``base_density``, such as
the k-space prior ``EnergyScan`` passes by default, or uniform without one) so
that a stationary Matern kernel in ``u`` fits both regions. Each ``fit``
re-learns the hyperparameters from a cold start and from the previous fit's and
keeps the likelier (past ``refit_until`` points, only once the data have grown by
``refit_growth`` since they were last learned: each learning costs O(n^3) per
L-BFGS step, 4-8 s at 1,000 points; in between the stored ones condition the new
data), and then re-derives the warp from the new posterior mean for the next fit.
The noise is learned (one level) unless the caller knows each measurement's variance
(counting statistics): then that is held fixed.

Between sparse points a kernel too smooth for the signal (EXAFS wiggles it cannot
follow) is far too sure of itself. ``predict`` therefore adds to the posterior variance
the excess of the leave-one-out residuals over their predicted variance (closed form, at
each fit), averaged over the measured positions nearby and floored at zero: where the GP
predicts left-out readings as well as it expects, the band is its own. The readings at one
position (repeats, within ``SAME_POSITION``) are left out together, as their mean: a repeat
left out alone is predicted by its twin, which drew the band at a K-edge 4-8 times too
narrow where the kernel misfits most; so more readings at one position lower the GP's own
std there, not the misfit added. It also adds the variance of the learned constant mean,
which the GP's own std takes as known: where the GP reads every reading as noise, the band
is that of their mean, not zero. The mean, and the std an acquisition ranks
(``std_given_pending``, ``predict(band=False)``), are the GP's own.

Inputs are scaled to [0, 1] by the caller (positions outside are refused, not clamped);
outputs are standardised here.
"""

from __future__ import annotations

from collections.abc import Callable

import gpytorch
import numpy as np
import torch
from scipy.ndimage import gaussian_filter1d

from adaptive.arrays import as_positions, check_bool, check_int, is_finite_real
from adaptive.errors import InvalidParameterError
from adaptive.space import READBACK_TOLERANCE
from surrogates.threads import one_torch_thread

DTYPE = torch.float64
#: The largest warp exponent: an edge's curvature (~1e6 on a grid of 1024) to a power
#: much above 50 overflows the density to inf, and the warp to NaN.
MAX_EXPONENT = 10.0
#: Width of the Gaussian that pools the measured positions' leave-one-out excess into the band,
#: in kernel lengthscales: a full lengthscale carries an edge's excess into a flat pre-edge.
EXCESS_WIDTH = 0.5
#: Readings within this (in [0, 1]) above a position's lowest are at that position, left out
#: together by the band's leave-one-out step: repeats, or a driver's readbacks of one setpoint (half
#: the readback tolerance, as a scan counts failures at one energy; under the 1/1023 between
#: an energy scan's grid energies).
SAME_POSITION = READBACK_TOLERANCE / 2
#: Most query points ``predict`` takes at once: its matrices are (points, observations), 2.9
#: GB for 100,000 points at 1,000 observations in one piece.
PREDICT_CHUNK = 4096
#: Points up to which the marginal likelihood is exact (gpytorch's default, 800, switches to
#: conjugate gradients and Lanczos above: approximate, and slower at these sizes), as the
#: posterior (one Cholesky) always is.
MAX_CHOLESKY = 100_000
#: How far outside [0, 1] an input may lie (rounding of a caller's scaling); it counts as the end.
UNIT_SLACK = 1e-9


def _chunks(x: np.ndarray) -> list[np.ndarray]:
    """``x`` (m,) in pieces of at most ``PREDICT_CHUNK`` (one, possibly empty, for m <=
    ``PREDICT_CHUNK``)."""
    return np.split(x, range(PREDICT_CHUNK, x.size, PREDICT_CHUNK))


def _in_unit_interval(name: str, x: np.ndarray) -> np.ndarray:
    """``x`` (m,), or an error naming its first value not in [0, 1] (to ``UNIT_SLACK``)."""
    outside = ~((x >= -UNIT_SLACK) & (x <= 1 + UNIT_SLACK))
    if outside.any():
        k = int(np.argmax(outside))
        raise InvalidParameterError(
            f"{name}[{k}]={x[k]} is not in [0, 1]: WarpedGP takes scaled positions; "
            "pass (x - low) / (high - low) for positions x from low to high"
        )
    return x


def _positions(x: np.ndarray) -> list[np.ndarray]:
    """The indices into ``x`` (n,) of the readings at each measured position, ascending:
    the readings within ``SAME_POSITION`` above a position's lowest reading are at it (not
    chained from one to the next: a driver's 0.5 eV steps would make one position of an
    edge)."""
    order = np.argsort(x, kind="stable")
    starts, lowest = [], -np.inf
    for k, value in enumerate(x[order]):
        if value - lowest > SAME_POSITION:
            starts.append(k)
            lowest = value
    return np.split(order, starts[1:])


def _left_out_excess(
    inverse: np.ndarray, weighted: np.ndarray, precision: np.ndarray, groups: list[np.ndarray]
) -> np.ndarray:
    """Each group's excess of its squared leave-group-out residual over its predicted
    variance (g,), from ``inverse`` = ``K^-1`` (n, n) of the kernel plus noise,
    ``weighted`` = ``K^-1 (y - mean)`` (n,) and the readings' noise ``precision`` (n,): a
    group left out together has residuals ``r = B^-1 weighted_G`` of covariance ``B^-1``
    (``B = inverse_GG``), pooled into their precision-weighted mean (the mean reading, at
    noise ``sigma**2 / k`` for ``k`` alike). A group of one: ``r**2 - v``, ``r =
    weighted_i / inverse_ii``, ``v = 1 / inverse_ii``."""
    excess = np.empty(len(groups))
    for k, group in enumerate(groups):
        pool = precision[group] / precision[group].sum()
        block = inverse[np.ix_(group, group)]
        solved = np.linalg.solve(block, np.stack([weighted[group], pool], axis=1))
        residual, variance = pool @ solved
        excess[k] = residual**2 - variance
    return excess


def _snapshot(model: torch.nn.Module) -> dict:
    """A detached copy of the model's parameters."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _loadable(model: torch.nn.Module, hyper: dict) -> dict:
    """``model``'s state with the entries of ``hyper`` it has: a learned noise level is
    dropped when the noise becomes known, and kept at the model's own when it stops."""
    return {**model.state_dict(), **{k: v for k, v in hyper.items() if k in model.state_dict()}}


class _ExactGP(gpytorch.models.ExactGP):
    def __init__(self, u: torch.Tensor, y: torch.Tensor, likelihood, nu: float):
        super().__init__(u, y, likelihood)
        self.mean_module = gpytorch.means.ConstantMean()
        self.covar_module = gpytorch.kernels.ScaleKernel(gpytorch.kernels.MaternKernel(nu=nu))

    def forward(self, u):
        return gpytorch.distributions.MultivariateNormal(self.mean_module(u), self.covar_module(u))


class WarpedGP:
    """GP regression on ``[0, 1]`` with a curvature-derived input warp.

    Args:
        grid_size: resolution of the warp and of ``grid_posterior``, an integer >= 2.
        exponent: density ~ |f''| ** exponent, in [0, ``MAX_EXPONENT``] (2/5 is optimal for
            piecewise-linear reconstruction; a little higher concentrates more on the edge).
        floor: fraction of the base density mixed in, in (0, 1], so no region is starved.
        base_density: ``f(grid, mean) -> density`` (grid_size,) for that floor, from
            prior knowledge of the signal (e.g. constant steps in k above an
            absorption edge); None means uniform.
        smoothing: Gaussian smoothing of the curvature, in grid cells, in [0, grid_size].
        nu: Matern smoothness (0.5, 1.5 or 2.5).
        min_noise, max_noise: bounds of the learned noise variance (standardised
            units), 0 < min_noise < max_noise. The upper bound keeps the fit out of the
            "all noise, no signal" optimum that otherwise traps it on sparse data. A
            known noise (``fit(noise=...)``) is floored at ``min_noise``.
        fit_iterations: L-BFGS iterations per fit, an integer >= 1.
        refit_until: points up to which every fit re-learns the hyperparameters, an
            integer >= 2.
        refit_growth: past ``refit_until``, re-learn only once the points have grown by
            this fraction since the last learning (>= 0; 0 re-learns at every fit).
    """

    def __init__(
        self,
        grid_size: int = 2048,
        exponent: float = 0.5,
        floor: float = 0.1,
        smoothing: float = 4.0,
        nu: float = 2.5,
        min_noise: float = 1e-6,
        max_noise: float = 0.05,
        fit_iterations: int = 20,
        refit_until: int = 200,
        refit_growth: float = 0.1,
        base_density: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    ):
        check_int("grid_size", grid_size, 2, why="grid points of the warp")
        bounds = (
            ("exponent", exponent, MAX_EXPONENT, "a larger power overflows the density"),
            (
                "smoothing",
                smoothing,
                grid_size,
                f"grid cells, at most grid_size={grid_size}: a wider one flattens the curvature",
            ),
        )
        for key, value, high, why in bounds:
            if not is_finite_real(value) or not 0 <= value <= high:
                raise InvalidParameterError(
                    f"{key}={value!r} must be a finite number in [0, {high:g}] ({why})"
                )
        if not is_finite_real(floor) or not 0 < floor <= 1:
            raise InvalidParameterError(
                f"floor={floor!r} must be a finite number in (0, 1]: with no floor a flat "
                "stretch of the spectrum gets no warp density and the warp cannot be inverted; "
                "use a small floor such as 0.01"
            )
        check_int("fit_iterations", fit_iterations, 1, why="L-BFGS iterations per fit")
        check_int("refit_until", refit_until, 2, why="points up to which every fit re-learns")
        if not is_finite_real(refit_growth) or refit_growth < 0:
            raise InvalidParameterError(
                f"refit_growth={refit_growth!r} must be a finite number >= 0 (the fraction "
                "the points grow by before the hyperparameters are re-learned; 0: every fit)"
            )
        if nu not in (0.5, 1.5, 2.5):
            raise InvalidParameterError(f"nu={nu!r} must be 0.5, 1.5 or 2.5 (Matern smoothness)")
        if not (is_finite_real(min_noise) and is_finite_real(max_noise)) or not (
            0 < min_noise < max_noise
        ):
            raise InvalidParameterError(
                f"min_noise={min_noise!r} and max_noise={max_noise!r} must be finite numbers "
                "with 0 < min_noise < max_noise (bounds of the noise variance)"
            )
        self.grid_size = grid_size
        self.exponent = exponent
        self.floor = floor
        self.smoothing = smoothing
        self.nu = nu
        self.min_noise = min_noise
        self.max_noise = max_noise
        self.fit_iterations = fit_iterations
        self.refit_until = refit_until
        self.refit_growth = refit_growth
        self.base_density = base_density
        self.grid = np.linspace(0.0, 1.0, grid_size)
        self.warp = self.grid.copy()
        self._next_warp = self.warp
        self._hyper: dict | None = None
        self._learned_on = 0  # points the hyperparameters were last learned on
        self._model: _ExactGP | None = None
        self._noise: np.ndarray | None = None  # known variances (n,) in y's units, or None
        self._excess: np.ndarray | None = None  # these four: see _band_terms
        self._excess_at: np.ndarray | None = None
        self._mean_weights: torch.Tensor | None = None
        self._mean_precision = 0.0
        self._on_grid: tuple[np.ndarray, np.ndarray] | None = None  # see grid_posterior
        self._misfit: tuple[np.ndarray, np.ndarray] | None = None  # see widened

    def _u(self, x: np.ndarray) -> torch.Tensor:
        """Warped coordinates of ``x`` (n,) as an ``n x 1`` tensor."""
        return torch.as_tensor(np.interp(x, self.grid, self.warp), dtype=DTYPE)[:, None]

    def fit(self, x: np.ndarray, y: np.ndarray, noise: np.ndarray | None = None) -> WarpedGP:
        """Learn hyperparameters on ``x`` (n,) in [0, 1] and ``y`` (n,), then update the warp.

        ``noise`` (n,): each measurement's known variance, in y's units squared (the
        square of its uncertainty), held fixed; None learns one noise level. The model
        keeps copies: later edits of the caller's arrays change nothing.
        """
        x = np.array(x, float)
        y = np.array(y, float)
        if x.ndim != 1 or x.shape != y.shape or x.size < 2:
            raise InvalidParameterError(
                f"fit needs two equal 1-D arrays of >= 2 points, got {x.shape} and {y.shape}"
            )
        if not (np.isfinite(x).all() and np.isfinite(y).all()):
            raise InvalidParameterError(
                "fit needs finite x and y (no NaN/inf): drop or re-measure the bad points"
            )
        _in_unit_interval("x", x)
        if noise is not None:
            noise = np.array(noise, float)
            if noise.shape != x.shape or not (np.isfinite(noise) & (noise >= 0)).all():
                raise InvalidParameterError(
                    f"noise must hold one finite variance >= 0 per point, {x.shape}, got "
                    f"shape {noise.shape}: pass each uncertainty squared, or None to learn it"
                )
        with one_torch_thread():
            self._fit(x, y, noise)
        return self

    def _fit(self, x: np.ndarray, y: np.ndarray, noise: np.ndarray | None) -> None:
        """Learn the hyperparameters when due (see ``_learn_due``), then update the warp."""
        self.warp = self._next_warp
        learn = self._learn_due(x.size, noise)
        model = self._build(x, y, noise)
        if learn:
            self._learn(model)
        model.eval()
        self._band_terms()
        mean, _ = self.grid_posterior()
        self._next_warp = self._warp_from(mean / (np.ptp(y) or 1.0))

    def _learn_due(self, n: int, noise: np.ndarray | None) -> bool:
        """Whether a fit of ``n`` points re-learns the hyperparameters: always up to
        ``refit_until`` points, when none are stored or the noise changes between known and
        learned, and else once ``n`` has grown by ``refit_growth`` since they were."""
        return (
            n <= self.refit_until
            or self._hyper is None
            or (noise is None) != (self._noise is None)
            or n >= (1 + self.refit_growth) * self._learned_on
        )

    def _learn(self, model: _ExactGP) -> None:
        """Fit ``model`` from the warm start and from the cold start; keep the likelier."""
        starts = [self._cold_start(model)]
        if self._hyper is not None:
            starts.append(_loadable(model, self._hyper))
        best, best_loss = None, np.inf
        for start in starts:
            model.load_state_dict(start)
            loss = self._optimise(model)
            if loss < best_loss:
                best, best_loss = _snapshot(model), loss
        model.load_state_dict(best if best is not None else starts[0])
        self._hyper = _snapshot(model)
        self._learned_on = len(self._x)

    def _optimise(self, model: _ExactGP) -> float:
        """L-BFGS on the negative marginal log likelihood; return it (inf on failure)."""
        u, target = self._u(self._x), self._target
        model.train()
        mll = gpytorch.mlls.ExactMarginalLogLikelihood(model.likelihood, model)
        optimizer = torch.optim.LBFGS(
            model.parameters(), lr=1.0, max_iter=self.fit_iterations, line_search_fn="strong_wolfe"
        )

        def closure():
            optimizer.zero_grad()
            loss = -mll(model(u), target)
            loss.backward()
            return loss

        try:
            with gpytorch.settings.max_cholesky_size(MAX_CHOLESKY):
                optimizer.step(closure)
                with torch.no_grad():
                    return float(-mll(model(u), target))
        except (RuntimeError, ValueError):  # a failed Cholesky: this start is out
            return np.inf

    def _cold_start(self, model: _ExactGP) -> dict:
        """Hyperparameters near the signal-dominated optimum: small noise, short lengthscale.

        Warm starts alone drift into the "all noise" optimum on sparse data.
        """
        if self._noise is None:
            model.likelihood.noise = 1e-4
        model.covar_module.base_kernel.lengthscale = 0.1
        model.covar_module.outputscale = 1.0
        model.mean_module.constant.data.fill_(0.0)
        return _snapshot(model)

    def _build(self, x: np.ndarray, y: np.ndarray, noise: np.ndarray | None) -> _ExactGP:
        """A GP on ``x`` (n,), ``y`` (n,) with the current warp and stored hyperparameters;
        ``noise`` (n,) known variances in y's units, or None to learn one."""
        self._x, self._y, self._noise = x, y, noise
        self._y_mean = float(y.mean())
        self._y_scale = float(y.std()) or 1.0
        self._target = torch.as_tensor((y - self._y_mean) / self._y_scale, dtype=DTYPE)
        if noise is None:
            likelihood = gpytorch.likelihoods.GaussianLikelihood(
                noise_constraint=gpytorch.constraints.Interval(self.min_noise, self.max_noise)
            )
        else:
            standardised = np.maximum(noise / self._y_scale**2, self.min_noise)
            likelihood = gpytorch.likelihoods.FixedNoiseGaussianLikelihood(
                torch.as_tensor(standardised, dtype=DTYPE)
            )
        model = _ExactGP(self._u(x), self._target, likelihood, self.nu).to(DTYPE)
        if self._hyper is not None:
            model.load_state_dict(_loadable(model, self._hyper))
        model.eval()
        self._model = model
        self._on_grid = self._misfit = None
        return model

    def state(self) -> dict:
        """Strict-JSON fitted state: data, warps and the learned (raw) hyperparameters.

        The constraints' bounds (an upper bound is inf) come from the settings, not the state.
        """
        if self._model is None:
            return {}
        learned = dict(self._model.named_parameters())
        return {
            "x": self._x.tolist(),
            "y": self._y.tolist(),
            "noise": None if self._noise is None else self._noise.tolist(),
            "warp": self.warp.tolist(),
            "next_warp": self._next_warp.tolist(),
            "hyper": {k: v.tolist() for k, v in self._hyper.items() if k in learned},
            "learned_on": self._learned_on,
        }

    def load_state(self, state: dict) -> None:
        """Restore what ``state`` returned; predictions match the saved model's."""
        if not state:
            return
        try:
            warp = np.asarray(state["warp"], float)
            next_warp = np.asarray(state["next_warp"], float)
            if warp.shape != self.grid.shape or next_warp.shape != self.grid.shape:
                raise InvalidParameterError(
                    f"the state's warp has {warp.size} points but grid_size="
                    f"{self.grid.size}: load it into WarpedGP(grid_size={warp.size})"
                )
            self.warp, self._next_warp = warp, next_warp
            hyper = {k: torch.tensor(v, dtype=DTYPE) for k, v in state["hyper"].items()}
            self._hyper = None
            noise = state.get("noise")  # states saved before known noise: learned
            model = self._build(
                np.asarray(state["x"], float),
                np.asarray(state["y"], float),
                None if noise is None else np.asarray(noise, float),
            )
            # states saved before state() left out the bounds hold them too: the same values
            model.load_state_dict({**model.state_dict(), **hyper})
            self._hyper = _snapshot(model)
            # states saved before fits skipped learning: learned on all their points
            self._learned_on = int(state.get("learned_on", len(self._x)))
            self._band_terms()
        except (KeyError, TypeError, RuntimeError) as err:
            raise InvalidParameterError(f"not a WarpedGP state: {err}") from None

    def _warp_from(self, mean: np.ndarray) -> np.ndarray:
        """The warp (grid_size,) from the curvature of ``mean`` (grid_size,) on the grid."""
        curvature = np.abs(np.gradient(np.gradient(mean, self.grid), self.grid))
        if self.smoothing > 0:
            curvature = gaussian_filter1d(curvature, self.smoothing)
        density = curvature**self.exponent
        if self.base_density is None:
            base = np.ones_like(mean)
        else:
            base = self.base_density(self.grid, mean)
        density = (1 - self.floor) * density / (density.mean() or 1.0)
        density += self.floor * base / base.mean()
        cumulative = np.concatenate([[0.0], np.cumsum((density[1:] + density[:-1]) / 2)])
        return cumulative / cumulative[-1]

    def predict(self, x: np.ndarray, band: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and std of the latent function at ``x`` (m,) in [0, 1], each (m,).

        With ``band`` the std adds to the GP's variance what the kernel misses there (see
        the module docstring), so that mean +- 2 std holds the truth; without, it is the
        GP's own (what an acquisition ranks). One number is one position (m = 1); an
        (m, 1) column is taken as (m,).
        """
        if self._model is None:
            raise InvalidParameterError("predict before fit: observe some points first")
        check_bool("band", band)
        x = _in_unit_interval("x", as_positions("x", x))
        parts = [self._posterior(self._x, self._target, c) for c in _chunks(x)]
        mean, std = (np.concatenate(p) for p in zip(*parts, strict=True))
        return mean, self.widened(std, x) if band else std

    def _train_noise(self, n_pending: int = 0) -> torch.Tensor:
        """Standardised noise variances (n + n_pending,) of the measured points, then of
        pending ones: the learned level, or with known noise their median."""
        noise = self._model.likelihood.noise.detach().expand(len(self._x))
        pending = noise.median() if self._noise is not None else noise[0]
        return torch.cat([noise, pending.expand(n_pending)])

    def _posterior(self, x_train, target, x) -> tuple[np.ndarray, np.ndarray]:
        """Exact posterior by one Cholesky: train ``x_train`` (n,), the measured points then
        any pending ones, ``target`` (n,); query (m,)."""
        model = self._model
        kernel = model.covar_module
        with torch.no_grad(), one_torch_thread():
            u_train, u = self._u(x_train), self._u(x)
            k_train = kernel(u_train).to_dense()
            noise = self._train_noise(len(x_train) - len(self._x))
            k_train = k_train + torch.diag(noise)
            chol = torch.linalg.cholesky(k_train)
            cross = kernel(u_train, u).to_dense()  # n x m
            constant = model.mean_module.constant
            alpha = torch.cholesky_solve((target - constant)[:, None], chol)
            mean = constant + (cross * alpha).sum(0)
            solved = torch.linalg.solve_triangular(chol, cross, upper=False)
            var = (kernel.outputscale - (solved**2).sum(0)).clamp_min(0)
        return (
            mean.numpy() * self._y_scale + self._y_mean,
            var.sqrt().numpy() * self._y_scale,
        )

    def _band_terms(self) -> None:
        """Store what the band adds to the GP's variance (``_model_error``), from the
        kernel plus noise ``K`` of the measured points, standardised: at each measured
        position (g,; see ``_positions``) the excess of the squared leave-one-out residual of
        its readings, left out together, over its predicted variance, negative where the
        model does better than it expects (``_left_out_excess``), and that position (g,),
        the readings' precision-weighted mean; and ``K^-1 1`` (n,) and ``1' K^-1 1``, which
        weigh the uncertainty of the learned constant mean."""
        model = self._model
        with torch.no_grad(), one_torch_thread():
            k_train = model.covar_module(self._u(self._x)).to_dense()
            noise = self._train_noise()
            inverse = torch.cholesky_inverse(torch.linalg.cholesky(k_train + torch.diag(noise)))
            weighted = inverse @ (self._target - model.mean_module.constant)
        groups = _positions(self._x)
        precision = 1 / noise.numpy()
        self._excess = _left_out_excess(inverse.numpy(), weighted.numpy(), precision, groups)
        self._excess_at = np.array([precision[g] @ self._x[g] / precision[g].sum() for g in groups])
        self._mean_weights = inverse.sum(1)
        self._mean_precision = float(inverse.sum())

    def _model_error(self, x: np.ndarray) -> np.ndarray:
        """The variance (m,), in y's units squared, the GP's own std misses at ``x`` (m,):
        the leave-one-out excess of the measured positions nearby (Gaussian weights of width
        ``EXCESS_WIDTH`` lengthscales in the warped coordinate; one weight per position,
        however often it was read) where positive, zero where the model predicts left-out
        readings as well as it expects; plus the variance of the
        constant mean, which the GP takes as known (universal kriging: ``(1 - k' K^-1 1)**2
        / 1' K^-1 1``, ``k`` the kernel to the measured points). Far from the points, or
        where the GP reads every reading as noise, that is the variance of their weighted
        mean: 20 readings of noise 0.38 left a flat band 1.8e-4 wide, not 0.085."""
        kernel = self._model.covar_module
        width = EXCESS_WIDTH * kernel.base_kernel.lengthscale.item()
        u, u_train = self._u(x), self._u(self._x)
        distance2 = ((u.numpy() - self._u(self._excess_at).numpy()[:, 0]) / width) ** 2  # m x g
        weight = np.exp(-0.5 * (distance2 - distance2.min(1, keepdims=True)))
        excess = weight @ self._excess / weight.sum(1)
        with torch.no_grad(), one_torch_thread():
            unexplained = 1 - self._mean_weights @ kernel(u_train, u).to_dense()
        mean_variance = unexplained.numpy() ** 2 / self._mean_precision
        return (np.clip(excess, 0.0, None) + mean_variance) * self._y_scale**2

    def grid_posterior(self) -> tuple[np.ndarray, np.ndarray]:
        """``predict(self.grid, band=False)``, each (grid_size,) and read-only, computed once
        per fit (a fit, the warp and an acquisition each read it)."""
        if self._on_grid is None:
            mean, std = self.predict(self.grid, band=False)
            mean.setflags(write=False)
            std.setflags(write=False)
            self._on_grid = mean, std
        return self._on_grid

    def widened(self, std: np.ndarray, x: np.ndarray | None = None) -> np.ndarray:
        """The GP's own ``std`` (m,) at positions ``x`` (m,; by default the grid) widened by
        what the kernel misses there (``_model_error``): ``predict``'s band. For a std given
        pending points (``std_given_pending``) the misfit is that of the measured points,
        which pending ones leave as it is. The misfit at the last ``x`` is kept until the
        next fit: an acquisition widens at the same positions for each pick of a batch."""
        x = self.grid if x is None else x
        if self._misfit is None or not np.array_equal(self._misfit[0], x):
            misfit = np.concatenate([self._model_error(c) for c in _chunks(x)])
            self._misfit = np.array(x, copy=True), misfit
        return np.sqrt(std**2 + self._misfit[1])

    def std_given_pending(self, pending: np.ndarray, x: np.ndarray | None = None) -> np.ndarray:
        """The GP's own posterior std at ``x`` (m,), by default the grid, once ``pending``
        (p,) are measured: what an acquisition ranks (no band: see ``widened``).

        A GP's variance does not depend on the values measured, so the pending
        points enter with their posterior mean as a stand-in value. Both take the
        shapes ``predict`` takes.
        """
        pending = _in_unit_interval("pending", as_positions("pending", pending))
        if pending.size == 0 and x is None:
            return self.grid_posterior()[1]
        x = self.grid if x is None else _in_unit_interval("x", as_positions("x", x))
        if pending.size == 0:
            return self.predict(x, band=False)[1]
        fantasy = (self.predict(pending, band=False)[0] - self._y_mean) / self._y_scale
        x_train = np.concatenate([self._x, pending])
        target = torch.cat([self._target, torch.as_tensor(fantasy, dtype=DTYPE)])
        return self._posterior(x_train, target, x)[1]
